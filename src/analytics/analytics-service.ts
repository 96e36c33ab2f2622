import type { PointId, TenantId } from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import type { SeriesStore } from '../store/series/series-store.ts'
import { AnalyticsErrorCode, analyticsError } from './analytics-errors.ts'
import {
  type Capability,
  type ControlLimits,
  capabilityFromIndividuals,
  capabilityFromSubgroups,
  detectRuleViolations,
  imrChart,
  type RuleViolation,
  xbarRChart,
} from './spc/index.ts'

export interface SpcQuery {
  readonly point: PointId
  readonly from: number
  readonly to: number
  readonly chart: 'imr' | 'xbar-r'
  /** subgroup size for X̄-R (consecutive samples; a trailing incomplete subgroup is dropped) */
  readonly subgroup?: number
  readonly lsl?: number
  readonly usl?: number
}

export interface SpcResult {
  readonly point: PointId
  readonly chart: 'imr' | 'xbar-r'
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

export interface AnalyticsService {
  spc(tenant: TenantId, q: SpcQuery): Promise<SpcResult>
}

/**
 * Analytics over stored series: reads the series store through its port (tenant-scoped) and hands the
 * values to the pure functions of this module.
 */
export function createAnalyticsService(deps: {
  readonly meta: MetaStore
  readonly series: SeriesStore
}): AnalyticsService {
  return {
    async spc(tenant, q) {
      // 404 for a point of another tenant, before reading anything
      await deps.meta.getPoint(tenant, q.point)
      const r = await deps.series.range(tenant, { point: q.point, from: q.from, to: q.to, order: 'asc' })
      // bad-quality samples are not process measurements: they would distort limits and indices
      const good = r.samples.filter(
        (s): s is typeof s & { value: number } => s.quality !== 'bad' && typeof s.value === 'number',
      )
      const spec = q.lsl === undefined && q.usl === undefined ? null : { lsl: q.lsl, usl: q.usl }
      const ruleOptions = { ruleSet: 'western-electric' } as const
      if (q.chart === 'imr') {
        if (good.length < 2)
          throw analyticsError(AnalyticsErrorCode.notEnoughData, 'I-MR needs at least 2 values')
        const values = good.map((s) => s.value)
        const c = imrChart(values)
        return {
          point: q.point,
          chart: 'imr',
          points: good.map((s, i) => ({
            ts: s.ts,
            value: s.value,
            spread: i === 0 ? null : (c.movingRanges[i - 1] ?? null),
          })),
          limits: { center: c.limits.individuals, spread: c.limits.movingRange },
          sigmaWithin: c.limits.sigmaWithin,
          capability: spec ? capabilityFromIndividuals(values, spec) : null,
          violations: detectRuleViolations(values, c.limits.individuals, ruleOptions),
          samples: r.samples.length,
          excluded: r.samples.length - good.length,
        }
      }
      const n = q.subgroup ?? 5
      const groups: (typeof good)[] = []
      for (let i = 0; i + n <= good.length; i += n) groups.push(good.slice(i, i + n))
      if (groups.length < 2) {
        throw analyticsError(AnalyticsErrorCode.notEnoughData, `X̄-R needs at least 2 subgroups of ${n}`)
      }
      const subgroups = groups.map((g) => g.map((s) => s.value))
      const c = xbarRChart(subgroups)
      return {
        point: q.point,
        chart: 'xbar-r',
        points: groups.map((g, i) => ({
          ts: g[0]?.ts ?? 0,
          value: c.means[i] ?? 0,
          spread: c.spreads[i] ?? null,
        })),
        limits: { center: c.limits.xbar, spread: c.limits.range },
        sigmaWithin: c.limits.sigmaWithin,
        capability: spec ? capabilityFromSubgroups(subgroups, spec) : null,
        violations: detectRuleViolations(c.means, c.limits.xbar, ruleOptions),
        samples: r.samples.length,
        excluded: r.samples.length - groups.length * n,
      }
    },
  }
}
