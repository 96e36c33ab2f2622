import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestPlatform, type TestPlatform } from '../support/platform.ts'

interface GanttOp {
  orderId: string
  step: number
  operation: string
  equipment: string
  start: number
  end: number
  setupMs: number
}
interface Kpis {
  makespanMs: number
  totalWeightedTardinessMs: number
  tardyOrders: number
  utilisation: { equipment: string; utilisation: number }[]
}
interface Plan {
  id: string
  startAt: number
  kpis: Kpis
  operations: GanttOp[]
  outages: { equipment: string; from: number; to: number }[]
}
interface Proposal {
  rightShift: { kpis: Kpis; operations: GanttOp[] }
  reoptimised: { kpis: Kpis; operations: GanttOp[] }
}

const MIN = 60_000

describe('planning API', () => {
  let p: TestPlatform
  let ent: { tenant: string; token: string }
  let other: { tenant: string; token: string }
  const m: string[] = []
  let productId = ''
  const orderIds: string[] = []
  let plan: Plan
  let calendarPlanId = ''
  const startAt = Date.UTC(2026, 0, 5, 6, 0)

  before(async () => {
    p = await startTestPlatform()
    ent = await p.enterprise('Shunde Machining')
    other = await p.enterprise('Elsewhere Ltd')
    for (const name of ['lathe', 'mill', 'grinder']) {
      const r = await p.api<{ id: string }>('POST', '/api/assets', {
        token: ent.token,
        body: { level: 'equipment', name },
      })
      assert.equal(r.status, 201, JSON.stringify(r.body))
      m.push(r.body.id)
    }
  })
  after(async () => p.stop())

  it('stores a product with its routing and orders for it', async () => {
    // lathe → mill → grinder, 10 / 5 / 5 min per piece
    const r = await p.api<{ id: string }>('POST', '/api/planning/products', {
      token: ent.token,
      body: {
        name: 'Flange',
        routing: [
          { name: 'turn', alternatives: [{ equipment: m[0], durationMs: 10 * MIN }] },
          { name: 'mill', alternatives: [{ equipment: m[1], durationMs: 5 * MIN }] },
          { name: 'grind', family: 1, alternatives: [{ equipment: m[2], durationMs: 5 * MIN }] },
        ],
      },
    })
    assert.equal(r.status, 201, JSON.stringify(r.body))
    productId = r.body.id
    for (const q of [1, 2]) {
      const o = await p.api<{ id: string; quantity: number }>('POST', '/api/planning/orders', {
        token: ent.token,
        body: { productId, quantity: q, due: startAt + 8 * 60 * MIN, priority: q },
      })
      assert.equal(o.status, 201, JSON.stringify(o.body))
      orderIds.push(o.body.id)
    }
    const list = await p.api<{ items: unknown[] }>('GET', '/api/planning/orders', { token: ent.token })
    assert.equal(list.body.items.length, 2)
  })

  it('refuses equipment of another enterprise in a routing', async () => {
    const r = await p.api<{ error: { code: string } }>('POST', '/api/planning/products', {
      token: other.token,
      body: { name: 'X', routing: [{ name: 'a', alternatives: [{ equipment: m[0], durationMs: 1000 }] }] },
    })
    assert.equal(r.status, 404)
    assert.equal(r.body.error.code, 'NOT_FOUND')
  })

  it('schedules two orders on three machines with a valid plan and KPIs', async () => {
    const r = await p.api<Plan>('POST', '/api/planning/schedules', {
      token: ent.token,
      body: { orderIds, timeLimitMs: 300, objective: 'makespan', startAt },
    })
    assert.equal(r.status, 201, JSON.stringify(r.body))
    plan = r.body
    assert.equal(plan.operations.length, 6)
    // flow shop of 1 piece (10/5/5) and 2 pieces (20/10/10): big order first gives lathe 0–20, 20–30,
    // mill 20–30, 30–35, grinder 30–40, 40–45 = 45 min (small first would give 50)
    assert.equal(plan.kpis.makespanMs, 45 * MIN)
    assert.equal(plan.kpis.tardyOrders, 0)
    const lathe = plan.kpis.utilisation.find((u) => u.equipment === m[0])
    assert.equal(lathe?.utilisation, 30 / 45)
    for (const o of plan.operations) assert.ok(o.start >= startAt && o.end <= startAt + 45 * MIN)
    const got = await p.api<Plan>('GET', `/api/planning/schedules/${plan.id}`, { token: ent.token })
    // no breakdown yet: nothing pending
    assert.deepEqual(got.body, { ...plan, proposal: null })
  })

  it('plans around a planned outage given in the machine calendars', async () => {
    // lathe down for the first 30 min: big order first, lathe 30–50, 50–60, mill 50–60, 60–65,
    // grinder 60–70, 70–75 = 75 min (small first would give 80)
    const r = await p.api<Plan>('POST', '/api/planning/schedules', {
      token: ent.token,
      body: {
        orderIds,
        timeLimitMs: 300,
        startAt,
        calendars: { [m[0] ?? '']: { outages: [{ from: startAt, to: startAt + 30 * MIN }] } },
      },
    })
    assert.equal(r.status, 201, JSON.stringify(r.body))
    assert.equal(r.body.kpis.makespanMs, 75 * MIN)
    calendarPlanId = r.body.id
    for (const o of r.body.operations.filter((x) => x.equipment === m[0]))
      assert.ok(o.start >= startAt + 30 * MIN)
  })

  it('checks a planner’s manual moves with the independent checker and names each conflict', async () => {
    // calendar plan: lathe out 0–30; big order (orderIds[1]) turn 30–50, mill 50–60, grind 60–70;
    // small order turn 50–60, mill 60–65, grind 70–75
    const [small = '', big = ''] = orderIds
    type Check = {
      ok: boolean
      conflicts: { kind: string; operations: { orderId: string; step: number; operation: string }[] }[]
      kpis: Kpis
      operations: GanttOp[]
    }
    const check = (moves: unknown[], token = ent.token) =>
      p.api<Check>('POST', `/api/planning/schedules/${calendarPlanId}/check`, { token, body: { moves } })
    const none = await check([])
    assert.equal(none.status, 200, JSON.stringify(none.body))
    assert.deepEqual([none.body.ok, none.body.conflicts, none.body.kpis.makespanMs], [true, [], 75 * MIN])

    const outage = await check([{ orderId: big, step: 0, start: startAt }])
    assert.deepEqual(
      outage.body.conflicts.map((c) => [c.kind, c.operations.map((o) => `${o.orderId}/${o.operation}`)]),
      [['calendar', [`${big}/turn`]]],
    )
    assert.equal(outage.body.operations.find((o) => o.orderId === big && o.step === 0)?.start, startAt)

    const clash = await check([{ orderId: small, step: 1, start: startAt + 50 * MIN }])
    assert.equal(clash.body.ok, false)
    assert.deepEqual(clash.body.conflicts.map((c) => c.kind).sort(), ['overlap', 'precedence'])
    const overlap = clash.body.conflicts.find((c) => c.kind === 'overlap')
    assert.deepEqual(overlap?.operations.map((o) => o.orderId).sort(), [big, small].sort())

    const wrong = await check([{ orderId: small, step: 2, start: startAt + 70 * MIN, equipment: m[1] }])
    assert.deepEqual(
      wrong.body.conflicts.map((c) => c.kind),
      ['ineligible'],
    )

    const unknown = await check([{ orderId: small, step: 2, start: startAt, equipment: 'ast_nope' }])
    assert.equal(unknown.status, 400)
    const audit = await p.api<{ items: { action: string; target: string }[] }>(
      'GET',
      '/api/audit?action=planning.schedule.check',
      { token: ent.token },
    )
    assert.equal(audit.body.items.length, 4)
    assert.ok(audit.body.items.every((x) => x.target === calendarPlanId))
  })

  it('proposes repairs that respect a breakdown and stores the accepted one', async () => {
    const mill = m[1] ?? ''
    const from = startAt + 12 * MIN
    const to = startAt + 40 * MIN
    const r = await p.api<Proposal>('POST', `/api/planning/schedules/${plan.id}/breakdown`, {
      token: ent.token,
      body: { equipment: mill, from, to, timeLimitMs: 200 },
    })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    for (const option of [r.body.rightShift, r.body.reoptimised]) {
      assert.equal(option.operations.length, 6)
      for (const o of option.operations.filter((x) => x.equipment === mill))
        assert.ok(o.end <= from || o.start - o.setupMs >= to, `${JSON.stringify(o)} overlaps the outage`)
      assert.ok(option.kpis.makespanMs > 45 * MIN)
    }
    // the pending proposal travels with the schedule until it is accepted; the request is audited
    const pending = await p.api<Plan & { proposal: Proposal | null }>(
      'GET',
      `/api/planning/schedules/${plan.id}`,
      { token: ent.token },
    )
    assert.deepEqual(pending.body.proposal, r.body)
    const proposed = await p.api<{ items: { actor: string; target: string; details: unknown }[] }>(
      'GET',
      '/api/audit?action=planning.schedule.propose',
      { token: ent.token },
    )
    assert.equal(proposed.body.items.length, 1)
    assert.notEqual(proposed.body.items[0]?.actor, 'system')
    assert.equal(proposed.body.items[0]?.target, plan.id)
    const a = await p.api<Plan>('POST', `/api/planning/schedules/${plan.id}/accept`, {
      token: ent.token,
      body: { option: 'reoptimised' },
    })
    assert.equal(a.status, 200, JSON.stringify(a.body))
    assert.deepEqual(a.body.operations, r.body.reoptimised.operations)
    assert.deepEqual(a.body.outages, [{ equipment: mill, from, to }])
    const audit = await p.api<{ items: { action: string; target: string }[] }>(
      'GET',
      '/api/audit?action=planning.schedule.repair',
      { token: ent.token },
    )
    assert.deepEqual(
      audit.body.items.map((x) => [x.action, x.target]),
      [['planning.schedule.repair', plan.id]],
    )
  })

  it('lets a viewer read plans but not write them', async () => {
    const k = await p.api<{ key: string }>('POST', '/api/api-keys', {
      token: ent.token,
      body: { name: 'planning viewer', role: 'viewer' },
    })
    assert.equal(k.status, 201, JSON.stringify(k.body))
    const list = await p.api<{ items: { id: string }[] }>('GET', '/api/planning/schedules', {
      token: k.body.key,
    })
    assert.equal(list.status, 200)
    assert.deepEqual(
      list.body.items.map((x) => x.id),
      [plan.id, calendarPlanId].sort(),
    )
    const w = await p.api<{ error: { code: string } }>('POST', '/api/planning/orders', {
      token: k.body.key,
      body: { productId, quantity: 1, due: startAt },
    })
    assert.equal(w.status, 403)
    assert.equal(w.body.error.code, 'AUTH_FORBIDDEN')
    const c = await p.api<{ error: { code: string } }>('POST', `/api/planning/schedules/${plan.id}/check`, {
      token: k.body.key,
      body: { moves: [] },
    })
    assert.equal(c.status, 403)
  })

  it('answers another enterprise NOT_FOUND for every planning id', async () => {
    const paths: [string, string, unknown?][] = [
      ['GET', `/api/planning/products/${productId}`],
      ['GET', `/api/planning/orders/${orderIds[0]}`],
      ['GET', `/api/planning/schedules/${plan.id}`],
      ['POST', '/api/planning/orders', { productId, quantity: 1, due: startAt }],
      ['POST', '/api/planning/schedules', { orderIds }],
      [
        'POST',
        `/api/planning/schedules/${plan.id}/breakdown`,
        { equipment: m[1], from: startAt, to: startAt + 1 },
      ],
      ['POST', `/api/planning/schedules/${plan.id}/accept`, { option: 'rightShift' }],
      ['POST', `/api/planning/schedules/${plan.id}/check`, { moves: [] }],
    ]
    for (const [method, path, body] of paths) {
      const r = await p.api<{ error: { code: string } }>(method, path, { token: other.token, body })
      assert.equal(r.status, 404, `${method} ${path}`)
      assert.equal(r.body.error.code, 'NOT_FOUND')
    }
    const list = await p.api<{ items: unknown[] }>('GET', '/api/planning/schedules', { token: other.token })
    assert.deepEqual(list.body.items, [])
  })
})
