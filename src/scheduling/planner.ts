import type { Interval, Objective, Schedule, ScheduleKpis, ShopModel } from './model.ts'
import { runSearches, type ProgressEvent } from './parallel-solver.ts'
import { compileModel, type Problem } from './problem.ts'
import { SchedulingErrors } from './scheduling-errors.ts'
import { computeKpis, fromSchedule, toSchedule } from './schedule-build.ts'

export interface SolveOptions {
  readonly objective?: Objective
  /** compute budget; default 10 s */
  readonly timeLimitMs?: number
  readonly seed?: number
  /** search threads (default 2); 0 = on the calling thread */
  readonly workers?: number
  /** per-thread iteration budget: with it, a seed gives the same schedule on every run */
  readonly maxIterations?: number
  /** stop as soon as the objective reaches this value */
  readonly target?: number
  readonly signal?: AbortSignal
  readonly onProgress?: (e: ProgressEvent) => void
}

export interface SolveResult {
  readonly schedule: Schedule
  readonly kpis: ScheduleKpis
  readonly objective: Objective
  /** value of the objective (makespan or total weighted tardiness) */
  readonly value: number
  /** true when the makespan equals a proven lower bound (or the target was reached) */
  readonly reachedTarget: boolean
  readonly initial: { readonly rule: string; readonly value: number }
  readonly iterations: number
  readonly elapsedMs: number
  readonly cancelled: boolean
}

async function solveProblem(model: ShopModel, p: Problem, options: SolveOptions, initial?: Schedule) {
  const objective = options.objective ?? 'makespan'
  const out = await runSearches(p, {
    objective,
    timeLimitMs: options.timeLimitMs ?? 10_000,
    seed: options.seed ?? 1,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.maxIterations === undefined ? {} : { maxIterations: options.maxIterations }),
    ...(options.target === undefined ? {} : { target: options.target }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(initial === undefined ? {} : { initial: fromSchedule(p, initial) }),
  })
  const schedule = toSchedule(p, out.best.solution)
  return {
    schedule,
    kpis: computeKpis(model, schedule),
    objective,
    value: out.best.value,
    reachedTarget: out.best.reachedTarget,
    initial: { rule: out.best.initialRule, value: out.best.initialValue },
    iterations: out.threads.reduce((a, t) => a + t.iterations, 0),
    elapsedMs: out.elapsedMs,
    cancelled: out.cancelled,
  }
}

/** Model → schedule + KPIs: dispatching rules, then tabu search on every core. */
export async function solve(model: ShopModel, options: SolveOptions = {}): Promise<SolveResult> {
  return solveProblem(model, compileModel(model), options)
}

export interface Breakdown {
  readonly machine: string
  /** when the machine went down ("now" for the repair: nothing new starts before it) */
  readonly start: number
  /** expected end of the repair */
  readonly end: number
}

export interface RepairResult {
  /** the model with the outage added to the machine's calendar; both schedules are valid for it */
  readonly model: ShopModel
  /** same machines and order, everything after the breakdown pushed right as needed */
  readonly rightShift: { readonly schedule: Schedule; readonly kpis: ScheduleKpis }
  /** everything not yet started re-planned (order and, in flexible shops, machines) */
  readonly reoptimised: SolveResult
  /** operations already started and untouched by the breakdown, kept as they were */
  readonly frozen: number
}

/** The model with an outage added to one machine's calendar. */
export function withOutage(model: ShopModel, machine: string, outage: Interval): ShopModel {
  if (!model.machines.some((m) => m.id === machine)) {
    throw SchedulingErrors.invalidModel(`unknown machine ${machine}`)
  }
  return {
    ...model,
    machines: model.machines.map((m) =>
      m.id !== machine
        ? m
        : { ...m, calendar: { ...m.calendar, outages: [...(m.calendar?.outages ?? []), outage] } },
    ),
  }
}

/**
 * A machine broke down while `schedule` was running. Operations that started before the breakdown
 * keep their machine and times, except the one interrupted on the broken machine, which restarts
 * after the repair (operations are not pre-emptible). Two proposals are returned for a planner to
 * compare: right-shift repair and full re-optimisation of everything not yet started.
 */
export async function repairBreakdown(
  model: ShopModel,
  schedule: Schedule,
  breakdown: Breakdown,
  options: SolveOptions = {},
): Promise<RepairResult> {
  if (!(breakdown.end > breakdown.start))
    throw SchedulingErrors.invalidModel('breakdown must end after it starts')
  const repaired = withOutage(model, breakdown.machine, { start: breakdown.start, end: breakdown.end })
  const base = compileModel(repaired)
  const broken = repaired.machines.findIndex((m) => m.id === breakdown.machine)
  const frozen = new Uint8Array(base.nOps)
  const original = new Float64Array(base.nOps)
  let nFrozen = 0
  for (const s of schedule.operations) {
    const o = base.jobStart[s.job]! + s.operation
    original[o] = s.start
    const interrupted = s.machine === broken && s.end > breakdown.start
    if (s.start < breakdown.start && !interrupted) {
      frozen[o] = 1
      nFrozen++
    }
  }
  // right shift: nothing moves earlier than planned, order and machines unchanged
  const shiftProblem: Problem = { ...base, minStart: original, frozen }
  const rsSchedule = toSchedule(shiftProblem, fromSchedule(shiftProblem, schedule))
  const rightShift = { schedule: rsSchedule, kpis: computeKpis(repaired, rsSchedule) }

  const minStart = new Float64Array(base.nOps)
  for (let o = 0; o < base.nOps; o++) minStart[o] = frozen[o] === 1 ? original[o]! : breakdown.start
  const reoptProblem: Problem = { ...base, minStart, frozen }
  const reoptimised = await solveProblem(repaired, reoptProblem, options, rsSchedule)
  return { model: repaired, rightShift, reoptimised, frozen: nFrozen }
}
