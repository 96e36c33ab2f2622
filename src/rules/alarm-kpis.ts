/**
 * Alarm-system performance indicators in the spirit of ISA-18.2 clause 16 (monitoring and
 * assessment), computed from the lifecycle events of a period. An "annunciated alarm" is a
 * transition into `unacknowledged` (the moment an operator is interrupted).
 *
 * The defaults below are the commonly quoted ISA-18.2 / EEMUA 191 figures (flood: more than 10 alarms
 * in 10 minutes; chattering: 3 or more activations in 1 minute; stale: active more than 24 h). They are
 * options, not constants, so a site's alarm philosophy can set its own. Target values come from
 * secondary sources and are unverified against the standard's text.
 */
import type { AlarmEvent, AlarmState } from './alarm-states.ts'
import { ALARM_PRIORITIES, type AlarmPriority } from './rule-types.ts'

const MIN = 60_000
const TEN_MIN = 10 * MIN

/**
 * Commonly quoted ISA-18.2 performance targets, per operator (secondary sources, unverified):
 * ~1 alarm / 10 min acceptable, ~2 the most manageable; ~6 / h and ~12 / h; ~150 / day and ~300 / day;
 * < ~1 % of 10-min periods (and of time) in flood; top-10 alarms < ~1–5 % of the load; zero chattering;
 * < 5 stale alarms; annunciated priority split ~80 % low, ~15 % medium, ~5 % high.
 */
export const ALARM_KPI_TARGETS = {
  per10MinAcceptable: 1,
  per10MinMaxManageable: 2,
  perHourAcceptable: 6,
  perHourMaxManageable: 12,
  perDayAcceptable: 150,
  perDayMaxManageable: 300,
  floodPeriodShareMax: 0.01,
  top10ShareMax: 0.05,
  chatteringMax: 0,
  staleMax: 5,
  priorityShare: { low: 0.8, medium: 0.15, high: 0.05 },
} as const

export interface AlarmKpiOptions {
  /** period start (inclusive), epoch ms */
  readonly from: number
  /** period end (exclusive), epoch ms; also the "as of" time for stale alarms */
  readonly to: number
  /** operator positions sharing the load (default 1) */
  readonly operators?: number
  /** a flood starts when more than this many alarms fall within `floodWindowMs` (default 10) */
  readonly floodStartAbove?: number
  /** …and ends when fewer than this many do (default 5) */
  readonly floodEndBelow?: number
  readonly floodWindowMs?: number
  /** chattering: at least this many activations of one alarm (default 3)… */
  readonly chatterCount?: number
  /** …within this window (default 60 s) */
  readonly chatterWindowMs?: number
  /** stale: standing (unacknowledged or acknowledged) for longer than this (default 24 h) */
  readonly staleAfterMs?: number
  /** how many "most frequent" alarms to list (default 10) */
  readonly topN?: number
}

export interface AlarmFlood {
  readonly start: number
  readonly end: number
  readonly durationMs: number
  /** alarms annunciated from the window that started the flood until its end */
  readonly alarms: number
  readonly peakIn10Min: number
  /** still flooding at the end of the period */
  readonly ongoing: boolean
}

export interface AlarmKpis {
  readonly from: number
  readonly to: number
  readonly operators: number
  readonly annunciated: number
  /** per operator, over fixed 10-minute periods aligned to `from` */
  readonly per10Min: { readonly average: number; readonly peak: number; readonly peakAt: number | null }
  readonly perHourAverage: number
  readonly perDayAverage: number
  /** share of 10-minute periods with more than floodStartAbove alarms */
  readonly floodPeriodShare: number
  readonly floods: {
    readonly count: number
    readonly totalDurationMs: number
    readonly timeShare: number
    readonly list: readonly AlarmFlood[]
  }
  readonly chattering: readonly {
    readonly alarmId: string
    readonly activations: number
    readonly maxInWindow: number
  }[]
  readonly stale: readonly { readonly alarmId: string; readonly since: number; readonly ageMs: number }[]
  readonly topFrequent: readonly {
    readonly alarmId: string
    readonly count: number
    readonly share: number
  }[]
  /** share of all annunciations taken by the top-N list */
  readonly topShare: number
  readonly priorityDistribution: Readonly<
    Record<AlarmPriority, { readonly count: number; readonly share: number }>
  >
  /** alarms in these states at the end of the period */
  readonly standing: Readonly<Record<'shelved' | 'suppressed-by-design' | 'out-of-service', number>>
}

const STANDING: ReadonlySet<AlarmState> = new Set(['unacknowledged', 'acknowledged'])

export function computeAlarmKpis(events: readonly AlarmEvent[], options: AlarmKpiOptions): AlarmKpis {
  const { from, to } = options
  const operators = options.operators ?? 1
  const floodAbove = options.floodStartAbove ?? 10
  const floodBelow = options.floodEndBelow ?? 5
  const floodWindow = options.floodWindowMs ?? TEN_MIN
  const chatterCount = options.chatterCount ?? 3
  const chatterWindow = options.chatterWindowMs ?? MIN
  const staleAfter = options.staleAfterMs ?? 24 * 3_600_000
  const topN = options.topN ?? 10
  const span = Math.max(to - from, 1)

  const sorted = events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at - b.e.at || a.i - b.i)
    .map((x) => x.e)
  const annunciations = sorted.filter((e) => e.to === 'unacknowledged' && e.at >= from && e.at < to)
  const n = annunciations.length

  // fixed 10-minute periods
  const periods = Math.ceil(span / TEN_MIN)
  const perPeriod = new Array<number>(periods).fill(0)
  for (const a of annunciations) {
    const k = Math.floor((a.at - from) / TEN_MIN)
    perPeriod[k] = (perPeriod[k] ?? 0) + 1
  }
  let peak = 0
  let peakAt: number | null = null
  let floodPeriods = 0
  perPeriod.forEach((c, k) => {
    if (c > peak) {
      peak = c
      peakAt = from + k * TEN_MIN
    }
    if (c > floodAbove) floodPeriods++
  })

  // floods on a sliding window: the count in (t − W, t] changes +1 at each alarm, −1 at alarm + W
  const steps: { t: number; d: number }[] = []
  for (const a of annunciations) {
    steps.push({ t: a.at, d: 1 }, { t: a.at + floodWindow, d: -1 })
  }
  steps.sort((a, b) => a.t - b.t)
  const floods: AlarmFlood[] = []
  let count = 0
  let start: number | null = null
  let floodPeak = 0
  for (let i = 0; i < steps.length; ) {
    const t = (steps[i] as { t: number }).t
    while (i < steps.length && (steps[i] as { t: number }).t === t) count += (steps[i++] as { d: number }).d
    if (t >= to) break
    if (start === null && count > floodAbove) {
      start = t
      floodPeak = count
    } else if (start !== null) {
      floodPeak = Math.max(floodPeak, count)
      if (count < floodBelow) {
        floods.push(floodOf(start, t, floodPeak, false))
        start = null
      }
    }
  }
  if (start !== null) floods.push(floodOf(start, to, floodPeak, true))
  function floodOf(s: number, e: number, pk: number, ongoing: boolean): AlarmFlood {
    const alarms = annunciations.filter((a) => a.at > s - floodWindow && a.at <= e).length
    return { start: s, end: e, durationMs: e - s, alarms, peakIn10Min: pk, ongoing }
  }
  const floodTime = floods.reduce((sum, f) => sum + f.durationMs, 0)

  // per-alarm counts, chattering
  const byAlarm = new Map<string, number[]>()
  for (const a of annunciations) {
    const list = byAlarm.get(a.alarmId)
    if (list === undefined) byAlarm.set(a.alarmId, [a.at])
    else list.push(a.at)
  }
  const chattering: { alarmId: string; activations: number; maxInWindow: number }[] = []
  for (const [alarmId, times] of byAlarm) {
    let best = 0
    for (let lo = 0, hi = 0; hi < times.length; hi++) {
      while ((times[hi] as number) - (times[lo] as number) >= chatterWindow) lo++
      best = Math.max(best, hi - lo + 1)
    }
    if (best >= chatterCount) chattering.push({ alarmId, activations: times.length, maxInWindow: best })
  }
  chattering.sort(
    (a, b) => b.maxInWindow - a.maxInWindow || b.activations - a.activations || cmp(a.alarmId, b.alarmId),
  )

  const top = [...byAlarm.entries()]
    .map(([alarmId, times]) => ({ alarmId, count: times.length, share: n === 0 ? 0 : times.length / n }))
    .sort((a, b) => b.count - a.count || cmp(a.alarmId, b.alarmId))
    .slice(0, topN)

  const priorityDistribution = {} as Record<AlarmPriority, { count: number; share: number }>
  for (const p of ALARM_PRIORITIES) {
    const c = annunciations.filter((a) => a.priority === p).length
    priorityDistribution[p] = { count: c, share: n === 0 ? 0 : c / n }
  }

  // stale and standing: replay every alarm's state up to the end of the period
  const state = new Map<string, { state: AlarmState; standingSince: number | null }>()
  for (const e of sorted) {
    if (e.at >= to) break
    const s = state.get(e.alarmId) ?? { state: e.from, standingSince: null }
    const wasStanding = STANDING.has(s.state)
    s.state = e.to
    if (STANDING.has(e.to)) {
      if (!wasStanding) s.standingSince = e.at
    } else s.standingSince = null
    state.set(e.alarmId, s)
  }
  const stale: { alarmId: string; since: number; ageMs: number }[] = []
  const standing = { shelved: 0, 'suppressed-by-design': 0, 'out-of-service': 0 }
  for (const [alarmId, s] of state) {
    if (s.standingSince !== null && to - s.standingSince > staleAfter) {
      stale.push({ alarmId, since: s.standingSince, ageMs: to - s.standingSince })
    }
    if (s.state === 'shelved' || s.state === 'suppressed-by-design' || s.state === 'out-of-service') {
      standing[s.state]++
    }
  }
  stale.sort((a, b) => a.since - b.since || cmp(a.alarmId, b.alarmId))

  return {
    from,
    to,
    operators,
    annunciated: n,
    per10Min: { average: n / (span / TEN_MIN) / operators, peak: peak / operators, peakAt },
    perHourAverage: n / (span / 3_600_000) / operators,
    perDayAverage: n / (span / 86_400_000) / operators,
    floodPeriodShare: periods === 0 ? 0 : floodPeriods / periods,
    floods: { count: floods.length, totalDurationMs: floodTime, timeShare: floodTime / span, list: floods },
    chattering,
    stale,
    topFrequent: top,
    topShare: n === 0 ? 0 : top.reduce((s, t) => s + t.count, 0) / n,
    priorityDistribution,
    standing,
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
