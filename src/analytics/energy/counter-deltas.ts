import type { Quality } from '../../core/index.ts'
import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'

/**
 * Consumption per interval from a cumulative meter register (kWh, m³, t …).
 *
 * A register only grows, except when it rolls over (wraps from near its modulus to 0) or is reset
 * (drops to near zero: meter replaced, register cleared). Anything else that makes it drop is an
 * unexplained drop: the consumption across it is unknown and is reported, never guessed.
 *
 * Reading pairs further apart than `maxGapMs` are a gap: their known total is reported in `gaps`
 * but never spread over the intervals they span, and those intervals are 'missing' or 'partial'.
 * A pair that is close enough but crosses an interval boundary is split in proportion to time;
 * the split share is reported per interval in `estimated` so no figure is invented silently.
 */
export interface MeterReading {
  readonly ts: number
  readonly value: number | null
  /** 'bad' readings are ignored (OPC UA rule: never use Bad values) */
  readonly quality?: Quality
}

export interface CounterOptions {
  /** Window [from, to) in epoch ms, split into intervals from `from` */
  readonly from: number
  readonly to: number
  /** Interval length in ms; default 15 min (the monitoring system's real-time sampling) */
  readonly intervalMs?: number
  /** Register modulus: the counter wraps from just below this value to 0 (e.g. 1 000 000 for a 6-digit kWh register) */
  readonly rolloverMax?: number
  /** Fraction of rolloverMax that counts as "near max" / "near zero" for a rollover; default 0.1 */
  readonly rolloverBand?: number
  /** A drop to a value ≤ this is a reset; default 1 % of the reading before the drop */
  readonly resetMaxValue?: number
  /** Longest reading pair still treated as continuous data; default intervalMs */
  readonly maxGapMs?: number
}

export type IntervalStatus = 'complete' | 'partial' | 'missing'

export interface IntervalConsumption {
  readonly start: number
  readonly end: number
  /** Known consumption in the interval; null when missing */
  readonly delta: number | null
  /** Part of `delta` apportioned by time from a reading pair that crosses the interval's edges */
  readonly estimated: number
  /** Time of the interval covered by continuous reading pairs (ms) */
  readonly coveredMs: number
  readonly status: IntervalStatus
}

export type CounterEventKind = 'rollover' | 'reset' | 'unexplained-drop'

export interface CounterEvent {
  readonly kind: CounterEventKind
  /** Time of the reading after the drop */
  readonly ts: number
  readonly previous: number
  readonly value: number
  /** Consumption assumed across the drop; null for an unexplained drop */
  readonly delta: number | null
}

export interface CounterGap {
  readonly from: number
  readonly to: number
  /** Consumption across the gap when both ends are known readings; null otherwise */
  readonly delta: number | null
  readonly reason: 'no-readings' | 'long-gap' | 'unexplained-drop'
}

export interface CounterDeltas {
  readonly intervals: readonly IntervalConsumption[]
  readonly events: readonly CounterEvent[]
  readonly gaps: readonly CounterGap[]
  /** Sum of known interval deltas (excludes gaps) */
  readonly total: number
  /** complete intervals ÷ intervals */
  readonly completeness: number
}

export const DEFAULT_INTERVAL_MS = 15 * 60_000

interface Pair {
  readonly t0: number
  readonly t1: number
  readonly delta: number | null
  readonly gap: CounterGap['reason'] | null
}

export function counterDeltas(readings: readonly MeterReading[], options: CounterOptions): CounterDeltas {
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS
  const maxGapMs = options.maxGapMs ?? intervalMs
  const band = options.rolloverBand ?? 0.1
  const { from, to, rolloverMax } = options
  if (!(to > from) || !(intervalMs > 0) || (to - from) % intervalMs !== 0) {
    throw analyticsError(
      AnalyticsErrorCode.invalidOption,
      'window must be a positive whole number of intervals',
      {
        from,
        to,
        intervalMs,
      },
    )
  }
  if (rolloverMax !== undefined && !(rolloverMax > 0)) {
    throw analyticsError(AnalyticsErrorCode.invalidOption, 'rolloverMax must be positive')
  }

  // usable readings, time-ordered; the last reading of a duplicated timestamp wins
  const byTs = new Map<number, number>()
  for (const r of readings) {
    if (r.value === null || r.quality === 'bad' || !Number.isFinite(r.value) || !Number.isFinite(r.ts))
      continue
    byTs.set(r.ts, r.value)
  }
  const pts = [...byTs.entries()].sort((a, b) => a[0] - b[0])

  const events: CounterEvent[] = []
  const pairs: Pair[] = []
  for (let i = 1; i < pts.length; i++) {
    const [t0, v0] = pts[i - 1] ?? [0, 0]
    const [t1, v1] = pts[i] ?? [0, 0]
    if (t1 <= from || t0 >= to) continue
    let delta: number | null
    let gap: Pair['gap'] = null
    if (v1 >= v0) {
      delta = v1 - v0
    } else if (rolloverMax !== undefined && v0 >= rolloverMax * (1 - band) && v1 <= rolloverMax * band) {
      delta = rolloverMax - v0 + v1
      events.push({ kind: 'rollover', ts: t1, previous: v0, value: v1, delta })
    } else if (v1 <= (options.resetMaxValue ?? v0 * 0.01)) {
      // after a reset the register counted up from 0: the new value is the consumption since the reset
      delta = v1
      events.push({ kind: 'reset', ts: t1, previous: v0, value: v1, delta })
    } else {
      delta = null
      gap = 'unexplained-drop'
      events.push({ kind: 'unexplained-drop', ts: t1, previous: v0, value: v1, delta: null })
    }
    if (gap === null && t1 - t0 > maxGapMs) gap = 'long-gap'
    pairs.push({ t0, t1, delta, gap })
  }

  const count = (to - from) / intervalMs
  const delta = new Float64Array(count)
  const estimated = new Float64Array(count)
  const covered = new Float64Array(count)
  const gaps: CounterGap[] = []
  let coveredTo = from // end of the time known so far, to report uncovered stretches as gaps
  const noteUncovered = (until: number): void => {
    if (until > coveredTo) gaps.push({ from: coveredTo, to: until, delta: null, reason: 'no-readings' })
  }

  for (const p of pairs) {
    const s = Math.max(p.t0, from)
    const e = Math.min(p.t1, to)
    if (p.gap !== null) {
      noteUncovered(s)
      gaps.push({ from: p.t0, to: p.t1, delta: p.delta, reason: p.gap })
      coveredTo = Math.max(coveredTo, e)
      continue
    }
    noteUncovered(s)
    coveredTo = Math.max(coveredTo, e)
    const d = p.delta ?? 0
    const span = p.t1 - p.t0
    const first = Math.floor((s - from) / intervalMs)
    const last = Math.ceil((e - from) / intervalMs) - 1
    const whole =
      first === last && p.t0 >= from + first * intervalMs && p.t1 <= from + (first + 1) * intervalMs
    for (let k = first; k <= last; k++) {
      const bs = from + k * intervalMs
      const overlap = Math.min(e, bs + intervalMs) - Math.max(s, bs)
      if (overlap <= 0) continue
      const share = span === 0 ? d : (d * overlap) / span
      delta[k] = (delta[k] ?? 0) + share
      covered[k] = (covered[k] ?? 0) + overlap
      if (!whole) estimated[k] = (estimated[k] ?? 0) + share
    }
  }
  noteUncovered(to)

  const intervals: IntervalConsumption[] = []
  let total = 0
  let complete = 0
  for (let k = 0; k < count; k++) {
    const c = covered[k] ?? 0
    const status: IntervalStatus = c >= intervalMs ? 'complete' : c > 0 ? 'partial' : 'missing'
    if (status === 'complete') complete++
    const d = status === 'missing' ? null : (delta[k] ?? 0)
    if (d !== null) total += d
    intervals.push({
      start: from + k * intervalMs,
      end: from + (k + 1) * intervalMs,
      delta: d,
      estimated: estimated[k] ?? 0,
      coveredMs: c,
      status,
    })
  }
  return { intervals, events, gaps, total, completeness: count > 0 ? complete / count : 0 }
}
