import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { buildEnterprises, createVirtualFactory, listEquipment, MACHINE_STATE } from '../../src/sim/index.ts'
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.ts'

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
interface Outage {
  equipment: string
  from: number
  to: number
}
interface Plan {
  id: string
  operations: GanttOp[]
  outages: Outage[]
  proposal?: { breakdown: Outage; rightShift: Option; reoptimised: Option } | null
}

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

/**
 * The rescheduling flow from the virtual factory, with nobody asking: a schedule is in force on a CNC,
 * the CNC's bearing fails in the simulation, its `state` point (4 = down) reaches the platform over
 * HTTP ingest, and the platform proposes repaired schedules on its own that keep clear of the outage
 * (from the first `down` for the configured repair time, 90 min, as the CNC has no closed work orders).
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
    // the expected repair time of a machine without closed work orders, as an operator configures it
    p = await startTestPlatform({ env: { RONGHE_PLANNING_DEFAULT_REPAIR_MINUTES: '90' } })
    ent = await p.enterprise(enterprise.name)
  })
  after(async () => p.stop())

  it('proposes repaired schedules on its own when the machine reports down, once per breakdown', async () => {
    assert.ok(fault !== undefined, 'the simulated week has a CNC breakdown')
    const breakdownTs = fault.breakdownTs ?? 0
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
    // the CNC's controller, reporting over HTTP: its points sit on the CNC's asset
    const dev = await p.api<{ id: string }>('POST', '/api/devices', {
      token: ent.token,
      body: { name: fault.deviceKey, key: fault.deviceKey, kind: 'machine', protocol: 'http', assetId: cnc },
    })
    assert.equal(dev.status, 201, JSON.stringify(dev.body))
    const cred = await p.api<{ token: string }>('POST', `/api/devices/${dev.body.id}/credentials`, {
      token: ent.token,
      body: { kind: 'token' },
    })
    assert.equal(cred.status, 201, JSON.stringify(cred.body))

    // the plan in force, made before the breakdown: three orders, 40 min on the CNC then 20 min deburring,
    // from an hour before the breakdown, so the CNC is still busy when it fails
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
        body: { productId: product.body.id, quantity: 1, due: breakdownTs + 2 * HOUR, priority },
      })
      orderIds.push(o.body.id)
    }
    const plan = await p.api<Plan>('POST', '/api/planning/schedules', {
      token: ent.token,
      body: { orderIds, timeLimitMs: 300, startAt: breakdownTs - HOUR },
    })
    assert.equal(plan.status, 201, JSON.stringify(plan.body))
    assert.ok(plan.body.operations.some((o) => o.equipment === cnc && o.end > breakdownTs))
    const fresh = await p.api<Plan>('GET', `/api/planning/schedules/${plan.body.id}`, { token: ent.token })
    assert.equal(fresh.body.proposal, null)

    // the factory runs from two hours before the breakdown to two hours after the repair; the CNC's
    // state reaches the platform as the machine reports it
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
    // one episode, reported by many samples: the proposal must still be made once
    assert.ok(states.filter((s) => s.value === MACHINE_STATE.down).length > 1)
    for (let i = 0; i < states.length; i += 500) {
      const r = await fetch(`${p.baseUrl}/api/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${cred.body.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ samples: states.slice(i, i + 500) }),
      })
      assert.equal(r.status, 200, await r.text())
    }
    await p.app.pipeline.drained()

    // the first `down` as the platform stored it
    const points = await p.api<{ items: { id: string; key: string }[] }>(
      'GET',
      `/api/points?deviceId=${dev.body.id}&limit=100`,
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
    const downAt = series.body.samples.find((s) => s.value === MACHINE_STATE.down)?.ts ?? Number.NaN
    assert.ok(Math.abs(downAt - breakdownTs) <= MIN, `${downAt} vs ${breakdownTs}`)
    const outage = { equipment: cnc, from: downAt, to: downAt + 90 * MIN }

    // no POST to /breakdown: the pending proposal appears with the schedule
    const pending = await eventually(
      async () => {
        const r = await p.api<Plan>('GET', `/api/planning/schedules/${plan.body.id}`, { token: ent.token })
        return r.body.proposal
      },
      60_000,
      'the automatic breakdown proposal',
    )
    assert.deepEqual(pending.breakdown, outage)
    for (const option of [pending.rightShift, pending.reoptimised]) {
      assert.equal(option.operations.length, 6)
      for (const o of option.operations.filter((x) => x.equipment === cnc))
        assert.ok(
          o.end <= outage.from || o.start - o.setupMs >= outage.to,
          `${JSON.stringify(o)} in the outage`,
        )
      assert.ok(option.kpis.makespanMs >= outage.to - (breakdownTs - HOUR))
    }
    // made once for the episode, by the system, in the tenant's audit trail
    await p.app.breakdowns.idle()
    const audit = await p.api<{ items: { actor: string; target: string; details: { breakdown: Outage } }[] }>(
      'GET',
      '/api/audit?action=planning.schedule.propose',
      { token: ent.token },
    )
    assert.equal(audit.status, 200, JSON.stringify(audit.body))
    assert.equal(audit.body.items.length, 1, JSON.stringify(audit.body.items))
    assert.equal(audit.body.items[0]?.actor, 'system')
    assert.equal(audit.body.items[0]?.target, plan.body.id)
    assert.deepEqual(audit.body.items[0]?.details.breakdown, outage)

    const a = await p.api<Plan>('POST', `/api/planning/schedules/${plan.body.id}/accept`, {
      token: ent.token,
      body: { option: 'reoptimised' },
    })
    assert.equal(a.status, 200, JSON.stringify(a.body))
    assert.deepEqual(a.body.outages, [outage])
    assert.deepEqual(a.body.operations, pending.reoptimised.operations)
    const stored = await p.api<Plan>('GET', `/api/planning/schedules/${plan.body.id}`, { token: ent.token })
    assert.deepEqual(stored.body.operations, pending.reoptimised.operations)
    assert.equal(stored.body.proposal, null)
  })
})
