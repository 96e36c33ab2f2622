import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createMemoryBus } from '../bus/memory-bus.ts'
import { type DeviceId, systemClock, type TenantId } from '../core/index.ts'
import { buildEnterprises } from '../sim/factory-catalog.ts'
import { createSimModbusServer } from '../sim/modbus-server.ts'
import { createVirtualFactory } from '../sim/virtual-factory.ts'
import { type AdapterSettings, createAdapterManager } from './adapter-manager.ts'
import type { IngestSink, RawValue } from './ingest-sink.ts'

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('adapter manager', () => {
  it('keeps configurations in adapters.db, restarts them with the platform, and drops a deleted device', async () => {
    const ent = buildEnterprises().find((e) => e.key === 'fs-diecast')
    assert.ok(ent)
    const server = createSimModbusServer({ enterprise: ent })
    await server.start()
    const t0 = Date.UTC(2026, 2, 2, 2, 0)
    const factory = createVirtualFactory({ seed: 4, start: t0, enterprises: [ent] })
    for (const v of factory.step(t0 + 60_000)) server.apply(v)
    const unit = server.units.find((u) => u.deviceKey === 'AC-01')
    assert.ok(unit)
    const got: { device: string; v: RawValue }[] = []
    const sink: IngestSink = {
      async write(_t, device, values) {
        got.push(...values.map((v) => ({ device, v })))
        return { accepted: values.length, rejected: [] }
      },
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'ronghe-adapters-'))
    const tenant = 't1' as TenantId
    const device = 'd1' as DeviceId
    const settings: AdapterSettings = {
      kind: 'modbus',
      host: '127.0.0.1',
      port: server.port,
      unitId: unit.unitId,
      groups: [
        {
          name: 'all',
          intervalMs: 50,
          points: unit.points.map((p) => ({
            key: p.pointKey,
            table: 'input' as const,
            address: p.address,
            type: p.type,
          })),
        },
      ],
    }
    const bus = createMemoryBus()
    let m = createAdapterManager({ dataDir, sink, clock: systemClock, bus })
    await m.start()
    try {
      // a register map with one key twice: refused before anything is stored
      const twice = { key: 'k', table: 'input' as const, address: 0, type: 'uint16' as const }
      await assert.rejects(
        m.put(tenant, device, {
          ...settings,
          groups: [{ name: 'g', intervalMs: 50, points: [twice, twice] }],
        }),
        (e: Error & { code?: string }) => e.code === 'ADAPTER_BAD_CONFIG',
      )
      assert.equal(await m.get(tenant, device), null, 'a refused configuration is not stored')
      await m.put(tenant, device, settings)
      await until(() => got.length >= unit.points.length, 5000, 'first poll')
      // every value of a poll carries the keys of the register map, for the configured device
      assert.deepEqual(new Set(got.map((g) => g.v.key)), new Set(unit.points.map((p) => p.pointKey)))
      assert.ok(got.every((g) => g.device === device))
      assert.equal((await m.health(tenant, device))?.connected, true)
      assert.equal((await m.health(tenant, device))?.runningHere, true)
      assert.equal(await m.health('t2' as TenantId, device), null, 'another tenant sees no adapter')
      await m.stop()

      // a new manager on the same data directory starts the stored adapter again
      got.length = 0
      m = createAdapterManager({ dataDir, sink, clock: systemClock, bus })
      await m.start()
      assert.deepEqual((await m.get(tenant, device))?.settings, settings)
      await until(() => got.length >= unit.points.length, 5000, 'poll after restart')

      // the device is deleted: its adapter stops and its configuration goes
      await bus.publish('device.deleted', { tenant, device })
      await until(() => m.runningHere().length === 0, 2000, 'adapter stopped')
      assert.equal(await m.get(tenant, device), null)
      assert.equal(await m.health(tenant, device), null)
    } finally {
      await m.stop()
      await bus.close()
      await server.stop()
    }
  })
})
