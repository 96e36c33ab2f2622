import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'
import { DEFAULT_TIME_ZONE, localDate, parseClock, toLocalParts } from '../time/zoned-time.ts'
import bundled from './data/tou-tariffs.json' with { type: 'json' }

/** 尖峰 / 高峰 / 平段 / 低谷 (and 深谷 where a province has it). */
export type TouPeriod = 'critical' | 'peak' | 'flat' | 'valley' | 'deep-valley'

export interface TouSegment {
  readonly start: string
  readonly end: string
  readonly period: string
}

export interface TouTariff {
  readonly id: string
  /** GB/T 2260 province prefix (2 digits) */
  readonly province: string
  readonly nameZh: string
  readonly effectiveFrom: string
  readonly timeZone: string
  /** false for every bundled example: see the data file's WARNING */
  readonly official: boolean
  readonly periodsStatus: string
  readonly pricesStatus: string
  /** CNY/kWh by period */
  readonly prices: Readonly<Partial<Record<string, number>>>
  /** The first schedule whose months hold the local month applies */
  readonly schedules: readonly {
    readonly months: readonly number[]
    readonly segments: readonly TouSegment[]
  }[]
}

export interface TouTariffSet {
  readonly tariffs: readonly TouTariff[]
}

export const TOU_TARIFFS: TouTariffSet = bundled

/** The tariff of a province (2-digit prefix or 6-digit region code) in force on `date`. */
export function selectTariff(regionCode: string, date: string, set: TouTariffSet = TOU_TARIFFS): TouTariff {
  const province = regionCode.slice(0, 2)
  const found = set.tariffs
    .filter((t) => t.province === province && t.effectiveFrom <= date)
    .sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? 1 : -1))[0]
  if (found === undefined) {
    throw analyticsError(
      AnalyticsErrorCode.tariffNotFound,
      `no time-of-use tariff for ${province} on ${date}`,
      {
        province,
        date,
      },
    )
  }
  return found
}

interface CompiledSchedule {
  readonly months: readonly number[]
  readonly segments: readonly { start: number; end: number; period: string }[]
}

/** Check a tariff: each schedule covers 00:00–24:00 exactly once and every period has a price. */
export function validateTariff(tariff: TouTariff): CompiledSchedule[] {
  const out: CompiledSchedule[] = []
  for (const s of tariff.schedules) {
    const segs = s.segments
      .map((g) => ({ start: parseClock(g.start), end: parseClock(g.end), period: g.period }))
      .sort((a, b) => a.start - b.start)
    let cursor = 0
    for (const g of segs) {
      if (g.start !== cursor || g.end <= g.start || tariff.prices[g.period] === undefined) {
        throw analyticsError(
          AnalyticsErrorCode.invalidOption,
          `tariff ${tariff.id}: segments must tile the day and every period needs a price`,
          { segment: g },
        )
      }
      cursor = g.end
    }
    if (cursor !== 1440) {
      throw analyticsError(
        AnalyticsErrorCode.invalidOption,
        `tariff ${tariff.id}: segments stop before 24:00`,
      )
    }
    out.push({ months: s.months, segments: segs })
  }
  return out
}

export interface ConsumptionInterval {
  readonly start: number
  readonly end: number
  /** kWh in the interval; null = missing (not priced, reported) */
  readonly kWh: number | null
}

export interface TouCostResult {
  readonly tariffId: string
  readonly official: boolean
  readonly byPeriod: Readonly<Record<string, { readonly kWh: number; readonly cost: number }>>
  readonly totalKWh: number
  readonly totalCost: number
  /** kWh apportioned by time because an interval crossed a period boundary */
  readonly apportionedKWh: number
  /** Intervals with no data: not priced */
  readonly missingIntervals: number
}

/**
 * Time-of-use cost of interval consumption. Periods are local wall-clock; an interval crossing a
 * period boundary (not the case for 15-minute data on quarter-hour boundaries) is split in
 * proportion to time and the split kWh reported in `apportionedKWh`.
 */
export function touCost(intervals: readonly ConsumptionInterval[], tariff: TouTariff): TouCostResult {
  const schedules = validateTariff(tariff)
  const tz = tariff.timeZone ?? DEFAULT_TIME_ZONE
  const byPeriod: Record<string, { kWh: number; cost: number }> = {}
  let apportioned = 0
  let missing = 0
  for (const iv of intervals) {
    if (iv.kWh === null) {
      missing++
      continue
    }
    const length = iv.end - iv.start
    if (!(length > 0))
      throw analyticsError(AnalyticsErrorCode.invalidInterval, 'interval must have end > start')
    let cursor = iv.start
    let pieces = 0
    while (cursor < iv.end) {
      const p = toLocalParts(cursor, tz)
      const sched = schedules.find((s) => s.months.includes(p.month))
      if (sched === undefined) {
        throw analyticsError(
          AnalyticsErrorCode.tariffNotFound,
          `tariff ${tariff.id} has no schedule for month ${p.month}`,
        )
      }
      const minuteMs = (p.hour * 60 + p.minute) * 60_000 + p.second * 1000 + p.millisecond
      const seg = sched.segments.find((g) => g.start * 60_000 <= minuteMs && minuteMs < g.end * 60_000)
      if (seg === undefined)
        throw analyticsError(AnalyticsErrorCode.invalidOption, 'tariff does not cover the day')
      // zones with daylight saving may shift a boundary by the DST step; China has none
      const next = Math.min(iv.end, cursor + seg.end * 60_000 - minuteMs)
      const share = (iv.kWh * (next - cursor)) / length
      const price = tariff.prices[seg.period] ?? 0
      const acc = byPeriod[seg.period] ?? { kWh: 0, cost: 0 }
      acc.kWh += share
      acc.cost += share * price
      byPeriod[seg.period] = acc
      pieces++
      if (pieces > 1 || next < iv.end) apportioned += share
      cursor = next
    }
  }
  let totalKWh = 0
  let totalCost = 0
  for (const v of Object.values(byPeriod)) {
    totalKWh += v.kWh
    totalCost += v.cost
  }
  return {
    tariffId: tariff.id,
    official: tariff.official,
    byPeriod,
    totalKWh,
    totalCost,
    apportionedKWh: apportioned,
    missingIntervals: missing,
  }
}

/** Local date of an instant in a tariff's zone, for choosing the tariff in force. */
export function tariffDate(ms: number, timeZone: string = DEFAULT_TIME_ZONE): string {
  return localDate(ms, timeZone)
}
