/**
 * The ISA-18.2 (IEC 62682) alarm state model. Letters follow the standard's state diagram:
 *
 *   A normal                  condition inactive, acknowledged
 *   B unacknowledged          condition active, not yet acknowledged (annunciated)
 *   C acknowledged            condition active, acknowledged
 *   D rtn-unacknowledged      condition returned to normal before anyone acknowledged it
 *   E shelved                 hidden by an operator, until an expiry time
 *   F suppressed-by-design    hidden by logic (e.g. the machine is in a planned stop)
 *   G out-of-service          taken out of service (maintenance)
 *
 * A → B (condition active) → C (acknowledge) → A (condition clears); B → D (clears unacknowledged)
 * → A (acknowledge), D → B (active again). E, F and G overlay A–D; leaving them returns to B if the
 * condition is active and to A otherwise. Out of service hides shelving and suppression, shelving
 * hides suppression.
 *
 * The book is pure state: it returns every transition once, as an AlarmEvent, and never stores them
 * (persistence and notification are the caller's).
 */
import { type Clock, CoreErrors, systemClock } from '../core/index.ts'
import type { AlarmPriority, ConditionChange, SampleValue } from './rule-types.ts'
import { RulesErrors } from './rules-errors.ts'

export type AlarmState =
  | 'normal'
  | 'unacknowledged'
  | 'acknowledged'
  | 'rtn-unacknowledged'
  | 'shelved'
  | 'suppressed-by-design'
  | 'out-of-service'

export const ALARM_STATES: readonly AlarmState[] = [
  'normal',
  'unacknowledged',
  'acknowledged',
  'rtn-unacknowledged',
  'shelved',
  'suppressed-by-design',
  'out-of-service',
]

/** Who caused condition-driven transitions and shelve expiry. */
export const SYSTEM_ACTOR = 'system'

export interface AlarmEvent {
  readonly alarmId: string
  readonly from: AlarmState
  readonly to: AlarmState
  readonly at: number
  /** a user id, or 'system' */
  readonly by: string
  readonly why: string
  readonly priority: AlarmPriority
  readonly ruleId?: string
  readonly equipment?: string
  readonly value?: SampleValue
}

export interface AlarmRecord {
  readonly alarmId: string
  readonly ruleId: string | null
  readonly equipment: string | null
  readonly state: AlarmState
  /** the process condition, whatever is shown */
  readonly conditionActive: boolean
  readonly priority: AlarmPriority
  readonly message: string
  readonly value: SampleValue
  /** when the condition last became active (null if never) */
  readonly activeSince: number | null
  readonly acknowledgedBy: string | null
  readonly acknowledgedAt: number | null
  readonly shelvedUntil: number | null
  readonly shelvedBy: string | null
  readonly suppressedByDesign: boolean
  readonly outOfService: boolean
  /** how often the condition became active */
  readonly activations: number
  readonly lastChangeAt: number
}

export interface AlarmBookOptions {
  readonly clock?: Clock
  /** the longest an operator may shelve an alarm (default 24 h): shelving must expire */
  readonly maxShelveMs?: number
}

export interface AlarmFilter {
  readonly states?: readonly AlarmState[]
  readonly priorities?: readonly AlarmPriority[]
  readonly equipment?: string
}

export interface AlarmBook {
  /** Applies a condition change from the rule engine (stamped with its own time). */
  apply(change: ConditionChange): AlarmEvent[]
  applyAll(changes: readonly ConditionChange[]): AlarmEvent[]
  /** B → C, D → A. Acknowledging an alarm with nothing to acknowledge returns no event. */
  acknowledge(alarmId: string, by: string, why?: string): AlarmEvent[]
  /** Hides the alarm until `until` (epoch ms); needs a reason. Re-shelving only moves the expiry. */
  shelve(alarmId: string, by: string, why: string, until: number): AlarmEvent[]
  unshelve(alarmId: string, by: string, why?: string): AlarmEvent[]
  removeFromService(alarmId: string, by: string, why: string): AlarmEvent[]
  returnToService(alarmId: string, by: string, why?: string): AlarmEvent[]
  /** Expires shelving due at or before `now` (default clock.now()), stamped at the expiry time. */
  tick(now?: number): AlarmEvent[]
  get(alarmId: string): AlarmRecord | undefined
  list(filter?: AlarmFilter): AlarmRecord[]
  /**
   * After a restart: loads records an earlier book produced (from the alarm store), without events.
   * The hidden base state of a shelved / suppressed / out-of-service alarm is not kept: leaving the
   * overlay re-evaluates it from the condition anyway.
   */
  restore(records: readonly AlarmRecord[]): void
}

type Mutable = { -readonly [K in keyof AlarmRecord]: AlarmRecord[K] }
type Base = 'normal' | 'unacknowledged' | 'acknowledged' | 'rtn-unacknowledged'
interface Entry {
  rec: Mutable
  base: Base
}

function derive(e: Entry): AlarmState {
  if (e.rec.outOfService) return 'out-of-service'
  if (e.rec.shelvedUntil !== null) return 'shelved'
  if (e.rec.suppressedByDesign) return 'suppressed-by-design'
  return e.base
}

export function createAlarmBook(options: AlarmBookOptions = {}): AlarmBook {
  const clock = options.clock ?? systemClock
  const maxShelveMs = options.maxShelveMs ?? 24 * 3_600_000
  const alarms = new Map<string, Entry>()

  function entry(alarmId: string): Entry {
    const e = alarms.get(alarmId)
    if (e === undefined) throw RulesErrors.alarmUnknown(alarmId)
    return e
  }

  /** Runs a mutation and reports the visible transition it caused, if any. */
  function transition(e: Entry, at: number, by: string, why: string, mutate: () => void): AlarmEvent[] {
    const from = derive(e)
    const hiddenBefore = from !== e.base
    mutate()
    // leaving every overlay re-evaluates the condition: active → unacknowledged, else normal
    if (hiddenBefore && !e.rec.outOfService && e.rec.shelvedUntil === null && !e.rec.suppressedByDesign) {
      e.base = e.rec.conditionActive ? 'unacknowledged' : 'normal'
    }
    const to = derive(e)
    e.rec.state = to
    if (to === from) return []
    e.rec.lastChangeAt = at
    const r = e.rec
    return [
      {
        alarmId: r.alarmId,
        from,
        to,
        at,
        by,
        why,
        priority: r.priority,
        ...(r.ruleId === null ? {} : { ruleId: r.ruleId }),
        ...(r.equipment === null ? {} : { equipment: r.equipment }),
        value: r.value,
      },
    ]
  }

  function apply(c: ConditionChange): AlarmEvent[] {
    let e = alarms.get(c.conditionId)
    if (e === undefined) {
      e = {
        base: 'normal',
        rec: {
          alarmId: c.conditionId,
          ruleId: c.ruleId,
          equipment: c.equipment ?? null,
          state: 'normal',
          conditionActive: false,
          priority: c.priority,
          message: c.message,
          value: c.value,
          activeSince: null,
          acknowledgedBy: null,
          acknowledgedAt: null,
          shelvedUntil: null,
          shelvedBy: null,
          suppressedByDesign: false,
          outOfService: false,
          activations: 0,
          lastChangeAt: c.at,
        },
      }
      alarms.set(c.conditionId, e)
    }
    const entryNow = e
    const r = e.rec
    return transition(entryNow, c.at, SYSTEM_ACTOR, c.message, () => {
      if (c.change !== 'suppressed' && c.change !== 'unsuppressed') {
        r.message = c.message
        r.value = c.value
      }
      r.priority = c.priority
      switch (c.change) {
        case 'active':
          if (r.conditionActive) return
          r.conditionActive = true
          r.activeSince = c.at
          r.activations++
          r.acknowledgedBy = null
          r.acknowledgedAt = null
          if (entryNow.base === 'normal' || entryNow.base === 'rtn-unacknowledged')
            entryNow.base = 'unacknowledged'
          return
        case 'inactive':
          if (!r.conditionActive) return
          r.conditionActive = false
          if (entryNow.base === 'unacknowledged') entryNow.base = 'rtn-unacknowledged'
          else if (entryNow.base === 'acknowledged') entryNow.base = 'normal'
          return
        case 'suppressed':
          r.suppressedByDesign = true
          return
        case 'unsuppressed':
          r.suppressedByDesign = false
          return
      }
    })
  }

  function requireReason(alarmId: string, action: string, why: string | undefined): string {
    if (why === undefined || why.trim() === '') throw RulesErrors.reasonRequired(alarmId, action)
    return why.trim()
  }

  function expire(now: number): AlarmEvent[] {
    const due: { e: Entry; at: number }[] = []
    for (const e of alarms.values()) {
      const u = e.rec.shelvedUntil
      if (u !== null && u <= now) due.push({ e, at: u })
    }
    due.sort((a, b) => a.at - b.at || (a.e.rec.alarmId < b.e.rec.alarmId ? -1 : 1))
    const out: AlarmEvent[] = []
    for (const { e, at } of due) {
      out.push(
        ...transition(e, at, SYSTEM_ACTOR, 'shelving expired', () => {
          e.rec.shelvedUntil = null
          e.rec.shelvedBy = null
        }),
      )
    }
    return out
  }

  return {
    apply,
    applyAll(changes) {
      const out: AlarmEvent[] = []
      for (const c of changes) {
        // shelving that ran out before this change happened expires first, in time order
        out.push(...expire(c.at))
        out.push(...apply(c))
      }
      return out
    },
    acknowledge(alarmId, by, why = 'acknowledged') {
      const e = entry(alarmId)
      const state = derive(e)
      if (state === 'normal' || state === 'acknowledged') return []
      if (state !== 'unacknowledged' && state !== 'rtn-unacknowledged') {
        throw RulesErrors.transitionInvalid(alarmId, state, 'be acknowledged')
      }
      const at = clock.now()
      return transition(e, at, by, why, () => {
        e.rec.acknowledgedBy = by
        e.rec.acknowledgedAt = at
        e.base = e.base === 'unacknowledged' ? 'acknowledged' : 'normal'
      })
    },
    shelve(alarmId, by, why, until) {
      const e = entry(alarmId)
      const reason = requireReason(alarmId, 'shelving', why)
      const at = clock.now()
      if (e.rec.outOfService) throw RulesErrors.transitionInvalid(alarmId, 'out-of-service', 'be shelved')
      if (!(until > at) || until - at > maxShelveMs) {
        throw CoreErrors.validation(`shelving must end after now and within ${maxShelveMs / 3_600_000} h`, {
          alarmId,
          until,
          maxShelveMs,
        })
      }
      return transition(e, at, by, reason, () => {
        e.rec.shelvedUntil = until
        e.rec.shelvedBy = by
      })
    },
    unshelve(alarmId, by, why = 'unshelved') {
      const e = entry(alarmId)
      if (e.rec.shelvedUntil === null) throw RulesErrors.transitionInvalid(alarmId, derive(e), 'be unshelved')
      return transition(e, clock.now(), by, why, () => {
        e.rec.shelvedUntil = null
        e.rec.shelvedBy = null
      })
    },
    removeFromService(alarmId, by, why) {
      const e = entry(alarmId)
      const reason = requireReason(alarmId, 'removal from service', why)
      if (e.rec.outOfService) return []
      return transition(e, clock.now(), by, reason, () => {
        e.rec.outOfService = true
        // returning to service must not bring back an old shelving
        e.rec.shelvedUntil = null
        e.rec.shelvedBy = null
      })
    },
    returnToService(alarmId, by, why = 'returned to service') {
      const e = entry(alarmId)
      if (!e.rec.outOfService) throw RulesErrors.transitionInvalid(alarmId, derive(e), 'return to service')
      return transition(e, clock.now(), by, why, () => {
        e.rec.outOfService = false
      })
    },
    tick(now = clock.now()) {
      return expire(now)
    },
    restore(records) {
      for (const r of records) {
        const base: Base =
          r.state === 'normal' ||
          r.state === 'unacknowledged' ||
          r.state === 'acknowledged' ||
          r.state === 'rtn-unacknowledged'
            ? r.state
            : r.conditionActive
              ? r.acknowledgedAt !== null
                ? 'acknowledged'
                : 'unacknowledged'
              : 'normal'
        alarms.set(r.alarmId, { base, rec: { ...r } })
      }
    },
    get(alarmId) {
      const e = alarms.get(alarmId)
      return e === undefined ? undefined : { ...e.rec }
    },
    list(filter = {}) {
      const out: AlarmRecord[] = []
      for (const e of alarms.values()) {
        const r = e.rec
        if (filter.states !== undefined && !filter.states.includes(r.state)) continue
        if (filter.priorities !== undefined && !filter.priorities.includes(r.priority)) continue
        if (filter.equipment !== undefined && r.equipment !== filter.equipment) continue
        out.push({ ...r })
      }
      return out
    },
  }
}
