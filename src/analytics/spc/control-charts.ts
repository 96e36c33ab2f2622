import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'
import { shewhartConstants } from './shewhart-constants.ts'

export interface ControlLimits {
  readonly center: number
  readonly ucl: number
  readonly lcl: number
}

export interface XbarRLimits {
  readonly kind: 'xbar-r'
  readonly n: number
  readonly xbar: ControlLimits
  readonly range: ControlLimits
  /** σ̂ within = R̄ / d2 */
  readonly sigmaWithin: number
}

export interface XbarSLimits {
  readonly kind: 'xbar-s'
  readonly n: number
  readonly xbar: ControlLimits
  readonly s: ControlLimits
  /** σ̂ within = S̄ / c4 */
  readonly sigmaWithin: number
}

export interface ImrLimits {
  readonly kind: 'i-mr'
  readonly individuals: ControlLimits
  readonly movingRange: ControlLimits
  /** σ̂ within = MR̄ / d2(2) = MR̄ / 1.128 */
  readonly sigmaWithin: number
}

export function mean(values: readonly number[]): number {
  let s = 0
  for (const v of values) s += v
  return s / values.length
}

/** Sample standard deviation (n − 1 denominator). */
export function sampleSd(values: readonly number[]): number {
  const m = mean(values)
  let ss = 0
  for (const v of values) ss += (v - m) * (v - m)
  return Math.sqrt(ss / (values.length - 1))
}

export function range(values: readonly number[]): number {
  let lo = Number.POSITIVE_INFINITY
  let hi = Number.NEGATIVE_INFINITY
  for (const v of values) {
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  return hi - lo
}

function checkFinite(values: readonly number[]): void {
  if (values.some((v) => !Number.isFinite(v))) {
    throw analyticsError(AnalyticsErrorCode.notEnoughData, 'SPC data contains a non-finite value')
  }
}

/** All subgroups must have the same size n (2–25); returns n. */
function subgroupSize(subgroups: readonly (readonly number[])[]): number {
  const first = subgroups[0]
  if (first === undefined)
    throw analyticsError(AnalyticsErrorCode.notEnoughData, 'no subgroups in the baseline')
  const n = first.length
  for (const g of subgroups) {
    if (g.length !== n) {
      throw analyticsError(AnalyticsErrorCode.subgroupSize, 'subgroups must all have the same size', {
        expected: n,
        got: g.length,
      })
    }
    checkFinite(g)
  }
  shewhartConstants(n)
  return n
}

/** X̄-R limits from a baseline period: X̿ ± A2·R̄; R: D3·R̄ … D4·R̄. */
export function xbarRLimits(baseline: readonly (readonly number[])[]): XbarRLimits {
  const n = subgroupSize(baseline)
  const c = shewhartConstants(n)
  const xbarbar = mean(baseline.map(mean))
  const rbar = mean(baseline.map(range))
  return {
    kind: 'xbar-r',
    n,
    xbar: { center: xbarbar, ucl: xbarbar + c.A2 * rbar, lcl: xbarbar - c.A2 * rbar },
    range: { center: rbar, ucl: c.D4 * rbar, lcl: c.D3 * rbar },
    sigmaWithin: rbar / c.d2,
  }
}

/** X̄-S limits from a baseline period: X̿ ± A3·S̄; S: B3·S̄ … B4·S̄. */
export function xbarSLimits(baseline: readonly (readonly number[])[]): XbarSLimits {
  const n = subgroupSize(baseline)
  const c = shewhartConstants(n)
  const xbarbar = mean(baseline.map(mean))
  const sbar = mean(baseline.map(sampleSd))
  return {
    kind: 'xbar-s',
    n,
    xbar: { center: xbarbar, ucl: xbarbar + c.A3 * sbar, lcl: xbarbar - c.A3 * sbar },
    s: { center: sbar, ucl: c.B4 * sbar, lcl: c.B3 * sbar },
    sigmaWithin: sbar / c.c4,
  }
}

/** Moving ranges |xᵢ − xᵢ₋₁|, one fewer than the values. */
export function movingRanges(values: readonly number[]): number[] {
  const out: number[] = []
  for (let i = 1; i < values.length; i++) out.push(Math.abs((values[i] ?? 0) - (values[i - 1] ?? 0)))
  return out
}

/** Individuals / moving-range limits: x̄ ± E2·MR̄ (E2 = 2.660); MR: 0 … D4(2)·MR̄ (3.267). */
export function imrLimits(baseline: readonly number[]): ImrLimits {
  if (baseline.length < 2)
    throw analyticsError(AnalyticsErrorCode.notEnoughData, 'I-MR needs at least 2 values')
  checkFinite(baseline)
  const c = shewhartConstants(2)
  const xbar = mean(baseline)
  const mrbar = mean(movingRanges(baseline))
  return {
    kind: 'i-mr',
    individuals: { center: xbar, ucl: xbar + c.E2 * mrbar, lcl: xbar - c.E2 * mrbar },
    movingRange: { center: mrbar, ucl: c.D4 * mrbar, lcl: c.D3 * mrbar },
    sigmaWithin: mrbar / c.d2,
  }
}

export interface SubgroupChart<L> {
  readonly limits: L
  /** Subgroup means, one per subgroup */
  readonly means: readonly number[]
  /** Ranges (X̄-R) or standard deviations (X̄-S), one per subgroup */
  readonly spreads: readonly number[]
}

/** Plot subgroups against X̄-R limits (computed from `baseline`, or the subgroups themselves). */
export function xbarRChart(
  subgroups: readonly (readonly number[])[],
  limits: XbarRLimits = xbarRLimits(subgroups),
): SubgroupChart<XbarRLimits> {
  if (subgroups.length > 0 && subgroupSize(subgroups) !== limits.n) {
    throw analyticsError(AnalyticsErrorCode.subgroupSize, `subgroups must have the baseline size ${limits.n}`)
  }
  return { limits, means: subgroups.map(mean), spreads: subgroups.map(range) }
}

export function xbarSChart(
  subgroups: readonly (readonly number[])[],
  limits: XbarSLimits = xbarSLimits(subgroups),
): SubgroupChart<XbarSLimits> {
  if (subgroups.length > 0 && subgroupSize(subgroups) !== limits.n) {
    throw analyticsError(AnalyticsErrorCode.subgroupSize, `subgroups must have the baseline size ${limits.n}`)
  }
  return { limits, means: subgroups.map(mean), spreads: subgroups.map(sampleSd) }
}

export interface ImrChart {
  readonly limits: ImrLimits
  readonly values: readonly number[]
  /** movingRanges[i] is |values[i+1] − values[i]| */
  readonly movingRanges: readonly number[]
}

export function imrChart(values: readonly number[], limits: ImrLimits = imrLimits(values)): ImrChart {
  checkFinite(values)
  return { limits, values: [...values], movingRanges: movingRanges(values) }
}
