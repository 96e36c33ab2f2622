import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'
import { imrLimits, mean, sampleSd, xbarRLimits, xbarSLimits } from './control-charts.ts'

export interface SpecLimits {
  readonly lsl?: number
  readonly usl?: number
}

/**
 * Process capability (Cp, Cpk with within-subgroup σ̂) and performance (Pp, Ppk with the overall
 * sample SD). One-sided specifications give only the matching one-sided index; Cp / Pp need both.
 * Meaningful only for an in-control, roughly normal process: check the control chart first.
 */
export interface Capability {
  readonly n: number
  readonly mean: number
  readonly sigmaWithin: number
  readonly sigmaOverall: number
  readonly cp: number | null
  readonly cpu: number | null
  readonly cpl: number | null
  readonly cpk: number | null
  readonly pp: number | null
  readonly ppu: number | null
  readonly ppl: number | null
  readonly ppk: number | null
}

function indices(
  mu: number,
  sigma: number,
  spec: SpecLimits,
): { p: number | null; u: number | null; l: number | null; k: number | null } {
  const { lsl, usl } = spec
  const p = lsl !== undefined && usl !== undefined ? (usl - lsl) / (6 * sigma) : null
  const u = usl !== undefined ? (usl - mu) / (3 * sigma) : null
  const l = lsl !== undefined ? (mu - lsl) / (3 * sigma) : null
  const k = u !== null && l !== null ? Math.min(u, l) : (u ?? l)
  return { p, u, l, k }
}

/** Indices from all individual values and a given within-subgroup σ̂. */
export function capability(values: readonly number[], sigmaWithin: number, spec: SpecLimits): Capability {
  if (spec.lsl === undefined && spec.usl === undefined) {
    throw analyticsError(AnalyticsErrorCode.invalidSpec, 'a specification needs LSL, USL or both')
  }
  if (spec.lsl !== undefined && spec.usl !== undefined && !(spec.usl > spec.lsl)) {
    throw analyticsError(AnalyticsErrorCode.invalidSpec, 'USL must be greater than LSL', spec)
  }
  if (values.length < 2)
    throw analyticsError(AnalyticsErrorCode.notEnoughData, 'capability needs at least 2 values')
  const mu = mean(values)
  const sigmaOverall = sampleSd(values)
  if (!(sigmaWithin > 0) || !(sigmaOverall > 0)) {
    throw analyticsError(
      AnalyticsErrorCode.notEnoughData,
      'capability needs a process with variation (σ > 0)',
    )
  }
  const w = indices(mu, sigmaWithin, spec)
  const o = indices(mu, sigmaOverall, spec)
  return {
    n: values.length,
    mean: mu,
    sigmaWithin,
    sigmaOverall,
    cp: w.p,
    cpu: w.u,
    cpl: w.l,
    cpk: w.k,
    pp: o.p,
    ppu: o.u,
    ppl: o.l,
    ppk: o.k,
  }
}

/** Within σ̂ from R̄/d2 (method 'r', default) or S̄/c4 (method 's'). */
export function capabilityFromSubgroups(
  subgroups: readonly (readonly number[])[],
  spec: SpecLimits,
  method: 'r' | 's' = 'r',
): Capability {
  const sigma = method === 'r' ? xbarRLimits(subgroups).sigmaWithin : xbarSLimits(subgroups).sigmaWithin
  return capability(subgroups.flat(), sigma, spec)
}

/** Within σ̂ from MR̄/1.128. */
export function capabilityFromIndividuals(values: readonly number[], spec: SpecLimits): Capability {
  return capability(values, imrLimits(values).sigmaWithin, spec)
}
