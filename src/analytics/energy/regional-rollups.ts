import { isRegionCode, regionContains, regionLevel } from '../../core/index.ts'
import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'
import { DEFAULT_TIME_ZONE, localDate, localMonth, localToUtc, toLocalParts } from '../time/zoned-time.ts'
import type { IntervalConsumption } from './counter-deltas.ts'
import { ENERGY_MONITORING_RULES, isKeyEnergyConsumingUnit } from './energy-performance.ts'

/**
 * Regional energy monitoring (三级能源管理中心): an authority sees rollups of the enterprises in its
 * GB/T 2260 region, never their raw series. These helpers take rollups only.
 */
export interface EnterpriseEnergyRollup {
  readonly enterpriseId: string
  /** GB/T 2260 code of where the enterprise is registered (6 digits) */
  readonly regionCode: string
  /** 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' (local) */
  readonly period: string
  readonly tce: number
  readonly co2Tonnes?: number
}

export interface PeriodBucket {
  /** 'YYYY-MM-DD' or 'YYYY-MM', local */
  readonly period: string
  /** Sum of known interval consumption */
  readonly value: number
  readonly intervals: number
  readonly complete: number
  readonly partial: number
  readonly missing: number
}

/**
 * 15-minute consumption → daily or monthly totals by local calendar (Asia/Shanghai default).
 * An interval belongs to the local day/month of its start. Missing intervals add nothing and are
 * counted, so completeness can be checked.
 */
export function rollupIntervals(
  intervals: readonly IntervalConsumption[],
  granularity: 'day' | 'month',
  timeZone: string = DEFAULT_TIME_ZONE,
): PeriodBucket[] {
  const m = new Map<
    string,
    { value: number; intervals: number; complete: number; partial: number; missing: number }
  >()
  // intervals arrive mostly in time order: reuse the current period's key while inside its bounds
  let key = ''
  let keyFrom = Number.POSITIVE_INFINITY
  let keyTo = Number.NEGATIVE_INFINITY
  for (const iv of intervals) {
    if (iv.start < keyFrom || iv.start >= keyTo) {
      const p = toLocalParts(iv.start, timeZone)
      key = granularity === 'day' ? localDate(iv.start, timeZone) : localMonth(iv.start, timeZone)
      keyFrom =
        granularity === 'day'
          ? localToUtc(p.year, p.month, p.day, 0, 0, timeZone)
          : localToUtc(p.year, p.month, 1, 0, 0, timeZone)
      keyTo =
        granularity === 'day'
          ? localToUtc(p.year, p.month, p.day + 1, 0, 0, timeZone)
          : localToUtc(p.year, p.month + 1, 1, 0, 0, timeZone)
    }
    const b = m.get(key) ?? { value: 0, intervals: 0, complete: 0, partial: 0, missing: 0 }
    b.intervals++
    b[iv.status]++
    if (iv.delta !== null) b.value += iv.delta
    m.set(key, b)
  }
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([period, b]) => ({ period, ...b }))
}

function checkRegion(region: string): void {
  if (!isRegionCode(region)) {
    throw analyticsError(AnalyticsErrorCode.invalidRegion, `not a GB/T 2260 region code: ${region}`, {
      region,
    })
  }
}

export interface RegionTotal {
  readonly region: string
  readonly period: string
  readonly enterprises: number
  readonly tce: number
  readonly co2Tonnes: number
  /** Enterprises at or above 10 000 tce in this period's rollup (meaningful for annual periods) */
  readonly keyUnits: number
}

/** Sum of the rollups of every enterprise inside `region` (province ⊃ city ⊃ county) for `period`. */
export function regionTotal(
  rollups: readonly EnterpriseEnergyRollup[],
  region: string,
  period: string,
): RegionTotal {
  checkRegion(region)
  const ids = new Set<string>()
  const keyIds = new Set<string>()
  let tce = 0
  let co2 = 0
  for (const r of rollups) {
    if (r.period !== period || !regionContains(region, r.regionCode)) continue
    ids.add(r.enterpriseId)
    tce += r.tce
    co2 += r.co2Tonnes ?? 0
  }
  // key-unit status needs the enterprise's whole consumption in the period
  const perEnterprise = new Map<string, number>()
  for (const r of rollups) {
    if (r.period === period && ids.has(r.enterpriseId)) {
      perEnterprise.set(r.enterpriseId, (perEnterprise.get(r.enterpriseId) ?? 0) + r.tce)
    }
  }
  for (const [id, v] of perEnterprise) if (isKeyEnergyConsumingUnit(v)) keyIds.add(id)
  return { region, period, enterprises: ids.size, tce, co2Tonnes: co2, keyUnits: keyIds.size }
}

/** The region code at a level that holds `code`: 440604 → city 440600 → province 440000. */
export function parentRegion(code: string, level: 'province' | 'city' | 'county'): string {
  if (level === 'province') return `${code.slice(0, 2)}0000`
  if (level === 'city') return `${code.slice(0, 4)}00`
  return code
}

/** Totals per sub-region at `level` inside `within` (optional), for one period. */
export function totalsByRegion(
  rollups: readonly EnterpriseEnergyRollup[],
  level: 'province' | 'city' | 'county',
  period: string,
  within?: string,
): RegionTotal[] {
  if (within !== undefined) checkRegion(within)
  const codes = new Set<string>()
  for (const r of rollups) {
    if (r.period !== period) continue
    if (within !== undefined && !regionContains(within, r.regionCode)) continue
    const parent = parentRegion(r.regionCode, level)
    // a city-level enterprise code (…00) has no county: skip it at county level rather than invent one
    if (level === 'county' && regionLevel(parent) !== 'county') continue
    codes.add(parent)
  }
  return [...codes].sort().map((c) => regionTotal(rollups, c, period))
}

export interface RankedEnterprise {
  /** Competition ranking: ties share a rank (1, 2, 2, 4) */
  readonly rank: number
  readonly enterpriseId: string
  readonly value: number
}

/** Enterprises of a region ranked by consumption (or CO₂) in a period, largest first. */
export function rankEnterprises(
  rollups: readonly EnterpriseEnergyRollup[],
  options: { readonly period: string; readonly region?: string; readonly by?: 'tce' | 'co2Tonnes' },
): RankedEnterprise[] {
  if (options.region !== undefined) checkRegion(options.region)
  const by = options.by ?? 'tce'
  const sums = new Map<string, number>()
  for (const r of rollups) {
    if (r.period !== options.period) continue
    if (options.region !== undefined && !regionContains(options.region, r.regionCode)) continue
    sums.set(r.enterpriseId, (sums.get(r.enterpriseId) ?? 0) + (by === 'tce' ? r.tce : (r.co2Tonnes ?? 0)))
  }
  const list = [...sums.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  let rank = 0
  return list.map(([enterpriseId, value], i) => {
    if (i === 0 || value !== list[i - 1]?.[1]) rank = i + 1
    return { rank, enterpriseId, value }
  })
}

export interface YearOnYear {
  readonly current: number
  readonly previous: number | null
  readonly change: number | null
  /** (current − previous) / previous; null when previous is 0 or unknown */
  readonly changeRatio: number | null
}

export function yearOnYear(current: number, previous: number | null): YearOnYear {
  if (previous === null) return { current, previous, change: null, changeRatio: null }
  return {
    current,
    previous,
    change: current - previous,
    changeRatio: previous !== 0 ? (current - previous) / previous : null,
  }
}

/** The same period one year earlier: '2024-03' → '2023-03', '2024-02-29' → '2023-02-28'. */
export function previousYearPeriod(period: string): string {
  const y = Number(period.slice(0, 4)) - 1
  if (period === `${y + 1}-02-29`) return `${y}-02-28`
  return `${y}${period.slice(4)}`
}

/** Year-on-year per enterprise of a region for a period. */
export function yearOnYearByEnterprise(
  rollups: readonly EnterpriseEnergyRollup[],
  options: { readonly period: string; readonly region?: string },
): (YearOnYear & { readonly enterpriseId: string })[] {
  const prevPeriod = previousYearPeriod(options.period)
  const sum = (period: string): Map<string, number> => {
    const m = new Map<string, number>()
    for (const r of rollups) {
      if (r.period !== period) continue
      if (options.region !== undefined && !regionContains(options.region, r.regionCode)) continue
      m.set(r.enterpriseId, (m.get(r.enterpriseId) ?? 0) + r.tce)
    }
    return m
  }
  const cur = sum(options.period)
  const prev = sum(prevPeriod)
  return [...cur.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([enterpriseId, v]) => ({ enterpriseId, ...yearOnYear(v, prev.get(enterpriseId) ?? null) }))
}

export interface CompletenessCheck {
  readonly received: number
  readonly expected: number
  readonly ratio: number
  /** ratio ≥ 90 % (energy online-monitoring data-quality rule) */
  readonly ok: boolean
}

/** Completeness = uploaded ÷ required. */
export function completenessCheck(received: number, expected: number): CompletenessCheck {
  if (!(expected > 0))
    throw analyticsError(AnalyticsErrorCode.invalidOption, 'expected count must be positive')
  const ratio = received / expected
  return { received, expected, ratio, ok: ratio >= ENERGY_MONITORING_RULES.completenessMin }
}

export interface DailyVsMonthlyCheck {
  readonly dailySum: number
  readonly monthly: number
  /** |Σ daily − monthly| / monthly */
  readonly deviation: number | null
  /** deviation ≤ 5 % */
  readonly ok: boolean
}

/** Daily reports must add up to the monthly report within 5 %. */
export function dailyVsMonthlyCheck(daily: readonly number[], monthly: number): DailyVsMonthlyCheck {
  const dailySum = daily.reduce((s, v) => s + v, 0)
  if (monthly === 0) return { dailySum, monthly, deviation: null, ok: dailySum === 0 }
  const deviation = Math.abs(dailySum - monthly) / Math.abs(monthly)
  // compare with a hair of tolerance so that exactly 5 % passes despite binary fractions
  return {
    dailySum,
    monthly,
    deviation,
    ok: deviation <= ENERGY_MONITORING_RULES.dailyVsMonthlyMaxDeviation + 1e-12,
  }
}
