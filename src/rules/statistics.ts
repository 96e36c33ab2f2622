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
  /** warm-up samples, until the baseline is seeded from their median and MAD */
  warmup: number[] | null
}

export function newBaseline(): EwmaBaseline {
  return { count: 0, mean: 0, absDev: 0, zSmoothed: 0, warmup: [] }
}

export interface BaselineOptions {
  /** learning rate per sample after warm-up */
  readonly alpha: number
  /** samples before the baseline is seeded and may flag anything */
  readonly warmup: number
  /** learning uses residuals clipped to ±clip·σ (Huber-style) */
  readonly clip: number
  /** smoothing of the drift statistic */
  readonly lambda: number
  readonly minScale: number
}

export interface BaselineScore {
  /** false during warm-up: z is then 0 and must not be used */
  readonly warm: boolean
  /** robust z-score of this sample against the baseline */
  readonly z: number
  /** EWMA of z (clipped), including this sample */
  readonly zSmoothed: number
  readonly sigma: number
}

export function sigmaOf(b: EwmaBaseline, minScale: number): number {
  return Math.max(b.absDev * MAD_TO_SIGMA, minScale)
}

/** Scores `x` against the baseline and updates the drift statistic (not the baseline). */
export function scoreSample(b: EwmaBaseline, x: number, opts: BaselineOptions): BaselineScore {
  const sigma = sigmaOf(b, opts.minScale)
  if (b.warmup !== null) return { warm: false, z: 0, zSmoothed: 0, sigma }
  const z = (x - b.mean) / sigma
  // the drift statistic smooths z clipped to ±clip: spikes are the instant test's job, and one
  // spike must not keep the drift statistic high for dozens of samples
  const zc = Math.max(-opts.clip, Math.min(opts.clip, z))
  b.zSmoothed = opts.lambda * zc + (1 - opts.lambda) * b.zSmoothed
  return { warm: true, z, zSmoothed: b.zSmoothed, sigma }
}

/**
 * Learns from `x`. Warm-up samples are kept and, when there are enough, seed the baseline with their
 * median and median absolute deviation, so a wild value during warm-up cannot skew it. Afterwards the
 * baseline moves with `alpha` towards a residual clipped to ±clip·σ. Callers do not learn from samples
 * they flagged, so a fault is never absorbed as the new normal.
 */
export function learnSample(b: EwmaBaseline, x: number, opts: BaselineOptions): void {
  b.count++
  if (b.warmup !== null) {
    b.warmup.push(x)
    if (b.warmup.length < opts.warmup) return
    const m = median(b.warmup.slice())
    const mad = median(b.warmup.map((v) => Math.abs(v - m)))
    b.mean = m
    // MAD·1.4826 estimates σ; store it as the mean absolute deviation that gives the same σ
    b.absDev = (mad * 1.4826) / MAD_TO_SIGMA
    b.warmup = null
    return
  }
  const limit = opts.clip * sigmaOf(b, opts.minScale)
  const r = Math.max(-limit, Math.min(limit, x - b.mean))
  b.mean += opts.alpha * r
  b.absDev += opts.alpha * (Math.abs(r) - b.absDev)
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
