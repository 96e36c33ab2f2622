import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { checkSchedule } from './checker.ts'
import { parseJsspInstance } from './jssp-format.ts'
import type { ShopModel } from './model.ts'
import { solve } from './planner.ts'

/** A benchmark instance from ../shared beside the checkout (one level further up from a git worktree). */
function benchInstance(name: string): string {
  for (const up of ['../../../', '../../../../']) {
    const url = new URL(`${up}shared/benchmarks/jssp/instances/${name}`, import.meta.url)
    if (existsSync(url)) return readFileSync(url, 'utf8')
  }
  throw new Error(`benchmark instance ${name} not found in ../shared/benchmarks/jssp`)
}

const instance = (name: string): ShopModel => parseJsspInstance(benchInstance(name), name)

function assertValid(
  model: ShopModel,
  r: { schedule: Parameters<typeof checkSchedule>[1]; value: number },
  objective = 'makespan',
) {
  const c = checkSchedule(model, r.schedule)
  assert.deepEqual(c.errors, [])
  assert.equal(objective === 'makespan' ? c.kpis.makespan : c.kpis.totalWeightedTardiness, r.value)
  return c
}

describe('solve (job shop)', () => {
  it('finds the optimum 55 on ft06 on two worker threads, with progress events', async () => {
    const model = instance('ft06')
    const events: number[] = []
    const r = await solve(model, { timeLimitMs: 3000, workers: 2, onProgress: (e) => events.push(e.best) })
    assertValid(model, r)
    assert.equal(r.value, 55)
    assert.equal(r.kpis.makespan, 55)
    assert.equal(events.at(-1), 55)
    for (let i = 1; i < events.length; i++) assert.ok(events[i]! < events[i - 1]!)
  })

  it('finds the optimum 930 on ft10', async () => {
    const model = instance('ft10')
    const r = await solve(model, { timeLimitMs: 25_000, workers: 2, target: 930 })
    assertValid(model, r)
    assert.equal(r.value, 930)
  })

  it('gives the same schedule for the same seed and iteration budget', async () => {
    const model = instance('la16')
    const a = await solve(model, { workers: 0, seed: 7, maxIterations: 3000, timeLimitMs: 60_000 })
    const b = await solve(model, { workers: 0, seed: 7, maxIterations: 3000, timeLimitMs: 60_000 })
    assertValid(model, a)
    assert.deepEqual(a.schedule, b.schedule)
    const c = await solve(model, { workers: 2, seed: 3, maxIterations: 2000, timeLimitMs: 60_000 })
    const d = await solve(model, { workers: 2, seed: 3, maxIterations: 2000, timeLimitMs: 60_000 })
    assertValid(model, c)
    assert.deepEqual(c.schedule, d.schedule)
    assert.ok(c.value < c.initial.value)
  })

  it('stops when its AbortSignal fires and returns the best schedule so far', async () => {
    const model = instance('la29')
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 1500)
    const r = await solve(model, { timeLimitMs: 120_000, workers: 2, signal: ac.signal })
    assert.equal(r.cancelled, true)
    assert.ok(r.elapsedMs < 10_000)
    assertValid(model, r)
  })
})

describe('solve (flexible shop, set-ups, releases, calendars, tardiness)', () => {
  it('uses alternatives, set-ups and a maintenance outage (optimum 8, hand-computed)', async () => {
    // A1 on M0 [0,4) then A2 needs a 1-unit set-up: [5,8). A1 on M1 waits for the outage to end
    // (done at 7), so A2 could not end before 10. B (released at 2) fits on M1 after the outage.
    const model: ShopModel = {
      machines: [
        {
          id: 'M0',
          setupTimes: [
            [0, 1],
            [1, 0],
          ],
        },
        { id: 'M1', calendar: { outages: [{ start: 0, end: 5 }] } },
      ],
      jobs: [
        {
          id: 'A',
          operations: [
            {
              family: 0,
              alternatives: [
                { machine: 'M0', duration: 4 },
                { machine: 'M1', duration: 2 },
              ],
            },
            { family: 1, alternatives: [{ machine: 'M0', duration: 3 }] },
          ],
        },
        {
          id: 'B',
          release: 2,
          operations: [
            {
              family: 0,
              alternatives: [
                { machine: 'M0', duration: 2 },
                { machine: 'M1', duration: 1 },
              ],
            },
          ],
        },
      ],
    }
    const r = await solve(model, { workers: 0, timeLimitMs: 300 })
    assertValid(model, r)
    assert.equal(r.value, 8)
    const a2 = r.schedule.operations.find((o) => o.job === 0 && o.operation === 1)!
    assert.deepEqual([a2.start, a2.end, a2.setup], [5, 8, 1])
  })

  it('keeps operations inside shift windows (hand-computed makespan 26)', async () => {
    const model: ShopModel = {
      machines: [
        {
          id: 'M0',
          calendar: {
            windows: [
              { start: 0, end: 10 },
              { start: 20, end: 30 },
            ],
          },
        },
      ],
      jobs: [
        { id: 'A', operations: [{ alternatives: [{ machine: 'M0', duration: 6 }] }] },
        { id: 'B', operations: [{ alternatives: [{ machine: 'M0', duration: 6 }] }] },
      ],
    }
    const r = await solve(model, { workers: 0, timeLimitMs: 200 })
    assertValid(model, r)
    assert.equal(r.value, 26)
  })

  it('minimises total weighted tardiness (single machine, optimum 5 by enumeration)', async () => {
    // (p, d, w): J0 (4,4,1), J1 (2,2,2), J2 (3,5,3). Order J1,J2,J0 ends 2,5,9: only J0 is late by 5.
    const job = (id: string, p: number, due: number, weight: number) => ({
      id,
      due,
      weight,
      operations: [{ alternatives: [{ machine: 'M', duration: p }] }],
    })
    const model: ShopModel = {
      machines: [{ id: 'M' }],
      jobs: [job('J0', 4, 4, 1), job('J1', 2, 2, 2), job('J2', 3, 5, 3)],
    }
    const r = await solve(model, { workers: 0, timeLimitMs: 300, objective: 'weighted-tardiness' })
    assertValid(model, r, 'weighted-tardiness')
    assert.equal(r.value, 5)
    assert.equal(r.kpis.totalWeightedTardiness, 5)
  })

  it('improves weighted tardiness on a job shop with due dates', async () => {
    const base = instance('la06')
    const model: ShopModel = {
      ...base,
      jobs: base.jobs.map((j, i) => ({
        ...j,
        due: 400 + 40 * i,
        weight: 1 + (i % 3),
        release: (i % 4) * 10,
      })),
    }
    const r = await solve(model, { workers: 0, timeLimitMs: 1500, objective: 'weighted-tardiness' })
    assertValid(model, r, 'weighted-tardiness')
    assert.ok(r.value < r.initial.value, `${r.value} < ${r.initial.value}`)
  })

  it('rejects a model with an unknown machine', async () => {
    const model: ShopModel = {
      machines: [{ id: 'M0' }],
      jobs: [{ id: 'A', operations: [{ alternatives: [{ machine: 'X', duration: 1 }] }] }],
    }
    await assert.rejects(solve(model, { workers: 0 }), { code: 'SCHED_INVALID_MODEL' })
  })
})
