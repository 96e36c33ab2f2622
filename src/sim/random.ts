/**
 * Seeded randomness for the virtual factory. Every stream is derived from (seed, labels…) so that adding a
 * machine or a point does not shift the random numbers any other one sees.
 */

/** FNV-1a (32 bit) over the labels, then a murmur-style finaliser to spread the bits. */
export function hashSeed(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5
  for (const part of parts) {
    const s = String(part)
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i)
      h = Math.imul(h, 0x01000193)
    }
    h ^= 0x1f // separator, so ('ab','c') and ('a','bc') differ
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number
  /** Integer in [min, max]. */
  int(min: number, max: number): number
  /** Standard normal N(0, 1). */
  normal(): number
  /** Exponential with the given mean. */
  exponential(mean: number): number
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Chaotic generator): 128-bit state, passes PractRand, and is a
 * handful of 32-bit operations, which matters when a simulated day draws millions of numbers.
 */
export function createRng(seed: number): Rng {
  let a = 0x9e3779b9
  let b = 0x243f6a88
  let c = 0xb7e15162
  let d = seed >>> 0
  const raw = (): number => {
    a >>>= 0
    b >>>= 0
    c >>>= 0
    d >>>= 0
    let t = (a + b) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    d = (d + 1) | 0
    t = (t + d) | 0
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 15; i++) raw() // warm up: the first outputs of a fresh state are correlated
  let spare: number | null = null
  const rng: Rng = {
    next: raw,
    uniform: (min, max) => min + (max - min) * raw(),
    int: (min, max) => min + Math.floor((max - min + 1) * raw()),
    normal() {
      if (spare !== null) {
        const s = spare
        spare = null
        return s
      }
      // Box–Muller; 1 - u keeps the logarithm finite
      const u = 1 - raw()
      const v = raw()
      const r = Math.sqrt(-2 * Math.log(u))
      spare = r * Math.sin(2 * Math.PI * v)
      return r * Math.cos(2 * Math.PI * v)
    },
    exponential: (mean) => -mean * Math.log(1 - raw()),
    chance: (p) => raw() < p,
    pick<T>(items: readonly T[]): T {
      const item = items[Math.floor(raw() * items.length)]
      if (item === undefined) throw new Error('pick from an empty list')
      return item
    },
  }
  return rng
}
