import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'
import { isoWeek } from '../time/zoned-time.ts'
import { type OeeElements, type OeeKpis, oeeKpis, sumElements, ZERO_ELEMENTS } from './oee-elements.ts'
import { expandShifts, type ShiftCalendar, type ShiftInstance, workingWindows } from './shift-calendar.ts'

/**
 * Machine states as reported by a work unit (OPC 40001-1 Annex C.2 mapping):
 * running → APT, setup → AUST, down → ADET, idle → ADOT, planned-stop → PDOT.
 */
export type MachineState = 'running' | 'idle' | 'setup' | 'down' | 'planned-stop'

export const MACHINE_STATES: readonly MachineState[] = ['running', 'idle', 'setup', 'down', 'planned-stop']

export interface StateInterval {
  readonly equipment: string
  /** Epoch ms UTC, end exclusive */
  readonly start: number
  readonly end: number
  readonly state: MachineState
  /** Downtime reason code assigned by the machine or an operator */
  readonly reason?: string
}

export interface PartCount {
  readonly equipment: string
  /** When the parts were counted (epoch ms UTC); decides the shift they belong to */
  readonly ts: number
  /** Item (product) id: looks up its planned runtime per item (PRI) */
  readonly item: string
  readonly good: number
  readonly scrap?: number
  readonly rework?: number
  /** IP for first pass yield; default good + scrap + rework */
  readonly inspected?: number
  /** GP for first pass yield; default good */
  readonly firstPassGood?: number
}

export interface OeeInput {
  /** Work units to report; a unit with no data still gets its planned time (and noData) */
  readonly equipment: readonly string[]
  /** Window [from, to) in epoch ms UTC; shifts are clipped to it */
  readonly from: number
  readonly to: number
  readonly calendar: ShiftCalendar
  /** Per-equipment calendars that replace `calendar` */
  readonly calendarByEquipment?: Readonly<Record<string, ShiftCalendar>>
  readonly intervals: readonly StateInterval[]
  readonly counts: readonly PartCount[]
  /** PRI: planned runtime per item in ms per unit, by item id (MES/ERP master data) */
  readonly plannedRuntime: Readonly<Record<string, number>>
  /**
   * Reason codes of 'down' intervals that count as failure events (FE) for MTBF / MTTR.
   * Default: every 'down' interval is a failure.
   */
  readonly failureReasons?: readonly string[]
}

/** Time model of one work unit in one shift instance. */
export interface OeeShiftRow {
  readonly equipment: string
  readonly shift: string
  readonly productionDay: string
  readonly start: number
  readonly end: number
  readonly elements: OeeElements
}

/** Loss time inside planned busy time by state and reason, for the loss Pareto. */
export interface LossRecord {
  readonly equipment: string
  readonly shift: string
  readonly productionDay: string
  readonly state: 'down' | 'idle' | 'setup'
  readonly reason: string
  readonly duration: number
  /** Intervals whose first planned minute lies in this shift (an interval spanning two shifts counts once) */
  readonly events: number
}

/** What happened outside the planned busy time: reported, never folded into the KPIs. */
export interface OutsidePlan {
  readonly equipment: string
  /** 'running' time outside PBT (breaks, no shift, planned stops) (ms) */
  readonly runningMs: number
  /** Parts counted outside every shift instance */
  readonly pq: number
  readonly gq: number
}

export interface OeeResult {
  readonly rows: readonly OeeShiftRow[]
  readonly losses: readonly LossRecord[]
  readonly outsidePlan: readonly OutsidePlan[]
}

export const UNASSIGNED_REASON = 'unassigned'

function validateIntervals(equipment: string, list: StateInterval[]): void {
  list.sort((a, b) => a.start - b.start || a.end - b.end)
  let prev: StateInterval | undefined
  for (const iv of list) {
    if (!Number.isFinite(iv.start) || !Number.isFinite(iv.end) || iv.end < iv.start) {
      throw analyticsError(
        AnalyticsErrorCode.invalidInterval,
        `interval of ${equipment} ends before it starts`,
        {
          interval: iv,
        },
      )
    }
    if (!MACHINE_STATES.includes(iv.state)) {
      throw analyticsError(AnalyticsErrorCode.invalidInterval, `unknown machine state ${String(iv.state)}`, {
        interval: iv,
      })
    }
    if (prev !== undefined && iv.start < prev.end) {
      throw analyticsError(
        AnalyticsErrorCode.overlappingIntervals,
        `state intervals of ${equipment} overlap`,
        {
          a: prev,
          b: iv,
        },
      )
    }
    prev = iv
  }
}

function validateCount(c: PartCount, pri: Readonly<Record<string, number>>): void {
  const q = [c.good, c.scrap ?? 0, c.rework ?? 0, c.inspected ?? 0, c.firstPassGood ?? 0]
  if (q.some((v) => !Number.isFinite(v) || v < 0)) {
    throw analyticsError(
      AnalyticsErrorCode.invalidCount,
      `negative or non-finite part count on ${c.equipment}`,
      {
        count: c,
      },
    )
  }
  const p = pri[c.item]
  if (p === undefined || !Number.isFinite(p) || p <= 0) {
    throw analyticsError(
      AnalyticsErrorCode.missingPlannedRuntime,
      `no planned runtime per item for ${c.item}`,
      {
        item: c.item,
      },
    )
  }
}

function groupBy<T extends { equipment: string }>(list: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>()
  for (const x of list) {
    let arr = m.get(x.equipment)
    if (arr === undefined) {
      arr = []
      m.set(x.equipment, arr)
    }
    arr.push(x)
  }
  return m
}

interface Acc {
  pdotStops: number
  apt: number
  aust: number
  adet: number
  adot: number
  fe: number
  ttr: number
}

/**
 * The ISO 22400 time model per work unit and shift instance.
 *
 * Rules (documented because engineers will reconcile them):
 * - POT is the shift time inside [from, to); PDOT = breaks + 'planned-stop' time inside the shift's
 *   working windows; PBT = POT − PDOT.
 * - Only state time inside the working windows (shift minus breaks) enters APT / AUST / ADET / ADOT;
 *   an interval straddling a shift boundary, a break or midnight is split at the boundary.
 * - PBT time with no state reported is `noData` (lowers availability, never guessed).
 * - Parts count in the shift instance whose [start, end) holds their timestamp (breaks included);
 *   parts outside every shift are reported in `outsidePlan`.
 * - A failure event is a run of contiguous 'down' intervals with a failure reason; it counts once,
 *   in the shift of its first planned minute. TTR = its time inside PBT; TBF = APT.
 */
export function computeOee(input: OeeInput): OeeResult {
  const { from, to } = input
  if (!(to > from)) throw analyticsError(AnalyticsErrorCode.invalidInterval, 'OEE window must have to > from')
  const failure =
    input.failureReasons === undefined
      ? () => true
      : (r: string | undefined) => input.failureReasons?.includes(r ?? '') ?? false
  const intervalsBy = groupBy(input.intervals)
  const countsBy = groupBy(input.counts)
  const instancesByCalendar = new Map<ShiftCalendar, ShiftInstance[]>()
  const rows: OeeShiftRow[] = []
  const losses: LossRecord[] = []
  const outsidePlan: OutsidePlan[] = []

  for (const equipment of input.equipment) {
    const calendar = input.calendarByEquipment?.[equipment] ?? input.calendar
    let instances = instancesByCalendar.get(calendar)
    if (instances === undefined) {
      instances = expandShifts(calendar, from, to)
      instancesByCalendar.set(calendar, instances)
    }
    const intervals = [...(intervalsBy.get(equipment) ?? [])]
    validateIntervals(equipment, intervals)

    // failure event id per interval: contiguous failure 'down' intervals share one event
    const eventOf = new Int32Array(intervals.length).fill(-1)
    let eventId = -1
    for (let i = 0; i < intervals.length; i++) {
      const iv = intervals[i]
      if (iv === undefined || iv.state !== 'down' || !failure(iv.reason)) continue
      const prev = intervals[i - 1]
      const joined = prev !== undefined && eventOf[i - 1] !== -1 && prev.end === iv.start
      if (!joined) eventId++
      eventOf[i] = eventId
    }
    const eventCounted = new Set<number>()
    const intervalCounted = new Uint8Array(intervals.length)
    let plannedRunning = 0
    let totalRunning = 0
    for (const iv of intervals) {
      if (iv.state === 'running') totalRunning += Math.max(0, Math.min(iv.end, to) - Math.max(iv.start, from))
    }

    const accs: Acc[] = []
    let cursor = 0
    for (const inst of instances) {
      const acc: Acc = { pdotStops: 0, apt: 0, aust: 0, adet: 0, adot: 0, fe: 0, ttr: 0 }
      const lossMap = new Map<
        string,
        { state: LossRecord['state']; reason: string; duration: number; events: number }
      >()
      const windows = workingWindows(inst, from, to)
      const first = windows[0]
      if (first !== undefined) {
        while (cursor < intervals.length && (intervals[cursor]?.end ?? 0) <= first[0]) cursor++
      }
      for (const [ws, we] of windows) {
        for (let i = cursor; i < intervals.length; i++) {
          const iv = intervals[i]
          if (iv === undefined || iv.start >= we) break
          const d = Math.min(iv.end, we) - Math.max(iv.start, ws)
          if (d <= 0) continue
          const firstPiece = intervalCounted[i] === 0
          intervalCounted[i] = 1
          switch (iv.state) {
            case 'planned-stop':
              acc.pdotStops += d
              continue
            case 'running':
              acc.apt += d
              plannedRunning += d
              continue
            case 'setup':
              acc.aust += d
              break
            case 'down': {
              acc.adet += d
              const ev = eventOf[i] ?? -1
              if (ev >= 0) {
                acc.ttr += d
                if (!eventCounted.has(ev)) {
                  eventCounted.add(ev)
                  acc.fe++
                }
              }
              break
            }
            case 'idle':
              acc.adot += d
              break
          }
          const state = iv.state as LossRecord['state']
          const reason = iv.reason ?? UNASSIGNED_REASON
          const key = `${state}\u0000${reason}`
          const l = lossMap.get(key) ?? { state, reason, duration: 0, events: 0 }
          l.duration += d
          if (firstPiece) l.events++
          lossMap.set(key, l)
        }
      }
      for (const l of lossMap.values()) {
        losses.push({ equipment, shift: inst.shift, productionDay: inst.productionDay, ...l })
      }
      accs.push(acc)
    }

    // counts → shift instance by timestamp (binary search; instances are sorted and disjoint)
    const qty = instances.map(() => ({ pq: 0, gq: 0, sq: 0, rq: 0, ip: 0, gp: 0, idealTime: 0 }))
    let outPq = 0
    let outGq = 0
    for (const c of countsBy.get(equipment) ?? []) {
      validateCount(c, input.plannedRuntime)
      const sq = c.scrap ?? 0
      const rq = c.rework ?? 0
      const pq = c.good + sq + rq
      let lo: number = 0
      let hi: number = instances.length - 1
      let found = -1
      while (lo <= hi) {
        const mid: number = (lo + hi) >> 1
        const inst = instances[mid]
        if (inst === undefined) break
        if (c.ts < inst.start) hi = mid - 1
        else if (c.ts >= inst.end) lo = mid + 1
        else {
          found = mid
          break
        }
      }
      const q = qty[found]
      if (q === undefined || c.ts < from || c.ts >= to) {
        outPq += pq
        outGq += c.good
        continue
      }
      q.pq += pq
      q.gq += c.good
      q.sq += sq
      q.rq += rq
      q.ip += c.inspected ?? pq
      q.gp += c.firstPassGood ?? c.good
      q.idealTime += (input.plannedRuntime[c.item] ?? 0) * pq
    }

    instances.forEach((inst, k) => {
      const acc = accs[k] ?? { pdotStops: 0, apt: 0, aust: 0, adet: 0, adot: 0, fe: 0, ttr: 0 }
      const q = qty[k] ?? ZERO_ELEMENTS
      const pot = Math.max(0, Math.min(inst.end, to) - Math.max(inst.start, from))
      const working = workingWindows(inst, from, to).reduce((s, [a, b]) => s + (b - a), 0)
      const pdot = pot - working + acc.pdotStops
      const pbt = pot - pdot
      rows.push({
        equipment,
        shift: inst.shift,
        productionDay: inst.productionDay,
        start: inst.start,
        end: inst.end,
        elements: {
          pot,
          pdot,
          pbt,
          apt: acc.apt,
          aust: acc.aust,
          adet: acc.adet,
          adot: acc.adot,
          noData: pbt - acc.apt - acc.aust - acc.adet - acc.adot,
          pq: q.pq,
          gq: q.gq,
          sq: q.sq,
          rq: q.rq,
          ip: q.ip,
          gp: q.gp,
          idealTime: q.idealTime,
          fe: acc.fe,
          ttr: acc.ttr,
          tbf: acc.apt,
        },
      })
    })
    outsidePlan.push({ equipment, runningMs: totalRunning - plannedRunning, pq: outPq, gq: outGq })
  }
  return { rows, losses, outsidePlan }
}

export type OeeLevel = 'equipment' | 'line' | 'site' | 'all'
export type OeePeriod = 'shift' | 'day' | 'week' | 'all'

/** Where each work unit sits in the ISA-95 tree (work unit → work centre / line → site). */
export type EquipmentHierarchy = Readonly<Record<string, { readonly line?: string; readonly site?: string }>>

export interface OeeAggregate {
  /** equipment / line / site id, or '*' for level 'all' */
  readonly entity: string
  /** 'YYYY-MM-DD#shift', 'YYYY-MM-DD', 'YYYY-Www' (ISO week of the production day), or '*' */
  readonly period: string
  readonly elements: OeeElements
  readonly kpis: OeeKpis
}

/**
 * Roll shift rows up to a level and a period. Times and counts are summed first and the KPIs are
 * computed from the sums (ISO 22400 roll-up): a line's availability is ΣAPT / ΣPBT, not the mean of
 * its machines' availabilities, so long-planned machines weigh more, as they should.
 */
export function aggregateOee(
  rows: readonly OeeShiftRow[],
  options: { readonly level: OeeLevel; readonly period: OeePeriod; readonly hierarchy?: EquipmentHierarchy },
): OeeAggregate[] {
  const groups = new Map<string, { entity: string; period: string; list: OeeElements[] }>()
  for (const r of rows) {
    const node = options.hierarchy?.[r.equipment]
    const entity =
      options.level === 'equipment'
        ? r.equipment
        : options.level === 'line'
          ? (node?.line ?? UNASSIGNED_REASON)
          : options.level === 'site'
            ? (node?.site ?? UNASSIGNED_REASON)
            : '*'
    const period =
      options.period === 'shift'
        ? `${r.productionDay}#${r.shift}`
        : options.period === 'day'
          ? r.productionDay
          : options.period === 'week'
            ? isoWeek(r.productionDay)
            : '*'
    const key = `${entity}\u0000${period}`
    let g = groups.get(key)
    if (g === undefined) {
      g = { entity, period, list: [] }
      groups.set(key, g)
    }
    g.list.push(r.elements)
  }
  return [...groups.values()]
    .map((g) => {
      const elements = sumElements(g.list)
      return { entity: g.entity, period: g.period, elements, kpis: oeeKpis(elements) }
    })
    .sort((a, b) =>
      a.entity < b.entity
        ? -1
        : a.entity > b.entity
          ? 1
          : a.period < b.period
            ? -1
            : a.period > b.period
              ? 1
              : 0,
    )
}

export interface ParetoRow {
  readonly state: LossRecord['state']
  readonly reason: string
  readonly duration: number
  readonly events: number
  /** duration / total loss duration */
  readonly share: number
  readonly cumulativeShare: number
}

/**
 * Loss Pareto by reason code: loss time inside planned busy time, largest first (ties by state, reason).
 * Default states: down and idle and setup (the availability losses).
 */
export function lossPareto(
  losses: readonly LossRecord[],
  options: {
    readonly states?: readonly LossRecord['state'][]
    readonly filter?: (l: LossRecord) => boolean
  } = {},
): ParetoRow[] {
  const states = options.states ?? ['down', 'idle', 'setup']
  const m = new Map<
    string,
    { state: LossRecord['state']; reason: string; duration: number; events: number }
  >()
  for (const l of losses) {
    if (!states.includes(l.state) || (options.filter !== undefined && !options.filter(l))) continue
    const key = `${l.state}\u0000${l.reason}`
    const g = m.get(key) ?? { state: l.state, reason: l.reason, duration: 0, events: 0 }
    g.duration += l.duration
    g.events += l.events
    m.set(key, g)
  }
  const list = [...m.values()].sort(
    (a, b) =>
      b.duration - a.duration ||
      (a.state < b.state ? -1 : a.state > b.state ? 1 : 0) ||
      (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0),
  )
  const total = list.reduce((s, x) => s + x.duration, 0)
  let cum = 0
  return list.map((x) => {
    cum += x.duration
    return { ...x, share: total > 0 ? x.duration / total : 0, cumulativeShare: total > 0 ? cum / total : 0 }
  })
}
