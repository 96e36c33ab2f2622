import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { computeAlarmKpis } from './alarm-kpis.ts'
import type { AlarmEvent, AlarmState } from './alarm-states.ts'
import type { AlarmPriority } from './rule-types.ts'

const T0 = Date.UTC(2026, 0, 1)
const S = 1_000
const MIN = 60_000
const H = 3_600_000

function ev(
  alarmId: string,
  at: number,
  from: AlarmState,
  to: AlarmState,
  priority: AlarmPriority = 'low',
): AlarmEvent {
  return { alarmId, from, to, at: T0 + at, by: 'system', why: '', priority }
}
const raise = (id: string, at: number, p: AlarmPriority = 'low'): AlarmEvent =>
  ev(id, at, 'normal', 'unacknowledged', p)

/**
 * One hour from T0:
 * - a1…a12 annunciate every 30 s from 10:00 to 15:30 (a flood);
 * - c chatters at 40:00, 40:20, 40:50 and once more at 45:00 (medium);
 * - t annunciates at 50:00 (critical);
 * - s has been standing since 25 h before T0 (acknowledged 24 h before T0): stale;
 * - u is shelved at 55:00.
 */
function events(): AlarmEvent[] {
  const out: AlarmEvent[] = []
  for (let k = 0; k < 12; k++) out.push(raise(`a${k + 1}`, 10 * MIN + k * 30 * S))
  for (const at of [40 * MIN, 40 * MIN + 20 * S, 40 * MIN + 50 * S, 45 * MIN]) {
    out.push(raise('c', at, 'medium'), ev('c', at + 5 * S, 'unacknowledged', 'rtn-unacknowledged', 'medium'))
    out.push(ev('c', at + 6 * S, 'rtn-unacknowledged', 'normal', 'medium'))
  }
  out.push(raise('t', 50 * MIN, 'critical'))
  out.push(raise('s', -25 * H, 'high'), ev('s', -24 * H, 'unacknowledged', 'acknowledged', 'high'))
  out.push(raise('u', 52 * MIN), ev('u', 55 * MIN, 'unacknowledged', 'shelved'))
  out.push(raise('late', H + MIN)) // after the period
  return out
}

describe('alarm-system KPIs', () => {
  const k = computeAlarmKpis(events(), { from: T0, to: T0 + H })

  it('counts annunciations per 10 minutes (average and peak) and per hour and day', () => {
    // 12 a + 4 c + t + u = 18 inside the hour; s annunciated before it, "late" after it
    assert.equal(k.annunciated, 18)
    assert.deepEqual(k.per10Min, { average: 3, peak: 12, peakAt: T0 + 10 * MIN })
    assert.equal(k.perHourAverage, 18)
    assert.equal(k.perDayAverage, 18 * 24)
    assert.equal(k.floodPeriodShare, 1 / 6)
    const two = computeAlarmKpis(events(), { from: T0, to: T0 + H, operators: 2 })
    assert.deepEqual(two.per10Min, { average: 1.5, peak: 6, peakAt: T0 + 10 * MIN })
  })

  it('finds the flood: starts at the 11th alarm in 10 min, ends when fewer than 5 remain', () => {
    // 11th alarm at 15:00; the window drops to 4 when the 8th alarm (13:30) leaves it at 23:30
    assert.deepEqual(k.floods, {
      count: 1,
      totalDurationMs: 8.5 * MIN,
      timeShare: 8.5 / 60,
      list: [
        {
          start: T0 + 15 * MIN,
          end: T0 + 23.5 * MIN,
          durationMs: 8.5 * MIN,
          alarms: 12,
          peakIn10Min: 12,
          ongoing: false,
        },
      ],
    })
  })

  it('reports a flood still running at the end of the period', () => {
    const short = computeAlarmKpis(events(), { from: T0, to: T0 + 20 * MIN })
    assert.deepEqual(short.floods.list[0], {
      start: T0 + 15 * MIN,
      end: T0 + 20 * MIN,
      durationMs: 5 * MIN,
      alarms: 12,
      peakIn10Min: 12,
      ongoing: true,
    })
  })

  it('names chattering alarms (3 or more activations within a minute)', () => {
    assert.deepEqual(k.chattering, [{ alarmId: 'c', activations: 4, maxInWindow: 3 }])
    const strict = computeAlarmKpis(events(), { from: T0, to: T0 + H, chatterWindowMs: 50 * S })
    assert.deepEqual(strict.chattering, [], '40:00 to 40:50 is not within 50 s')
  })

  it('names stale alarms standing for more than 24 h, and counts shelved ones', () => {
    assert.deepEqual(k.stale, [{ alarmId: 's', since: T0 - 25 * H, ageMs: 26 * H }])
    assert.deepEqual(k.standing, { shelved: 1, 'suppressed-by-design': 0, 'out-of-service': 0 })
  })

  it('lists the top 10 most frequent alarms and their share of the load', () => {
    assert.deepEqual(
      k.topFrequent.map((t) => [t.alarmId, t.count]),
      [
        ['c', 4],
        ['a1', 1],
        ['a10', 1],
        ['a11', 1],
        ['a12', 1],
        ['a2', 1],
        ['a3', 1],
        ['a4', 1],
        ['a5', 1],
        ['a6', 1],
      ],
    )
    assert.equal(k.topFrequent[0]?.share, 4 / 18)
    assert.equal(k.topShare, 13 / 18)
  })

  it('gives the priority distribution of annunciated alarms', () => {
    assert.deepEqual(k.priorityDistribution, {
      critical: { count: 1, share: 1 / 18 },
      high: { count: 0, share: 0 },
      medium: { count: 4, share: 4 / 18 },
      low: { count: 13, share: 13 / 18 },
    })
  })

  it('is all zeros for a quiet period', () => {
    const q = computeAlarmKpis([], { from: T0, to: T0 + H })
    assert.equal(q.annunciated, 0)
    assert.deepEqual(q.per10Min, { average: 0, peak: 0, peakAt: null })
    assert.equal(q.floods.count, 0)
    assert.equal(q.topShare, 0)
  })
})
