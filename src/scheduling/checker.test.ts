import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkSchedule } from './checker.ts'
import type { Schedule, ScheduledOperation, ShopModel } from './model.ts'

const model: ShopModel = {
  machines: [
    {
      id: 'M0',
      setupTimes: [
        [0, 2],
        [3, 0],
      ],
    },
    { id: 'M1', calendar: { outages: [{ start: 10, end: 20 }] } },
  ],
  jobs: [
    {
      id: 'A',
      due: 6,
      weight: 2,
      operations: [
        { family: 0, alternatives: [{ machine: 'M0', duration: 3 }] },
        { alternatives: [{ machine: 'M1', duration: 4 }] },
      ],
    },
    { id: 'B', release: 1, operations: [{ family: 1, alternatives: [{ machine: 'M0', duration: 2 }] }] },
  ],
}

const op = (
  job: number,
  operation: number,
  machine: number,
  start: number,
  end: number,
  setup = 0,
): ScheduledOperation => ({
  job,
  operation,
  machine,
  start,
  end,
  setup,
})

const valid: Schedule = { operations: [op(0, 0, 0, 0, 3), op(0, 1, 1, 3, 7), op(1, 0, 0, 5, 7, 2)] }

function withOp(i: number, o: ScheduledOperation): Schedule {
  return { operations: valid.operations.map((x, k) => (k === i ? o : x)) }
}

describe('checkSchedule', () => {
  it('accepts a valid schedule and recomputes its KPIs', () => {
    const r = checkSchedule(model, valid)
    assert.deepEqual(r.errors, [])
    assert.equal(r.kpis.makespan, 7)
    // job A completes at 7, due 6, weight 2
    assert.equal(r.kpis.totalWeightedTardiness, 2)
    assert.equal(r.kpis.tardyJobs, 1)
    assert.equal(r.kpis.machines[0]!.utilisation, 1) // 3 + 2 busy + 2 set-up over 7
    assert.equal(r.kpis.machines[1]!.utilisation, 4 / 7)
  })

  it('rejects a missing set-up, a set-up that overlaps, and a wrong duration', () => {
    assert.match(checkSchedule(model, withOp(2, op(1, 0, 0, 5, 7, 0))).errors.join(), /set-up 0, expected 2/)
    assert.match(checkSchedule(model, withOp(2, op(1, 0, 0, 4, 6, 2))).errors.join(), /overlap on M0/)
    assert.match(checkSchedule(model, withOp(2, op(1, 0, 0, 5, 8, 2))).errors.join(), /lasts 3, expected 2/)
  })

  it('rejects precedence, release, eligibility and calendar violations', () => {
    assert.match(checkSchedule(model, withOp(1, op(0, 1, 1, 2, 6))).errors.join(), /before its predecessor/)
    assert.match(
      checkSchedule(model, {
        operations: [op(0, 0, 0, 2, 5), op(0, 1, 1, 5, 9), op(1, 0, 0, 0, 2)],
      }).errors.join(),
      /before the job's release/,
    )
    assert.match(checkSchedule(model, withOp(1, op(0, 1, 0, 7, 11))).errors.join(), /ineligible machine M0/)
    assert.match(
      checkSchedule(model, withOp(1, op(0, 1, 1, 8, 12))).errors.join(),
      /outside the machine's calendar/,
    )
  })

  it('names the kind and the operations of each violation for the console to highlight', () => {
    const kinds = (s: Parameters<typeof checkSchedule>[1]) =>
      checkSchedule(model, s).violations.map((v) => [
        v.kind,
        v.operations.map((o) => `${o.job}/${o.operation}`),
      ])
    assert.deepEqual(kinds(valid), [])
    assert.deepEqual(kinds(withOp(1, op(0, 1, 1, 2, 6))), [['precedence', ['0/0', '0/1']]])
    assert.deepEqual(kinds(withOp(2, op(1, 0, 0, 4, 6, 2))), [['overlap', ['0/0', '1/0']]])
    assert.deepEqual(kinds(withOp(1, op(0, 1, 1, 8, 12))), [['calendar', ['0/1']]])
    const r = checkSchedule(model, withOp(1, op(0, 1, 0, 7, 11)))
    assert.equal(r.violations[0]?.kind, 'ineligible')
    assert.deepEqual(
      r.errors,
      r.violations.map((v) => v.message),
    )
  })

  it('rejects missing and duplicated operations', () => {
    const r = checkSchedule(model, {
      operations: [valid.operations[0]!, valid.operations[0]!, valid.operations[1]!],
    })
    assert.equal(r.ok, false)
    assert.match(r.errors.join(), /scheduled twice/)
    assert.match(r.errors.join(), /operation 1\/0 missing/)
  })

  it('needs shift windows to cover an operation without a gap', () => {
    const shifts: ShopModel = {
      machines: [
        {
          id: 'M0',
          calendar: {
            windows: [
              { start: 0, end: 8 },
              { start: 8, end: 16 },
              { start: 20, end: 30 },
            ],
          },
        },
      ],
      jobs: [{ id: 'A', operations: [{ alternatives: [{ machine: 'M0', duration: 6 }] }] }],
    }
    assert.equal(checkSchedule(shifts, { operations: [op(0, 0, 0, 5, 11)] }).ok, true)
    assert.equal(checkSchedule(shifts, { operations: [op(0, 0, 0, 12, 18)] }).ok, false)
  })
})
