import type { PointId, TenantId } from '../core/index.ts'
import type { MeterConsumption, SeriesRollups } from '../store/series/series-store.ts'
import { AnalyticsErrorCode, analyticsError } from './analytics-errors.ts'
import { DEFAULT_INTERVAL_MS } from './energy/counter-deltas.ts'
import { type LossRecord, MACHINE_STATES, type OeeShiftRow } from './oee/compute-oee.ts'
import {
  oeeFromDurations,
  type PartTotals,
  productionDayBuckets,
  type StateTime,
} from './oee/oee-from-durations.ts'
import { DEFAULT_TIME_ZONE, zoneOffsetMs } from './time/zoned-time.ts'

/**
 * Analytics that let the series store compute over the data (SeriesRollups) and only hand this
 * process per-day sums: OEE of a fleet of machines, meter consumption per day for many enterprises.
 */

export interface EquipmentPoints {
  readonly equipment: string
  /** text machine states (running, idle, setup, down, planned-stop) */
  readonly state?: PointId
  /** cumulative good / scrap part counters */
  readonly good?: PointId
  readonly scrap?: PointId
}

export interface FleetOeeQuery {
  readonly equipment: readonly EquipmentPoints[]
  readonly from: number
  readonly to: number
  readonly idealCycleMs: number
  readonly maxHoldMs: number
  readonly timeZone?: string
}

export interface FleetOee {
  /** one row per equipment and production day */
  readonly rows: readonly OeeShiftRow[]
  readonly losses: readonly LossRecord[]
  /** per equipment: good state samples whose text is not a machine state */
  readonly unknownStates: ReadonlyMap<string, number>
}

/**
 * OEE per machine and production day (round-the-clock calendar) from three set-based queries, with
 * the rules of computeOee. Throws ANALYTICS_INVALID_OPTION where the zone changes its offset inside
 * the window (then the caller computes from samples).
 */
export async function fleetOee(
  rollups: SeriesRollups,
  tenant: TenantId,
  q: FleetOeeQuery,
): Promise<FleetOee> {
  const timeZone = q.timeZone ?? DEFAULT_TIME_ZONE
  const days = productionDayBuckets(q.from, q.to, timeZone)
  if (days === null) {
    throw analyticsError(
      AnalyticsErrorCode.invalidOption,
      'the time zone changes its offset inside the window',
    )
  }
  const byPoint = new Map<PointId, { equipment: string; role: 'state' | 'good' | 'scrap' }>()
  for (const e of q.equipment) {
    if (e.state) byPoint.set(e.state, { equipment: e.equipment, role: 'state' })
    if (e.good) byPoint.set(e.good, { equipment: e.equipment, role: 'good' })
    if (e.scrap) byPoint.set(e.scrap, { equipment: e.equipment, role: 'scrap' })
  }
  const pointsOf = (role: 'state' | 'good' | 'scrap'): PointId[] =>
    [...byPoint.entries()].filter(([, x]) => x.role === role).map(([p]) => p)
  const counterPoints = [...pointsOf('good'), ...pointsOf('scrap')]
  const [durations, increases] = await Promise.all([
    rollups.stateDurations(tenant, {
      points: pointsOf('state'),
      from: q.from,
      to: q.to,
      maxHoldMs: q.maxHoldMs,
      states: MACHINE_STATES,
      ...days,
    }),
    counterPoints.length === 0
      ? Promise.resolve([])
      : rollups.counterIncreases(tenant, {
          points: counterPoints,
          from: q.from,
          to: q.to,
          lookbackMs: q.maxHoldMs,
          ...days,
        }),
  ])
  const times: StateTime[] = durations.rows.map((r) => ({
    equipment: byPoint.get(r.point)?.equipment ?? '',
    bucket: r.bucket,
    state: r.state,
    durationMs: r.durationMs,
    runs: r.runs,
  }))
  const parts: PartTotals[] = increases.map((r) => {
    const x = byPoint.get(r.point)
    return {
      equipment: x?.equipment ?? '',
      bucket: r.bucket,
      good: x?.role === 'good' ? r.increase : 0,
      scrap: x?.role === 'scrap' ? r.increase : 0,
    }
  })
  const { rows, losses } = oeeFromDurations({
    equipment: q.equipment.map((e) => e.equipment),
    from: q.from,
    to: q.to,
    timeZone,
    durations: times,
    parts,
    idealCycleMs: q.idealCycleMs,
  })
  const unknownStates = new Map<string, number>()
  for (const [point, n] of durations.ignored) {
    const e = byPoint.get(point)?.equipment
    if (e !== undefined) unknownStates.set(e, (unknownStates.get(e) ?? 0) + n)
  }
  return { rows, losses, unknownStates }
}

export interface MeterRef {
  readonly tenant: TenantId
  readonly point: PointId
}

/**
 * Meter consumption per local day (Asia/Shanghai by default) over [from, to) for meters of many
 * enterprises, in one set-based query. from and to must be local midnights; the zone must keep its
 * offset over the window.
 */
export async function meterDays(
  rollups: SeriesRollups,
  meters: readonly MeterRef[],
  q: { readonly from: number; readonly to: number; readonly timeZone?: string; readonly bucketMs?: number },
): Promise<MeterConsumption> {
  const timeZone = q.timeZone ?? DEFAULT_TIME_ZONE
  const offset = zoneOffsetMs(q.from, timeZone)
  if (zoneOffsetMs(q.to, timeZone) !== offset) {
    throw analyticsError(
      AnalyticsErrorCode.invalidOption,
      'the time zone changes its offset inside the window',
    )
  }
  if (meters.length === 0) return { rows: [], registers: [] }
  return rollups.meterConsumptionForPlatform({
    series: meters,
    from: q.from,
    to: q.to,
    intervalMs: DEFAULT_INTERVAL_MS,
    bucketMs: q.bucketMs ?? 86_400_000,
    originMs: -offset,
  })
}
