import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { counterDeltas, type MeterReading } from './counter-deltas.ts'
import { rollupIntervals } from './regional-rollups.ts'

const MIN = 60_000
const T0 = Date.UTC(2024, 2, 3, 16) // 2024-03-04 00:00 Asia/Shanghai
const at = (min: number): number => T0 + min * MIN
const series = (values: (number | null)[], step = 15): MeterReading[] =>
  values.map((v, i) => ({ ts: at(i * step), value: v }))
const hour = { from: at(0), to: at(60) }
const deltas = (r: ReturnType<typeof counterDeltas>) => r.intervals.map((i) => i.delta)

describe('counter deltas', () => {
  it('takes differences of aligned 15-minute readings', () => {
    const r = counterDeltas(series([100, 110, 125, 125, 140]), hour)
    assert.deepEqual(deltas(r), [10, 15, 0, 15])
    assert.deepEqual(
      r.intervals.map((i) => [i.status, i.estimated]),
      Array.from({ length: 4 }, () => ['complete', 0]),
    )
    assert.equal(r.total, 40)
    assert.equal(r.completeness, 1)
    assert.deepEqual(r.gaps, [])
  })

  it('survives a rollover at the register modulus', () => {
    const r = counterDeltas(series([980, 995, 5, 20, 30]), { ...hour, rolloverMax: 1000 })
    assert.deepEqual(deltas(r), [15, 10, 15, 10]) // 1000 − 995 + 5
    assert.deepEqual(r.events, [{ kind: 'rollover', ts: at(30), previous: 995, value: 5, delta: 10 }])
    assert.equal(r.total, 50)
  })

  it('survives a reset to near zero', () => {
    const r = counterDeltas(series([5000, 5010, 2, 12, 20]), { ...hour, rolloverMax: 100_000 })
    assert.deepEqual(deltas(r), [10, 2, 10, 8])
    assert.equal(r.events[0]?.kind, 'reset')
  })

  it('reports an unexplained drop as unknown instead of guessing', () => {
    const r = counterDeltas(series([100, 110, 60, 70, 80]), hour)
    assert.deepEqual(deltas(r), [10, null, 10, 10])
    assert.equal(r.intervals[1]?.status, 'missing')
    assert.equal(r.events[0]?.kind, 'unexplained-drop')
    assert.deepEqual(r.gaps, [{ from: at(15), to: at(30), delta: null, reason: 'unexplained-drop' }])
    assert.equal(r.completeness, 0.75)
    assert.equal(r.total, 30)
  })

  it('marks intervals inside a long gap missing and reports the gap total separately', () => {
    const readings = [
      { ts: at(0), value: 100 },
      { ts: at(15), value: 110 },
      { ts: at(45), value: 130 },
      { ts: at(60), value: 140 },
    ]
    const r = counterDeltas(readings, hour)
    assert.deepEqual(deltas(r), [10, null, null, 10])
    assert.deepEqual(r.gaps, [{ from: at(15), to: at(45), delta: 20, reason: 'long-gap' }])
    assert.equal(r.total, 20)
    assert.equal(r.completeness, 0.5)
  })

  it('apportions a pair crossing an interval edge by time and says so', () => {
    const readings = series([0, 10, 20], 10) // 00:00, 00:10, 00:20
    const r = counterDeltas(readings, { from: at(0), to: at(30) })
    assert.deepEqual(deltas(r), [15, 5])
    assert.deepEqual(
      r.intervals.map((i) => [i.status, i.estimated, i.coveredMs / MIN]),
      [
        ['complete', 5, 15],
        ['partial', 5, 5],
      ],
    )
    assert.deepEqual(r.gaps, [{ from: at(20), to: at(30), delta: null, reason: 'no-readings' }])
  })

  it('ignores readings of bad quality', () => {
    const readings: MeterReading[] = [...series([100, 110, 125, 125, 140])]
    readings.splice(2, 1, { ts: at(30), value: 999_999, quality: 'bad' })
    const r = counterDeltas(readings, hour)
    // 15 → 45 is 30 minutes: a gap, not an invented 7.5 + 7.5
    assert.deepEqual(deltas(r), [10, null, null, 15])
  })

  it('rolls 15-minute intervals up to local days with completeness counts', () => {
    // 23:30, 23:45, 00:00, 00:15 local; the third interval has no data
    const from = Date.UTC(2024, 2, 4, 15, 30)
    const readings = [
      { ts: from, value: 0 },
      { ts: from + 15 * MIN, value: 1 },
      { ts: from + 30 * MIN, value: 2 },
      { ts: from + 60 * MIN, value: 4 },
    ]
    const r = counterDeltas(readings, { from, to: from + 60 * MIN, maxGapMs: 15 * MIN })
    assert.deepEqual(rollupIntervals(r.intervals, 'day'), [
      { period: '2024-03-04', value: 2, intervals: 2, complete: 2, partial: 0, missing: 0 },
      { period: '2024-03-05', value: 0, intervals: 2, complete: 0, partial: 0, missing: 2 },
    ])
  })

  it('rolls intervals up to local months across a month and year boundary', () => {
    const from = Date.UTC(2024, 11, 31, 15, 30) // 2024-12-31 23:30 local
    const readings = series([0, 1, 3, 6], 15).map((r, i) => ({ ...r, ts: from + i * 15 * MIN }))
    const r = counterDeltas(readings, { from, to: from + 45 * MIN })
    assert.deepEqual(
      rollupIntervals(r.intervals, 'month').map((b) => [b.period, b.value, b.intervals]),
      [
        ['2024-12', 3, 2],
        ['2025-01', 3, 1],
      ],
    )
  })
})
