/** Advanced planning and scheduling: job shop / flexible job shop solver, checker and repair. */
export {
  type BreakdownWatcher,
  type BreakdownWatcherOptions,
  createBreakdownWatcher,
  createEpisodeTracker,
  DEFAULT_REPAIR_MS,
  type EpisodeTracker,
  isDownSample,
  STATE_POINT_KEY,
} from './breakdown-watcher.ts'
export { type CheckResult, checkSchedule, type Violation, type ViolationKind } from './checker.ts'
export { parseJsspInstance } from './jssp-format.ts'
export type {
  Interval,
  JobSpec,
  MachineCalendar,
  MachineKpi,
  MachineSpec,
  Objective,
  OperationAlternative,
  OperationSpec,
  Schedule,
  ScheduledOperation,
  ScheduleKpis,
  ShopModel,
} from './model.ts'
export type { ProgressEvent } from './parallel-solver.ts'
export {
  type Breakdown,
  type RepairResult,
  repairBreakdown,
  type SolveOptions,
  type SolveResult,
  solve,
  withOutage,
} from './planner.ts'
export { computeKpis } from './schedule-build.ts'
export { SchedulingErrors } from './scheduling-errors.ts'
