/**
 * Rule definitions. A rule watches points (by their key) and raises or clears alarm conditions.
 * All durations are milliseconds; all times are epoch ms (UTC).
 */

export type AlarmPriority = 'critical' | 'high' | 'medium' | 'low'
export const ALARM_PRIORITIES: readonly AlarmPriority[] = ['critical', 'high', 'medium', 'low']

export type LimitLevel = 'HH' | 'H' | 'L' | 'LL'
export const LIMIT_LEVELS: readonly LimitLevel[] = ['HH', 'H', 'L', 'LL']

/** What an incoming sample may carry: a number (analog, counter, state code), text or a boolean. */
export type SampleValue = number | string | boolean | null

export type RuleKind = 'limit' | 'rate' | 'no-data' | 'state' | 'expression' | 'anomaly' | 'forecast' | 'spc'

export interface RuleBase {
  readonly id: string
  readonly name?: string
  /** the equipment the rule belongs to (carried on every condition it raises) */
  readonly equipment?: string
  /** default priority of the conditions this rule raises */
  readonly priority?: AlarmPriority
  /**
   * Suppression by design (ISA-18.2): while this boolean expression over latest point values is true,
   * the rule's alarms are suppressed, e.g. `state == "planned_stop"`.
   */
  readonly suppressWhen?: string
  /** expression identifiers → point keys (templates fill this from the machine's bindings) */
  readonly bindings?: Readonly<Record<string, string>>
  /** expression identifiers → fixed values, e.g. a machine's rated current */
  readonly constants?: Readonly<Record<string, number | string | boolean>>
  readonly enabled?: boolean
}

/** Delays common to condition-style rules (ISA-18.2 "on-delay" / "off-delay"). */
export interface Delays {
  /** the condition must hold this long before the alarm becomes active */
  readonly onDelayMs?: number
  /** the condition must be gone this long before the alarm clears */
  readonly offDelayMs?: number
}

/**
 * HH / H / L / LL limits on one point; each level is its own alarm (`<ruleId>:HH`, …).
 * High levels are active while value > limit and clear when value ≤ limit − deadband;
 * low levels are active while value < limit and clear when value ≥ limit + deadband.
 */
export interface LimitRule extends RuleBase, Delays {
  readonly kind: 'limit'
  readonly point: string
  readonly hh?: number
  readonly h?: number
  readonly l?: number
  readonly ll?: number
  /** hysteresis in engineering units (default 0) */
  readonly deadband?: number
  /** default: HH critical, H high, L high, LL critical… unless `priority` or `priorities` say otherwise */
  readonly priorities?: Readonly<Partial<Record<LimitLevel, AlarmPriority>>>
}

/**
 * Rate of change over a window: rate = (v_now − v_ref) / (t_now − t_ref) where the reference is the
 * newest sample at least `windowMs` old, expressed per `per`. No rate is computed until the window is full.
 */
export interface RateRule extends RuleBase, Delays {
  readonly kind: 'rate'
  readonly point: string
  readonly windowMs: number
  readonly per: 'second' | 'minute' | 'hour'
  /** active while rate > maxRise */
  readonly maxRise?: number
  /** active while rate < −maxFall (give a positive magnitude) */
  readonly maxFall?: number
  /** hysteresis on the rate (default 0) */
  readonly deadband?: number
}

/**
 * No data: active when none of `points` delivered a usable sample for `timeoutMs`. With several points
 * (all of a device's points) it is a device-offline alarm. Bad-quality samples do not count as data
 * unless `badCountsAsData`.
 */
export interface NoDataRule extends RuleBase {
  readonly kind: 'no-data'
  readonly points: readonly string[]
  readonly timeoutMs: number
  readonly badCountsAsData?: boolean
}

/** State: active when `point` has stayed in one of `states` for longer than `longerThanMs`. */
export interface StateRule extends RuleBase {
  readonly kind: 'state'
  readonly point: string
  readonly states: readonly (number | string | boolean)[]
  readonly longerThanMs: number
}

/**
 * A boolean expression over the latest values of several points. Identifiers resolve through
 * `bindings`, then `constants`, then are taken as point keys. Values older than `maxAgeMs` count as
 * missing; while the answer is unknown (missing data) the alarm keeps its state.
 */
export interface ExpressionRule extends RuleBase, Delays {
  readonly kind: 'expression'
  readonly expression: string
  readonly maxAgeMs?: number
}

/**
 * Statistical early warning per point: a robust z-score of each sample against an EWMA baseline
 * (mean, and mean absolute deviation scaled to σ) learned separately for each machine state, plus an
 * EWMA of the z-scores that catches small sustained shifts. A sample is flagged when |z| or the
 * smoothed z crosses its limit; the alarm needs `k` flagged samples among the last `n` (persistence)
 * and clears when at most `clearK` of the last `n` are flagged.
 */
export interface AnomalyRule extends RuleBase {
  readonly kind: 'anomaly'
  readonly point: string
  /** the machine-state point whose value selects the baseline; absent: one baseline */
  readonly statePoint?: string
  /** samples per state before the detector may flag anything (default 60) */
  readonly warmupSamples?: number
  /** baseline smoothing factor per sample, 0 < alpha < 1 (default 0.02) */
  readonly alpha?: number
  /** |z| threshold: lower is more sensitive (default 4) */
  readonly sensitivity?: number
  /** smoothing of the z-score for drift detection, 0 < lambda ≤ 1 (default 0.1) */
  readonly driftLambda?: number
  /** which deviations matter (default 'both') */
  readonly direction?: 'up' | 'down' | 'both'
  /** persistence: k of n (default 3 of 5) */
  readonly k?: number
  readonly n?: number
  /** clears at ≤ clearK flagged of the last n (default 0) */
  readonly clearK?: number
  /** floor on σ so a flat signal does not make every wiggle infinite (default 1e-9) */
  readonly minScale?: number
}

/**
 * Trend-to-limit forecast: fit a Theil–Sen line to the last `windowMs` of samples and estimate when
 * the signal reaches `limit`. Active (a predictive-maintenance warning) when the expected remaining
 * time is at most `horizonMs` for `confirmations` consecutive fits; clears when it is above
 * `horizonMs × clearFactor` (or the trend stops) for as many fits.
 */
export interface ForecastRule extends RuleBase {
  readonly kind: 'forecast'
  readonly point: string
  readonly limit: number
  /** 'up': the signal degrades upwards (vibration, wear); 'down': downwards (pressure, thickness) */
  readonly direction: 'up' | 'down'
  readonly windowMs: number
  readonly horizonMs: number
  /** fit at most once per this interval of sample time (default windowMs / 20) */
  readonly everyMs?: number
  /** samples in the window before fitting (default 10) */
  readonly minSamples?: number
  /** the window is averaged into at most this many time buckets before fitting (default 48) */
  readonly maxPoints?: number
  readonly confirmations?: number
  readonly clearFactor?: number
}

/**
 * SPC run rules as samples arrive: each sample is a point of an individuals chart with the given centre
 * line and σ (from a baseline period: the SPC page and GET /api/analytics/spc give them). Active when a
 * sample completes a Western Electric or Nelson pattern (the same detector as the SPC chart); clears
 * after `clearAfter` samples in a row that complete none.
 */
export interface SpcRule extends RuleBase {
  readonly kind: 'spc'
  readonly point: string
  readonly center: number
  readonly sigma: number
  /** default 'western-electric' */
  readonly ruleSet?: 'western-electric' | 'nelson'
  /** only these rule numbers of the set (default all) */
  readonly rules?: readonly number[]
  /** same-side run length (Western Electric 8, Nelson 9 by default) */
  readonly runLength?: number
  /** in-control samples in a row before the alarm clears (default 8) */
  readonly clearAfter?: number
}

export type RuleDefinition =
  | SpcRule
  | LimitRule
  | RateRule
  | NoDataRule
  | StateRule
  | ExpressionRule
  | AnomalyRule
  | ForecastRule

/**
 * A rule's change to one alarm condition, as the engine reports it. `conditionId` is the alarm's
 * stable key (`<ruleId>` or `<ruleId>:<level>` for limit levels).
 */
export interface ConditionChange {
  readonly conditionId: string
  readonly ruleId: string
  readonly ruleKind: RuleKind
  readonly change: 'active' | 'inactive' | 'suppressed' | 'unsuppressed'
  readonly at: number
  readonly priority: AlarmPriority
  readonly equipment?: string
  readonly point?: string
  readonly value: SampleValue
  readonly message: string
  readonly details?: Readonly<Record<string, number | string | boolean | null>>
}
