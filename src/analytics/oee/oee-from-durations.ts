import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'
import { DEFAULT_TIME_ZONE, zoneOffsetMs } from '../time/zoned-time.ts'
import {
  type LossRecord,
  MACHINE_STATES,
  type MachineState,
  type OeeShiftRow,
  UNASSIGNED_REASON,
} from './compute-oee.ts'
import { type ShiftCalendar, expandShifts } from './shift-calendar.ts'

/** One planned 24-hour shift a day: the calendar the OEE API uses when none is configured. */
export const ROUND_THE_CLOCK: ShiftCalendar = {
  shifts: [{ name: 'day', weekdays: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '00:00' }],
}

const DAY_MS = 86_400_000

/** Time in a state per equipment and production day (bucket = the day's local midnight). */
export interface StateTime {
  readonly equipment: string
  readonly bucket: number
  readonly state: string
  readonly durationMs: number
  /** state intervals whose first planned moment lies in this day */
  readonly runs: number
}

export interface PartTotals {
  readonly equipment: string
  readonly bucket: number
  readonly good: number
  readonly scrap: number
}

/**
 * Regular day buckets for a round-the-clock calendar: the local midnight as origin. Only where the
 * zone's UTC offset is the same over the whole window (no daylight-saving change inside it, as in
 * Asia/Shanghai); otherwise null and the caller uses computeOee on the samples.
 */
export function productionDayBuckets(
  from: number,
  to: number,
  timeZone: string = DEFAULT_TIME_ZONE,
): { readonly bucketMs: number; readonly originMs: number } | null {
  const offset = zoneOffsetMs(from, timeZone)
  for (let t = from; t < to; t += DAY_MS) if (zoneOffsetMs(t, timeZone) !== offset) return null
  if (zoneOffsetMs(to, timeZone) !== offset) return null
  return { bucketMs: DAY_MS, originMs: -offset }
}

/**
 * The ISO 22400 time model of computeOee with the round-the-clock calendar, built from time in state
 * and part totals per production day (as a store computes them next to the data) instead of state
 * intervals: same rules, same rows (one per equipment and day, days without data included) and the
 * same loss records (reason 'unassigned': sampled states carry no reason code).
 */
export function oeeFromDurations(input: {
  readonly equipment: readonly string[]
  readonly from: number
  readonly to: number
  readonly timeZone?: string
  readonly durations: readonly StateTime[]
  readonly parts: readonly PartTotals[]
  /** PRI of the one item produced, ms per part */
  readonly idealCycleMs: number
}): { rows: OeeShiftRow[]; losses: LossRecord[] } {
  const { from, to } = input
  if (!(to > from)) throw analyticsError(AnalyticsErrorCode.invalidInterval, 'OEE window must have to > from')
  if (!(input.idealCycleMs > 0)) {
    throw analyticsError(
      AnalyticsErrorCode.missingPlannedRuntime,
      'planned runtime per part must be positive',
    )
  }
  const calendar: ShiftCalendar = { ...ROUND_THE_CLOCK, timeZone: input.timeZone ?? DEFAULT_TIME_ZONE }
  const instances = expandShifts(calendar, from, to)
  const known = new Set<string>(MACHINE_STATES)
  const time = new Map<string, Map<number, Map<MachineState, { d: number; runs: number }>>>()
  for (const x of input.durations) {
    if (!known.has(x.state)) continue
    let byDay = time.get(x.equipment)
    if (byDay === undefined) {
      byDay = new Map()
      time.set(x.equipment, byDay)
    }
    let byState = byDay.get(x.bucket)
    if (byState === undefined) {
      byState = new Map()
      byDay.set(x.bucket, byState)
    }
    const cur = byState.get(x.state as MachineState) ?? { d: 0, runs: 0 }
    cur.d += x.durationMs
    cur.runs += x.runs
    byState.set(x.state as MachineState, cur)
  }
  const parts = new Map<string, { good: number; scrap: number }>()
  for (const p of input.parts) {
    const key = `${p.equipment}\u0000${p.bucket}`
    const cur = parts.get(key) ?? { good: 0, scrap: 0 }
    cur.good += p.good
    cur.scrap += p.scrap
    parts.set(key, cur)
  }
  const rows: OeeShiftRow[] = []
  const losses: LossRecord[] = []
  for (const equipment of input.equipment) {
    const byDay = time.get(equipment)
    for (const inst of instances) {
      const s = byDay?.get(inst.start)
      const d = (st: MachineState): number => s?.get(st)?.d ?? 0
      const pot = Math.max(0, Math.min(inst.end, to) - Math.max(inst.start, from))
      const pdot = d('planned-stop')
      const pbt = pot - pdot
      const apt = d('running')
      const aust = d('setup')
      const adet = d('down')
      const adot = d('idle')
      const q = parts.get(`${equipment}\u0000${inst.start}`) ?? { good: 0, scrap: 0 }
      const pq = q.good + q.scrap
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
          apt,
          aust,
          adet,
          adot,
          noData: pbt - apt - aust - adet - adot,
          pq,
          gq: q.good,
          sq: q.scrap,
          rq: 0,
          ip: pq,
          gp: q.good,
          idealTime: input.idealCycleMs * pq,
          fe: s?.get('down')?.runs ?? 0,
          ttr: adet,
          tbf: apt,
        },
      })
      for (const state of ['setup', 'down', 'idle'] as const) {
        const x = s?.get(state)
        if (x !== undefined && x.d > 0) {
          losses.push({
            equipment,
            shift: inst.shift,
            productionDay: inst.productionDay,
            state,
            reason: UNASSIGNED_REASON,
            duration: x.d,
            events: x.runs,
          })
        }
      }
    }
  }
  return { rows, losses }
}
