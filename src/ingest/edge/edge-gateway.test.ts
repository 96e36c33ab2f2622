import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import mqtt from 'mqtt'
import { startTestPlatform, type TestPlatform } from '../../../test/support/platform.ts'
import { needService, tcpReachable } from '../../../test/support/services.ts'
import type { Clock } from '../../core/index.ts'
import { buildEnterprises } from '../../sim/factory-catalog.ts'
import { createSimModbusServer, type SimModbusServer } from '../../sim/modbus-server.ts'
import { createSimOpcuaServer } from '../../sim/opcua-server.ts'
import { createVirtualFactory } from '../../sim/virtual-factory.ts'
import type { RawValue } from '../ingest-sink.ts'
import { decodeSparkplug } from '../sparkplug/sparkplug-codec.ts'
import { createEdgeGateway, type EdgeSourceConfig } from './edge-gateway.ts'
import { openStoreForwardQueue } from './store-forward-queue.ts'

const ent = buildEnterprises().find((e) => e.key === 'fs-diecast')
assert.ok(ent)
const fsDiecast = ent

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0))
    })
  })
}

async function until(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Compressor AC-01 of the Foshan plant as a Modbus source polling all six points in one request. */
function compressorSource(server: SimModbusServer, device: string, intervalMs: number): EdgeSourceConfig {
  const unit = server.units.find((u) => u.deviceKey === 'AC-01')
  assert.ok(unit)
  return {
    kind: 'modbus',
    device,
    host: '127.0.0.1',
    port: server.port,
    unitId: unit.unitId,
    groups: [
      {
        name: 'all',
        intervalMs,
        points: unit.points.map((p) => ({
          key: p.pointKey,
          table: 'input' as const,
          address: p.address,
          type: p.type,
        })),
      },
    ],
  }
}

/**
 * The factory and its Modbus server on a clock running `speed` times faster than the wall, so a minute of
 * plant time passes in a few seconds; the simulated values change as the factory steps.
 */
async function acceleratedPlant(speed: number): Promise<{
  clock: Clock
  server: SimModbusServer
  stop: () => Promise<void>
}> {
  const wall0 = Date.now()
  const sim0 = Math.floor(wall0 / 1000) * 1000
  const clock: Clock = { now: () => sim0 + Math.floor((Date.now() - wall0) * speed) }
  const factory = createVirtualFactory({ seed: 11, start: sim0, enterprises: [fsDiecast] })
  const server = createSimModbusServer({ enterprise: fsDiecast })
  await server.start()
  for (const v of factory.step(sim0)) server.apply(v)
  const t = setInterval(() => {
    for (const v of factory.step(clock.now())) server.apply(v)
  }, 20)
  return {
    clock,
    server,
    stop: async () => {
      clearInterval(t)
      await server.stop()
    },
  }
}

interface SpSample {
  device: string
  key: string
  ts: number
  value: unknown
  quality: string
}

/** Listens as a Sparkplug host would: aliases from births, DDATA resolved through them, every message's seq. */
function sparkplugWatcher(sub: mqtt.MqttClient): {
  data: SpSample[]
  seqs: { type: string; seq: number | null }[]
  topics: Set<string>
} {
  const aliases = new Map<number, string>()
  const out = {
    data: [] as SpSample[],
    seqs: [] as { type: string; seq: number | null }[],
    topics: new Set<string>(),
  }
  sub.on('message', (topic, payload) => {
    const parts = topic.split('/')
    const type = parts[2] ?? ''
    out.topics.add(topic)
    const p = decodeSparkplug(payload)
    if (type !== 'NDEATH') out.seqs.push({ type, seq: p.seq })
    if (type === 'NBIRTH') aliases.clear()
    if (type === 'DBIRTH')
      for (const m of p.metrics) if (m.alias !== null && m.name !== null) aliases.set(m.alias, m.name)
    if (type === 'DDATA')
      for (const m of p.metrics)
        out.data.push({
          device: parts[4] ?? '',
          key: aliases.get(m.alias ?? -1) ?? '?',
          ts: m.timestamp ?? 0,
          value: m.value,
          quality: m.quality,
        })
  })
  return out
}

/** seq starts at 0 with each NBIRTH and grows by one (mod 256) with every message after it */
function assertSeqContinuity(seqs: readonly { type: string; seq: number | null }[]): void {
  let expected = -1
  for (const [i, s] of seqs.entries()) {
    if (s.type === 'NBIRTH') {
      assert.equal(s.seq, 0, `NBIRTH #${i} seq`)
      expected = 1
      continue
    }
    assert.equal(s.seq, expected, `${s.type} #${i} seq`)
    expected = (expected + 1) % 256
  }
}

describe('store-and-forward queue', () => {
  it('keeps order per device, removes only acknowledged ranges, survives reopening, counts what the bound drops', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ronghe-edge-q-'))
    const q = openStoreForwardQueue({ dataDir: dir, maxSamples: 5 })
    const v = (key: string, ts: number, value: RawValue['value']): RawValue => ({
      key,
      ts,
      value,
      quality: 'good',
    })
    q.append('a', [v('x', 1, 1), v('x', 2, 2)])
    q.append('b', [v('y', 1, 'run')])
    q.append('a', [v('x', 3, null)])
    const a = q.peek('a', 0, 10)
    assert.deepEqual(
      a.map((r) => [r.key, r.ts, r.value]),
      [
        ['x', 1, 1],
        ['x', 2, 2],
        ['x', 3, null],
      ],
    )
    const [r1, r2] = a
    assert.ok(r1 && r2)
    assert.equal(q.ack('a', r1.seq, r2.seq), 2)
    assert.equal(q.depth(), 2)
    q.close()
    const again = openStoreForwardQueue({ dataDir: dir, maxSamples: 5 })
    assert.deepEqual(
      again.peek('a', 0, 10).map((r) => r.ts),
      [3],
    )
    assert.deepEqual(again.devices().sort(), ['a', 'b'])
    // 2 queued + 5 new > 5: the two oldest go, counted
    assert.equal(
      again.append(
        'a',
        [4, 5, 6, 7, 8].map((t) => v('x', t, t)),
      ),
      2,
    )
    assert.equal(again.dropped(), 2)
    assert.deepEqual(
      again.peek('a', 0, 10).map((r) => r.ts),
      [4, 5, 6, 7, 8],
    )
    assert.equal(again.peek('b', 0, 10).length, 0)
    again.close()
  })
})

describe('edge gateway → Mosquitto', async () => {
  const skip = await needService('Mosquitto on 127.0.0.1:1883', tcpReachable('127.0.0.1', 1883))

  it('is a Sparkplug B edge node: births with aliases, every queued sample once and in order by alias, seq without gaps, NDEATH on stop', {
    skip,
  }, async () => {
    const server = createSimModbusServer({ enterprise: fsDiecast })
    await server.start()
    const factory = createVirtualFactory({
      seed: 5,
      start: Date.UTC(2026, 2, 2, 2, 0),
      enterprises: [fsDiecast],
    })
    for (const v of factory.step(Date.UTC(2026, 2, 2, 2, 1))) server.apply(v)
    const tenant = `edge-test-${process.pid}-${Date.now()}`
    const sub = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { clientId: `${tenant}-sub` })
    await sub.subscribeAsync(`spBv1.0/${tenant}/#`, { qos: 1 })
    const w = sparkplugWatcher(sub)
    const queued: RawValue[] = []
    const gw = createEdgeGateway({
      tenant,
      dataDir: mkdtempSync(join(tmpdir(), 'ronghe-edge-')),
      uplink: { url: 'mqtt://127.0.0.1:1883', edgeNodeId: 'edge-01' },
      sources: [compressorSource(server, 'ac-01', 10)],
      batchSize: 50,
      onQueued: (_d, vs) => queued.push(...vs),
    })
    await gw.start()
    try {
      await until(() => queued.length >= 600, 10_000, '600 queued')
      await gw.adapters.get('ac-01')?.stop()
      await gw.drained(10_000)
      await until(() => w.data.length >= queued.length, 5000, 'all received')
      assert.equal(w.data.length, queued.length)
      assert.deepEqual(
        w.data.map((r) => [r.device, r.key, r.ts, r.value, r.quality]),
        queued.map((r) => ['ac-01', r.key, r.ts, r.value, r.quality ?? 'good']),
      )
      assert.deepEqual(
        [...w.topics],
        [
          `spBv1.0/${tenant}/NBIRTH/edge-01`,
          `spBv1.0/${tenant}/DBIRTH/edge-01/ac-01`,
          `spBv1.0/${tenant}/DDATA/edge-01/ac-01`,
        ],
      )
      assert.equal(w.seqs[0]?.type, 'NBIRTH')
      assertSeqContinuity(w.seqs)
      const st = gw.status()
      assert.equal(st.counters.sent, queued.length)
      assert.equal(st.queueDepth, 0)
      assert.equal(st.adapters['ac-01']?.kind, 'modbus')
      await gw.stop()
      await until(() => w.topics.has(`spBv1.0/${tenant}/NDEATH/edge-01`), 5000, 'NDEATH')
    } finally {
      await gw.stop()
      await sub.endAsync()
      await server.stop()
    }
  })

  it('publishes its births again on an NCMD Node Control/Rebirth', { skip }, async () => {
    const tenant = `edge-rebirth-${process.pid}-${Date.now()}`
    const dataDir = mkdtempSync(join(tmpdir(), 'ronghe-edge-'))
    const q = openStoreForwardQueue({ dataDir })
    q.append('m-01', [{ key: 'p', ts: 1000, value: 1.5, quality: 'good' }])
    q.close()
    const sub = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { clientId: `${tenant}-sub` })
    await sub.subscribeAsync(`spBv1.0/${tenant}/#`, { qos: 1 })
    const w = sparkplugWatcher(sub)
    const gw = createEdgeGateway({
      tenant,
      dataDir,
      uplink: { url: 'mqtt://127.0.0.1:1883', edgeNodeId: 'edge-02' },
      sources: [],
    })
    await gw.start()
    try {
      await gw.drained(5000)
      await until(() => w.data.length === 1, 5000, 'DDATA')
      const { encodeSparkplug } = await import('../sparkplug/sparkplug-codec.ts')
      await sub.publishAsync(
        `spBv1.0/${tenant}/NCMD/edge-02`,
        Buffer.from(
          encodeSparkplug({
            timestamp: 1,
            metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }],
          }),
        ),
      )
      await until(() => w.seqs.filter((s) => s.type === 'NBIRTH').length === 2, 5000, 'second NBIRTH')
      assert.equal(gw.status().counters.rebirthRequests, 1)
      // the device is born again with its next data; until then the node birth is all
      assert.deepEqual(
        w.seqs.map((s) => s.type),
        ['NBIRTH', 'DBIRTH', 'DDATA', 'NCMD', 'NBIRTH'],
      )
    } finally {
      await gw.stop()
      await sub.endAsync()
    }
  })
})

describe('edge gateway catch-up rate', async () => {
  const skip = await needService('Mosquitto on 127.0.0.1:1883', tcpReachable('127.0.0.1', 1883))

  it('sends a backlog no faster than maxSendRate, in order', { skip }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ronghe-edge-rate-'))
    const q = openStoreForwardQueue({ dataDir })
    const t0 = Date.UTC(2026, 2, 2)
    q.append(
      'm-01',
      Array.from({ length: 3000 }, (_, i) => ({
        key: 'p',
        ts: t0 + i * 1000,
        value: i,
        quality: 'good' as const,
      })),
    )
    q.close()
    const tenant = `edge-rate-${process.pid}-${Date.now()}`
    const sub = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { clientId: `${tenant}-sub` })
    await sub.subscribeAsync(`spBv1.0/${tenant}/#`, { qos: 1 })
    const w = sparkplugWatcher(sub)
    const gw = createEdgeGateway({
      tenant,
      dataDir,
      uplink: { url: 'mqtt://127.0.0.1:1883', edgeNodeId: 'edge-rate' },
      sources: [],
      maxSendRate: 1000,
    })
    const started = Date.now()
    await gw.start()
    try {
      await gw.drained(10_000)
      // the bucket starts with one second's worth; the other 2000 samples need two more seconds
      assert.ok(Date.now() - started >= 1900, `drained in ${Date.now() - started} ms`)
      await until(() => w.data.length >= 3000, 5000, 'all received')
      assert.deepEqual(
        w.data.map((d) => d.value),
        Array.from({ length: 3000 }, (_, i) => i),
      )
    } finally {
      await gw.stop()
      await sub.endAsync()
    }
  })
})

interface Page<T> {
  items: T[]
}
interface SeriesBody {
  samples: { ts: number; value: number | null; quality: string }[]
}

async function login(p: TestPlatform, tenant: string): Promise<string> {
  const r = await p.api<{ token: string }>('POST', '/api/auth/login', {
    body: { username: `admin-${tenant}`, password: 'Enterprise-Pass-1' },
  })
  assert.equal(r.status, 200)
  return r.body.token
}

/** every stored sample of a device's points: key → [ts, value][] */
async function storedOf(
  p: TestPlatform,
  token: string,
  deviceId: string,
): Promise<Map<string, [number, number | null][]>> {
  const pts = await p.api<Page<{ id: string; key: string }>>(
    'GET',
    `/api/points?deviceId=${deviceId}&limit=1000`,
    { token },
  )
  assert.equal(pts.status, 200)
  const out = new Map<string, [number, number | null][]>()
  for (const pt of pts.body.items) {
    const from = Date.now() - 86_400_000
    const to = Date.now() + 86_400_000
    const s = await p.api<SeriesBody>(
      'GET',
      `/api/points/${pt.id}/series?from=${from}&to=${to}&limit=1000000`,
      {
        token,
      },
    )
    assert.equal(s.status, 200)
    out.set(
      pt.key,
      s.body.samples.map((x) => [x.ts, x.value]),
    )
  }
  return out
}

function byKey(values: readonly RawValue[]): Map<string, [number, number | null][]> {
  const out = new Map<string, [number, number | null][]>()
  for (const v of values) {
    const list = out.get(v.key) ?? []
    list.push([v.ts, v.value as number | null])
    out.set(v.key, list)
  }
  return out
}

describe("edge gateway → Ronghe's broker", () => {
  it('forwards OPC UA and Modbus values that the platform stores', async () => {
    const p = await startTestPlatform()
    const tmp = mkdtempSync(join(tmpdir(), 'ronghe-edge-'))
    const opcua = createSimOpcuaServer({ enterprises: [fsDiecast], pkiDir: join(tmp, 'sim-pki') })
    const modbus = createSimModbusServer({ enterprise: fsDiecast })
    await Promise.all([opcua.start(), modbus.start()])
    const t0 = Date.now() - 60_000
    const factory = createVirtualFactory({ seed: 9, start: t0, enterprises: [fsDiecast] })
    for (const v of factory.step(t0 + 60_000)) {
      opcua.apply(v)
      modbus.apply(v)
    }
    const { tenant, token } = await p.enterprise('南海压铸')
    const edge = await p.device(token, 'edge-01', 'sparkplug')
    const queued: { device: string; v: RawValue }[] = []
    const gw = createEdgeGateway({
      tenant,
      dataDir: join(tmp, 'edge'),
      uplink: { url: p.mqttUrl, edgeNodeId: 'edge-01', username: edge.username, password: edge.password },
      sources: [
        {
          kind: 'opcua',
          device: 'dc-01',
          endpointUrl: opcua.endpointUrl,
          pkiDir: join(tmp, 'client-pki'),
          publishingIntervalMs: 50,
          items: ['hydraulicPressure', 'dieTemp', 'partsGood'].map((k) => ({
            nodeId: opcua.nodeIdOf('fs-diecast', 'DC-01', k),
            key: k,
            samplingIntervalMs: 50,
          })),
        },
        compressorSource(modbus, 'ac-01', 100),
      ],
      onQueued: (device, vs) => queued.push(...vs.map((v) => ({ device, v }))),
    })
    await gw.start()
    try {
      await until(() => queued.filter((q) => q.device === 'ac-01').length >= 30, 10_000, 'modbus values')
      await until(() => queued.filter((q) => q.device === 'dc-01').length >= 3, 10_000, 'opcua values')
      // a second round of OPC UA changes
      for (const v of factory.step(t0 + 120_000)) opcua.apply(v)
      await new Promise((r) => setTimeout(r, 300))
      for (const a of gw.adapters.values()) await a.stop()
      await gw.drained(10_000)
      assert.equal(gw.status().counters.sent, queued.length)
      // every source is a Sparkplug device of the edge node: its points are `{source}/{key}` on the edge's device
      const want = byKey(queued.map((q) => ({ ...q.v, key: `${q.device}/${q.v.key}` })))
      const got = await storedOf(p, token, edge.id)
      assert.deepEqual(new Set(got.keys()), new Set(want.keys()))
      for (const [k, list] of want) assert.deepEqual(got.get(k), list, k)
    } finally {
      await gw.stop()
      await Promise.all([opcua.stop(), modbus.stop()])
      await p.stop()
    }
  })

  it('keeps reading for 60 s of plant time while the platform is down, then delivers every sample exactly once', async () => {
    const mqttPort = await freePort()
    const dataDir = mkdtempSync(join(tmpdir(), 'ronghe-edge-platform-'))
    const env = { RONGHE_MQTT_PORT: String(mqttPort) }
    let p = await startTestPlatform({ dataDir, env })
    // ×20: the compressor is polled every simulated second (50 ms of wall time)
    const plant = await acceleratedPlant(20)
    const { tenant, token } = await p.enterprise('南海压铸')
    const edge = await p.device(token, 'edge-01', 'sparkplug')
    const queued: RawValue[] = []
    const edgeDir = mkdtempSync(join(tmpdir(), 'ronghe-edge-'))
    const config = {
      tenant,
      dataDir: edgeDir,
      uplink: {
        url: `mqtt://127.0.0.1:${mqttPort}`,
        edgeNodeId: 'edge-01',
        username: edge.username,
        password: edge.password,
      },
      sources: [compressorSource(plant.server, 'ac-01', 50)],
      batchSize: 100,
      reconnect: { initialMs: 100, maxMs: 400 },
      clock: plant.clock,
      onQueued: (_d: string, vs: readonly RawValue[]) => queued.push(...vs),
    }
    let gw = createEdgeGateway(config)
    await gw.start()
    try {
      await until(() => gw.status().counters.sent >= 60, 10_000, 'first minute delivered')
      await p.stop()
      const cutAt = plant.clock.now()
      const queuedAtCut = queued.length
      await until(() => !gw.status().uplinkConnected, 5000, 'uplink down')
      // halfway through the outage the edge itself restarts: the queue is on disk
      await until(() => plant.clock.now() >= cutAt + 30_000, 10_000, '30 s of plant time')
      await gw.stop()
      gw = createEdgeGateway(config)
      await gw.start()
      await until(() => plant.clock.now() >= cutAt + 60_000, 10_000, '60 s of plant time')
      const duringOutage = queued.length - queuedAtCut
      // 60 polls of 6 points, less the ones missed while the edge restarted
      assert.ok(duringOutage >= 6 * 50, `only ${duringOutage} samples read during the outage`)
      assert.ok(gw.status().queueDepth >= duringOutage - 6 * 3, 'the outage samples wait in the queue')
      p = await startTestPlatform({ dataDir, env })
      await until(() => gw.status().uplinkConnected, 10_000, 'uplink back')
      await gw.adapters.get('ac-01')?.stop()
      await gw.drained(20_000)
      const fresh = await login(p, tenant)
      const got = await storedOf(p, fresh, edge.id)
      const want = byKey(queued.map((v) => ({ ...v, key: `ac-01/${v.key}` })))
      assert.equal(
        [...got.values()].reduce((n, l) => n + l.length, 0),
        queued.length,
      )
      for (const [k, list] of want) assert.deepEqual(got.get(k), list, k)
      assert.equal(gw.status().counters.dropped, 0)
    } finally {
      await gw.stop()
      await plant.stop()
      await p.stop()
    }
  })
})
