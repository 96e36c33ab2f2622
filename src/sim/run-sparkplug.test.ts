import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { connectAsync } from 'mqtt'
import sparkplug from 'sparkplug-payload'
import type { UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js'
import { needService, tcpReachable } from '../../test/support/services.ts'
import { ManualClock } from '../core/index.ts'
import { createSparkplugFactoryRunner, sparkplugTopology } from './run-sparkplug.ts'
import { createVirtualFactory } from './virtual-factory.ts'

const codec = sparkplug.get('spBv1.0')!
const skip = await needService('Mosquitto at 127.0.0.1:1883', tcpReachable('127.0.0.1', 1883))
const START = Date.UTC(2026, 2, 3, 2, 0) // Tuesday 10:00 in China: every plant is in its day shift

function num(v: unknown): number | string | null {
  if (v === null || typeof v === 'number' || typeof v === 'string') return v
  if (typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber()
  throw new Error(`unexpected value ${String(v)}`)
}

describe('virtual factory over Sparkplug B', () => {
  it('plans one edge node per line with sparkplug equipment, aliases unique per node', () => {
    const plans = sparkplugTopology(createVirtualFactory({ seed: 1, start: START }).enterprises)
    assert.deepEqual(
      plans.map((p) => `${p.groupId}/${p.edgeNodeId}:${p.devices.map((d) => d.deviceId).join(',')}`),
      [
        'fs-diecast/FS1-DC-L1:RB-01,RB-02',
        'fs-diecast/FS1-DC-L2:RB-03',
        'fs-diecast/FS1-MC-L1:CNC-01,CNC-02,CNC-03,CV-01',
        'dg-electronics/DG1-IM-L1:IM-01,RB-01,IM-02,RB-02,IM-03,IM-04',
        'dg-electronics/DG1-AS-L1:CV-01,RB-03,CV-02,RB-04',
        'dg-electronics/DG1-AS-L2:CV-03,RB-05',
        'lz-autoparts/LZ1-MC-L1:CNC-01,CNC-02,CNC-03,CNC-04',
        'lz-autoparts/LZ1-MC-L2:CNC-05,CNC-06',
      ],
    )
    for (const p of plans) {
      const aliases = p.devices.flatMap((d) => d.metrics.map((m) => m.alias))
      assert.deepEqual(
        aliases,
        aliases.map((_, i) => i + 1),
      )
    }
    const cnc = plans[2]?.devices[0]?.metrics.find((m) => m.name === 'spindleTemp')
    assert.deepEqual(cnc, { name: 'spindleTemp', alias: 7, datatype: 'Float', unit: 'Cel' })
  })

  it('publishes exactly the values the model produces, accelerated 60×', { skip }, async () => {
    const prefix = `t${randomBytes(4).toString('hex')}-`
    const obs = await connectAsync('mqtt://127.0.0.1:1883', { clean: true })
    const got: { topic: string; payload: UPayload }[] = []
    obs.on('message', (topic, buf) => got.push({ topic, payload: codec.decodePayload(new Uint8Array(buf)) }))
    for (const g of ['fs-diecast', 'dg-electronics', 'lz-autoparts'])
      await obs.subscribeAsync(`spBv1.0/${prefix}${g}/#`, { qos: 1 })

    const clock = new ManualClock(START)
    const factory = createVirtualFactory({ seed: 21, start: START })
    const runner = createSparkplugFactoryRunner({
      url: 'mqtt://127.0.0.1:1883',
      factory,
      speed: 60,
      groupPrefix: prefix,
      clock,
      intervalMs: 0,
      qos: 1,
    })
    try {
      await runner.start()
      clock.advance(1000)
      const sent = await runner.pump()
      clock.advance(1000)
      const sent2 = await runner.pump()
      // QoS 1 DDATA are acknowledged; give the observer's copies a moment to arrive
      const deadline = Date.now() + 5000
      const ddata = (): number => got.filter((m) => m.topic.includes('/DDATA/')).length
      while (ddata() < runner.counters().messages && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20))

      assert.equal(got.filter((m) => m.topic.includes('/NBIRTH/')).length, 8)
      assert.equal(got.filter((m) => m.topic.includes('/DBIRTH/')).length, 25)
      assert.equal(runner.counters().errors, 0)
      assert.equal(runner.counters().simulatedTo, START + 120_000)

      // the reference: the same seed, without any broker in between
      const reference = createVirtualFactory({ seed: 21, start: START })
        .step(START + 120_000)
        .filter((v) =>
          runner.plans.some(
            (p) => p.enterpriseKey === v.enterpriseKey && p.devices.some((d) => d.deviceId === v.deviceKey),
          ),
        )
      assert.equal(sent + sent2, reference.length)
      assert.ok(reference.length > 1000, `${reference.length} values`)

      // decode: alias → metric name from the DBIRTHs, then every DDATA metric back to (device, point, ts, value)
      const names = new Map<string, string>()
      for (const m of got.filter((x) => x.topic.includes('/DBIRTH/'))) {
        const [, group, , node, device] = m.topic.split('/')
        for (const metric of m.payload.metrics ?? [])
          names.set(`${group}/${node}/${num(metric.alias)}`, `${device}/${metric.name}`)
      }
      const received = new Set<string>()
      let metricsReceived = 0
      for (const m of got.filter((x) => x.topic.includes('/DDATA/'))) {
        const [, group, , node] = m.topic.split('/')
        for (const metric of m.payload.metrics ?? []) {
          assert.equal(metric.name, undefined)
          const name = names.get(`${group}/${node}/${num(metric.alias)}`)
          const v = num(metric.value)
          metricsReceived++
          received.add(
            `${group?.slice(prefix.length)}/${name}@${num(metric.timestamp)}=${typeof v === 'number' ? Math.fround(v) : v}`,
          )
        }
      }
      const expected = new Set(
        reference.map(
          (v) =>
            `${v.enterpriseKey}/${v.deviceKey}/${v.pointKey}@${v.ts}=${typeof v.value === 'number' ? Math.fround(v.value) : v.value}`,
        ),
      )
      assert.equal(metricsReceived, reference.length) // exactly once: no duplicates hidden by the sets
      assert.equal(received.size, expected.size)
      assert.deepEqual([...received].sort(), [...expected].sort())
    } finally {
      await runner.stop({ clean: true })
      await obs.endAsync()
    }
  })
})
