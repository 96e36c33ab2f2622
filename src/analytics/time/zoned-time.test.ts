import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  addDays,
  isoWeek,
  localDate,
  localToUtc,
  toLocalParts,
  weekdayOf,
  zoneOffsetMs,
} from './zoned-time.ts'

describe('zoned time', () => {
  it('converts Asia/Shanghai wall clock to UTC at +08:00', () => {
    assert.equal(localToUtc(2024, 3, 1, 8, 0), Date.UTC(2024, 2, 1, 0, 0))
    assert.equal(localToUtc(2024, 3, 1, 0, 0), Date.UTC(2024, 1, 29, 16, 0))
    assert.equal(zoneOffsetMs(Date.UTC(2024, 6, 1)), 8 * 3_600_000)
  })

  it('gives the local date and weekday of an instant', () => {
    // 2024-02-29T16:30Z is 2024-03-01 00:30 in Shanghai, a Friday
    const ms = Date.UTC(2024, 1, 29, 16, 30)
    assert.equal(localDate(ms), '2024-03-01')
    assert.equal(toLocalParts(ms).weekday, 5)
    assert.equal(toLocalParts(ms).hour, 0)
  })

  it('follows daylight saving where the zone has it', () => {
    // Berlin 2024-03-31 switches at 02:00 → 03:00; 08:00 local is 06:00Z
    assert.equal(localToUtc(2024, 3, 31, 8, 0, 'Europe/Berlin'), Date.UTC(2024, 2, 31, 6, 0))
    assert.equal(localToUtc(2024, 3, 30, 8, 0, 'Europe/Berlin'), Date.UTC(2024, 2, 30, 7, 0))
  })

  it('does calendar arithmetic and ISO weeks', () => {
    assert.equal(addDays('2024-02-28', 2), '2024-03-01')
    assert.equal(weekdayOf('2024-01-01'), 1)
    assert.equal(isoWeek('2024-01-01'), '2024-W01')
    assert.equal(isoWeek('2021-01-03'), '2020-W53')
    assert.equal(isoWeek('2024-12-30'), '2025-W01')
  })
})
