import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { connect, type MqttClient } from 'mqtt'
import WebSocket from 'ws'
import { decodeSparkplug, encodeSparkplug } from '../../src/ingest/sparkplug/sparkplug-codec.ts'
import { createSparkplugEdgeNode } from '../../src/sim/sparkplug-edge-node.ts'
import { commandExists, needService } from '../support/services.ts'
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.ts'

const exec = promisify(execFile)

interface Page<T> {
  items: T[]
  total: number
}
interface PointRow {
  id: string
  key: string
  kind: string
  dataType: string
  unit: string | null
}
interface SeriesBody {
  samples: { ts: number; value: number | null; text?: string | null; quality: string }[]
}

function mqttConnect(
  url: string,
  o: { username: string; password: string; clientId: string; protocolVersion?: 4 | 5 },
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = connect(url, { ...o, reconnectPeriod: 0, connectTimeout: 5000 })
    c.once('connect', () => resolve(c))
    c.once('error', reject)
  })
}

function publish(
  c: MqttClient,
  topic: string,
  payload: string | Buffer,
  qos: 0 | 1 = 1,
): Promise<{ reasonCode?: number; reason?: string }> {
  return new Promise((resolve, reject) => {
    c.publish(topic, payload, { qos }, (err, packet) => {
      if (err) {
        const e = err as Error & { code?: number }
        return resolve({ reasonCode: e.code, reason: e.message })
      }
      resolve({ reasonCode: (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0 })
    })
    c.once('error', reject)
  })
}

describe('a device publishes and the values come back (MQTT JSON, Sparkplug B, HTTP)', () => {
  let p: TestPlatform
  let ent: { tenant: string; token: string }
  let other: { tenant: string; token: string }

  before(async () => {
    p = await startTestPlatform()
    ent = await p.enterprise('佛山压铸')
    other = await p.enterprise('柳州汽配', '450200')
  })
  after(async () => p.stop())

  async function pointsOf(deviceId: string): Promise<PointRow[]> {
    const r = await p.api<Page<PointRow>>('GET', `/api/points?deviceId=${deviceId}&limit=1000`, {
      token: ent.token,
    })
    return r.body.items
  }
  async function series(
    pointId: string,
    from = Date.now() - 7 * 86_400_000,
    to = Date.now() + 86_400_000,
  ): Promise<SeriesBody['samples']> {
    const r = await p.api<SeriesBody>('GET', `/api/points/${pointId}/series?from=${from}&to=${to}`, {
      token: ent.token,
    })
    assert.equal(r.status, 200)
    return r.body.samples
  }

  it('stores JSON from mqtt.js (MQTT 3.1.1 and 5) and streams it over the WebSocket', async () => {
    const d = await p.device(ent.token, 'press-01')
    const ts = Date.now() - 60_000
    // WebSocket first, so it sees the live values
    const c5 = await mqttConnect(p.mqttUrl, {
      username: d.username,
      password: d.password,
      clientId: 'press-01',
      protocolVersion: 5,
    })
    const r1 = await publish(
      c5,
      `ronghe/${ent.tenant}/press-01/data`,
      JSON.stringify({ ts, values: { temperature: 61.25, running: true, mode: 'AUTO' } }),
    )
    assert.equal(r1.reasonCode, 0)
    const pts = await pointsOf(d.id)
    const temp = pts.find((x) => x.key === 'temperature') as PointRow
    assert.equal(temp.kind, 'analog')
    assert.equal(pts.find((x) => x.key === 'running')?.kind, 'state')
    assert.equal(pts.find((x) => x.key === 'mode')?.kind, 'text')

    const ws = new WebSocket(`${p.baseUrl.replace('http', 'ws')}/api/live?token=${ent.token}`)
    const messages: { type: string; samples?: { point: string; value: number }[] }[] = []
    ws.on('message', (m) => messages.push(JSON.parse(String(m))))
    await new Promise((r) => ws.once('open', r))
    await eventually(async () => messages.some((m) => m.type === 'ready'), 5000, 'ws ready')
    ws.send(JSON.stringify({ subscribe: [temp.id] }))
    await eventually(async () => messages.some((m) => m.type === 'samples'), 5000, 'initial samples')
    const initial = messages.find((m) => m.type === 'samples')
    assert.equal(initial?.samples?.[0]?.value, 61.25)

    const c4 = await mqttConnect(p.mqttUrl, {
      username: d.username,
      password: d.password,
      clientId: 'press-01-v4',
      protocolVersion: 4,
    })
    const r2 = await publish(
      c4,
      `ronghe/${ent.tenant}/press-01/data`,
      JSON.stringify([{ key: 'temperature', ts: ts + 1000, value: 62.5, quality: 'uncertain' }]),
    )
    assert.equal(r2.reasonCode, 0)
    const live = await eventually(
      async () => messages.find((m) => m.type === 'samples' && m.samples?.some((s) => s.value === 62.5)),
      5000,
      'live sample',
    )
    assert.equal(live.samples?.[0]?.point, temp.id)
    ws.close()

    const stored = await eventually(
      async () => {
        const s = await series(temp.id)
        return s.length === 2 ? s : undefined
      },
      5000,
      'two stored samples',
    )
    assert.deepEqual(
      stored.map((s) => [s.ts, s.value, s.quality]),
      [
        [ts, 61.25, 'good'],
        [ts + 1000, 62.5, 'uncertain'],
      ],
    )
    c5.end()
    c4.end()
  })

  it('registers points from Sparkplug B births and stores DDATA sent by alias', async () => {
    const d = await p.device(ent.token, 'edge-01', 'sparkplug')
    const node = createSparkplugEdgeNode({
      url: p.mqttUrl,
      groupId: ent.tenant,
      edgeNodeId: 'edge-01',
      username: d.username,
      password: d.password,
      devices: [
        {
          deviceId: 'cnc-1',
          metrics: [
            { name: 'spindle/temp', alias: 1, datatype: 'Double', value: 40, unit: '°C' },
            { name: 'count/good', alias: 2, datatype: 'Int64', value: 0 },
            { name: 'running', alias: 3, datatype: 'Boolean', value: false },
          ],
        },
      ],
    })
    await node.start()
    const pts = await eventually(
      async () => {
        const x = await pointsOf(d.id)
        return x.length === 3 ? x : undefined
      },
      5000,
      'points from DBIRTH',
    )
    const temp = pts.find((x) => x.key === 'cnc-1/spindle/temp') as PointRow
    assert.equal(temp.unit, '°C')
    assert.equal(temp.dataType, 'float64')
    assert.equal(pts.find((x) => x.key === 'cnc-1/count/good')?.dataType, 'int64')
    const t0 = Date.now() - 5000
    for (let i = 0; i < 5; i++) {
      await node.publishDeviceData(
        'cnc-1',
        [
          { alias: 1, value: 41 + i / 4, timestamp: t0 + i * 1000 },
          { alias: 2, value: i * 10, timestamp: t0 + i * 1000 },
        ],
        { qos: 1 },
      )
    }
    const s = await eventually(
      async () => {
        // the DBIRTH's own value (40) was stamped at birth, after this window
        const x = await series(temp.id, t0, t0 + 4500)
        return x.length === 5 ? x : undefined
      },
      5000,
      'five sparkplug samples',
    )
    assert.deepEqual(
      s.map((x) => x.value),
      [41, 41.25, 41.5, 41.75, 42],
    )
    const dev = await p.api<{ online: boolean }>('GET', `/api/devices/${d.id}`, { token: ent.token })
    assert.equal(dev.body.online, true)

    // a gap in seq makes the host ask for a rebirth, and the node answers with new births
    const before = node.counters().rebirths
    node.skipSeq(3)
    await node.publishDeviceData('cnc-1', [{ alias: 1, value: 50 }], { qos: 1 })
    await eventually(async () => node.counters().rebirths > before, 5000, 'rebirth after a seq gap')
    await node.stop({ clean: true })
    await eventually(
      async () => {
        const x = await p.api<{ online: boolean }>('GET', `/api/devices/${d.id}`, { token: ent.token })
        return x.body.online === false
      },
      5000,
      'device offline after NDEATH',
    )
  })

  it('refuses bad messages clearly and keeps serving', async () => {
    const d = await p.device(ent.token, 'edge-02', 'sparkplug')
    const c = await mqttConnect(p.mqttUrl, {
      username: d.username,
      password: d.password,
      clientId: 'edge-02',
      protocolVersion: 5,
    })
    const errors: { error: { code: string; message: string } }[] = []
    c.on('message', (t, m) => {
      if (t.endsWith('/errors')) errors.push(JSON.parse(String(m)))
    })
    await c.subscribeAsync(`ronghe/${ent.tenant}/edge-02/errors`)
    const ncmds: Buffer[] = []
    c.on('message', (t, m) => {
      if (t.includes('/NCMD/')) ncmds.push(m)
    })
    await c.subscribeAsync(`spBv1.0/${ent.tenant}/NCMD/edge-02`)
    const g = ent.tenant
    const birth = encodeSparkplug({
      timestamp: Date.now(),
      seq: 0,
      metrics: [
        { name: 'bdSeq', type: 'UInt64', value: 0 },
        { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
        { name: 'pressure', alias: 7, type: 'Float', value: 1.5 },
      ],
    })
    assert.equal((await publish(c, `spBv1.0/${g}/NBIRTH/edge-02`, Buffer.from(birth))).reasonCode, 0)

    // an alias no birth declared
    const badAlias = encodeSparkplug({
      timestamp: Date.now(),
      seq: 1,
      metrics: [{ alias: 99, type: 'Float', value: 2 }],
    })
    const r1 = await publish(c, `spBv1.0/${g}/NDATA/edge-02`, Buffer.from(badAlias))
    assert.equal(r1.reasonCode, 0x83)
    await eventually(
      async () => errors.some((e) => e.error.code === 'INGEST_UNKNOWN_ALIAS'),
      5000,
      'unknown-alias report',
    )
    await eventually(async () => ncmds.length > 0, 5000, 'rebirth request')
    assert.equal(decodeSparkplug(ncmds[0] as Buffer).metrics[0]?.name, 'Node Control/Rebirth')

    // bytes that are not a protobuf
    const r2 = await publish(c, `spBv1.0/${g}/NDATA/edge-02`, Buffer.from([0xff, 0xff, 0xff, 0x07, 0x01]))
    assert.equal(r2.reasonCode, 0x99)
    await eventually(
      async () => errors.some((e) => e.error.code === 'INGEST_MALFORMED_PAYLOAD'),
      5000,
      'malformed report',
    )

    // JSON that is not JSON
    const r3 = await publish(c, `ronghe/${g}/edge-02/data`, '{"values": {"x": 1')
    assert.equal(r3.reasonCode, 0x99)

    // another tenant's topic: not authorized
    const r4 = await publish(c, `ronghe/${other.tenant}/edge-02/data`, '{"x":1}')
    assert.equal(r4.reasonCode, 0x87)

    // the server keeps serving this client
    const ok = encodeSparkplug({
      timestamp: Date.now(),
      seq: 2,
      metrics: [{ alias: 7, type: 'Float', value: 3.5 }],
    })
    assert.equal((await publish(c, `spBv1.0/${g}/NDATA/edge-02`, Buffer.from(ok))).reasonCode, 0)

    // an oversize payload ends only that connection (MQTT 5 DISCONNECT 0x95)
    const disconnected = new Promise<number | undefined>((resolve) =>
      c.once('disconnect', (pk) => resolve(pk.reasonCode)),
    )
    c.publish(`ronghe/${g}/edge-02/data`, Buffer.alloc(300 * 1024, 0x20), { qos: 1 })
    assert.equal(await disconnected, 0x95)
    c.end(true)

    const c2 = await mqttConnect(p.mqttUrl, {
      username: d.username,
      password: d.password,
      clientId: 'edge-02b',
      protocolVersion: 4,
    })
    assert.equal((await publish(c2, `ronghe/${g}/edge-02/data`, '{"pressure2": 4}')).reasonCode, 0)
    c2.end()
  })

  it('accepts JSON and Sparkplug B from mosquitto_pub (MQTT 3.1.1 and 5)', async (t) => {
    const skip = await needService('mosquitto_pub (Debian mosquitto-clients)', commandExists('mosquitto_pub'))
    if (skip) return t.skip(skip)
    const d = await p.device(ent.token, 'plc-01')
    const port = String(p.app.mqttPort)
    const ts = Date.now() - 30_000
    for (const [v, value] of [
      ['mqttv311', 1.5],
      ['mqttv5', 2.5],
    ] as const) {
      await exec('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        port,
        '-V',
        v,
        '-q',
        '1',
        '-i',
        `plc-01-${v}`,
        '-u',
        d.username,
        '-P',
        d.password,
        '-t',
        `ronghe/${ent.tenant}/plc-01/data`,
        '-m',
        JSON.stringify({ ts: ts + value * 1000, values: { flow: value } }),
      ])
    }
    // a token credential: any username, the token as password
    await exec('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-q',
      '1',
      '-i',
      'plc-01-tok',
      '-u',
      'anything',
      '-P',
      d.token,
      '-t',
      `ronghe/${ent.tenant}/plc-01/data`,
      '-m',
      JSON.stringify({ ts: ts + 9000, values: { flow: 9 } }),
    ])
    const flow = (await pointsOf(d.id)).find((x) => x.key === 'flow') as PointRow
    const s = await eventually(
      async () => {
        const x = await series(flow.id, ts - 1)
        return x.length === 3 ? x : undefined
      },
      5000,
      'three mosquitto_pub samples',
    )
    assert.deepEqual(
      s.map((x) => x.value),
      [1.5, 2.5, 9],
    )

    // Sparkplug B from a file, as a gateway script would send it
    const sp = await p.device(ent.token, 'edge-03', 'sparkplug')
    const file = join(tmpdir(), `nbirth-${process.pid}.bin`)
    writeFileSync(
      file,
      encodeSparkplug({
        timestamp: Date.now(),
        seq: 0,
        metrics: [
          { name: 'bdSeq', type: 'UInt64', value: 1 },
          { name: 'level', alias: 1, type: 'Double', value: 7.25 },
        ],
      }),
    )
    await exec('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-V',
      'mqttv5',
      '-q',
      '1',
      '-i',
      'edge-03',
      '-u',
      sp.username,
      '-P',
      sp.password,
      '-t',
      `spBv1.0/${ent.tenant}/NBIRTH/edge-03`,
      '-f',
      file,
    ])
    const level = await eventually(
      async () => (await pointsOf(sp.id)).find((x) => x.key === 'level'),
      5000,
      'sparkplug point',
    )
    const ls = await eventually(
      async () => {
        const x = await series(level.id)
        return x.length === 1 ? x : undefined
      },
      5000,
      'sparkplug sample',
    )
    assert.equal(ls[0]?.value, 7.25)
  })

  it('takes values over HTTP with a device token and answers after they are stored', async () => {
    const d = await p.device(ent.token, 'script-01', 'http')
    const r = await fetch(`${p.baseUrl}/api/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        samples: [
          { key: 'kwh', ts: Date.now() - 1000, value: 1234.5 },
          { key: 'kwh', ts: 'yesterday', value: 1 },
        ],
      }),
    })
    assert.equal(r.status, 200)
    const body = (await r.json()) as { accepted: number; rejected: { code: string }[] }
    assert.equal(body.accepted, 1)
    assert.equal(body.rejected[0]?.code, 'INGEST_BAD_TIMESTAMP')
    const bad = await fetch(`${p.baseUrl}/api/ingest`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok_nope.nope', 'content-type': 'application/json' },
      body: '{"x":1}',
    })
    assert.equal(bad.status, 401)
    const kwh = (await pointsOf(d.id)).find((x) => x.key === 'kwh') as PointRow
    await p.app.pipeline.drained()
    assert.equal((await series(kwh.id)).length, 1)
  })

  it('refuses a device with wrong credentials', async () => {
    const d = await p.device(ent.token, 'bad-01')
    await assert.rejects(
      mqttConnect(p.mqttUrl, {
        username: d.username,
        password: 'wrong',
        clientId: 'bad-01',
        protocolVersion: 5,
      }),
    )
  })
})
