import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'
import type { ControlLimits } from './control-charts.ts'

/**
 * Western Electric (1956) and Nelson (1984) run rules on a variables chart. σ is the chart's own
 * σ (the distance from the centre line to a 3σ limit divided by 3), so the rules apply to X̄, I or
 * any chart with symmetric limits.
 *
 * Conventions (stated because tools differ):
 * - "beyond kσ" is strictly beyond (|z| > k); a point exactly on the centre line belongs to neither
 *   side and breaks a same-side run; equal consecutive values break a trend and an alternation.
 * - A violation is reported at the point that completes the pattern (`index`) with every point of the
 *   pattern (`indexes`); a longer run reports again at each further point, so alarms can dedupe on
 *   the rule and the first index.
 * - "2 of 3" and "4 of 5": the completing point must itself be one of the points beyond the zone.
 * - Nelson 8 (mixture): 8 in a row more than 1σ from the centre, on either side (as Minitab).
 */
export type RuleSet = 'western-electric' | 'nelson'

export interface RuleViolation {
  readonly ruleSet: RuleSet
  /** Rule number within its set (Western Electric 1–4, Nelson 1–8) */
  readonly rule: number
  readonly description: string
  /** The point that completes the pattern */
  readonly index: number
  /** All points of the pattern, ascending */
  readonly indexes: readonly number[]
}

export interface RuleOptions {
  readonly ruleSet: RuleSet
  /** Same-side run length: Western Electric 8, Nelson 9 by default (some AIAG manuals use 7) */
  readonly runLength?: number
  /** Restrict to these rule numbers */
  readonly rules?: readonly number[]
}

type Detector = (z: readonly number[], x: readonly number[], i: number) => number[] | null

const span = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k)

function beyondOfWindow(
  z: readonly number[],
  i: number,
  size: number,
  need: number,
  k: number,
): number[] | null {
  if (i < size - 1) return null
  const zi = z[i] ?? 0
  const side = zi > k ? 1 : zi < -k ? -1 : 0
  if (side === 0) return null
  const hits: number[] = []
  for (let j = i - size + 1; j <= i; j++) if (side * (z[j] ?? 0) > k) hits.push(j)
  return hits.length >= need ? hits : null
}

function run(i: number, length: number, ok: (j: number) => boolean): number[] | null {
  if (i < length - 1) return null
  for (let j = i - length + 1; j <= i; j++) if (!ok(j)) return null
  return span(i - length + 1, i)
}

const beyond3: Detector = (z, _x, i) => (Math.abs(z[i] ?? 0) > 3 ? [i] : null)
const twoOfThree: Detector = (z, _x, i) => beyondOfWindow(z, i, 3, 2, 2)
const fourOfFive: Detector = (z, _x, i) => beyondOfWindow(z, i, 5, 4, 1)
const sameSide =
  (length: number): Detector =>
  (z, _x, i) => {
    const s = Math.sign(z[i] ?? 0)
    return s === 0 ? null : run(i, length, (j) => Math.sign(z[j] ?? 0) === s)
  }
const trend: Detector = (_z, x, i) => {
  // 6 points, 5 consecutive steps in the same direction
  if (i < 5) return null
  const dir = Math.sign((x[i] ?? 0) - (x[i - 1] ?? 0))
  if (dir === 0) return null
  return run(i, 5, (j) => Math.sign((x[j] ?? 0) - (x[j - 1] ?? 0)) === dir) === null ? null : span(i - 5, i)
}
const alternating: Detector = (_z, x, i) => {
  // 14 points, 13 steps alternating in sign
  if (i < 13) return null
  for (let j = i - 12; j <= i; j++) {
    const d = Math.sign((x[j] ?? 0) - (x[j - 1] ?? 0))
    if (d === 0) return null
    if (j > i - 12 && d === Math.sign((x[j - 1] ?? 0) - (x[j - 2] ?? 0))) return null
  }
  return span(i - 13, i)
}
const within1: Detector = (z, _x, i) => run(i, 15, (j) => Math.abs(z[j] ?? 0) < 1)
const outside1: Detector = (z, _x, i) => run(i, 8, (j) => Math.abs(z[j] ?? 0) > 1)

interface RuleDef {
  readonly rule: number
  readonly description: string
  readonly detect: Detector
}

function ruleDefs(ruleSet: RuleSet, runLength: number): RuleDef[] {
  if (ruleSet === 'western-electric') {
    return [
      { rule: 1, description: '1 point beyond 3σ', detect: beyond3 },
      { rule: 2, description: '2 of 3 points beyond 2σ on the same side', detect: twoOfThree },
      { rule: 3, description: '4 of 5 points beyond 1σ on the same side', detect: fourOfFive },
      {
        rule: 4,
        description: `${runLength} points in a row on one side of the centre line`,
        detect: sameSide(runLength),
      },
    ]
  }
  return [
    { rule: 1, description: '1 point beyond 3σ', detect: beyond3 },
    {
      rule: 2,
      description: `${runLength} points in a row on one side of the centre line`,
      detect: sameSide(runLength),
    },
    { rule: 3, description: '6 points in a row steadily increasing or decreasing', detect: trend },
    { rule: 4, description: '14 points in a row alternating up and down', detect: alternating },
    { rule: 5, description: '2 of 3 points beyond 2σ on the same side', detect: twoOfThree },
    { rule: 6, description: '4 of 5 points beyond 1σ on the same side', detect: fourOfFive },
    { rule: 7, description: '15 points in a row within 1σ (stratification)', detect: within1 },
    { rule: 8, description: '8 points in a row beyond 1σ on either side (mixture)', detect: outside1 },
  ]
}

/** Every rule violation in `values` against `limits`, ordered by index then rule. */
export function detectRuleViolations(
  values: readonly number[],
  limits: ControlLimits,
  options: RuleOptions,
): RuleViolation[] {
  const sigma = (limits.ucl - limits.center) / 3
  if (
    !(sigma > 0) ||
    Math.abs(limits.center - limits.lcl - 3 * sigma) > 1e-9 * Math.max(1, Math.abs(sigma))
  ) {
    throw analyticsError(
      AnalyticsErrorCode.invalidOption,
      'run rules need symmetric limits with σ > 0 (use them on X̄ or individuals charts)',
      limits,
    )
  }
  const runLength = options.runLength ?? (options.ruleSet === 'western-electric' ? 8 : 9)
  if (!Number.isInteger(runLength) || runLength < 2) {
    throw analyticsError(AnalyticsErrorCode.invalidOption, 'runLength must be an integer ≥ 2')
  }
  const defs = ruleDefs(options.ruleSet, runLength).filter(
    (d) => options.rules === undefined || options.rules.includes(d.rule),
  )
  const z = values.map((v) => (v - limits.center) / sigma)
  const out: RuleViolation[] = []
  for (let i = 0; i < values.length; i++) {
    for (const d of defs) {
      const indexes = d.detect(z, values, i)
      if (indexes !== null) {
        out.push({ ruleSet: options.ruleSet, rule: d.rule, description: d.description, index: i, indexes })
      }
    }
  }
  return out
}
