import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  CALENDARS,
  calendarSegmentAt,
  localWeekday,
  localWeekStart,
  nextWorkingTime,
} from './shift-calendar.ts'

/** Epoch ms of a China Standard Time wall-clock time. */
const cst = (y: number, mo: number, d: number, h: number, mi = 0): number => Date.UTC(y, mo - 1, d, h - 8, mi)

describe('shift calendars (China Standard Time)', () => {
  const two = CALENDARS.twoShift12h
  const three = CALENDARS.threeShift8h

  it('knows local weekdays and week starts', () => {
    assert.equal(localWeekday(two, cst(2026, 3, 2, 0, 30)), 1) // Monday 2 March 2026
    assert.equal(localWeekday(two, cst(2026, 3, 1, 23, 59)), 0) // Sunday
    assert.equal(localWeekday(two, cst(2026, 3, 2, 7, 59)), 1) // still Sunday 23:59 in UTC, Monday in Foshan
    assert.equal(localWeekStart(two, cst(2026, 3, 5, 15)), cst(2026, 3, 2, 0))
    assert.equal(localWeekStart(two, cst(2026, 3, 1, 15)), cst(2026, 2, 23, 0))
  })

  it('splits a two-shift Monday into work, meal breaks and the night shift', () => {
    assert.deepEqual(calendarSegmentAt(two, cst(2026, 3, 2, 9)), {
      status: 'work',
      from: cst(2026, 3, 2, 8),
      until: cst(2026, 3, 2, 12),
      shift: 'day',
      shiftStart: cst(2026, 3, 2, 8),
    })
    assert.deepEqual(calendarSegmentAt(two, cst(2026, 3, 2, 12, 10)), {
      status: 'break',
      from: cst(2026, 3, 2, 12),
      until: cst(2026, 3, 2, 12, 30),
      shift: 'day',
      shiftStart: cst(2026, 3, 2, 8),
    })
    const night = calendarSegmentAt(two, cst(2026, 3, 3, 2))
    assert.equal(night.status, 'work')
    assert.equal(night.shift, 'night')
    assert.equal(night.shiftStart, cst(2026, 3, 2, 20))
    // Monday 00:00–08:00 follows a rest Sunday: off until the first day shift
    assert.deepEqual(calendarSegmentAt(two, cst(2026, 3, 2, 3)), {
      status: 'off',
      from: cst(2026, 3, 1, 0),
      until: cst(2026, 3, 2, 8),
      shift: null,
      shiftStart: null,
    })
  })

  it('runs the Saturday night shift into Sunday morning, then rests', () => {
    assert.equal(calendarSegmentAt(two, cst(2026, 3, 8, 7, 59)).status, 'work')
    assert.equal(calendarSegmentAt(two, cst(2026, 3, 8, 8, 0)).status, 'off')
    assert.equal(nextWorkingTime(two, cst(2026, 3, 8, 10)), cst(2026, 3, 9, 8))
  })

  it('works three shifts Monday to Friday and rests at the weekend', () => {
    assert.equal(calendarSegmentAt(three, cst(2026, 3, 2, 0, 0)).shift, 'morning')
    assert.equal(calendarSegmentAt(three, cst(2026, 3, 6, 23, 59)).shift, 'evening')
    assert.equal(calendarSegmentAt(three, cst(2026, 3, 7, 0, 0)).status, 'off')
    assert.equal(calendarSegmentAt(three, cst(2026, 3, 2, 20, 15)).status, 'break')
    assert.equal(nextWorkingTime(three, cst(2026, 3, 7, 12)), cst(2026, 3, 9, 0))
    assert.equal(nextWorkingTime(three, cst(2026, 3, 4, 12, 10)), cst(2026, 3, 4, 12, 30))
  })
})
