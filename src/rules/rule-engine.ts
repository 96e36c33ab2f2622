/**
 * The rule engine: fed one sample at a time (`onSample`) and the passing of time (`tick`), it returns
 * the alarm-condition changes those caused. It holds only in-memory state and does no I/O.
 *
 * Determinism is the point of the design: a delay or timeout that expires produces its change stamped
 * with the exact expiry time, and every `onSample(ts)` first fires all timers due at or before `ts`.
 * So the output depends only on the samples, not on how often `tick` is called, which is what lets a
 * preview over history (one tick at the end) match live evaluation (ticks whenever the clock says).
 */
import { detectRuleViolations } from '../analytics/index.ts'
import { type Clock, isRongheError, type Quality, RongheError, systemClock } from '../core/index.ts'
import { type CompiledExpression, compileExpression, type ExprValue } from './expression.ts'
import { RulesErrorCodes, RulesErrors } from './rules-errors.ts'
import type {
  AlarmPriority,
  AnomalyRule,
  ConditionChange,
  ExpressionRule,
  ForecastRule,
  LimitLevel,
  LimitRule,
  NoDataRule,
  RateRule,
  SpcRule,
  RuleDefinition,
  SampleValue,
  StateRule,
} from './rule-types.ts'
import {
  type EwmaBaseline,
  KOfN,
  learnSample,
  median,
  newBaseline,
  scoreSample,
  theilSen,
} from './statistics.ts'

export interface ActiveCondition {
  readonly conditionId: string
  readonly ruleId: string
  readonly since: number
  readonly priority: AlarmPriority
  readonly suppressed: boolean
  readonly value: SampleValue
  readonly details?: Readonly<Record<string, number | string | boolean | null>>
}

export interface RuleEngine {
  /**
   * One sample of one point. Samples older than the newest already seen for that point are ignored.
   * Bad-quality samples only feed no-data rules (and only when a rule says they count).
   */
  onSample(point: string, ts: number, value: SampleValue, quality?: Quality): ConditionChange[]
  /** Lets time pass without data: fires delays and timeouts due at or before `now` (default clock.now()). */
  tick(now?: number): ConditionChange[]
  /** Validates and adds a rule; throws RULES_DEFINITION_INVALID / RULES_EXPRESSION_INVALID. */
  addRule(rule: RuleDefinition): void
  /** Removes a rule; its active conditions are reported inactive at the engine's current time. */
  removeRule(ruleId: string): ConditionChange[]
  activeConditions(): ActiveCondition[]
  /**
   * After a restart: marks conditions the alarm store still holds as active, without reporting them,
   * so the engine reports them inactive when their condition is found cleared. Unknown ids are ignored.
   */
  restoreActive(conditions: readonly { readonly conditionId: string; readonly since: number }[]): void
  /** Learned anomaly baselines by rule id and machine state (warm ones only), for persistence. */
  exportLearned(): LearnedState
  /** Loads baselines saved by exportLearned; rules that no longer exist are skipped. */
  importLearned(state: LearnedState): void
  readonly ruleCount: number
  /** the engine's notion of now: the latest sample time or tick seen */
  readonly time: number
}

/** A warm anomaly baseline: what the detector learned about one point in one machine state. */
export interface LearnedBaseline {
  readonly count: number
  readonly mean: number
  readonly absDev: number
  readonly zSmoothed: number
}

/** rule id → machine state ('*' when the rule has no state point) → baseline */
export type LearnedState = Readonly<Record<string, Readonly<Record<string, LearnedBaseline>>>>

export interface RuleEngineOptions {
  readonly rules?: readonly RuleDefinition[]
  readonly clock?: Clock
  /** known point value types, for type checking expressions */
  readonly pointTypes?: Readonly<Record<string, 'number' | 'string' | 'boolean'>>
}

type Details = Record<string, number | string | boolean | null>
type Out = ConditionChange[]

interface Latest {
  ts: number
  value: SampleValue
  quality: Quality
}

interface Runtime {
  readonly rule: RuleDefinition
  /** every condition this rule can raise (for suppression and restore) */
  readonly conditions: readonly Cond[]
  readonly points: readonly string[]
  onSample(point: string, ts: number, value: SampleValue, quality: Quality, out: Out): void
  /** called once, when the engine first knows the time (or when the rule is added to a running engine) */
  start?(t: number, out: Out): void
  active(): ActiveCondition[]
  /** learned state worth keeping across restarts (anomaly baselines) */
  exportLearned?(): Record<string, LearnedBaseline>
  importLearned?(state: Readonly<Record<string, LearnedBaseline>>): void
  removed: boolean
  suppression?: { expr: CompiledExpression; points: readonly string[]; on: boolean }
}

interface Cond {
  readonly id: string
  readonly rt: () => Runtime
  priority: AlarmPriority
  active: boolean
  since: number
  token: number
  pending: boolean
  value: SampleValue
  details?: Details
  message: (active: boolean) => string
}

interface Timer {
  readonly at: number
  readonly seq: number
  readonly fire: (at: number, out: Out) => void
}

const PER_MS = { second: 1_000, minute: 60_000, hour: 3_600_000 } as const
const DEFAULT_LIMIT_PRIORITY: Readonly<Record<LimitLevel, AlarmPriority>> = {
  HH: 'high',
  H: 'medium',
  L: 'medium',
  LL: 'high',
}

function toNumber(v: SampleValue): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined
  if (typeof v === 'boolean') return v ? 1 : 0
  return undefined
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)))
}

// ---------------------------------------------------------------- validation

function check(ok: boolean, rule: { id: string }, field: string, message: string): void {
  if (!ok) throw RulesErrors.definitionInvalid(rule.id, field, message)
}
const isDuration = (v: number | undefined): boolean => v === undefined || (Number.isFinite(v) && v >= 0)
const isPositive = (v: number | undefined): boolean => v !== undefined && Number.isFinite(v) && v > 0

function validate(rule: RuleDefinition): void {
  check(typeof rule.id === 'string' && rule.id.length > 0, rule, 'id', 'needs an id')
  if ('onDelayMs' in rule || 'offDelayMs' in rule) {
    const r = rule as { onDelayMs?: number; offDelayMs?: number }
    check(isDuration(r.onDelayMs), rule, 'onDelayMs', 'delay must be ≥ 0 ms')
    check(isDuration(r.offDelayMs), rule, 'offDelayMs', 'delay must be ≥ 0 ms')
  }
  switch (rule.kind) {
    case 'limit': {
      const { hh, h, l, ll } = rule
      const given = [hh, h, l, ll].filter((x) => x !== undefined)
      check(given.length > 0, rule, 'h', 'needs at least one of hh, h, l, ll')
      check(
        given.every((x) => Number.isFinite(x)),
        rule,
        'h',
        'limits must be finite numbers',
      )
      check(hh === undefined || h === undefined || hh >= h, rule, 'hh', 'HH must be ≥ H')
      check(ll === undefined || l === undefined || ll <= l, rule, 'll', 'LL must be ≤ L')
      const lowTop = l ?? ll
      const highBottom = h ?? hh
      check(
        lowTop === undefined || highBottom === undefined || lowTop < highBottom,
        rule,
        'l',
        'low limits must lie below high limits',
      )
      check(isDuration(rule.deadband), rule, 'deadband', 'deadband must be ≥ 0')
      break
    }
    case 'rate':
      check(isPositive(rule.windowMs), rule, 'windowMs', 'window must be > 0 ms')
      check(rule.per in PER_MS, rule, 'per', "per must be 'second', 'minute' or 'hour'")
      check(
        rule.maxRise !== undefined || rule.maxFall !== undefined,
        rule,
        'maxRise',
        'needs maxRise or maxFall',
      )
      check(rule.maxRise === undefined || Number.isFinite(rule.maxRise), rule, 'maxRise', 'must be a number')
      check(
        rule.maxFall === undefined || isPositive(rule.maxFall),
        rule,
        'maxFall',
        'must be a positive magnitude',
      )
      check(isDuration(rule.deadband), rule, 'deadband', 'deadband must be ≥ 0')
      break
    case 'no-data':
      check(Array.isArray(rule.points) && rule.points.length > 0, rule, 'points', 'needs at least one point')
      check(isPositive(rule.timeoutMs), rule, 'timeoutMs', 'timeout must be > 0 ms')
      break
    case 'state':
      check(Array.isArray(rule.states) && rule.states.length > 0, rule, 'states', 'needs at least one state')
      check(isDuration(rule.longerThanMs), rule, 'longerThanMs', 'must be ≥ 0 ms')
      break
    case 'expression':
      break
    case 'anomaly': {
      const a = rule.alpha ?? 0.02
      check(a > 0 && a < 1, rule, 'alpha', 'alpha must lie in (0, 1)')
      const lam = rule.driftLambda ?? 0.1
      check(lam > 0 && lam <= 1, rule, 'driftLambda', 'driftLambda must lie in (0, 1]')
      check(isPositive(rule.sensitivity ?? 4), rule, 'sensitivity', 'sensitivity must be > 0')
      const n = rule.n ?? 5
      const k = rule.k ?? 3
      check(Number.isInteger(n) && n >= 1 && n <= 1000, rule, 'n', 'n must be an integer 1…1000')
      check(Number.isInteger(k) && k >= 1 && k <= n, rule, 'k', 'k must be an integer 1…n')
      const ck = rule.clearK ?? 0
      check(Number.isInteger(ck) && ck >= 0 && ck < k, rule, 'clearK', 'clearK must be an integer 0…k−1')
      check(
        Number.isInteger(rule.warmupSamples ?? 60) &&
          (rule.warmupSamples ?? 60) >= 2 &&
          (rule.warmupSamples ?? 60) <= 100_000,
        rule,
        'warmupSamples',
        'warm-up must be 2…100000 samples',
      )
      break
    }
    case 'forecast':
      check(Number.isFinite(rule.limit), rule, 'limit', 'needs a finite limit')
      check(
        rule.direction === 'up' || rule.direction === 'down',
        rule,
        'direction',
        "direction must be 'up' or 'down'",
      )
      check(isPositive(rule.windowMs), rule, 'windowMs', 'window must be > 0 ms')
      check(isPositive(rule.horizonMs), rule, 'horizonMs', 'horizon must be > 0 ms')
      check(rule.everyMs === undefined || isPositive(rule.everyMs), rule, 'everyMs', 'must be > 0 ms')
      check((rule.minSamples ?? 10) >= 3, rule, 'minSamples', 'needs ≥ 3 samples')
      check((rule.maxPoints ?? 48) >= 3 && (rule.maxPoints ?? 48) <= 200, rule, 'maxPoints', 'must be 3…200')
      check((rule.confirmations ?? 3) >= 1, rule, 'confirmations', 'must be ≥ 1')
      check((rule.clearFactor ?? 1.2) >= 1, rule, 'clearFactor', 'must be ≥ 1')
      break
    case 'spc': {
      check(Number.isFinite(rule.center), rule, 'center', 'needs a finite centre line')
      check(isPositive(rule.sigma), rule, 'sigma', 'σ must be > 0')
      check(
        rule.ruleSet === undefined || rule.ruleSet === 'western-electric' || rule.ruleSet === 'nelson',
        rule,
        'ruleSet',
        "ruleSet must be 'western-electric' or 'nelson'",
      )
      const most = rule.ruleSet === 'nelson' ? 8 : 4
      check(
        rule.rules === undefined ||
          (Array.isArray(rule.rules) && rule.rules.every((n) => Number.isInteger(n) && n >= 1 && n <= most)),
        rule,
        'rules',
        `rules must be rule numbers 1…${most} of the set`,
      )
      check(
        rule.runLength === undefined ||
          (Number.isInteger(rule.runLength) && rule.runLength >= 2 && rule.runLength <= 50),
        rule,
        'runLength',
        'runLength must be an integer 2…50',
      )
      check(
        rule.clearAfter === undefined || (Number.isInteger(rule.clearAfter) && rule.clearAfter >= 1),
        rule,
        'clearAfter',
        'clearAfter must be an integer ≥ 1',
      )
      break
    }
    default:
      throw RulesErrors.definitionInvalid((rule as { id: string }).id, 'kind', 'unknown rule kind')
  }
}

// ---------------------------------------------------------------- engine

export function createRuleEngine(options: RuleEngineOptions = {}): RuleEngine {
  const clock = options.clock ?? systemClock
  const pointTypes = options.pointTypes ?? {}
  const runtimes = new Map<string, Runtime>()
  const byPoint = new Map<string, Runtime[]>()
  const bySuppressPoint = new Map<string, Runtime[]>()
  const latest = new Map<string, Latest>()
  let now = Number.NEGATIVE_INFINITY
  let seq = 0

  // ---- timers: a binary min-heap on (at, seq); cancelled timers are left in and ignored by token
  const heap: Timer[] = []
  const before = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)
  function schedule(at: number, fire: Timer['fire']): void {
    const t: Timer = { at, seq: seq++, fire }
    heap.push(t)
    let i = heap.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(heap[i] as Timer, heap[p] as Timer)) break
      ;[heap[i], heap[p]] = [heap[p] as Timer, heap[i] as Timer]
      i = p
    }
  }
  function pop(): Timer {
    const top = heap[0] as Timer
    const last = heap.pop() as Timer
    if (heap.length > 0) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && before(heap[l] as Timer, heap[m] as Timer)) m = l
        if (r < heap.length && before(heap[r] as Timer, heap[m] as Timer)) m = r
        if (m === i) break
        ;[heap[i], heap[m]] = [heap[m] as Timer, heap[i] as Timer]
        i = m
      }
    }
    return top
  }
  function advance(t: number, out: Out): void {
    if (now === Number.NEGATIVE_INFINITY) {
      now = t
      for (const rt of runtimes.values()) rt.start?.(t, out)
    }
    while (heap.length > 0 && (heap[0] as Timer).at <= t) {
      const timer = pop()
      if (timer.at > now) now = timer.at
      timer.fire(timer.at, out)
    }
    if (t > now) now = t
  }

  // ---- a condition with on/off delays, shared by the condition-style rules
  function newCond(id: string, rt: () => Runtime, priority: AlarmPriority, message: Cond['message']): Cond {
    return { id, rt, priority, active: false, since: 0, token: 0, pending: false, value: null, message }
  }
  function emit(c: Cond, active: boolean, at: number, out: Out): void {
    const runtime = c.rt()
    if (runtime.removed) return
    c.active = active
    c.since = at
    c.pending = false
    c.token++
    const r = runtime.rule
    const point = 'point' in r ? r.point : undefined
    out.push({
      conditionId: c.id,
      ruleId: r.id,
      ruleKind: r.kind,
      change: active ? 'active' : 'inactive',
      at,
      priority: c.priority,
      ...(r.equipment === undefined ? {} : { equipment: r.equipment }),
      ...(point === undefined ? {} : { point }),
      value: c.value,
      message: c.message(active),
      ...(c.details === undefined ? {} : { details: { ...c.details } }),
    })
  }
  /** Feeds the raw (undelayed) condition; the value is held until the next sample (sample-and-hold). */
  function setRaw(c: Cond, raw: boolean, ts: number, onDelay: number, offDelay: number, out: Out): void {
    if (raw === c.active) {
      if (c.pending) {
        c.pending = false
        c.token++
      }
      return
    }
    if (c.pending) return
    const delay = raw ? onDelay : offDelay
    if (delay <= 0) {
      emit(c, raw, ts, out)
      return
    }
    c.pending = true
    const token = ++c.token
    schedule(ts + delay, (at, o) => {
      if (c.token === token && c.pending) emit(c, raw, at, o)
    })
  }
  const activeOf = (conds: readonly Cond[], suppressed: () => boolean): ActiveCondition[] =>
    conds
      .filter((c) => c.active)
      .map((c) => ({
        conditionId: c.id,
        ruleId: c.rt().rule.id,
        since: c.since,
        priority: c.priority,
        suppressed: suppressed(),
        value: c.value,
        ...(c.details === undefined ? {} : { details: { ...c.details } }),
      }))

  function isUsable(q: Quality): boolean {
    return q !== 'bad'
  }

  // ---- rule kinds

  function limitRuntime(rule: LimitRule): Runtime {
    const self = (): Runtime => rt
    const db = rule.deadband ?? 0
    const on = rule.onDelayMs ?? 0
    const off = rule.offDelayMs ?? 0
    const levels: { level: LimitLevel; limit: number; high: boolean; cond: Cond }[] = []
    for (const [level, limit, high] of [
      ['HH', rule.hh, true],
      ['H', rule.h, true],
      ['L', rule.l, false],
      ['LL', rule.ll, false],
    ] as const) {
      if (limit === undefined) continue
      const priority = rule.priorities?.[level] ?? rule.priority ?? DEFAULT_LIMIT_PRIORITY[level]
      const cond = newCond(`${rule.id}:${level}`, self, priority, (active) => {
        const v = typeof cond.value === 'number' ? fmt(cond.value) : String(cond.value)
        return active
          ? `${rule.point} = ${v} ${high ? '>' : '<'} ${level} limit ${fmt(limit)}`
          : `${rule.point} = ${v} back within ${level} limit ${fmt(limit)} (deadband ${fmt(db)})`
      })
      levels.push({ level, limit, high, cond })
    }
    const rt: Runtime = {
      rule,
      conditions: levels.map((x) => x.cond),
      points: [rule.point],
      removed: false,
      onSample(_p, ts, value, quality, out) {
        const v = toNumber(value)
        if (v === undefined || !isUsable(quality)) return
        for (const x of levels) {
          const c = x.cond
          c.value = v
          c.details = { limit: x.limit, deadband: db }
          // hysteresis: entering needs the limit crossed, leaving needs the deadband crossed too
          const raw = x.high
            ? c.active
              ? v > x.limit - db
              : v > x.limit
            : c.active
              ? v < x.limit + db
              : v < x.limit
          setRaw(c, raw, ts, on, off, out)
        }
      },
      active: () =>
        activeOf(
          levels.map((x) => x.cond),
          () => rt.suppression?.on === true,
        ),
    }
    return rt
  }

  function rateRuntime(rule: RateRule): Runtime {
    const self = (): Runtime => rt
    const db = rule.deadband ?? 0
    const on = rule.onDelayMs ?? 0
    const off = rule.offDelayMs ?? 0
    const unit = PER_MS[rule.per]
    const ts: number[] = []
    const vs: number[] = []
    let head = 0
    let rate = 0
    const conds: { cond: Cond; rising: boolean; limit: number }[] = []
    const mk = (rising: boolean, limit: number): void => {
      const cond = newCond(
        `${rule.id}:${rising ? 'rise' : 'fall'}`,
        self,
        rule.priority ?? 'medium',
        (active) =>
          active
            ? `${rule.point} ${rising ? 'rising' : 'falling'} at ${fmt(Math.abs(rate))}/${rule.per} > ${fmt(limit)}/${rule.per}`
            : `${rule.point} rate of change back to ${fmt(rate)}/${rule.per}`,
      )
      conds.push({ cond, rising, limit })
    }
    if (rule.maxRise !== undefined) mk(true, rule.maxRise)
    if (rule.maxFall !== undefined) mk(false, rule.maxFall)
    const rt: Runtime = {
      rule,
      conditions: conds.map((x) => x.cond),
      points: [rule.point],
      removed: false,
      onSample(_p, t, value, quality, out) {
        const v = toNumber(value)
        if (v === undefined || !isUsable(quality)) return
        ts.push(t)
        vs.push(v)
        // keep as reference the newest sample at least one window old
        while (head + 1 < ts.length && (ts[head + 1] as number) <= t - rule.windowMs) head++
        if (head > 1024 && head * 2 > ts.length) {
          ts.splice(0, head)
          vs.splice(0, head)
          head = 0
        }
        const t0 = ts[head] as number
        if (t0 > t - rule.windowMs) return // window not yet full
        rate = ((v - (vs[head] as number)) / (t - t0)) * unit
        for (const x of conds) {
          const c = x.cond
          c.value = v
          c.details = { rate, per: rule.per, limit: x.limit }
          const raw = x.rising
            ? rate > (c.active ? x.limit - db : x.limit)
            : rate < -(c.active ? x.limit - db : x.limit)
          setRaw(c, raw, t, on, off, out)
        }
      },
      active: () =>
        activeOf(
          conds.map((x) => x.cond),
          () => rt.suppression?.on === true,
        ),
    }
    return rt
  }

  function noDataRuntime(rule: NoDataRule): Runtime {
    const self = (): Runtime => rt
    let last = Number.NEGATIVE_INFINITY
    let armed = false
    const what = rule.points.length === 1 ? `point ${rule.points[0]}` : `${rule.points.length} points`
    const cond = newCond(rule.id, self, rule.priority ?? 'medium', (active) =>
      active ? `no data from ${what} for ${fmt(rule.timeoutMs / 1000)} s` : `data from ${what} again`,
    )
    // one timer per rule: when it fires early (data came meanwhile) it re-arms for the new deadline
    const arm = (at: number): void => {
      armed = true
      schedule(at, (firedAt, out) => {
        armed = false
        if (rt.removed || cond.active) return
        const due = last + rule.timeoutMs
        if (due > firedAt) arm(due)
        else {
          cond.details = { lastSampleAt: Number.isFinite(last) ? last : null, timeoutMs: rule.timeoutMs }
          emit(cond, true, firedAt, out)
        }
      })
    }
    const rt: Runtime = {
      rule,
      conditions: [cond],
      points: rule.points,
      removed: false,
      start(t) {
        if (last === Number.NEGATIVE_INFINITY) last = t
        if (!armed) arm(last + rule.timeoutMs)
      },
      onSample(_p, ts, value, quality, out) {
        if (quality === 'bad' && rule.badCountsAsData !== true) return
        if (ts > last) last = ts
        cond.value = value
        if (cond.active) {
          cond.details = { lastSampleAt: ts, timeoutMs: rule.timeoutMs }
          emit(cond, false, ts, out)
        }
        if (!armed) arm(last + rule.timeoutMs)
      },
      active: () => activeOf([cond], () => rt.suppression?.on === true),
    }
    return rt
  }

  function stateRuntime(rule: StateRule): Runtime {
    const self = (): Runtime => rt
    let entered = 0
    const cond = newCond(rule.id, self, rule.priority ?? 'medium', (active) =>
      active
        ? `${rule.point} in state ${String(cond.value)} for more than ${fmt(rule.longerThanMs / 60_000)} min`
        : `${rule.point} left state (now ${String(cond.value)})`,
    )
    const rt: Runtime = {
      rule,
      conditions: [cond],
      points: [rule.point],
      removed: false,
      onSample(_p, ts, value, quality, out) {
        if (!isUsable(quality) || value === null) return
        const inState = rule.states.includes(value)
        const wasTracking = cond.pending || cond.active
        if (inState && !wasTracking) entered = ts
        cond.value = value
        cond.details = { enteredAt: entered, longerThanMs: rule.longerThanMs }
        setRaw(cond, inState, ts, rule.longerThanMs, 0, out)
      },
      active: () => activeOf([cond], () => rt.suppression?.on === true),
    }
    return rt
  }

  function lookupFor(rule: {
    bindings?: Readonly<Record<string, string>>
    constants?: Readonly<Record<string, number | string | boolean>>
  }): { pointOf: (name: string) => string | undefined; constant: (name: string) => ExprValue | undefined } {
    return {
      pointOf: (name) =>
        rule.bindings?.[name] ?? (rule.constants !== undefined && name in rule.constants ? undefined : name),
      constant: (name) => (rule.bindings?.[name] === undefined ? rule.constants?.[name] : undefined),
    }
  }

  function compileFor(
    rule: RuleDefinition,
    source: string,
    field: 'expression' | 'suppressWhen',
  ): { expr: CompiledExpression; points: string[] } {
    const { pointOf, constant } = lookupFor(rule)
    let expr: CompiledExpression
    try {
      expr = compileExpression(source, {
        resultType: 'boolean',
        types: (name) => {
          const c = constant(name)
          if (c !== undefined) return typeof c as 'number' | 'string' | 'boolean'
          const p = pointOf(name)
          return p === undefined ? undefined : pointTypes[p]
        },
      })
    } catch (e) {
      // the rule editor needs to know which rule and which field the position refers to
      if (isRongheError(e) && e.code === RulesErrorCodes.expressionInvalid) {
        throw new RongheError(e.code, `rule ${rule.id}, ${field}: ${e.message}`, {
          status: e.status,
          details: { ...(e.details as object), ruleId: rule.id, field },
        })
      }
      throw e
    }
    const points: string[] = []
    for (const name of expr.references) {
      const p = pointOf(name)
      if (p !== undefined && !points.includes(p)) points.push(p)
    }
    return { expr, points }
  }

  function evaluate(rule: RuleDefinition, expr: CompiledExpression, at: number, maxAgeMs?: number) {
    const { pointOf, constant } = lookupFor(rule)
    return expr.evaluate((name) => {
      const c = constant(name)
      if (c !== undefined) return c
      const p = pointOf(name)
      const l = p === undefined ? undefined : latest.get(p)
      if (l === undefined || l.value === null || !isUsable(l.quality)) return undefined
      if (maxAgeMs !== undefined && at - l.ts > maxAgeMs) return undefined
      return l.value
    })
  }

  function expressionRuntime(rule: ExpressionRule): Runtime {
    const self = (): Runtime => rt
    const { expr, points } = compileFor(rule, rule.expression, 'expression')
    const cond = newCond(rule.id, self, rule.priority ?? 'medium', (active) =>
      active ? `${rule.name ?? rule.expression} is true` : `${rule.name ?? rule.expression} is false again`,
    )
    const rt: Runtime = {
      rule,
      conditions: [cond],
      points,
      removed: false,
      onSample(_p, ts, _value, _quality, out) {
        const r = evaluate(rule, expr, ts, rule.maxAgeMs)
        if (typeof r !== 'boolean') return // unknown: keep the alarm as it is
        const d: Details = {}
        for (const p of points) {
          const l = latest.get(p)
          d[p] = l === undefined ? null : l.value
        }
        cond.details = d
        setRaw(cond, r, ts, rule.onDelayMs ?? 0, rule.offDelayMs ?? 0, out)
      },
      active: () => activeOf([cond], () => rt.suppression?.on === true),
    }
    return rt
  }

  function anomalyRuntime(rule: AnomalyRule): Runtime {
    const self = (): Runtime => rt
    const opts = {
      alpha: rule.alpha ?? 0.02,
      warmup: rule.warmupSamples ?? 60,
      clip: rule.sensitivity ?? 4,
      lambda: rule.driftLambda ?? 0.1,
      minScale: rule.minScale ?? 1e-9,
    }
    const zLimit = rule.sensitivity ?? 4
    // an EWMA of independent z-scores has σ = √(λ/(2−λ)): scale the same sensitivity to it
    const driftLimit = zLimit * Math.sqrt(opts.lambda / (2 - opts.lambda))
    const k = rule.k ?? 3
    const clearK = rule.clearK ?? 0
    const window = new KOfN(rule.n ?? 5)
    const baselines = new Map<string, EwmaBaseline>()
    const dir = rule.direction ?? 'both'
    const beyond = (z: number, lim: number): boolean =>
      dir === 'up' ? z > lim : dir === 'down' ? z < -lim : Math.abs(z) > lim
    const cond = newCond(rule.id, self, rule.priority ?? 'low', (active) =>
      active
        ? `${rule.point} deviates from its learned baseline (robust z ${fmt(Number(cond.details?.z ?? 0))})`
        : `${rule.point} back to its learned baseline`,
    )
    const rt: Runtime = {
      rule,
      conditions: [cond],
      points: rule.statePoint === undefined ? [rule.point] : [rule.point, rule.statePoint],
      removed: false,
      onSample(p, ts, value, quality, out) {
        if (p !== rule.point) return // a state sample only selects the baseline
        const v = toNumber(value)
        if (v === undefined || !isUsable(quality)) return
        const state = rule.statePoint === undefined ? '*' : String(latest.get(rule.statePoint)?.value ?? '')
        let b = baselines.get(state)
        if (b === undefined) {
          b = newBaseline()
          baselines.set(state, b)
        }
        const mean = b.mean
        const s = scoreSample(b, v, opts)
        const flagged = s.warm && (beyond(s.z, zLimit) || beyond(s.zSmoothed, driftLimit))
        // learn only from samples that look normal, and not at all while the alarm stands
        if (!flagged && !cond.active) learnSample(b, v, opts)
        const count = window.push(flagged)
        cond.value = v
        cond.details = { z: s.z, zSmoothed: s.zSmoothed, mean, sigma: s.sigma, state, flagged: count }
        if (!cond.active && count >= k) emit(cond, true, ts, out)
        else if (cond.active && count <= clearK) emit(cond, false, ts, out)
      },
      active: () => activeOf([cond], () => rt.suppression?.on === true),
      exportLearned() {
        const out: Record<string, LearnedBaseline> = {}
        for (const [state, b] of baselines) {
          if (b.warmup === null)
            out[state] = { count: b.count, mean: b.mean, absDev: b.absDev, zSmoothed: b.zSmoothed }
        }
        return out
      },
      importLearned(state) {
        for (const [key, l] of Object.entries(state)) {
          if (![l.count, l.mean, l.absDev, l.zSmoothed].every(Number.isFinite) || l.absDev < 0) continue
          baselines.set(key, {
            count: l.count,
            mean: l.mean,
            absDev: l.absDev,
            zSmoothed: l.zSmoothed,
            warmup: null,
          })
        }
      },
    }
    return rt
  }

  function forecastRuntime(rule: ForecastRule): Runtime {
    const self = (): Runtime => rt
    const every = rule.everyMs ?? rule.windowMs / 20
    const minSamples = rule.minSamples ?? 10
    const bucketMs = rule.windowMs / (rule.maxPoints ?? 48)
    const confirmations = rule.confirmations ?? 3
    const clearFactor = rule.clearFactor ?? 1.2
    const up = rule.direction === 'up'
    const ts: number[] = []
    const vs: number[] = []
    let head = 0
    let lastFit = Number.NEGATIVE_INFINITY
    let streak = 0
    const cond = newCond(rule.id, self, rule.priority ?? 'low', (active) => {
      const rem = Number(cond.details?.remainingMs ?? 0)
      return active
        ? `${rule.point} expected to reach ${fmt(rule.limit)} in ${fmt(rem / 3_600_000)} h`
        : `${rule.point} no longer expected to reach ${fmt(rule.limit)} within ${fmt(rule.horizonMs / 3_600_000)} h`
    })
    const rt: Runtime = {
      rule,
      conditions: [cond],
      points: [rule.point],
      removed: false,
      onSample(_p, t, value, quality, out) {
        const v = toNumber(value)
        if (v === undefined || !isUsable(quality)) return
        ts.push(t)
        vs.push(v)
        while (head < ts.length && (ts[head] as number) <= t - rule.windowMs) head++
        if (head > 1024 && head * 2 > ts.length) {
          ts.splice(0, head)
          vs.splice(0, head)
          head = 0
        }
        cond.value = v
        if (t - lastFit < every || ts.length - head < minSamples) return
        lastFit = t
        // average into time buckets aligned to the epoch: bounds the O(n²) fit and smooths noise
        const bt: number[] = []
        const bv: number[] = []
        let key = Number.NaN
        let st = 0
        let sv = 0
        let sn = 0
        for (let i = head; i <= ts.length; i++) {
          const k = i < ts.length ? Math.floor((ts[i] as number) / bucketMs) : Number.NaN
          if (k !== key && sn > 0) {
            bt.push(st / sn - t)
            bv.push(sv / sn)
            st = 0
            sv = 0
            sn = 0
          }
          if (i === ts.length) break
          key = k
          st += ts[i] as number
          sv += vs[i] as number
          sn++
        }
        const fit = theilSen(bt, bv)
        if (fit === null || bt.length < 3) return
        const level = fit.intercept // fitted value now (times are relative to t)
        const slope = up ? fit.slope : -fit.slope // > 0 means degrading
        const gap = up ? rule.limit - level : level - rule.limit
        // a trend smaller than the scatter around the line is noise, not degradation
        const resid = bv.map((y, i) => Math.abs(y - (fit.intercept + fit.slope * (bt[i] as number))))
        const noise = median(resid) * 1.4826
        const trend = slope * rule.windowMs
        const remainingMs = gap <= 0 ? 0 : slope > 0 && trend > noise ? gap / slope : Number.POSITIVE_INFINITY
        cond.details = {
          remainingMs: Number.isFinite(remainingMs) ? Math.round(remainingMs) : null,
          expectedAt: Number.isFinite(remainingMs) ? Math.round(t + remainingMs) : null,
          slopePerHour: fit.slope * 3_600_000,
          level,
          limit: rule.limit,
        }
        const hit = cond.active ? remainingMs > rule.horizonMs * clearFactor : remainingMs <= rule.horizonMs
        streak = hit ? streak + 1 : 0
        if (streak >= confirmations) {
          streak = 0
          emit(cond, !cond.active, t, out)
        }
      },
      active: () => activeOf([cond], () => rt.suppression?.on === true),
    }
    return rt
  }

  function spcRuntime(rule: SpcRule): Runtime {
    const self = (): Runtime => rt
    const ruleSet = rule.ruleSet ?? 'western-electric'
    const runLength = rule.runLength ?? (ruleSet === 'western-electric' ? 8 : 9)
    // the longest pattern of either set is 15 points (Nelson 7); a run may be longer
    const keep = Math.max(15, runLength)
    const limits = {
      center: rule.center,
      ucl: rule.center + 3 * rule.sigma,
      lcl: rule.center - 3 * rule.sigma,
    }
    const clearAfter = rule.clearAfter ?? 8
    const window: number[] = []
    let inControl = 0
    let last = ''
    const cond = newCond(rule.id, self, rule.priority ?? 'medium', (active) =>
      active
        ? `${rule.point} out of statistical control: ${last}`
        : `${rule.point} back in statistical control`,
    )
    const rt: Runtime = {
      rule,
      conditions: [cond],
      points: [rule.point],
      removed: false,
      onSample(_p, t, value, quality, out) {
        const v = toNumber(value)
        if (v === undefined || !isUsable(quality)) return
        window.push(v)
        if (window.length > keep) window.shift()
        const at = window.length - 1
        const hits = detectRuleViolations(window, limits, {
          ruleSet,
          runLength,
          ...(rule.rules === undefined ? {} : { rules: rule.rules }),
        }).filter((x) => x.index === at)
        inControl = hits.length === 0 ? inControl + 1 : 0
        if (hits.length > 0) {
          last = hits
            .map((x) => `${ruleSet === 'nelson' ? 'Nelson' : 'WE'} ${x.rule} (${x.description})`)
            .join('; ')
          cond.details = {
            rules: hits.map((x) => x.rule).join(','),
            ruleSet,
            center: rule.center,
            sigma: rule.sigma,
          }
        }
        cond.value = v
        setRaw(cond, cond.active ? inControl < clearAfter : hits.length > 0, t, 0, 0, out)
      },
      active: () => activeOf([cond], () => rt.suppression?.on === true),
    }
    return rt
  }

  function build(rule: RuleDefinition): Runtime {
    validate(rule)
    let rt: Runtime
    switch (rule.kind) {
      case 'limit':
        rt = limitRuntime(rule)
        break
      case 'rate':
        rt = rateRuntime(rule)
        break
      case 'no-data':
        rt = noDataRuntime(rule)
        break
      case 'state':
        rt = stateRuntime(rule)
        break
      case 'expression':
        rt = expressionRuntime(rule)
        break
      case 'anomaly':
        rt = anomalyRuntime(rule)
        break
      case 'forecast':
        rt = forecastRuntime(rule)
        break
      case 'spc':
        rt = spcRuntime(rule)
        break
    }
    if (rule.suppressWhen !== undefined) {
      const { expr, points } = compileFor(rule, rule.suppressWhen, 'suppressWhen')
      rt.suppression = { expr, points, on: false }
    }
    return rt
  }

  function index(map: Map<string, Runtime[]>, point: string, rt: Runtime): void {
    const list = map.get(point)
    if (list === undefined) map.set(point, [rt])
    else list.push(rt)
  }
  function unindex(map: Map<string, Runtime[]>, point: string, rt: Runtime): void {
    const list = map.get(point)
    if (list === undefined) return
    const i = list.indexOf(rt)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) map.delete(point)
  }

  function addRule(rule: RuleDefinition): void {
    if (runtimes.has(rule.id))
      throw RulesErrors.definitionInvalid(rule.id, 'id', 'a rule with this id exists')
    const rt = build(rule)
    if (rule.enabled === false) return
    runtimes.set(rule.id, rt)
    for (const p of rt.points) index(byPoint, p, rt)
    for (const p of rt.suppression?.points ?? []) index(bySuppressPoint, p, rt)
    if (now !== Number.NEGATIVE_INFINITY) rt.start?.(now, [])
  }

  for (const r of options.rules ?? []) addRule(r)

  function suppressionChange(rt: Runtime, on: boolean, at: number, out: Out): void {
    const r = rt.rule
    for (const c of rt.conditions) {
      out.push({
        conditionId: c.id,
        ruleId: r.id,
        ruleKind: r.kind,
        change: on ? 'suppressed' : 'unsuppressed',
        at,
        priority: c.priority,
        ...(r.equipment === undefined ? {} : { equipment: r.equipment }),
        value: null,
        message: on
          ? `suppressed by design: ${r.suppressWhen}`
          : `no longer suppressed: ${r.suppressWhen} is false`,
      })
    }
  }

  return {
    onSample(point, ts, value, quality = 'good') {
      const out: Out = []
      if (!Number.isFinite(ts)) return out
      advance(ts, out)
      const prev = latest.get(point)
      if (prev !== undefined && ts < prev.ts) return out
      latest.set(point, { ts, value, quality })
      // suppression first, so the sample that starts a planned stop also hides what it raises
      const sup = bySuppressPoint.get(point)
      if (sup !== undefined) {
        for (const rt of sup) {
          const s = rt.suppression
          if (s === undefined) continue
          const r = evaluate(rt.rule, s.expr, ts)
          if (typeof r === 'boolean' && r !== s.on) {
            s.on = r
            suppressionChange(rt, r, ts, out)
          }
        }
      }
      const list = byPoint.get(point)
      if (list !== undefined) for (const rt of list) rt.onSample(point, ts, value, quality, out)
      return out
    },
    tick(t = clock.now()) {
      const out: Out = []
      if (Number.isFinite(t)) advance(t, out)
      return out
    },
    addRule,
    removeRule(ruleId) {
      const rt = runtimes.get(ruleId)
      if (rt === undefined) throw RulesErrors.definitionInvalid(ruleId, 'id', 'no such rule')
      const out: Out = []
      const at = Number.isFinite(now) ? now : clock.now()
      for (const a of rt.active()) {
        out.push({
          conditionId: a.conditionId,
          ruleId,
          ruleKind: rt.rule.kind,
          change: 'inactive',
          at,
          priority: a.priority,
          ...(rt.rule.equipment === undefined ? {} : { equipment: rt.rule.equipment }),
          value: a.value,
          message: 'rule removed',
        })
      }
      rt.removed = true
      runtimes.delete(ruleId)
      for (const p of rt.points) unindex(byPoint, p, rt)
      for (const p of rt.suppression?.points ?? []) unindex(bySuppressPoint, p, rt)
      return out
    },
    restoreActive(conditions) {
      const byId = new Map<string, Cond>()
      for (const rt of runtimes.values()) for (const c of rt.conditions) byId.set(c.id, c)
      for (const r of conditions) {
        const c = byId.get(r.conditionId)
        if (c === undefined || c.active) continue
        c.active = true
        c.since = r.since
        c.pending = false
        c.token++
      }
    },
    exportLearned() {
      const out: Record<string, Record<string, LearnedBaseline>> = {}
      for (const [id, rt] of runtimes) {
        const l = rt.exportLearned?.()
        if (l !== undefined && Object.keys(l).length > 0) out[id] = l
      }
      return out
    },
    importLearned(state) {
      for (const [id, l] of Object.entries(state)) runtimes.get(id)?.importLearned?.(l)
    },
    activeConditions() {
      const all: ActiveCondition[] = []
      for (const rt of runtimes.values()) all.push(...rt.active())
      return all
    },
    get ruleCount() {
      return runtimes.size
    },
    get time() {
      return now
    },
  }
}
