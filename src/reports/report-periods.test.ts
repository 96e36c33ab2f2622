import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { duePeriodKey, isPeriodKey, periodBounds } from './report-periods.ts'

/** an instant given as Asia/Shanghai wall-clock time (UTC+8, no DST) */
const cst = (y: number, mo: number, d: number, h: number, mi = 0): number => Date.UTC(y, mo - 1, d, h - 8, mi)

describe('due report periods (Asia/Shanghai, the 01:00 rule)', () => {
  it('owes yesterday’s day report from 01:00 local time, and the day before until then', () => {
    assert.equal(duePeriodKey('day', cst(2026, 12, 5, 0, 59)), '2026-12-03')
    assert.equal(duePeriodKey('day', cst(2026, 12, 5, 1, 0)), '2026-12-04')
    assert.equal(duePeriodKey('day', cst(2026, 12, 5, 23, 59)), '2026-12-04')
    // 17:00 UTC on 4 December is already 01:00 on the 5th in China
    assert.equal(duePeriodKey('day', Date.UTC(2026, 11, 4, 17, 0)), '2026-12-04')
    assert.equal(duePeriodKey('day', Date.UTC(2026, 11, 4, 16, 59)), '2026-12-03')
  })

  it('crosses month and year ends and leap days', () => {
    assert.equal(duePeriodKey('day', cst(2027, 1, 1, 1, 0)), '2026-12-31')
    assert.equal(duePeriodKey('day', cst(2027, 1, 1, 0, 30)), '2026-12-30')
    assert.equal(duePeriodKey('day', cst(2028, 3, 1, 2, 0)), '2028-02-29')
    assert.equal(duePeriodKey('day', cst(2028, 3, 1, 0, 0)), '2028-02-28')
  })

  it('owes last month’s report from 01:00 on the 1st, and the month before until then', () => {
    assert.equal(duePeriodKey('month', cst(2026, 12, 1, 0, 59)), '2026-10')
    assert.equal(duePeriodKey('month', cst(2026, 12, 1, 1, 0)), '2026-11')
    assert.equal(duePeriodKey('month', cst(2026, 12, 31, 23, 0)), '2026-11')
    assert.equal(duePeriodKey('month', cst(2027, 1, 1, 1, 0)), '2026-12')
    assert.equal(duePeriodKey('month', cst(2027, 1, 1, 0, 30)), '2026-11')
    assert.equal(duePeriodKey('month', cst(2027, 2, 1, 0, 30)), '2026-12')
  })

  it('checks period keys and gives their local bounds', () => {
    assert.equal(isPeriodKey('day', '2026-02-29'), false)
    assert.equal(isPeriodKey('day', '2028-02-29'), true)
    assert.equal(isPeriodKey('day', '2026-12'), false)
    assert.equal(isPeriodKey('month', '2026-13'), false)
    assert.equal(isPeriodKey('month', '2026-12'), true)
    assert.equal(isPeriodKey('month', '2026-12-01'), false)
    assert.deepEqual(periodBounds('day', '2026-12-04'), {
      from: cst(2026, 12, 4, 0),
      to: cst(2026, 12, 5, 0),
    })
    assert.deepEqual(periodBounds('month', '2026-12'), { from: cst(2026, 12, 1, 0), to: cst(2027, 1, 1, 0) })
  })
})
