import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { buildEnterprises } from '../../src/sim/factory-catalog.ts'
import { createSimModbusServer, type SimModbusServer } from '../../src/sim/modbus-server.ts'
import { createSimOpcuaServer, type SimOpcuaServer } from '../../src/sim/opcua-server.ts'
import { createVirtualFactory } from '../../src/sim/virtual-factory.ts'
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.ts'

const ent = buildEnterprises().find((e) => e.key === 'fs-diecast')
assert.ok(ent)
const fsDiecast = ent

interface Health {
  kind: string
  connected: boolean
  lastError: string | null
  readsPerSec: number
  errorsPerSec: number
  counters: Record<string, number>
}

describe('adapters configured through the API', () => {
  let p: TestPlatform
  let modbus: SimModbusServer
  let opcua: SimOpcuaServer
  let a: { tenant: string; token: string }
  let b: { tenant: string; token: string }

  before(async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ronghe-adapters-'))
    modbus = createSimModbusServer({ enterprise: fsDiecast })
    opcua = createSimOpcuaServer({ enterprises: [fsDiecast], pkiDir: join(tmp, 'sim-pki') })
    await Promise.all([modbus.start(), opcua.start()])
    // one fixed plant state: the registers hold these values for the whole test
    const t0 = Date.UTC(2026, 2, 2, 2, 0)
    const factory = createVirtualFactory({ seed: 3, start: t0, enterprises: [fsDiecast] })
    for (const v of factory.step(t0 + 60_000)) {
      modbus.apply(v)
      opcua.apply(v)
    }
    p = await startTestPlatform()
    a = await p.enterprise('适配器甲')
    b = await p.enterprise('适配器乙')
  })
  after(async () => {
    await p.stop()
    await Promise.all([modbus.stop(), opcua.stop()])
  })

  it('polls the sim Modbus server once configured, stores the values, and reports health', async () => {
    const dev = await p.device(a.token, 'ac-01', 'modbus')
    const unit = modbus.units.find((u) => u.deviceKey === 'AC-01')
    assert.ok(unit)
    const config = {
      kind: 'modbus',
      host: '127.0.0.1',
      port: modbus.port,
      unitId: unit.unitId,
      groups: [
        {
          name: 'all',
          intervalMs: 100,
          points: unit.points.map((pt) => ({
            key: pt.pointKey,
            table: 'input',
            address: pt.address,
            type: pt.type,
          })),
        },
      ],
    }
    const put = await p.api<{ deviceId: string; settings: { kind: string } }>(
      'PUT',
      `/api/devices/${dev.id}/adapter`,
      { token: a.token, body: config },
    )
    assert.equal(put.status, 200, JSON.stringify(put.body))
    assert.equal(put.body.settings.kind, 'modbus')
    const got = await p.api<{ settings: typeof config }>('GET', `/api/devices/${dev.id}/adapter`, {
      token: a.token,
    })
    assert.equal(got.status, 200)
    assert.deepEqual(got.body.settings, config)

    // health: connected, and about 6 values per 100 ms poll = ~60 reads/s once the rate window fills
    let h: Health | null = null
    await eventually(
      async () => {
        const r = await p.api<Health>('GET', `/api/devices/${dev.id}/adapter/status`, { token: a.token })
        h = r.body
        return r.status === 200 && r.body.connected && r.body.readsPerSec > 0
      },
      10_000,
      'adapter connected and reading',
    )
    const health = h as unknown as Health
    assert.equal(health.kind, 'modbus')
    assert.equal(health.lastError, null)
    assert.equal(health.errorsPerSec, 0)
    assert.ok(health.readsPerSec > 10 && health.readsPerSec < 200, `reads/s ${health.readsPerSec}`)

    // the values arrive as points of the device with what the registers hold
    await eventually(
      async () => {
        const r = await p.api<{ items: { id: string; key: string }[] }>(
          'GET',
          `/api/points?deviceId=${dev.id}&limit=100`,
          { token: a.token },
        )
        return r.body.items.length === unit.points.length
      },
      5000,
      'points registered',
    )
    const all = await p.api<{ items: { id: string; key: string }[] }>(
      'GET',
      `/api/points?deviceId=${dev.id}&limit=100`,
      { token: a.token },
    )
    assert.deepEqual(all.body.items.map((x) => x.key).sort(), unit.points.map((x) => x.pointKey).sort())
    const first = all.body.items[0]
    assert.ok(first)
    const series = await p.api<{ samples: { ts: number; value: number | null; quality: string }[] }>(
      'GET',
      `/api/points/${first.id}/series?from=${Date.now() - 60_000}&to=${Date.now() + 60_000}&limit=100000`,
      { token: a.token },
    )
    assert.equal(series.status, 200)
    assert.ok(series.body.samples.length >= 1)
    // the register value does not change (the factory is not stepped): every sample equals the first
    const values = new Set(series.body.samples.map((s) => s.value))
    assert.equal(values.size, 1, `values ${[...values].join(', ')}`)
    assert.ok(series.body.samples.every((s) => s.quality === 'good'))

    // another tenant sees none of it
    for (const [method, url] of [
      ['GET', `/api/devices/${dev.id}/adapter`],
      ['GET', `/api/devices/${dev.id}/adapter/status`],
      ['PUT', `/api/devices/${dev.id}/adapter`],
      ['DELETE', `/api/devices/${dev.id}/adapter`],
    ] as const) {
      const r = await p.api<{ error: { code: string } }>(method, url, {
        token: b.token,
        ...(method === 'PUT' ? { body: config } : {}),
      })
      assert.equal(r.status, 404, `${method} ${url}`)
      assert.equal(r.body.error.code, 'NOT_FOUND', `${method} ${url}`)
    }

    // a changed configuration restarts the adapter: a port nobody listens on → disconnected with an error
    const moved = await p.api('PUT', `/api/devices/${dev.id}/adapter`, {
      token: a.token,
      body: { ...config, port: 1, timeoutMs: 200, reconnect: { initialMs: 100, maxMs: 200 } },
    })
    assert.equal(moved.status, 200)
    await eventually(
      async () => {
        const r = await p.api<Health>('GET', `/api/devices/${dev.id}/adapter/status`, { token: a.token })
        return r.status === 200 && !r.body.connected && r.body.lastError !== null
      },
      10_000,
      'adapter reports the unreachable port',
    )
    const del = await p.api('DELETE', `/api/devices/${dev.id}/adapter`, { token: a.token })
    assert.equal(del.status, 204)
    const gone = await p.api<{ error: { code: string } }>('GET', `/api/devices/${dev.id}/adapter/status`, {
      token: a.token,
    })
    assert.equal(gone.status, 404)
    assert.equal(gone.body.error.code, 'ADAPTER_NOT_CONFIGURED')
  })

  it('refuses a configuration of the wrong protocol or shape', async () => {
    const dev = await p.device(a.token, 'mqtt-01', 'mqtt')
    const wrong = await p.api<{ error: { code: string } }>('PUT', `/api/devices/${dev.id}/adapter`, {
      token: a.token,
      body: {
        kind: 'modbus',
        host: '127.0.0.1',
        groups: [{ name: 'g', intervalMs: 100, points: [{ key: 'k', table: 'holding', address: 0 }] }],
      },
    })
    assert.equal(wrong.status, 409)
    assert.equal(wrong.body.error.code, 'ADAPTER_PROTOCOL_MISMATCH')
    const mb = await p.device(a.token, 'mb-02', 'modbus')
    const bad = await p.api('PUT', `/api/devices/${mb.id}/adapter`, {
      token: a.token,
      body: {
        kind: 'modbus',
        host: '127.0.0.1',
        groups: [{ name: 'g', intervalMs: 100, points: [{ key: 'k', table: 'register', address: 0 }] }],
      },
    })
    assert.equal(bad.status, 400)
  })

  it('browses the sim OPC UA server and configures an OPC UA adapter from what it found', async () => {
    const r = await p.api<{ root: Tree }>('POST', '/api/adapters/opcua/browse', {
      token: a.token,
      body: { endpointUrl: opcua.endpointUrl, securityMode: 'None' },
    })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const want = opcua.nodeIdOf('fs-diecast', 'DC-01', 'dieTemp')
    const found = find(r.body.root, want)
    assert.ok(found, `${want} in the browsed tree`)
    assert.equal(found.nodeClass, 'Variable')
    assert.equal(found.dataType, 'Float')

    const dev = await p.device(a.token, 'dc-01', 'opcua')
    const put = await p.api('PUT', `/api/devices/${dev.id}/adapter`, {
      token: a.token,
      body: {
        kind: 'opcua',
        endpointUrl: opcua.endpointUrl,
        securityMode: 'None',
        identity: { type: 'anonymous' },
        publishingIntervalMs: 100,
        items: [{ nodeId: want, key: 'dieTemp', samplingIntervalMs: 100 }],
      },
    })
    assert.equal(put.status, 200, JSON.stringify(put.body))
    await eventually(
      async () => {
        const s = await p.api<Health>('GET', `/api/devices/${dev.id}/adapter/status`, { token: a.token })
        return s.status === 200 && s.body.connected && (s.body.counters.values ?? 0) >= 1
      },
      15_000,
      'OPC UA adapter connected with a value',
    )
    const pts = await p.api<{ items: { key: string }[] }>('GET', `/api/points?deviceId=${dev.id}&limit=10`, {
      token: a.token,
    })
    assert.deepEqual(
      pts.body.items.map((x) => x.key),
      ['dieTemp'],
    )
    const unreachable = await p.api<{ error: { code: string } }>('POST', '/api/adapters/opcua/browse', {
      token: a.token,
      body: { endpointUrl: 'ftp://example.cn' },
    })
    assert.equal(unreachable.status, 400)
  })
})

interface Tree {
  nodeId: string
  nodeClass: string
  dataType?: string
  children: Tree[]
}

function find(t: Tree, nodeId: string): Tree | null {
  if (t.nodeId === nodeId) return t
  for (const c of t.children) {
    const f = find(c, nodeId)
    if (f) return f
  }
  return null
}
