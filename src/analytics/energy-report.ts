import { type AssetId, type PointId, regionContains, type Tenant, type TenantId } from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import type { MeterConsumption, SeriesRollups } from '../store/series/series-store.ts'
import { DEFAULT_INTERVAL_MS } from './energy/counter-deltas.ts'
import { energyPerGoodPart, keyEnergyUnitStatus, type KeyUnitStatus } from './energy/energy-performance.ts'
import { electricityCo2Tonnes, gridEmissionFactor } from './energy/grid-emissions.ts'
import {
  type CompletenessCheck,
  completenessCheck,
  type DailyVsMonthlyCheck,
  dailyVsMonthlyCheck,
  type YearOnYear,
  yearOnYear,
} from './energy/regional-rollups.ts'
import { toStandardCoal } from './energy/standard-coal.ts'
import { selectTariff, touCost } from './energy/tou-cost.ts'
import { addDays, DEFAULT_TIME_ZONE, localToUtc, parseDate } from './time/zoned-time.ts'

/**
 * Daily and monthly energy reports (日报 / 月报): of one enterprise (by carrier, by line, tce, CO₂,
 * time-of-use cost, energy per good part) and of a region for its authority (per-enterprise rollups
 * with key-energy-unit flags, rankings, year-on-year, data-quality checks and the region's
 * 15-minute load). Figures come from the series store's rollups: never raw samples.
 */

export type ReportPeriod = 'day' | 'month'
export type MeterCarrier = 'electricity' | 'natural-gas'

export interface ReportWindow {
  readonly period: ReportPeriod
  /** 'YYYY-MM-DD' for a day, 'YYYY-MM' for a month */
  readonly label: string
  readonly from: number
  readonly to: number
}

const YEAR_MS = 365 * 86_400_000
const MIN15 = DEFAULT_INTERVAL_MS

/** The local day or month holding `date` ('YYYY-MM-DD'), Asia/Shanghai. */
export function reportWindow(period: ReportPeriod, date: string, timeZone = DEFAULT_TIME_ZONE): ReportWindow {
  const { year, month, day } = parseDate(date)
  if (period === 'day') {
    return {
      period,
      label: date,
      from: localToUtc(year, month, day, 0, 0, timeZone),
      to: localToUtc(year, month, day + 1, 0, 0, timeZone),
    }
  }
  return {
    period,
    label: date.slice(0, 7),
    from: localToUtc(year, month, 1, 0, 0, timeZone),
    to: localToUtc(year, month + 1, 1, 0, 0, timeZone),
  }
}

/** The same window one year earlier (29 February → 28 February). */
function previousYear(w: ReportWindow): ReportWindow {
  const y = Number(w.label.slice(0, 4)) - 1
  const rest = w.label.slice(4) === '-02-29' ? '-02-28' : w.label.slice(4)
  return reportWindow(w.period, w.period === 'day' ? `${y}${rest}` : `${y}${rest}-01`)
}

export function meterCarrier(unit: string | null): MeterCarrier | null {
  const u = (unit ?? '').trim().toLowerCase()
  if (u === 'kwh') return 'electricity'
  if (u === 'm3' || u === 'm³') return 'natural-gas'
  return null
}

interface Meter {
  readonly tenant: TenantId
  readonly point: PointId
  readonly carrier: MeterCarrier
  readonly assetId: AssetId | null
}

async function metersOf(meta: MetaStore, tenant: TenantId): Promise<Meter[]> {
  const out: Meter[] = []
  for (let offset = 0; ; offset += 500) {
    const page = await meta.listPoints(tenant, { limit: 500, offset })
    for (const p of page.items) {
      const carrier = meterCarrier(p.unit)
      if (carrier) out.push({ tenant, point: p.id, carrier, assetId: p.assetId })
    }
    if (page.items.length < 500) return out
  }
}

export interface CarrierTotals {
  readonly electricityKWh: number
  readonly naturalGasM3: number
  readonly tce: number
  readonly co2Tonnes: number
}

function totals(kWh: number, m3: number, regionCode: string, date: string): CarrierTotals {
  const coal = toStandardCoal(
    [
      { carrier: 'electricity', amount: kWh },
      { carrier: 'natural-gas', amount: m3 },
    ],
    { date },
  )
  const co2 = kWh > 0 ? electricityCo2Tonnes(kWh, gridEmissionFactor({ regionCode, asOf: date })) : 0
  return { electricityKWh: kWh, naturalGasM3: m3, tce: coal.totalTce, co2Tonnes: co2 }
}

function sumBy(c: MeterConsumption, meters: readonly Meter[]): Map<string, { kWh: number; m3: number }> {
  const carrierOf = new Map(meters.map((m) => [`${m.tenant}\u0000${m.point}`, m.carrier]))
  const out = new Map<string, { kWh: number; m3: number }>()
  for (const r of c.rows) {
    const carrier = carrierOf.get(`${r.tenant}\u0000${r.point}`)
    const x = out.get(r.tenant) ?? { kWh: 0, m3: 0 }
    if (carrier === 'electricity') x.kWh += r.consumption
    else if (carrier === 'natural-gas') x.m3 += r.consumption
    out.set(r.tenant, x)
  }
  return out
}

function dayLabels(w: ReportWindow): { label: string; from: number }[] {
  const out: { label: string; from: number }[] = []
  for (let d = w.period === 'day' ? w.label : `${w.label}-01`; ; d = addDays(d, 1)) {
    const from = reportWindow('day', d).from
    if (from >= w.to) return out
    out.push({ label: d, from })
  }
}

export interface DayRow extends CarrierTotals {
  readonly date: string
}

export interface EnterpriseReport {
  readonly scope: 'enterprise'
  readonly tenant: TenantId
  readonly name: string
  readonly regionCode: string
  readonly window: ReportWindow
  readonly coefficientVersion: string
  readonly total: CarrierTotals
  readonly costCny: number | null
  readonly tariffId: string | null
  readonly byLine: readonly (CarrierTotals & { readonly line: string; readonly name: string })[]
  readonly days: readonly DayRow[]
  readonly goodParts: number | null
  /** kgce per good part */
  readonly kgcePerGoodPart: number | null
  readonly kWhPerGoodPart: number | null
  readonly completeness: CompletenessCheck | null
}

export interface RegionEnterpriseRow extends CarrierTotals {
  readonly tenant: TenantId
  readonly name: string
  readonly regionCode: string
  readonly rank: number
  readonly annualizedTce: number
  readonly keyEnergyUnit: KeyUnitStatus
  readonly yearOnYear: YearOnYear
  readonly completeness: CompletenessCheck | null
  readonly dailyVsMonthly: DailyVsMonthlyCheck | null
}

export interface RegionReport {
  readonly scope: 'region'
  readonly regionCode: string
  readonly authority: string
  readonly window: ReportWindow
  readonly coefficientVersion: string
  readonly total: CarrierTotals
  readonly totalYearOnYear: YearOnYear
  readonly enterprises: readonly RegionEnterpriseRow[]
  readonly keyUnits: number
  readonly days: readonly DayRow[]
  /** the region's electricity per 15 minutes (kWh; null where no meter had data): day reports only */
  readonly load15m: readonly { readonly start: number; readonly kWh: number | null }[]
}

export type EnergyReport = EnterpriseReport | RegionReport

export function createEnergyReports(deps: { readonly meta: MetaStore; readonly rollups: SeriesRollups }) {
  const { meta, rollups } = deps

  async function consumption(
    meters: readonly Meter[],
    w: { from: number; to: number },
    bucketMs = 86_400_000,
  ) {
    if (meters.length === 0) return { rows: [], registers: [] }
    return rollups.meterConsumptionForPlatform({
      series: meters.map((m) => ({ tenant: m.tenant, point: m.point })),
      from: w.from,
      to: w.to,
      intervalMs: MIN15,
      bucketMs,
      originMs: w.from,
    })
  }

  function dayRows(
    c: MeterConsumption,
    meters: readonly Meter[],
    w: ReportWindow,
    regionCode: string,
  ): DayRow[] {
    const carrierOf = new Map(meters.map((m) => [`${m.tenant}\u0000${m.point}`, m.carrier]))
    const byDay = new Map<number, { kWh: number; m3: number }>()
    for (const r of c.rows) {
      const x = byDay.get(r.bucket) ?? { kWh: 0, m3: 0 }
      if (carrierOf.get(`${r.tenant}\u0000${r.point}`) === 'electricity') x.kWh += r.consumption
      else x.m3 += r.consumption
      byDay.set(r.bucket, x)
    }
    return dayLabels(w).map((d) => {
      const x = byDay.get(d.from) ?? { kWh: 0, m3: 0 }
      return { date: d.label, ...totals(x.kWh, x.m3, regionCode, d.label) }
    })
  }

  const intervalsIn = (w: { from: number; to: number }): number => (w.to - w.from) / MIN15

  return {
    async enterprise(tenant: TenantId, period: ReportPeriod, date: string): Promise<EnterpriseReport> {
      const t = await meta.getTenant(tenant)
      const w = reportWindow(period, date)
      const firstDay = period === 'day' ? w.label : `${w.label}-01`
      const meters = await metersOf(meta, tenant)
      const [byDay, by15] = await Promise.all([
        consumption(meters, w),
        consumption(
          meters.filter((m) => m.carrier === 'electricity'),
          w,
          MIN15,
        ),
      ])
      const sums = sumBy(byDay, meters).get(tenant) ?? { kWh: 0, m3: 0 }
      const total = totals(sums.kWh, sums.m3, t.regionCode, firstDay)
      // time-of-use cost from the 15-minute electricity of all meters together
      let costCny: number | null = null
      let tariffId: string | null = null
      if (by15.rows.length > 0) {
        const per = new Map<number, number>()
        for (const r of by15.rows) per.set(r.bucket, (per.get(r.bucket) ?? 0) + r.consumption)
        const intervals = [...per.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([start, kWh]) => ({ start, end: start + MIN15, kWh }))
        const tariff = selectTariff(t.regionCode, firstDay)
        const cost = touCost(intervals, tariff)
        costCny = cost.totalCost
        tariffId = cost.tariffId
      }
      // by line: the meter's asset, or the nearest ancestor of level 'line'
      const assets = new Map<string, { name: string; level: string; parentId: string | null }>()
      for (let offset = 0; ; offset += 500) {
        const page = await meta.listAssets(tenant, { limit: 500, offset })
        for (const a of page.items) assets.set(a.id, { name: a.name, level: a.level, parentId: a.parentId })
        if (page.items.length < 500) break
      }
      const lineOf = (assetId: string | null): string => {
        for (let id = assetId, hops = 0; id !== null && hops < 16; hops++) {
          const a = assets.get(id)
          if (a === undefined) break
          if (a.level === 'line') return id
          id = a.parentId
        }
        return 'unassigned'
      }
      const perLine = new Map<string, { kWh: number; m3: number }>()
      const meterOf = new Map(meters.map((m) => [m.point as string, m]))
      for (const r of byDay.rows) {
        const m = meterOf.get(r.point)
        if (!m) continue
        const line = lineOf(m.assetId)
        const x = perLine.get(line) ?? { kWh: 0, m3: 0 }
        if (m.carrier === 'electricity') x.kWh += r.consumption
        else x.m3 += r.consumption
        perLine.set(line, x)
      }
      const byLine = [...perLine.entries()]
        .map(([line, x]) => ({
          line,
          name: line === 'unassigned' ? '未分配' : (assets.get(line)?.name ?? line),
          ...totals(x.kWh, x.m3, t.regionCode, firstDay),
        }))
        .sort((a, b) => b.tce - a.tce)
      // energy per good part: good-part counters are points keyed 'good'
      const goods: PointId[] = []
      for (let offset = 0; ; offset += 500) {
        const page = await meta.listPoints(tenant, { limit: 500, offset })
        for (const p of page.items) if (p.key === 'good') goods.push(p.id)
        if (page.items.length < 500) break
      }
      let goodParts: number | null = null
      if (goods.length > 0) {
        const inc = await rollups.counterIncreases(tenant, {
          points: goods,
          from: w.from,
          to: w.to,
          lookbackMs: MIN15,
          bucketMs: w.to - w.from,
          originMs: w.from,
        })
        goodParts = inc.reduce((s, r) => s + r.increase, 0)
      }
      const complete = byDay.rows.reduce((s, r) => s + r.completeIntervals, 0)
      return {
        scope: 'enterprise',
        tenant,
        name: t.name,
        regionCode: t.regionCode,
        window: w,
        coefficientVersion: toStandardCoal([], { date: firstDay }).version,
        total,
        costCny,
        tariffId,
        byLine,
        days: dayRows(byDay, meters, w, t.regionCode),
        goodParts,
        kgcePerGoodPart: goodParts === null ? null : energyPerGoodPart(total.tce * 1000, goodParts),
        kWhPerGoodPart: goodParts === null ? null : energyPerGoodPart(total.electricityKWh, goodParts),
        completeness:
          meters.length === 0 ? null : completenessCheck(complete, meters.length * intervalsIn(w)),
      }
    },

    async region(authority: TenantId, period: ReportPeriod, date: string): Promise<RegionReport> {
      const own = await meta.getTenant(authority)
      const w = reportWindow(period, date)
      const prev = previousYear(w)
      const firstDay = period === 'day' ? w.label : `${w.label}-01`
      const tenants: Tenant[] = []
      for (let offset = 0; ; offset += 500) {
        const page = await meta.listTenantsForPlatform({ limit: 500, offset })
        tenants.push(...page.items)
        if (page.items.length < 500) break
      }
      const inRegion = tenants.filter((t) => t.id !== own.id && regionContains(own.regionCode, t.regionCode))
      const meters: Meter[] = []
      for (const t of inRegion) meters.push(...(await metersOf(meta, t.id)))
      const [cur, last, by15] = await Promise.all([
        consumption(meters, w),
        consumption(meters, prev),
        period === 'day'
          ? consumption(
              meters.filter((m) => m.carrier === 'electricity'),
              w,
              MIN15,
            )
          : Promise.resolve({ rows: [], registers: [] }),
      ])
      const now = sumBy(cur, meters)
      const before = sumBy(last, meters)
      const complete = new Map<string, number>()
      for (const r of cur.rows) complete.set(r.tenant, (complete.get(r.tenant) ?? 0) + r.completeIntervals)
      const registers = new Map<string, number>()
      for (const r of cur.registers) registers.set(r.tenant, (registers.get(r.tenant) ?? 0) + r.registerDelta)
      const daily = new Map<string, number[]>()
      for (const r of cur.rows) {
        const list = daily.get(r.tenant) ?? []
        list.push(r.consumption)
        daily.set(r.tenant, list)
      }
      const meterCount = new Map<string, number>()
      for (const m of meters) meterCount.set(m.tenant, (meterCount.get(m.tenant) ?? 0) + 1)
      const prevFirst = prev.period === 'day' ? prev.label : `${prev.label}-01`
      const rows = inRegion.map((t) => {
        const x = now.get(t.id) ?? { kWh: 0, m3: 0 }
        const tot = totals(x.kWh, x.m3, t.regionCode, firstDay)
        const p = before.get(t.id)
        const prevTce = p === undefined ? null : totals(p.kWh, p.m3, t.regionCode, prevFirst).tce
        const annualizedTce = (tot.tce * YEAR_MS) / (w.to - w.from)
        const n = meterCount.get(t.id) ?? 0
        return {
          tenant: t.id,
          name: t.name,
          regionCode: t.regionCode,
          ...tot,
          annualizedTce,
          keyEnergyUnit: keyEnergyUnitStatus(annualizedTce),
          yearOnYear: yearOnYear(tot.tce, prevTce),
          completeness: n === 0 ? null : completenessCheck(complete.get(t.id) ?? 0, n * intervalsIn(w)),
          // the daily values (all carriers, physical units) against the register difference
          dailyVsMonthly:
            n === 0 ? null : dailyVsMonthlyCheck(daily.get(t.id) ?? [], registers.get(t.id) ?? 0),
        }
      })
      // competition ranking by tce, largest first (ties share a rank)
      rows.sort((a, b) => b.tce - a.tce || (a.tenant < b.tenant ? -1 : 1))
      let rank = 0
      const enterprises: RegionEnterpriseRow[] = rows.map((r, i) => {
        if (i === 0 || r.tce !== rows[i - 1]?.tce) rank = i + 1
        return { ...r, rank }
      })
      const sum = (f: (r: RegionEnterpriseRow) => number): number => enterprises.reduce((s, r) => s + f(r), 0)
      const prevTotal = enterprises.some((r) => r.yearOnYear.previous !== null)
        ? sum((r) => r.yearOnYear.previous ?? 0)
        : null
      const load = new Map<number, number>()
      for (const r of by15.rows) load.set(r.bucket, (load.get(r.bucket) ?? 0) + r.consumption)
      const load15m: { start: number; kWh: number | null }[] = []
      if (period === 'day') {
        for (let s = w.from; s < w.to; s += MIN15) load15m.push({ start: s, kWh: load.get(s) ?? null })
      }
      return {
        scope: 'region',
        regionCode: own.regionCode,
        authority: own.name,
        window: w,
        coefficientVersion: toStandardCoal([], { date: firstDay }).version,
        total: {
          electricityKWh: sum((r) => r.electricityKWh),
          naturalGasM3: sum((r) => r.naturalGasM3),
          tce: sum((r) => r.tce),
          co2Tonnes: sum((r) => r.co2Tonnes),
        },
        totalYearOnYear: yearOnYear(
          sum((r) => r.tce),
          prevTotal,
        ),
        enterprises,
        keyUnits: enterprises.filter((r) => r.keyEnergyUnit === 'key').length,
        days: dayRows(cur, meters, w, own.regionCode),
        load15m,
      }
    },
  }
}
