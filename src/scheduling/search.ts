import { DISPATCH_RULES, dispatch } from './dispatch.ts'
import type { Objective } from './model.ts'
import type { Problem } from './problem.ts'
import { type Solution, timeSolution } from './solution.ts'
import { TabuEngine } from './tabu-engine.ts'

export interface SearchOptions {
  readonly objective: Objective
  readonly seed: number
  readonly timeLimitMs: number
  readonly maxIterations?: number
  readonly maxNoImprove?: number
  readonly tenure?: number
  /** stop when the primary objective reaches this value */
  readonly target?: number
  readonly initial?: Solution
}

export interface SearchResult {
  readonly solution: Solution
  readonly value: number
  readonly secondary: number
  readonly iterations: number
  /** the value equals a proven lower bound (or reached the caller's target) */
  readonly reachedTarget: boolean
  readonly initialRule: string
  readonly initialValue: number
}

function score(p: Problem, s: Solution, objective: Objective): [number, number] {
  const t = timeSolution(p, s)
  if (!t.feasible) return [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]
  return objective === 'makespan' ? [t.makespan, 0] : [t.twt, t.makespan]
}

/** The best dispatching-rule solution (ties: first rule in DISPATCH_RULES). */
export function bestDispatch(
  p: Problem,
  objective: Objective,
): { solution: Solution; rule: string; value: number } {
  let best: { solution: Solution; rule: string; v: [number, number] } | null = null
  for (const rule of DISPATCH_RULES) {
    const s = dispatch(p, rule)
    const v = score(p, s, objective)
    if (best === null || v[0] < best.v[0] || (v[0] === best.v[0] && v[1] < best.v[1])) {
      best = { solution: s, rule, v }
    }
  }
  return { solution: best!.solution, rule: best!.rule, value: best!.v[0] }
}

/**
 * One search thread: dispatching rules for a start, then tabu search until the deadline. Runs
 * synchronously in slices so a caller on the main thread can yield between them.
 */
export class Search {
  readonly engine: TabuEngine
  readonly deadline: number
  readonly maxIterations: number
  readonly initialRule: string
  readonly initialValue: number

  constructor(p: Problem, o: SearchOptions) {
    const start = Date.now()
    let initial: Solution
    let rule = 'given'
    let value: number
    if (o.initial !== undefined) {
      initial = o.initial
      value = score(p, initial, o.objective)[0]
    } else {
      const d = bestDispatch(p, o.objective)
      initial = d.solution
      rule = d.rule
      value = d.value
    }
    if (!Number.isFinite(value)) throw new Error('no feasible initial schedule (calendars too tight?)')
    this.engine = new TabuEngine(p, initial, {
      objective: o.objective,
      seed: o.seed,
      ...(o.maxNoImprove === undefined ? {} : { maxNoImprove: o.maxNoImprove }),
      ...(o.target === undefined ? {} : { target: o.target }),
      ...(o.tenure === undefined ? {} : { tenure: o.tenure }),
    })
    if (o.target !== undefined && this.engine.best1 <= o.target) this.engine.done = true
    this.deadline = start + o.timeLimitMs
    this.maxIterations = o.maxIterations ?? Number.POSITIVE_INFINITY
    this.initialRule = rule
    this.initialValue = value
  }

  get finished(): boolean {
    return this.engine.done || this.engine.iter >= this.maxIterations || Date.now() >= this.deadline
  }

  /** Runs for about `sliceMs` (or to the end). */
  runSlice(sliceMs: number, shouldStop: () => boolean): void {
    const until = Math.min(this.deadline, Date.now() + sliceMs)
    this.engine.run({ deadline: until, maxIterations: this.maxIterations, shouldStop })
  }

  result(): SearchResult {
    const e = this.engine
    return {
      solution: e.bestSol,
      value: e.best1,
      secondary: e.best2,
      iterations: e.iter,
      reachedTarget: e.best1 <= e.target,
      initialRule: this.initialRule,
      initialValue: this.initialValue,
    }
  }
}
