import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { buildEnterprises, createVirtualFactory, listEquipment, MACHINE_STATE } from '../../src/sim/index.ts'
import { startTestPlatform, type TestPlatform } from '../support/platform.ts'

interface GanttOp {
  orderId: string
  step: number
  equipment: string
  start: number
  end: number
  setupMs: number
}
interface Option {
  kpis: { makespanMs: number }
  operations: GanttOp[]
}
interface Plan {
  id: string
  operations: GanttOp[]
  outages: { equipment: string; from: number; to: number }[]
}

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

/**
 * The rescheduling flow from the virtual factory: a CNC's bearing fails in the simulation, its `state`
 * point (4 = down) reaches the platform over HTTP ingest, the down interval is read back from the
 * platform's series, and the breakdown proposal for a schedule on that CNC must keep clear of it.
 */
describe('planning: a breakdown on the virtual factory', () => {
  let p: TestPlatform
  let ent: { tenant: string; token: string }
  const seed = 'planning-breakdown'
  const weekStart = Date.UTC(2026, 0, 5) - 8 * HOUR // Monday 00:00 Asia/Shanghai
  const enterprise = buildEnterprises()[0]!
  const cncs = listEquipment([enterprise]).filter((e) => e.equipment.kind === 'cnc-machining-centre')
  const rates = { bearingWear: 1, toolWear: 0, meterDropout: 0, counterResetAfterRepair: 0 }
  // the factory's own ground truth: the first CNC breakdown of the week
  const fault = createVirtualFactory({
    seed,
    start: weekStart,
    tickMs: MIN,
    faultRates: rates,
    enterprises: [enterprise],
  })
    .groundTruth(weekStart, weekStart + 7 * DAY)
    .filter((f) => f.breakdownTs !== null && cncs.some((c) => c.equipment.key === f.deviceKey))
    .sort((a, b) => (a.breakdownTs ?? 0) - (b.breakdownTs ?? 0))[0]

  before(async () => {
    p = await startTestPlatform()
    ent = await p.enterprise(enterprise.name)
  })
  after(async () => p.stop())

  it('proposes repaired schedules that respect the outage the factory reported', async () => {
    assert.ok(fault !== undefined, 'the simulated week has a CNC breakdown')
    const breakdownTs = fault.breakdownTs ?? 0
    // the CNC as the enterprise's equipment and as a device reporting over HTTP
    const assets: Record<string, string> = {}
    for (const key of [fault.deviceKey, 'deburr-bench']) {
      const a = await p.api<{ id: string }>('POST', '/api/assets', {
        token: ent.token,
        body: { level: 'equipment', name: key },
      })
      assert.equal(a.status, 201, JSON.stringify(a.body))
      assets[key] = a.body.id
    }
    const cnc = assets[fault.deviceKey] ?? ''
    const bench = assets['deburr-bench'] ?? ''
    const dev = await p.device(ent.token, fault.deviceKey, 'http')

    // simulate from two hours before the breakdown to two hours after the repair, then send the state
    const from = breakdownTs - 2 * HOUR
    const sim = createVirtualFactory({
      seed,
      start: from,
      tickMs: MIN,
      faultRates: rates,
      enterprises: [enterprise],
    })
    const states = sim
      .step(fault.endTs + 2 * HOUR)
      .filter((v) => v.deviceKey === fault.deviceKey && v.pointKey === 'state')
      .map((v) => ({ key: 'state', ts: v.ts, value: v.value }))
    assert.ok(states.some((s) => s.value === MACHINE_STATE.down))
    for (let i = 0; i < states.length; i += 500) {
      const r = await fetch(`${p.baseUrl}/api/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${dev.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ samples: states.slice(i, i + 500) }),
      })
      assert.equal(r.status, 200, await r.text())
    }
    await p.app.pipeline.drained()

    // the down interval as the platform has it: first sample in state 4 to the first one after it that is not
    const points = await p.api<{ items: { id: string; key: string }[] }>(
      'GET',
      `/api/points?deviceId=${dev.id}&limit=100`,
      { token: ent.token },
    )
    const statePoint = points.body.items.find((x) => x.key === 'state')
    assert.ok(statePoint !== undefined)
    const series = await p.api<{ samples: { ts: number; value: number }[] }>(
      'GET',
      `/api/points/${statePoint.id}/series?from=${from}&to=${fault.endTs + 2 * HOUR}&limit=100000`,
      { token: ent.token },
    )
    assert.equal(series.status, 200, JSON.stringify(series.body))
    const samples = series.body.samples
    const downAt = samples.findIndex((s) => s.value === MACHINE_STATE.down)
    const upAt = samples.findIndex((s, i) => i > downAt && s.value !== MACHINE_STATE.down)
    assert.ok(downAt >= 0 && upAt > downAt)
    const outage = { from: samples[downAt]!.ts, to: samples[upAt]!.ts }
    // the platform's view agrees with the factory's ground truth to within a tick
    assert.ok(Math.abs(outage.from - breakdownTs) <= MIN, `${outage.from} vs ${breakdownTs}`)
    assert.ok(Math.abs(outage.to - fault.endTs) <= MIN, `${outage.to} vs ${fault.endTs}`)

    // three orders: 40 min on the CNC, then 20 min deburring, planned from an hour before the breakdown
    const product = await p.api<{ id: string }>('POST', '/api/planning/products', {
      token: ent.token,
      body: {
        name: 'Housing',
        routing: [
          { name: 'machine', alternatives: [{ equipment: cnc, durationMs: 40 * MIN }] },
          { name: 'deburr', alternatives: [{ equipment: bench, durationMs: 20 * MIN }] },
        ],
      },
    })
    assert.equal(product.status, 201, JSON.stringify(product.body))
    const orderIds: string[] = []
    for (const priority of [1, 2, 3]) {
      const o = await p.api<{ id: string }>('POST', '/api/planning/orders', {
        token: ent.token,
        body: { productId: product.body.id, quantity: 1, due: outage.from + 2 * HOUR, priority },
      })
      orderIds.push(o.body.id)
    }
    const plan = await p.api<Plan>('POST', '/api/planning/schedules', {
      token: ent.token,
      body: { orderIds, timeLimitMs: 300, startAt: outage.from - HOUR },
    })
    assert.equal(plan.status, 201, JSON.stringify(plan.body))
    // the plan in force runs the CNC through the breakdown: it needs repair
    assert.ok(plan.body.operations.some((o) => o.equipment === cnc && o.end > outage.from))

    const r = await p.api<{ rightShift: Option; reoptimised: Option }>(
      'POST',
      `/api/planning/schedules/${plan.body.id}/breakdown`,
      { token: ent.token, body: { equipment: cnc, ...outage, timeLimitMs: 300 } },
    )
    assert.equal(r.status, 200, JSON.stringify(r.body))
    for (const option of [r.body.rightShift, r.body.reoptimised]) {
      assert.equal(option.operations.length, 6)
      for (const o of option.operations.filter((x) => x.equipment === cnc))
        assert.ok(
          o.end <= outage.from || o.start - o.setupMs >= outage.to,
          `${JSON.stringify(o)} in the outage`,
        )
      assert.ok(option.kpis.makespanMs >= outage.to - (outage.from - HOUR))
    }
    const a = await p.api<Plan>('POST', `/api/planning/schedules/${plan.body.id}/accept`, {
      token: ent.token,
      body: { option: 'rightShift' },
    })
    assert.equal(a.status, 200, JSON.stringify(a.body))
    assert.deepEqual(a.body.outages, [{ equipment: cnc, ...outage }])
    assert.deepEqual(a.body.operations, r.body.rightShift.operations)
  })
})
