/**
 * The platform-facing shop model. Times are integers in one unit chosen by the caller (minutes,
 * seconds or epoch ms); the solver never assumes a unit.
 */
export interface Interval {
  readonly start: number
  /** exclusive */
  readonly end: number
}

/**
 * When a machine may work. Without `windows` it is always available; with them only inside them
 * (shifts). `outages` (maintenance, breakdowns) are removed from either. An operation, with its
 * set-up, runs without interruption inside one available stretch.
 */
export interface MachineCalendar {
  readonly windows?: readonly Interval[]
  readonly outages?: readonly Interval[]
}

export interface MachineSpec {
  readonly id: string
  readonly calendar?: MachineCalendar
  /**
   * Sequence-dependent set-up times: `setupTimes[fromFamily][toFamily]`, done right before the
   * operation on this machine. No set-up before a machine's first operation.
   */
  readonly setupTimes?: readonly (readonly number[])[]
}

export interface OperationAlternative {
  readonly machine: string
  readonly duration: number
}

export interface OperationSpec {
  readonly id?: string
  /** set-up family, index into the machine's setupTimes; 0 when absent */
  readonly family?: number
  /** eligible machines with their machine-specific processing times (one entry = classic job shop) */
  readonly alternatives: readonly OperationAlternative[]
}

export interface JobSpec {
  readonly id: string
  readonly release?: number
  readonly due?: number
  readonly weight?: number
  /** in route order: each operation starts after the previous one ends */
  readonly operations: readonly OperationSpec[]
}

export interface ShopModel {
  readonly machines: readonly MachineSpec[]
  readonly jobs: readonly JobSpec[]
}

export type Objective = 'makespan' | 'weighted-tardiness'

/** One operation placed in time. Machine busy from `start - setup` to `end`. */
export interface ScheduledOperation {
  readonly job: number
  readonly operation: number
  readonly machine: number
  readonly start: number
  readonly end: number
  readonly setup: number
}

export interface Schedule {
  /** job-major: operations of job 0 in route order, then job 1, … */
  readonly operations: readonly ScheduledOperation[]
}

export interface MachineKpi {
  readonly machine: string
  readonly busy: number
  readonly setup: number
  /** (busy + setup) / makespan, 0 when the makespan is 0 */
  readonly utilisation: number
}

export interface ScheduleKpis {
  readonly makespan: number
  readonly totalWeightedTardiness: number
  readonly tardyJobs: number
  readonly machines: readonly MachineKpi[]
}
