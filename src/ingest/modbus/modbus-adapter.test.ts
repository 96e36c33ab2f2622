import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { commandExists, needService, tcpReachable } from '../../../test/support/services.ts'
import type { DeviceId, TenantId } from '../../core/index.ts'
import { buildEnterprises } from '../../sim/factory-catalog.ts'
import { createSimModbusServer } from '../../sim/modbus-server.ts'
import { createVirtualFactory } from '../../sim/virtual-factory.ts'
import type { IngestSink, RawValue } from '../ingest-sink.ts'
import { createModbusAdapter } from './modbus-adapter.ts'
import { createModbusClient } from './modbus-client.ts'
import { encodeWords, type ModbusPointConfig, planReads, rawValue } from './register-map.ts'

const tenant = 't1' as TenantId
const device = 'plc-1' as DeviceId

function recordingSink(): IngestSink & { values: RawValue[] } {
  const values: RawValue[] = []
  return {
    values,
    async write(_t, _d, vs) {
      values.push(...vs)
      return { accepted: vs.length, rejected: [] }
    },
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0))
    })
  })
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('register map', () => {
  it('coalesces adjacent registers and splits at 125 and at gaps', () => {
    const pts: ModbusPointConfig[] = [
      { key: 'a', table: 'holding', address: 0, type: 'float32' },
      { key: 'b', table: 'holding', address: 2, type: 'uint16' },
      { key: 'c', table: 'holding', address: 10, type: 'uint16' },
      { key: 'd', table: 'holding', address: 11, type: 'float64' },
      { key: 'e', table: 'input', address: 0 },
      { key: 'f', table: 'coil', address: 3 },
      { key: 'g', table: 'coil', address: 4 },
    ]
    const plan = planReads(pts)
    assert.deepEqual(
      plan.map((r) => [r.functionCode, r.address, r.quantity, r.points.map((p) => p.key).join('')]),
      [
        [1, 3, 2, 'fg'],
        [3, 0, 3, 'ab'],
        [3, 10, 5, 'cd'],
        [4, 0, 1, 'e'],
      ],
    )
    // with a gap allowance of 7 registers the two holding ranges join: 0…14 is 15 registers
    assert.deepEqual(
      planReads(pts, { maxGap: 7 })
        .filter((r) => r.functionCode === 3)
        .map((r) => [r.address, r.quantity]),
      [[0, 15]],
    )
    // 200 consecutive uint16 registers need two requests: 125 + 75
    const many = Array.from({ length: 200 }, (_, i) => ({
      key: `r${i}`,
      table: 'input' as const,
      address: i,
    }))
    assert.deepEqual(
      planReads(many).map((r) => [r.address, r.quantity]),
      [
        [0, 125],
        [125, 75],
      ],
    )
    // a float32 that would straddle the limit starts the next request
    const f = Array.from({ length: 63 }, (_, i) => ({
      key: `f${i}`,
      table: 'input' as const,
      address: 2 * i,
      type: 'float32' as const,
    }))
    assert.deepEqual(
      planReads(f).map((r) => [r.address, r.quantity]),
      [
        [0, 124],
        [124, 2],
      ],
    )
  })

  it('decodes every type in every byte and word order', () => {
    // 0x41AC0000 is 21.5 as float32
    assert.equal(rawValue(Uint16Array.from([0x41ac, 0x0000]), 'float32', 'big', 'big'), 21.5)
    assert.equal(rawValue(Uint16Array.from([0x0000, 0x41ac]), 'float32', 'big', 'little'), 21.5)
    assert.equal(rawValue(Uint16Array.from([0xac41, 0x0000]), 'float32', 'little', 'big'), 21.5)
    assert.equal(rawValue(Uint16Array.from([0x0000, 0xac41]), 'float32', 'little', 'little'), 21.5)
    assert.equal(rawValue(Uint16Array.from([0xfb2e]), 'int16', 'big', 'big'), -1234)
    assert.equal(rawValue(Uint16Array.from([0xfb2e]), 'uint16', 'big', 'big'), 64302)
    assert.equal(rawValue(Uint16Array.from([0xb2a3, 0x5e00]), 'uint32', 'big', 'little'), 0x5e00b2a3)
    assert.equal(rawValue(Uint16Array.from([0xffff, 0xfffe]), 'int32', 'big', 'big'), -2)
    for (const bo of ['big', 'little'] as const)
      for (const wo of ['big', 'little'] as const)
        assert.equal(
          rawValue(Uint16Array.from(encodeWords(1234.5678, 'float64', bo, wo)), 'float64', bo, wo),
          1234.5678,
        )
  })
})

// pymodbus 3.0 (Debian's python3-pymodbus) as a peer that Ronghe did not write. zero_mode=True makes
// protocol address 0 the block's first value (pymodbus otherwise shifts by one).
const PYMODBUS_SERVER = `
import asyncio, struct, sys
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusSlaveContext, ModbusServerContext
from pymodbus.server import StartAsyncTcpServer

def words(fmt, v):
    b = struct.pack(fmt, v)
    return [int.from_bytes(b[i:i+2], 'big') for i in range(0, len(b), 2)]

hr = [0] * 100
hr[0] = words('>h', -1234)[0]
hr[1] = 54321
hr[2:4] = words('>i', -123456789)
u = words('>I', 3000000000); hr[4:6] = [u[1], u[0]]          # low word first
hr[6:8] = words('>f', 21.5)
hr[8:12] = words('>d', 1234.5678)
b = struct.pack('>f', -3.25); hr[12:14] = [b[1] << 8 | b[0], b[3] << 8 | b[2]]   # bytes swapped
hr[20] = 2345
ir = [0] * 100
ir[0:2] = words('>f', 7.75)
ir[2] = 42
store = ModbusSlaveContext(
    di=ModbusSequentialDataBlock(0, [False, True, True, False] + [False] * 96),
    co=ModbusSequentialDataBlock(0, [True, False, True, True] + [False] * 96),
    hr=ModbusSequentialDataBlock(0, hr),
    ir=ModbusSequentialDataBlock(0, ir),
    zero_mode=True,
)
context = ModbusServerContext(slaves=store, single=True)
asyncio.run(StartAsyncTcpServer(context=context, address=('127.0.0.1', int(sys.argv[1]))))
`

const PY = '/usr/bin/python3'

describe('Modbus adapter against pymodbus', async () => {
  const skip = await needService(
    'python3-pymodbus',
    commandExists(PY) &&
      (await new Promise<boolean>((resolve) => {
        const p = spawn(PY, ['-c', 'import pymodbus.server'], { stdio: 'ignore' })
        p.once('exit', (code) => resolve(code === 0))
        p.once('error', () => resolve(false))
      })),
  )
  let proc: ChildProcess | null = null
  let port = 0
  before(async () => {
    if (skip) return
    const dir = mkdtempSync(join(tmpdir(), 'ronghe-pymodbus-'))
    writeFileSync(join(dir, 'server.py'), PYMODBUS_SERVER)
    port = await freePort()
    proc = spawn(PY, [join(dir, 'server.py'), String(port)], { stdio: ['ignore', 'ignore', 'pipe'] })
    const end = Date.now() + 10_000
    while (!(await tcpReachable('127.0.0.1', port, 200))) {
      if (Date.now() > end) throw new Error('pymodbus server did not start')
      await new Promise((r) => setTimeout(r, 100))
    }
  })
  after(() => {
    proc?.kill('SIGTERM')
  })

  it('reads every type, table and order from pymodbus, scaled and offset', { skip }, async () => {
    const adapter = createModbusAdapter({
      tenant,
      device,
      host: '127.0.0.1',
      port,
      unitId: 1,
      groups: [
        {
          name: 'fast',
          intervalMs: 60_000,
          points: [
            { key: 'i16', table: 'holding', address: 0, type: 'int16' },
            { key: 'u16', table: 'holding', address: 1, type: 'uint16' },
            { key: 'i32', table: 'holding', address: 2, type: 'int32' },
            { key: 'u32', table: 'holding', address: 4, type: 'uint32', wordOrder: 'little' },
            { key: 'f32', table: 'holding', address: 6, type: 'float32' },
            { key: 'f64', table: 'holding', address: 8, type: 'float64' },
            { key: 'swapped', table: 'holding', address: 12, type: 'float32', byteOrder: 'little' },
            { key: 'scaled', table: 'holding', address: 20, type: 'uint16', scale: 0.1, offset: -10 },
            { key: 'in', table: 'input', address: 0, type: 'float32' },
            { key: 'in2', table: 'input', address: 2, type: 'int16' },
            { key: 'c0', table: 'coil', address: 0 },
            { key: 'c1', table: 'coil', address: 1 },
            { key: 'd1', table: 'discrete', address: 1 },
            { key: 'd3', table: 'discrete', address: 3 },
          ],
        },
      ],
    })
    // holding 0…13 coalesce into one request; holding 20 and discrete 3 are not adjacent and stand alone
    assert.deepEqual(
      adapter.plan.get('fast')?.map((r) => [r.functionCode, r.address, r.quantity]),
      [
        [1, 0, 2],
        [2, 1, 1],
        [2, 3, 1],
        [3, 0, 14],
        [3, 20, 1],
        [4, 0, 3],
      ],
    )
    const sink = recordingSink()
    await adapter.start(sink)
    try {
      await until(() => sink.values.length >= 14)
      const got = Object.fromEntries(sink.values.slice(0, 14).map((v) => [v.key, v.value]))
      assert.deepEqual(got, {
        c0: true,
        c1: false,
        d1: true,
        d3: false,
        i16: -1234,
        u16: 54321,
        i32: -123456789,
        u32: 3000000000,
        f32: 21.5,
        f64: 1234.5678,
        swapped: -3.25,
        scaled: 2345 * 0.1 - 10,
        in: 7.75,
        in2: 42,
      })
      assert.ok(sink.values.every((v) => v.quality === 'good'))
      const st = adapter.status()
      assert.equal(st.connected, true)
      assert.equal(st.counters.requests, 6)
      assert.equal(st.counters.registersRead, 14 + 1 + 3)
    } finally {
      await adapter.stop()
    }
  })

  it('turns an unmapped range into a clear exception and one bad sample', { skip }, async () => {
    const adapter = createModbusAdapter({
      tenant,
      device,
      host: '127.0.0.1',
      port,
      groups: [{ name: 'g', intervalMs: 60_000, points: [{ key: 'far', table: 'holding', address: 150 }] }],
    })
    const sink = recordingSink()
    await adapter.start(sink)
    try {
      await until(() => sink.values.length >= 1)
      assert.deepEqual(sink.values[0] && { ...sink.values[0], ts: 0 }, {
        key: 'far',
        ts: 0,
        value: null,
        quality: 'bad',
      })
      // a second failing poll does not repeat the bad sample
      assert.deepEqual(await adapter.pollNow('g'), [])
      const st = adapter.status()
      assert.equal(st.counters.exceptions, 2)
      assert.match(st.lastError ?? '', /exception 2 on function 3 .*illegal data address/)
    } finally {
      await adapter.stop()
    }
  })

  it('writes coils and registers with function codes 5, 6, 15 and 16', { skip }, async () => {
    const c = createModbusClient({ host: '127.0.0.1', port })
    await c.connect()
    try {
      await c.writeRegister(1, 50, 0xbeef, 1000)
      await c.writeRegisters(1, 51, [1, 2, 3], 1000)
      await c.writeCoil(1, 10, true, 1000)
      await c.writeCoils(1, 11, [false, true, true], 1000)
      assert.deepEqual([...(await c.readRegisters(1, 3, 50, 4, 1000))], [0xbeef, 1, 2, 3])
      assert.deepEqual(await c.readBits(1, 1, 10, 4, 1000), [true, false, true, true])
    } finally {
      c.close()
    }
  })
})

describe('Modbus adapter against the virtual factory', () => {
  const ent = buildEnterprises().find((e) => e.key === 'fs-diecast')
  assert.ok(ent)
  const start = Date.UTC(2026, 2, 2, 2, 0) // a Monday, 10:00 in Foshan: the day shift runs

  it('reads the sim server register map, recovers after the server restarts', async () => {
    const server = createSimModbusServer({ enterprise: ent })
    await server.start()
    const factory = createVirtualFactory({ seed: 7, start, enterprises: [ent] })
    const expected = new Map<string, number>()
    for (const v of factory.step(start + 60_000)) {
      server.apply(v)
      if (v.deviceKey === 'AC-01' && typeof v.value === 'number') expected.set(v.pointKey, v.value)
    }
    const unit = server.units.find((u) => u.deviceKey === 'AC-01')
    assert.ok(unit)
    assert.deepEqual(
      unit.points.map((p) => [p.pointKey, p.address, p.type]),
      [
        ['state', 0, 'int32'],
        ['dischargePressure', 2, 'float32'],
        ['dischargeTemp', 4, 'float32'],
        ['motorCurrent', 6, 'float32'],
        ['vibrationRms', 8, 'float32'],
        ['runHours', 10, 'float64'],
      ],
    )
    const adapter = createModbusAdapter({
      tenant,
      device,
      host: '127.0.0.1',
      port: server.port,
      unitId: unit.unitId,
      timeoutMs: 300,
      reconnect: { initialMs: 50, maxMs: 200 },
      groups: [
        {
          name: 'all',
          intervalMs: 60_000,
          points: unit.points.map((p) => ({
            key: p.pointKey,
            table: 'input' as const,
            address: p.address,
            type: p.type,
          })),
        },
      ],
    })
    const sink = recordingSink()
    await adapter.start(sink)
    try {
      await until(() => sink.values.length >= 6)
      assert.equal(adapter.plan.get('all')?.length, 1)
      for (const v of sink.values) {
        const want = expected.get(v.key)
        assert.ok(want !== undefined, v.key)
        const spec: { type: string } | undefined = unit.points.find((x) => x.pointKey === v.key)
        assert.equal(v.value, spec?.type === 'float32' ? Math.fround(want) : want, v.key)
      }
      const port = server.port
      await server.stop()
      await until(() => !adapter.status().connected)
      const during = await adapter.pollNow('all')
      assert.equal(during.length, 6)
      assert.ok(during.every((v) => v.quality === 'bad' && v.value === null))
      const again = createSimModbusServer({ enterprise: ent, port })
      await again.start()
      for (const v of factory.step(start + 120_000)) again.apply(v)
      try {
        await until(() => adapter.status().connected)
        const resumed = await adapter.pollNow('all')
        assert.equal(resumed.length, 6)
        assert.ok(resumed.every((v) => v.quality === 'good'))
        assert.ok((adapter.status().counters.connects ?? 0) >= 2)
      } finally {
        await adapter.stop()
        await again.stop()
      }
    } finally {
      await adapter.stop()
      await server.stop()
    }
  })

  it('answers exceptions 1, 2, 3, 10 and 11 as the register map documents', async () => {
    const server = createSimModbusServer({ enterprise: ent })
    await server.start()
    const c = createModbusClient({ host: '127.0.0.1', port: server.port })
    await c.connect()
    try {
      const meter = server.units.find((u) => u.deviceKey === 'GM-01')
      assert.ok(meter)
      const code = async (p: Promise<unknown>): Promise<number> => {
        try {
          await p
          return 0
        } catch (err) {
          return (err as { details: { exceptionCode: number } }).details.exceptionCode
        }
      }
      assert.equal(await code(c.readRegisters(99, 4, 0, 1, 500)), 10)
      assert.equal(await code(c.readRegisters(meter.unitId, 4, 5, 2, 500)), 2)
      assert.equal(await code(c.readRegisters(meter.unitId, 3, 0, 126, 500)), 3)
      // a dropped-out meter: its registers answer "target failed to respond", its discrete input goes off
      server.apply({
        enterpriseKey: 'fs-diecast',
        deviceKey: 'GM-01',
        pointKey: 'flow',
        ts: start,
        value: null,
        quality: 'bad',
      })
      assert.equal(await code(c.readRegisters(meter.unitId, 4, 0, 6, 500)), 11)
      assert.deepEqual(await c.readBits(meter.unitId, 2, 0, 2, 500), [true, false])
      server.apply({
        enterpriseKey: 'fs-diecast',
        deviceKey: 'GM-01',
        pointKey: 'flow',
        ts: start,
        value: 12.5,
        quality: 'good',
      })
      const w = await c.readRegisters(meter.unitId, 4, 4, 2, 500)
      assert.equal(rawValue(w, 'float32', 'big', 'big'), 12.5)
      await c.writeRegisters(meter.unitId, 0, [7, 8], 500)
      assert.deepEqual([...(await c.readRegisters(meter.unitId, 3, 0, 2, 500))], [7, 8])
    } finally {
      c.close()
      await server.stop()
    }
  })
})
