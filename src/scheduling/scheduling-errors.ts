import { RongheError } from '../core/index.ts'

/** Error codes of the scheduling module (stable, greppable). */
export const SchedulingErrors = {
  invalidModel: (message: string, details?: unknown): RongheError =>
    new RongheError('SCHED_INVALID_MODEL', message, { status: 400, details }),
  invalidInstance: (message: string, details?: unknown): RongheError =>
    new RongheError('SCHED_INVALID_INSTANCE', message, { status: 400, details }),
  infeasible: (message: string, details?: unknown): RongheError =>
    new RongheError('SCHED_INFEASIBLE', message, { status: 422, details }),
  invalidSchedule: (message: string, details?: unknown): RongheError =>
    new RongheError('SCHED_INVALID_SCHEDULE', message, { status: 422, details }),
  workerFailed: (message: string, cause?: unknown): RongheError =>
    new RongheError('SCHED_WORKER_FAILED', message, { status: 500, cause }),
} as const
