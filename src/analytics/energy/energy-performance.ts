import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'
import rules from './data/energy-monitoring-rules.json' with { type: 'json' }

/** Energy per good part (kWh, kgce … per part); null when no good part was made. */
export function energyPerGoodPart(energy: number, goodParts: number): number | null {
  return goodParts > 0 ? energy / goodParts : null
}

export interface BaselinePoint {
  /** Relevant variable, normally output (parts, t) */
  readonly output: number
  readonly energy: number
}

/** ISO 50006 regression energy baseline: E = a + b × output, fitted by least squares. */
export interface EnergyBaseline {
  readonly a: number
  readonly b: number
  /** Coefficient of determination: check it before trusting the model (ISO 50006) */
  readonly r2: number
  readonly n: number
  readonly outputMin: number
  readonly outputMax: number
}

export function fitEnergyBaseline(points: readonly BaselinePoint[]): EnergyBaseline {
  const n = points.length
  if (n < 3)
    throw analyticsError(AnalyticsErrorCode.notEnoughData, 'a regression baseline needs at least 3 periods')
  let sx = 0
  let sy = 0
  for (const p of points) {
    sx += p.output
    sy += p.energy
  }
  const mx = sx / n
  const my = sy / n
  let sxx = 0
  let sxy = 0
  let syy = 0
  for (const p of points) {
    sxx += (p.output - mx) ** 2
    sxy += (p.output - mx) * (p.energy - my)
    syy += (p.energy - my) ** 2
  }
  if (!(sxx > 0))
    throw analyticsError(AnalyticsErrorCode.notEnoughData, 'output does not vary in the baseline period')
  const b = sxy / sxx
  const a = my - b * mx
  let ssRes = 0
  for (const p of points) ssRes += (p.energy - (a + b * p.output)) ** 2
  return {
    a,
    b,
    r2: syy > 0 ? 1 - ssRes / syy : 1,
    n,
    outputMin: Math.min(...points.map((p) => p.output)),
    outputMax: Math.max(...points.map((p) => p.output)),
  }
}

export interface EnpiPeriodResult {
  readonly output: number
  readonly actual: number
  /** Baseline energy normalised to this period's output: a + b × output */
  readonly expected: number
  /** ΔE = expected − actual (positive = saved) */
  readonly savings: number
  /** ΔE / expected */
  readonly improvement: number | null
  /** EnPI ratio = actual / expected (below 1 = better than baseline) */
  readonly enpiRatio: number | null
  /** CUSUM of savings up to and including this period */
  readonly cusum: number
  /** Output outside the baseline's range: the model is extrapolated */
  readonly extrapolated: boolean
}

/** Normalised EnPI per reporting period against a regression baseline, with CUSUM. */
export function evaluateEnpi(
  baseline: EnergyBaseline,
  periods: readonly BaselinePoint[],
): EnpiPeriodResult[] {
  let cusum = 0
  return periods.map((p) => {
    const expected = baseline.a + baseline.b * p.output
    const savings = expected - p.energy
    cusum += savings
    return {
      output: p.output,
      actual: p.energy,
      expected,
      savings,
      improvement: expected > 0 ? savings / expected : null,
      enpiRatio: expected > 0 ? p.energy / expected : null,
      cusum,
      extrapolated: p.output < baseline.outputMin || p.output > baseline.outputMax,
    }
  })
}

/** Ratio EnPI (energy per unit of output) and its improvement (EnPI_base − EnPI_report) / EnPI_base. */
export function ratioEnpiImprovement(
  base: BaselinePoint,
  report: BaselinePoint,
): { readonly base: number | null; readonly report: number | null; readonly improvement: number | null } {
  const b = base.output > 0 ? base.energy / base.output : null
  const r = report.output > 0 ? report.energy / report.output : null
  return { base: b, report: r, improvement: b !== null && r !== null && b > 0 ? (b - r) / b : null }
}

export const ENERGY_MONITORING_RULES: {
  readonly version: string
  readonly source: string
  readonly keyUnitThresholdTce: number
  readonly designatedBandTce: readonly number[]
  readonly completenessMin: number
  readonly dailyVsMonthlyMaxDeviation: number
} = rules

export type KeyUnitStatus = 'key' | 'designation-band' | 'none'

/**
 * 重点用能单位: annual comprehensive energy consumption ≥ 10 000 tce; 5 000–10 000 tce units can be
 * designated by the authority ('designation-band').
 */
export function keyEnergyUnitStatus(annualTce: number): KeyUnitStatus {
  if (annualTce >= ENERGY_MONITORING_RULES.keyUnitThresholdTce) return 'key'
  const [lo = 5000] = ENERGY_MONITORING_RULES.designatedBandTce
  return annualTce >= lo ? 'designation-band' : 'none'
}

export function isKeyEnergyConsumingUnit(annualTce: number): boolean {
  return keyEnergyUnitStatus(annualTce) === 'key'
}
