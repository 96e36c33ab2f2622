/**
 * Robust statistics used by the early-warning rules: an EWMA baseline with robust scale, a k-of-n
 * persistence window and the Theil–Sen line fit. Pure functions and small state objects, no I/O.
 */

/** mean absolute deviation × √(π/2) estimates σ for normal data */
const MAD_TO_SIGMA = Math.sqrt(Math.PI / 2)

export interface EwmaBaseline {
  count: number
  mean: number
  /** exponentially weighted mean absolute deviation */
  absDev: number
  /** EWMA of the robust z-scores (drift statistic) */
  zSmoothed: number
}

export function newBaseline(): EwmaBaseline {
  return { count: 0, mean: 0, absDev: 0, zSmoothed: 0 }
}

export interface BaselineScore {
  /** robust z-score of this sample against the baseline before it was updated */
  readonly z: number
  /** EWMA of z (clipped), including this sample */
  readonly zSmoothed: number
  readonly sigma: number
}

/**
 * Scores `x` against the baseline, then learns from it. During warm-up the baseline uses plain running
 * averages (alpha = 1/count) so it converges quickly. Afterwards it learns with `alpha` from a value
 * clipped to mean ± clip·σ (a Huber-style update), so one spike cannot drag the baseline, and it stops
 * learning entirely while `frozen` (an alarm is active) so a fault is not absorbed as the new normal.
 */
export function scoreAndLearn(
  b: EwmaBaseline,
  x: number,
  opts: { alpha: number; warmup: number; clip: number; lambda: number; minScale: number; frozen: boolean },
): BaselineScore {
  const sigma = Math.max(b.absDev * MAD_TO_SIGMA, opts.minScale)
  const z = b.count === 0 ? 0 : (x - b.mean) / sigma
  const warm = b.count >= opts.warmup
  // the drift statistic smooths z clipped to ±clip: spikes are the instant test's job, and one
  // spike must not keep the drift statistic high for dozens of samples
  const zc = Math.max(-opts.clip, Math.min(opts.clip, z))
  const zSmoothed = warm ? opts.lambda * zc + (1 - opts.lambda) * b.zSmoothed : 0
  if (warm) b.zSmoothed = zSmoothed
  if (!opts.frozen) {
    if (!warm) {
      b.count++
      const a = 1 / b.count
      const dev = Math.abs(x - b.mean)
      b.mean += a * (x - b.mean)
      b.absDev = b.count === 1 ? 0 : b.absDev + a * (dev - b.absDev)
    } else {
      b.count++
      const limit = opts.clip * sigma
      const r = Math.max(-limit, Math.min(limit, x - b.mean))
      b.mean += opts.alpha * r
      b.absDev += opts.alpha * (Math.abs(r) - b.absDev)
    }
  }
  return { z, zSmoothed, sigma }
}

/** The last n booleans, counting the true ones. */
export class KOfN {
  readonly #bits: boolean[]
  #next = 0
  #filled = 0
  #trues = 0
  constructor(readonly n: number) {
    this.#bits = new Array<boolean>(n).fill(false)
  }
  push(flag: boolean): number {
    if (this.#filled === this.n) {
      if (this.#bits[this.#next]) this.#trues--
    } else this.#filled++
    this.#bits[this.#next] = flag
    if (flag) this.#trues++
    this.#next = (this.#next + 1) % this.n
    return this.#trues
  }
  get trues(): number {
    return this.#trues
  }
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN
  values.sort((a, b) => a - b)
  const mid = values.length >> 1
  return values.length % 2 === 1
    ? (values[mid] as number)
    : ((values[mid - 1] as number) + (values[mid] as number)) / 2
}

export interface LineFit {
  /** units per ms */
  readonly slope: number
  /** value at t = 0 of the times given */
  readonly intercept: number
}

/**
 * Theil–Sen estimator: slope = median of pairwise slopes, intercept = median of y − slope·t.
 * Robust to up to ~29 % outliers; O(n²) pairs, so callers bucket long windows first.
 */
export function theilSen(ts: readonly number[], ys: readonly number[]): LineFit | null {
  const n = Math.min(ts.length, ys.length)
  if (n < 2) return null
  const slopes: number[] = []
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dt = (ts[j] as number) - (ts[i] as number)
      if (dt !== 0) slopes.push(((ys[j] as number) - (ys[i] as number)) / dt)
    }
  }
  if (slopes.length === 0) return null
  const slope = median(slopes)
  const residuals: number[] = []
  for (let i = 0; i < n; i++) residuals.push((ys[i] as number) - slope * (ts[i] as number))
  return { slope, intercept: median(residuals) }
}
