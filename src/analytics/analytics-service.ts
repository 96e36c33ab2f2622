import { type AssetId, type PointId, regionContains, type Sample, type TenantId } from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import type { SeriesStore } from '../store/series/series-store.ts'
import { AnalyticsErrorCode, analyticsError } from './analytics-errors.ts'
import {
  type CounterEvent,
  type CounterGap,
  counterDeltas,
  DEFAULT_INTERVAL_MS,
  electricityCo2Tonnes,
  gridEmissionFactor,
  type KeyUnitStatus,
  keyEnergyUnitStatus,
  rankEnterprises,
  type GridFactor,
  type IntervalConsumption,
  selectTariff,
  type TouCostResult,
  toStandardCoal,
  touCost,
} from './energy/index.ts'
import {
  type Capability,
  type ControlLimits,
  capability,
  detectRuleViolations,
  imrChart,
  imrLimits,
  type RuleViolation,
  xbarRChart,
  xbarRLimits,
  xbarSChart,
  xbarSLimits,
} from './spc/index.ts'
import {
  computeOee,
  lossPareto,
  MACHINE_STATES,
  type MachineState,
  type OeeElements,
  type OeeKpis,
  type OeeShiftRow,
  oeeKpis,
  type ParetoRow,
  type PartCount,
  type ShiftCalendar,
  type StateSample,
  samplesToIntervals,
  sumElements,
} from './oee/index.ts'
import { localDate } from './time/zoned-time.ts'
import { applyReasons, LOSS_STATES } from './downtime/apply-reasons.ts'
import type { DowntimeReasonStore } from './downtime/downtime-reasons.ts'

export interface SpcQuery {
  readonly point: PointId
  readonly from: number
  readonly to: number
  readonly chart: 'imr' | 'xbar-r' | 'xbar-s'
  /** control limits from this period instead of [from, to) (Phase II: judge new data by old limits) */
  readonly baseline?: { readonly from: number; readonly to: number }
  /** subgroup size for X̄-R / X̄-S (consecutive samples; a trailing incomplete subgroup is dropped) */
  readonly subgroup?: number
  readonly lsl?: number
  readonly usl?: number
}

export interface SpcResult {
  readonly point: PointId
  readonly chart: 'imr' | 'xbar-r' | 'xbar-s'
  /** the period the limits come from; null: the window itself */
  readonly baseline: { readonly from: number; readonly to: number } | null
  /** one per individual (I-MR) or per subgroup (X̄-R, ts of the subgroup's first sample) */
  readonly points: readonly { ts: number; value: number; spread: number | null }[]
  /** limits of the plotted statistic (individuals or X̄) and of its spread (MR or R) */
  readonly limits: { readonly center: ControlLimits; readonly spread: ControlLimits }
  readonly sigmaWithin: number
  readonly capability: Capability | null
  readonly violations: readonly RuleViolation[]
  /** samples read, and how many were left out (bad quality, no number, incomplete subgroup) */
  readonly samples: number
  readonly excluded: number
}

export type EnergyCarrier = 'electricity' | 'natural-gas' | 'water' | 'steam'

/** API carrier → GB/T 2589 coefficient key; the counter is read in the coefficient's physical unit */
const COAL_CARRIER: Readonly<Record<EnergyCarrier, string>> = {
  electricity: 'electricity',
  'natural-gas': 'natural-gas',
  water: 'water',
  steam: 'steam-low-pressure',
}

export interface EnergyQuery {
  readonly point: PointId
  readonly from: number
  readonly to: number
  readonly carrier: EnergyCarrier
}

export interface EnergyResult {
  readonly point: PointId
  readonly carrier: EnergyCarrier
  /** the window actually used: [from, to) widened to whole 15-minute intervals */
  readonly from: number
  readonly to: number
  readonly unit: string
  readonly intervals: readonly IntervalConsumption[]
  readonly gaps: readonly CounterGap[]
  readonly events: readonly CounterEvent[]
  readonly total: number
  readonly completeness: number
  readonly standardCoal: { readonly version: string; readonly kgce: number; readonly tce: number }
  /** electricity only: tCO₂ with the grid factor of the enterprise's region */
  readonly co2: { readonly tonnes: number; readonly factor: GridFactor } | null
  /** electricity only: time-of-use cost with the tariff of the enterprise's province */
  readonly cost: TouCostResult | null
}

export interface RegionEnterpriseEnergy {
  readonly tenant: TenantId
  readonly name: string
  readonly regionCode: string
  readonly rank: number
  /** kWh from electricity counters (unit kWh) and m³ from gas counters (unit m3 / m³) */
  readonly electricityKWh: number
  readonly naturalGasM3: number
  readonly tce: number
  readonly co2Tonnes: number
  /** tce scaled to a year; ≥ 10 000 tce/a makes a key energy-consuming unit (重点用能单位) */
  readonly annualizedTce: number
  readonly keyEnergyUnit: KeyUnitStatus
  /** complete 15-minute intervals ÷ intervals over all its meters (1 when it has none) */
  readonly completeness: number
}

export interface RegionEnergyResult {
  readonly regionCode: string
  readonly from: number
  readonly to: number
  readonly enterprises: readonly RegionEnterpriseEnergy[]
  readonly totalTce: number
}

export interface OeeQuery {
  /** an asset of the tenant; its points keyed `state` (text machine states), `good` and `scrap` (part counters) */
  readonly equipment: AssetId
  readonly from: number
  readonly to: number
  /** planned runtime per part (PRI), ms */
  readonly idealCycleMs: number
  /** a state sample holds at most this long before the time counts as no data */
  readonly maxHoldMs: number
}

export interface OeeReport {
  readonly equipment: AssetId
  readonly from: number
  readonly to: number
  readonly elements: OeeElements
  readonly kpis: OeeKpis
  readonly rows: readonly OeeShiftRow[]
  readonly pareto: readonly ParetoRow[]
  /** state samples whose text is not a machine state (running, idle, setup, down, planned-stop) */
  readonly unknownStates: number
  /**
   * The loss stretches (down, setup, idle) inside the window, clipped to it, with the reason an
   * operator assigned to their start (null while unassigned): what the console lists to label.
   */
  readonly lossIntervals: readonly {
    readonly start: number
    readonly end: number
    readonly state: 'down' | 'setup' | 'idle'
    readonly reason: string | null
  }[]
}

/** Without a shift calendar every day is one planned 24-hour shift (Asia/Shanghai production days). */
const ROUND_THE_CLOCK: ShiftCalendar = {
  shifts: [{ name: 'day', weekdays: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '00:00' }],
}

/** Increases of a cumulative counter, each at the later reading; a drop is a reset counted from 0. */
function counterIncrements(samples: readonly Sample[]): { ts: number; n: number }[] {
  const good = samples.filter((x) => x.quality !== 'bad' && typeof x.value === 'number')
  const out: { ts: number; n: number }[] = []
  for (let i = 1; i < good.length; i++) {
    const prev = good[i - 1]?.value as number
    const cur = good[i]?.value as number
    const n = cur >= prev ? cur - prev : cur
    if (n > 0) out.push({ ts: good[i]?.ts as number, n })
  }
  return out
}

export interface AnalyticsService {
  spc(tenant: TenantId, q: SpcQuery): Promise<SpcResult>
  energy(tenant: TenantId, q: EnergyQuery): Promise<EnergyResult>
  oee(tenant: TenantId, q: OeeQuery): Promise<OeeReport>
  /** Enterprise-level rollups of the enterprises inside the region of `authority` (its tenant's regionCode). */
  regionEnergy(
    authority: TenantId,
    q: { readonly from: number; readonly to: number },
  ): Promise<RegionEnergyResult>
}

const YEAR_MS = 365 * 86_400_000

function meterCarrier(unit: string | null): 'electricity' | 'natural-gas' | null {
  const u = (unit ?? '').trim().toLowerCase()
  if (u === 'kwh') return 'electricity'
  if (u === 'm3' || u === 'm³') return 'natural-gas'
  return null
}

/**
 * Analytics over stored series: reads the series store through its port (tenant-scoped) and hands the
 * values to the pure functions of this module.
 */
export function createAnalyticsService(deps: {
  readonly meta: MetaStore
  readonly series: SeriesStore
  /** operators' downtime reasons; without it every loss stays 'unassigned' */
  readonly downtime?: Pick<DowntimeReasonStore, 'assignments'>
}): AnalyticsService {
  return {
    async spc(tenant, q) {
      // 404 for a point of another tenant, before reading anything
      await deps.meta.getPoint(tenant, q.point)
      // bad-quality samples are not process measurements: they would distort limits and indices
      const read = async (from: number, to: number) => {
        const r = await deps.series.range(tenant, { point: q.point, from, to, order: 'asc' })
        const good = r.samples.filter(
          (s): s is typeof s & { value: number } => s.quality !== 'bad' && typeof s.value === 'number',
        )
        return { all: r.samples.length, good }
      }
      const { all, good } = await read(q.from, q.to)
      // limits from the baseline period when one is given (Phase II), else from the window itself
      const base = q.baseline ? (await read(q.baseline.from, q.baseline.to)).good : good
      const spec = q.lsl === undefined && q.usl === undefined ? null : { lsl: q.lsl, usl: q.usl }
      const ruleOptions = { ruleSet: 'western-electric' } as const
      const baseline = q.baseline ?? null
      if (q.chart === 'imr') {
        if (good.length < 2 || base.length < 2)
          throw analyticsError(AnalyticsErrorCode.notEnoughData, 'I-MR needs at least 2 values')
        const values = good.map((s) => s.value)
        const c = imrChart(values, imrLimits(base.map((s) => s.value)))
        return {
          point: q.point,
          chart: 'imr',
          baseline,
          points: good.map((s, i) => ({
            ts: s.ts,
            value: s.value,
            spread: i === 0 ? null : (c.movingRanges[i - 1] ?? null),
          })),
          limits: { center: c.limits.individuals, spread: c.limits.movingRange },
          sigmaWithin: c.limits.sigmaWithin,
          capability: spec ? capability(values, c.limits.sigmaWithin, spec) : null,
          violations: detectRuleViolations(values, c.limits.individuals, ruleOptions),
          samples: all,
          excluded: all - good.length,
        }
      }
      const n = q.subgroup ?? 5
      const split = (list: typeof good): (typeof good)[] => {
        const groups: (typeof good)[] = []
        for (let i = 0; i + n <= list.length; i += n) groups.push(list.slice(i, i + n))
        return groups
      }
      const groups = split(good)
      const baseGroups = q.baseline ? split(base) : groups
      const name = q.chart === 'xbar-s' ? 'X̄-S' : 'X̄-R'
      if (groups.length < 2 || baseGroups.length < 2) {
        throw analyticsError(AnalyticsErrorCode.notEnoughData, `${name} needs at least 2 subgroups of ${n}`)
      }
      const subgroups = groups.map((g) => g.map((s) => s.value))
      const baseValues = baseGroups.map((g) => g.map((s) => s.value))
      const c =
        q.chart === 'xbar-s'
          ? (() => {
              const x = xbarSChart(subgroups, xbarSLimits(baseValues))
              return { ...x, center: x.limits.xbar, spread: x.limits.s }
            })()
          : (() => {
              const x = xbarRChart(subgroups, xbarRLimits(baseValues))
              return { ...x, center: x.limits.xbar, spread: x.limits.range }
            })()
      return {
        point: q.point,
        chart: q.chart,
        baseline,
        points: groups.map((g, i) => ({
          ts: g[0]?.ts ?? 0,
          value: c.means[i] ?? 0,
          spread: c.spreads[i] ?? null,
        })),
        limits: { center: c.center, spread: c.spread },
        sigmaWithin: c.limits.sigmaWithin,
        capability: spec ? capability(subgroups.flat(), c.limits.sigmaWithin, spec) : null,
        violations: detectRuleViolations(c.means, c.center, ruleOptions),
        samples: all,
        excluded: all - groups.length * n,
      }
    },

    async energy(tenant, q) {
      await deps.meta.getPoint(tenant, q.point)
      const t = await deps.meta.getTenant(tenant)
      const step = DEFAULT_INTERVAL_MS
      const from = Math.floor(q.from / step) * step
      const to = Math.max(from + step, Math.ceil(q.to / step) * step)
      // one reading before and after the window lets the first and last intervals be complete
      const [inside, before, afterW] = await Promise.all([
        deps.series.range(tenant, { point: q.point, from, to, order: 'asc' }),
        deps.series.range(tenant, { point: q.point, from: from - step, to: from, order: 'desc', limit: 1 }),
        deps.series.range(tenant, { point: q.point, from: to, to: to + step, order: 'asc', limit: 1 }),
      ])
      const readings = [...before.samples, ...inside.samples, ...afterW.samples]
      const d = counterDeltas(readings, { from, to, intervalMs: step })
      const date = localDate(from)
      const coal = toStandardCoal([{ carrier: COAL_CARRIER[q.carrier], amount: d.total }], { date })
      const line = coal.lines[0]
      let co2: EnergyResult['co2'] = null
      let cost: TouCostResult | null = null
      if (q.carrier === 'electricity') {
        const factor = gridEmissionFactor({ regionCode: t.regionCode, asOf: date })
        co2 = { tonnes: electricityCo2Tonnes(d.total, factor), factor }
        cost = touCost(
          d.intervals.map((iv) => ({ start: iv.start, end: iv.end, kWh: iv.delta })),
          selectTariff(t.regionCode, date),
        )
      }
      return {
        point: q.point,
        carrier: q.carrier,
        from,
        to,
        unit: line?.unit ?? '',
        intervals: d.intervals,
        gaps: d.gaps,
        events: d.events,
        total: d.total,
        completeness: d.completeness,
        standardCoal: { version: coal.version, kgce: coal.totalKgce, tce: coal.totalTce },
        co2,
        cost,
      }
    },

    async regionEnergy(authority, q) {
      const own = await deps.meta.getTenant(authority)
      const step = DEFAULT_INTERVAL_MS
      const from = Math.floor(q.from / step) * step
      const to = Math.max(from + step, Math.ceil(q.to / step) * step)
      const date = localDate(from)
      const tenants = []
      for (let offset = 0; ; offset += 500) {
        const page = await deps.meta.listTenantsForPlatform({ limit: 500, offset })
        tenants.push(...page.items)
        if (page.items.length < 500) break
      }
      const inRegion = tenants.filter((t) => t.id !== own.id && regionContains(own.regionCode, t.regionCode))
      const rows: Omit<RegionEnterpriseEnergy, 'rank'>[] = []
      for (const t of inRegion) {
        let kWh = 0
        let m3 = 0
        let complete = 0
        let intervals = 0
        for (let offset = 0; ; offset += 500) {
          const page = await deps.meta.listPoints(t.id, { limit: 500, offset })
          for (const point of page.items) {
            const carrier = meterCarrier(point.unit)
            if (!carrier) continue
            const r = await deps.series.range(t.id, {
              point: point.id,
              from: from - step,
              to: to + step,
              order: 'asc',
            })
            const d = counterDeltas(r.samples, { from, to, intervalMs: step })
            if (carrier === 'electricity') kWh += d.total
            else m3 += d.total
            complete += d.completeness * d.intervals.length
            intervals += d.intervals.length
          }
          if (page.items.length < 500) break
        }
        const coal = toStandardCoal(
          [
            { carrier: 'electricity', amount: kWh },
            { carrier: 'natural-gas', amount: m3 },
          ],
          { date },
        )
        const co2 =
          kWh > 0
            ? electricityCo2Tonnes(kWh, gridEmissionFactor({ regionCode: t.regionCode, asOf: date }))
            : 0
        const annualizedTce = (coal.totalTce * YEAR_MS) / (to - from)
        rows.push({
          tenant: t.id,
          name: t.name,
          regionCode: t.regionCode,
          electricityKWh: kWh,
          naturalGasM3: m3,
          tce: coal.totalTce,
          co2Tonnes: co2,
          annualizedTce,
          keyEnergyUnit: keyEnergyUnitStatus(annualizedTce),
          completeness: intervals === 0 ? 1 : complete / intervals,
        })
      }
      const ranks = new Map(
        rankEnterprises(
          rows.map((r) => ({
            enterpriseId: r.tenant,
            regionCode: r.regionCode,
            period: 'window',
            tce: r.tce,
          })),
          { period: 'window' },
        ).map((x) => [x.enterpriseId, x.rank]),
      )
      const enterprises = rows
        .map((r) => ({ ...r, rank: ranks.get(r.tenant) ?? rows.length }))
        .sort((a, b) => a.rank - b.rank)
      return {
        regionCode: own.regionCode,
        from,
        to,
        enterprises,
        totalTce: rows.reduce((a, r) => a + r.tce, 0),
      }
    },

    async oee(tenant, q) {
      await deps.meta.getAsset(tenant, q.equipment)
      const points = (await deps.meta.listPoints(tenant, { assetId: q.equipment, limit: 500 })).items
      // One machine's OEE reads its raw states: the loss intervals it lists for reason assignment need
      // them anyway. Fleet-wide figures come from the store's rollups (fleetOee), tested equal to this.
      const read = async (key: string): Promise<readonly Sample[]> => {
        const point = points.find((x) => x.key === key)
        if (!point) return []
        // counters need the reading before the window; states the one that holds into it
        const r = await deps.series.range(tenant, {
          point: point.id,
          from: q.from - q.maxHoldMs,
          to: q.to,
          order: 'asc',
        })
        return r.samples
      }
      const [stateSamples, goodSamples, scrapSamples] = await Promise.all([
        read('state'),
        read('good'),
        read('scrap'),
      ])
      const known = new Set<string>(MACHINE_STATES)
      const states: StateSample[] = []
      let unknownStates = 0
      for (const x of stateSamples) {
        if (x.quality === 'bad') continue
        if (typeof x.text === 'string' && known.has(x.text))
          states.push({ ts: x.ts, state: x.text as MachineState })
        else unknownStates++
      }
      const equipment = q.equipment as string
      const counts: PartCount[] = [
        ...counterIncrements(goodSamples).map((c) => ({ equipment, ts: c.ts, item: 'part', good: c.n })),
        ...counterIncrements(scrapSamples).map((c) => ({
          equipment,
          ts: c.ts,
          item: 'part',
          good: 0,
          scrap: c.n,
        })),
      ].filter((c) => c.ts >= q.from && c.ts < q.to)
      const raw = samplesToIntervals(equipment, states, { maxHoldMs: q.maxHoldMs })
      const assigned = (await deps.downtime?.assignments(tenant, equipment, q.from, q.to)) ?? []
      const lossIntervals = raw
        .filter((iv) => LOSS_STATES.includes(iv.state) && iv.end > q.from && iv.start < q.to)
        .map((iv) => {
          const start = Math.max(iv.start, q.from)
          const a = assigned.find((x) => x.start <= start && x.end > start)
          return {
            start,
            end: Math.min(iv.end, q.to),
            state: iv.state as 'down' | 'setup' | 'idle',
            reason: a?.reason ?? null,
          }
        })
      const result = computeOee({
        equipment: [equipment],
        from: q.from,
        to: q.to,
        calendar: ROUND_THE_CLOCK,
        intervals: applyReasons(raw, assigned),
        counts,
        plannedRuntime: { part: q.idealCycleMs },
      })
      const elements = sumElements(result.rows.map((r) => r.elements))
      return {
        equipment: q.equipment,
        from: q.from,
        to: q.to,
        elements,
        kpis: oeeKpis(elements),
        rows: result.rows,
        pareto: lossPareto(result.losses),
        unknownStates,
        lossIntervals,
      }
    },
  }
}
