import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { connect as tcpConnect, createServer, type Socket } from 'node:net'
import { after, describe, it } from 'node:test'
import { connectAsync, type MqttClient } from 'mqtt'
import sparkplug from 'sparkplug-payload'
import type { UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js'
import { needService, tcpReachable } from '../../test/support/services.ts'
import { ManualClock } from '../core/index.ts'
import {
  createSparkplugEdgeNode,
  type SparkplugDeviceSpec,
  type SparkplugEdgeNode,
} from './sparkplug-edge-node.ts'

const codec = sparkplug.get('spBv1.0')!
const URL = 'mqtt://127.0.0.1:1883'
const skip = await needService('Mosquitto at 127.0.0.1:1883', tcpReachable('127.0.0.1', 1883))

interface Received {
  readonly topic: string
  readonly type: string
  readonly deviceId: string | undefined
  readonly payload: UPayload
}

/** Long (protobufjs) or number → number. */
function num(v: unknown): number {
  if (typeof v === 'number') return v
  if (v !== null && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber()
  throw new Error(`not a number: ${String(v)}`)
}

/** A host-side observer: a plain mqtt.js client on spBv1.0/<group>/#, decoding with sparkplug-payload. */
async function observe(groupId: string): Promise<{
  client: MqttClient
  messages: Received[]
  waitFor(pred: (all: Received[]) => boolean, what: string): Promise<void>
}> {
  const client = await connectAsync(URL, { clientId: `obs-${randomBytes(4).toString('hex')}`, clean: true })
  const messages: Received[] = []
  let waiters: (() => void)[] = []
  client.on('message', (topic, buf) => {
    const parts = topic.split('/')
    messages.push({
      topic,
      type: parts[2] ?? '',
      deviceId: parts[4],
      payload: codec.decodePayload(new Uint8Array(buf)),
    })
    for (const w of waiters) w()
  })
  await client.subscribeAsync(`spBv1.0/${groupId}/#`, { qos: 1 })
  return {
    client,
    messages,
    waitFor(pred, what) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (pred(messages)) {
            clearTimeout(timer)
            waiters = waiters.filter((w) => w !== check)
            resolve()
          }
        }
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== check)
          reject(new Error(`timed out waiting for ${what}; got ${messages.map((m) => m.type).join(',')}`))
        }, 5000)
        waiters.push(check)
        check()
      })
    },
  }
}

const devices: SparkplugDeviceSpec[] = [
  {
    deviceId: 'CNC-01',
    metrics: [
      { name: 'Spindle/Temperature', alias: 1, datatype: 'Double', value: 35.5, unit: '°C' },
      { name: 'Counters/Good', alias: 2, datatype: 'Int64', value: 0 },
      { name: 'State', alias: 3, datatype: 'Int32', value: 2 },
      { name: 'Program', alias: 4, datatype: 'String', value: 'O1001' },
    ],
  },
  {
    deviceId: 'ROBOT-01',
    metrics: [
      { name: 'Running', alias: 10, datatype: 'Boolean', value: false },
      { name: 'Motor/Current', alias: 11, datatype: 'Float', value: 1.5, unit: 'A' },
    ],
  },
]

function uniqueGroup(): string {
  return `ronghe-test-${randomBytes(5).toString('hex')}`
}

describe('Sparkplug B edge node against Mosquitto', { skip }, () => {
  const started: SparkplugEdgeNode[] = []
  const observers: MqttClient[] = []
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 8, 0, 0))

  function node(groupId: string, extra: Partial<Parameters<typeof createSparkplugEdgeNode>[0]> = {}) {
    const n = createSparkplugEdgeNode({
      url: URL,
      groupId,
      edgeNodeId: 'edge-1',
      clock,
      nodeMetrics: [{ name: 'Uptime', alias: 100, datatype: 'Int64', value: 0 }],
      devices,
      reconnectPeriodMs: 0,
      ...extra,
    })
    started.push(n)
    return n
  }

  after(async () => {
    for (const n of started) await n.stop({ clean: true })
    for (const o of observers) await o.endAsync()
  })

  it('publishes NBIRTH with bdSeq, Node Control/Rebirth and node metrics, then a DBIRTH per device', async () => {
    const groupId = uniqueGroup()
    const obs = await observe(groupId)
    observers.push(obs.client)
    const n = node(groupId)
    await n.start()
    await obs.waitFor((m) => m.length >= 3, 'NBIRTH + 2 DBIRTH')

    const [nbirth, d1, d2] = obs.messages
    assert.equal(nbirth?.topic, `spBv1.0/${groupId}/NBIRTH/edge-1`)
    assert.equal(num(nbirth?.payload.seq), 0)
    assert.equal(num(nbirth?.payload.timestamp), clock.now())
    const nm = nbirth?.payload.metrics ?? []
    assert.deepEqual(
      nm.map((m) => [m.name, m.type]),
      [
        ['bdSeq', 'Int64'],
        ['Node Control/Rebirth', 'Boolean'],
        ['Uptime', 'Int64'],
      ],
    )
    assert.equal(num(nm[0]?.value), 0)
    assert.equal(nm[1]?.value, false)
    assert.equal(num(nm[2]?.alias), 100)

    assert.equal(d1?.topic, `spBv1.0/${groupId}/DBIRTH/edge-1/CNC-01`)
    assert.equal(num(d1?.payload.seq), 1)
    const cm = d1?.payload.metrics ?? []
    assert.deepEqual(
      cm.map((m) => [m.name, num(m.alias), m.type]),
      [
        ['Spindle/Temperature', 1, 'Double'],
        ['Counters/Good', 2, 'Int64'],
        ['State', 3, 'Int32'],
        ['Program', 4, 'String'],
      ],
    )
    assert.equal(cm[0]?.value, 35.5)
    assert.deepEqual(cm[0]?.properties?.['engUnit'], { type: 'String', value: '°C' })
    assert.equal(cm[3]?.value, 'O1001')
    assert.equal(num(cm[0]?.timestamp), clock.now())

    assert.equal(d2?.topic, `spBv1.0/${groupId}/DBIRTH/edge-1/ROBOT-01`)
    assert.equal(num(d2?.payload.seq), 2)
    assert.equal(d2?.payload.metrics?.[1]?.value, 1.5)
    assert.deepEqual(n.counters(), {
      published: 3,
      rebirths: 0,
      connects: 1,
      bdSeq: 0,
      seq: 3,
      connected: true,
    })
  })

  it('sends DDATA and NDATA by alias only, with timestamps, quality and a seq that wraps after 255', async () => {
    const groupId = uniqueGroup()
    const obs = await observe(groupId)
    observers.push(obs.client)
    const n = node(groupId)
    await n.start()
    await obs.waitFor((m) => m.length >= 3, 'births')

    const ts = Date.UTC(2026, 2, 1, 8, 0, 1)
    await n.publishDeviceData(
      'CNC-01',
      [
        { alias: 1, value: 41.25, timestamp: ts },
        { name: 'Counters/Good', value: 17, timestamp: ts },
        { name: 'State', value: 1, timestamp: ts, quality: 'bad' },
      ],
      { qos: 1 },
    )
    // QoS 1 resolved on PUBACK, so the broker has it; the observer gets it shortly after
    await obs.waitFor((m) => m.some((x) => x.type === 'DDATA'), 'DDATA')
    const dd = obs.messages.find((x) => x.type === 'DDATA')
    assert.equal(dd?.topic, `spBv1.0/${groupId}/DDATA/edge-1/CNC-01`)
    assert.equal(num(dd?.payload.seq), 3)
    const dm = dd?.payload.metrics ?? []
    assert.deepEqual(
      dm.map((m) => [m.name, num(m.alias), m.value === null ? null : num(m.value), num(m.timestamp)]),
      [
        [undefined, 1, 41.25, ts],
        [undefined, 2, 17, ts],
        [undefined, 3, 1, ts],
      ],
    )
    assert.deepEqual(dm[2]?.properties?.['Quality'], { type: 'Int32', value: 0 })
    assert.equal(dm[0]?.properties, undefined)

    await n.publishNodeData([{ alias: 100, value: 3600 }], { qos: 1 })
    await obs.waitFor((m) => m.some((x) => x.type === 'NDATA'), 'NDATA')
    const nd = obs.messages.find((x) => x.type === 'NDATA')
    assert.equal(num(nd?.payload.seq), 4)
    assert.equal(nd?.payload.metrics?.[0]?.name, undefined)
    assert.equal(num(nd?.payload.metrics?.[0]?.alias), 100)

    // 5..255 then 0..3: 255 more messages, QoS 1 keeps them in order and lets us await the broker
    for (let i = 0; i < 255; i++) await n.publishDeviceData('ROBOT-01', [{ alias: 11, value: i / 10 }])
    await n.publishDeviceData('ROBOT-01', [{ alias: 10, value: true }], { qos: 1 })
    await obs.waitFor(
      (m) => m.filter((x) => x.deviceId === 'ROBOT-01').length === 257,
      'all ROBOT-01 messages',
    )
    const seqs = obs.messages
      .filter((x) => x.type === 'DDATA' || x.type === 'NDATA')
      .map((x) => num(x.payload.seq))
    const expected = [3, 4]
    for (let i = 0; i < 256; i++) expected.push((5 + i) % 256)
    assert.deepEqual(seqs, expected)
    assert.equal(seqs.at(-1), 4)
    assert.equal(n.counters().published, 3 + 2 + 256)

    // the next DBIRTH after a rebirth carries the latest values, not the initial ones
    await n.rebirth()
    await obs.waitFor((m) => m.filter((x) => x.type === 'DBIRTH').length === 4, 'second DBIRTHs')
    const rb = obs.messages.filter((x) => x.type === 'DBIRTH')[2]
    assert.equal(rb?.payload.metrics?.[0]?.value, 41.25)
    assert.equal(num(rb?.payload.metrics?.[0]?.timestamp), ts)
    assert.deepEqual(rb?.payload.metrics?.[2]?.properties?.['Quality'], { type: 'Int32', value: 0 })
  })

  it('rejects unknown metrics and devices without consuming a seq', async () => {
    const groupId = uniqueGroup()
    const n = node(groupId)
    await n.start()
    const before = n.counters().seq
    await assert.rejects(n.publishDeviceData('CNC-01', [{ alias: 999, value: 1 }]), {
      code: 'SIM_UNKNOWN_METRIC',
    })
    await assert.rejects(n.publishDeviceData('nope', [{ alias: 1, value: 1 }]), {
      code: 'SIM_UNKNOWN_DEVICE',
    })
    assert.equal(n.counters().seq, before)
    assert.throws(
      () =>
        createSparkplugEdgeNode({
          url: URL,
          groupId,
          edgeNodeId: 'e',
          devices: [
            { deviceId: 'a', metrics: [{ name: 'x', alias: 5, datatype: 'Double' }] },
            { deviceId: 'b', metrics: [{ name: 'y', alias: 5, datatype: 'Double' }] },
          ],
        }),
      { code: 'SIM_DUPLICATE_ALIAS' },
    )
    assert.throws(() => createSparkplugEdgeNode({ url: URL, groupId: 'a/b', edgeNodeId: 'e' }), {
      code: 'SIM_INVALID_ID',
    })
  })

  it('lets the broker publish the NDEATH will with the NBIRTH bdSeq on an unclean stop; bdSeq rises per session', async () => {
    const groupId = uniqueGroup()
    const obs = await observe(groupId)
    observers.push(obs.client)
    const n = node(groupId, { bdSeq: 7 })
    await n.start()
    await obs.waitFor((m) => m.length >= 3, 'births')
    await n.stop({ clean: false })
    await obs.waitFor((m) => m.some((x) => x.type === 'NDEATH'), 'NDEATH will')
    const death = obs.messages.find((x) => x.type === 'NDEATH')
    assert.equal(death?.topic, `spBv1.0/${groupId}/NDEATH/edge-1`)
    assert.deepEqual(
      death?.payload.metrics?.map((m) => [m.name, m.type, num(m.value)]),
      [['bdSeq', 'Int64', 7]],
    )
    assert.equal(death?.payload.seq, undefined)

    // a new session: bdSeq 8 in NBIRTH, and a clean stop sends NDEATH 8 itself
    await n.start()
    await obs.waitFor((m) => m.filter((x) => x.type === 'NBIRTH').length === 2, 'second NBIRTH')
    const nb2 = obs.messages.filter((x) => x.type === 'NBIRTH')[1]
    assert.equal(num(nb2?.payload.metrics?.[0]?.value), 8)
    assert.equal(num(nb2?.payload.seq), 0)
    await n.stop({ clean: true })
    await obs.waitFor((m) => m.filter((x) => x.type === 'NDEATH').length === 2, 'clean NDEATH')
    const d2 = obs.messages.filter((x) => x.type === 'NDEATH')[1]
    assert.equal(num(d2?.payload.metrics?.[0]?.value), 8)
    // DISCONNECT discards the will, so there is no third NDEATH
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(obs.messages.filter((x) => x.type === 'NDEATH').length, 2)
  })

  it('answers NCMD Node Control/Rebirth with NBIRTH (seq 0, same bdSeq) and all DBIRTHs, and emits rebirth', async () => {
    const groupId = uniqueGroup()
    const obs = await observe(groupId)
    observers.push(obs.client)
    const n = node(groupId)
    let rebirthEvents = 0
    n.on('rebirth', () => rebirthEvents++)
    await n.start()
    await obs.waitFor((m) => m.length >= 3, 'births')
    await n.publishDeviceData('CNC-01', [{ alias: 2, value: 5 }])
    n.skipSeq() // the host would see 3 then 5 and ask for a rebirth
    await n.publishDeviceData('CNC-01', [{ alias: 2, value: 6 }], { qos: 1 })
    await obs.waitFor((m) => m.filter((x) => x.type === 'DDATA').length === 2, 'two DDATA')
    assert.deepEqual(
      obs.messages.filter((x) => x.type === 'DDATA').map((x) => num(x.payload.seq)),
      [3, 5],
    )

    const cmd = codec.encodePayload({
      timestamp: Date.now(),
      metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true, timestamp: Date.now() }],
    })
    await obs.client.publishAsync(`spBv1.0/${groupId}/NCMD/edge-1`, Buffer.from(cmd), { qos: 0 })
    await obs.waitFor((m) => m.filter((x) => x.type === 'DBIRTH').length === 4, 'rebirth')
    const afterCmd = obs.messages.slice(obs.messages.findIndex((x) => x.type === 'NCMD') + 1)
    assert.deepEqual(
      afterCmd.map((x) => [x.type, x.deviceId, num(x.payload.seq)]),
      [
        ['NBIRTH', undefined, 0],
        ['DBIRTH', 'CNC-01', 1],
        ['DBIRTH', 'ROBOT-01', 2],
      ],
    )
    assert.equal(num(afterCmd[0]?.payload.metrics?.[0]?.value), 0) // same bdSeq: same MQTT session
    assert.equal(num(obs.messages.filter((x) => x.type === 'DBIRTH')[2]?.payload.metrics?.[1]?.value), 6)
    await new Promise((r) => setTimeout(r, 20))
    assert.equal(rebirthEvents, 1)
    assert.equal(n.counters().rebirths, 1)

    // data continues from the births' seq
    await n.publishDeviceData('ROBOT-01', [{ alias: 10, value: true }], { qos: 1 })
    await obs.waitFor((m) => m.filter((x) => x.type === 'DDATA').length === 3, 'DDATA after rebirth')
    assert.equal(num(obs.messages.filter((x) => x.type === 'DDATA')[2]?.payload.seq), 3)
  })

  it('publishes DDEATH, refuses data for the dead device, and births it again', async () => {
    const groupId = uniqueGroup()
    const obs = await observe(groupId)
    observers.push(obs.client)
    const n = node(groupId)
    await n.start()
    await n.deathDevice('ROBOT-01')
    await assert.rejects(n.publishDeviceData('ROBOT-01', [{ alias: 10, value: true }]), {
      code: 'SIM_DEVICE_DEAD',
    })
    await n.birthDevice('ROBOT-01')
    await n.publishDeviceData('ROBOT-01', [{ alias: 10, value: true }], { qos: 1 })
    await obs.waitFor((m) => m.some((x) => x.type === 'DDATA'), 'DDATA')
    assert.deepEqual(
      obs.messages.map((x) => [x.type, x.deviceId ?? null, num(x.payload.seq)]),
      [
        ['NBIRTH', null, 0],
        ['DBIRTH', 'CNC-01', 1],
        ['DBIRTH', 'ROBOT-01', 2],
        ['DDEATH', 'ROBOT-01', 3],
        ['DBIRTH', 'ROBOT-01', 4],
        ['DDATA', 'ROBOT-01', 5],
      ],
    )
    // a rebirth births only live devices
    await n.deathDevice('CNC-01')
    await n.rebirth()
    await obs.waitFor((m) => m.filter((x) => x.type === 'NBIRTH').length === 2, 'rebirth')
    const tail = obs.messages.slice(-2).map((x) => [x.type, x.deviceId ?? null])
    assert.deepEqual(tail, [
      ['NBIRTH', null],
      ['DBIRTH', 'ROBOT-01'],
    ])
  })

  it('on a lost connection lets the will announce the old bdSeq, reconnects and births with bdSeq + 1', async () => {
    // a loopback TCP relay to Mosquitto whose sockets we can cut, as a network failure would
    const sockets = new Set<Socket>()
    const relay = createServer((down) => {
      const up = tcpConnect(1883, '127.0.0.1')
      down.pipe(up)
      up.pipe(down)
      sockets.add(down).add(up)
      const close = (): void => {
        down.destroy()
        up.destroy()
      }
      down.on('error', close).on('close', close)
      up.on('error', close).on('close', close)
    })
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r))
    const port = (relay.address() as { port: number }).port
    const groupId = uniqueGroup()
    const obs = await observe(groupId)
    observers.push(obs.client)
    const n = node(groupId, { url: `mqtt://127.0.0.1:${port}`, reconnectPeriodMs: 100, bdSeq: 3 })
    let disconnects = 0
    n.on('disconnect', () => disconnects++)
    try {
      await n.start()
      await obs.waitFor((m) => m.length >= 3, 'births')
      await n.publishDeviceData('CNC-01', [{ alias: 2, value: 1 }], { qos: 1 })
      for (const s of sockets) s.destroy()
      sockets.clear()
      await obs.waitFor((m) => m.filter((x) => x.type === 'NBIRTH').length === 2, 'NBIRTH after reconnect')
      await obs.waitFor((m) => m.filter((x) => x.type === 'DBIRTH').length === 4, 'DBIRTHs after reconnect')
      const types = obs.messages.map((x) => [
        x.type,
        x.type === 'NBIRTH' || x.type === 'NDEATH' ? num(x.payload.metrics?.[0]?.value) : num(x.payload.seq),
      ])
      assert.deepEqual(types, [
        ['NBIRTH', 3],
        ['DBIRTH', 1],
        ['DBIRTH', 2],
        ['DDATA', 3],
        ['NDEATH', 3],
        ['NBIRTH', 4],
        ['DBIRTH', 1],
        ['DBIRTH', 2],
      ])
      // the DBIRTH after reconnecting carries the value published before the cut
      assert.equal(num(obs.messages[6]?.payload.metrics?.[1]?.value), 1)
      assert.equal(disconnects, 1)
      assert.equal(n.counters().bdSeq, 4)
      assert.equal(n.counters().connects, 2)
    } finally {
      await n.stop({ clean: true })
      relay.close()
    }
  })

  it('works over MQTT 5 and rejects data before start', async () => {
    const groupId = uniqueGroup()
    const obs = await observe(groupId)
    observers.push(obs.client)
    const n = node(groupId, { protocolVersion: 5 })
    await assert.rejects(n.publishDeviceData('CNC-01', [{ alias: 1, value: 1 }]), {
      code: 'SIM_EDGE_NOT_STARTED',
    })
    await n.start()
    await n.publishDeviceData('CNC-01', [{ alias: 2, value: 2n ** 60n }], { qos: 1 })
    await obs.waitFor((m) => m.some((x) => x.type === 'DDATA'), 'DDATA')
    const v = obs.messages.find((x) => x.type === 'DDATA')?.payload.metrics?.[0]?.value
    assert.equal(String(v), (2n ** 60n).toString())
  })
})
