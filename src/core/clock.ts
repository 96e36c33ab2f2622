/** Time source. Time inside Ronghe is epoch milliseconds (UTC). Tests inject a ManualClock. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

export class ManualClock implements Clock {
  #t: number
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#t = start
  }
  now(): number {
    return this.#t
  }
  set(t: number): void {
    this.#t = t
  }
  advance(ms: number): number {
    this.#t += ms
    return this.#t
  }
}
