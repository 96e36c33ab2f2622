import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { checkSchedule } from './checker.ts'
import { parseJsspInstance } from './jssp-format.ts'
import type { ShopModel } from './model.ts'
import { repairBreakdown, solve } from './planner.ts'

/** A benchmark instance from ../shared beside the checkout (one level further up from a git worktree). */
function benchInstance(name: string): string {
  for (const up of ['../../../', '../../../../']) {
    const url = new URL(`${up}shared/benchmarks/jssp/instances/${name}`, import.meta.url)
    if (existsSync(url)) return readFileSync(url, 'utf8')
  }
  throw new Error(`benchmark instance ${name} not found in ../shared/benchmarks/jssp`)
}

describe('repairBreakdown', () => {
  it('right-shifts and re-optimises ft06 around a breakdown, keeping started work', async () => {
    const model = parseJsspInstance(benchInstance('ft06'))
    const plan = await solve(model, { workers: 0, timeLimitMs: 5000, target: 55 })
    assert.equal(plan.value, 55)
    const breakdown = { machine: 'M2', start: 10, end: 20 }
    const r = await repairBreakdown(model, plan.schedule, breakdown, { workers: 2, timeLimitMs: 1500 })
    for (const s of [r.rightShift.schedule, r.reoptimised.schedule]) {
      assert.deepEqual(checkSchedule(r.model, s).errors, [])
      for (const o of s.operations) {
        if (o.machine === 2) assert.ok(o.end <= 10 || o.start >= 20, 'no work on M2 during the outage')
      }
    }
    const key = (o: { job: number; operation: number }) => `${o.job}/${o.operation}`
    const before = new Map(plan.schedule.operations.map((o) => [key(o), o]))
    let frozen = 0
    for (const o of r.reoptimised.schedule.operations) {
      const was = before.get(key(o))!
      const interrupted = was.machine === 2 && was.start < 10 && was.end > 10
      if (was.start < 10 && !interrupted) {
        frozen++
        assert.deepEqual([o.start, o.machine], [was.start, was.machine], 'started work stays')
      } else assert.ok(o.start >= 10, 'nothing new starts before the breakdown')
    }
    assert.equal(r.frozen, frozen)
    for (const o of r.rightShift.schedule.operations) assert.ok(o.start >= before.get(key(o))!.start)
    assert.ok(r.rightShift.kpis.makespan > 55)
    assert.ok(r.reoptimised.kpis.makespan <= r.rightShift.kpis.makespan)
  })

  it('moves work to the other eligible machine when re-optimising (110 vs 20, hand-computed)', async () => {
    const job = (id: string) => ({
      id,
      operations: [
        {
          alternatives: [
            { machine: 'M0', duration: 5 },
            { machine: 'M1', duration: 5 },
          ],
        },
      ],
    })
    const model: ShopModel = { machines: [{ id: 'M0' }, { id: 'M1' }], jobs: ['A', 'B', 'C', 'D'].map(job) }
    const plan = await solve(model, { workers: 0, timeLimitMs: 200 })
    assert.equal(plan.value, 10)
    const r = await repairBreakdown(
      model,
      plan.schedule,
      { machine: 'M0', start: 0, end: 100 },
      { workers: 0, timeLimitMs: 300 },
    )
    assert.deepEqual(checkSchedule(r.model, r.rightShift.schedule).errors, [])
    assert.deepEqual(checkSchedule(r.model, r.reoptimised.schedule).errors, [])
    assert.equal(r.rightShift.kpis.makespan, 110)
    assert.equal(r.reoptimised.kpis.makespan, 20)
    assert.equal(r.reoptimised.kpis.machines[1]!.utilisation, 1)
  })
})
