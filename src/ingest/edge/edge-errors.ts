import { RongheError } from '../../core/index.ts'

/** Error codes of the edge gateway. */
export const EdgeErrors = {
  badConfig: (why: string, details?: unknown): RongheError =>
    new RongheError('EDGE_BAD_CONFIG', `invalid edge gateway configuration: ${why}`, {
      status: 400,
      details,
    }),
  stopped: (): RongheError =>
    new RongheError('EDGE_STOPPED', 'the edge gateway is stopped; its queue is closed', { status: 503 }),
  drainTimeout: (ms: number, depth: number): RongheError =>
    new RongheError('EDGE_DRAIN_TIMEOUT', `the queue still holds ${depth} samples after ${ms} ms`, {
      status: 503,
      details: { depth },
    }),
} as const
