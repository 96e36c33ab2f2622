import { RongheError } from '../core/index.ts'

/** Error codes of the bus adapters; the engine's error stays attached as `cause`. */
export const BusErrorCodes = {
  connectFailed: 'BUS_CONNECT_FAILED',
  publishFailed: 'BUS_PUBLISH_FAILED',
  invalidSubject: 'BUS_INVALID_SUBJECT',
  invalidConfig: 'BUS_INVALID_CONFIG',
} as const

export const BusErrors = {
  connectFailed: (message: string, cause: unknown): RongheError =>
    new RongheError(BusErrorCodes.connectFailed, message, { status: 503, cause }),
  publishFailed: (subject: string, cause: unknown): RongheError =>
    new RongheError(
      BusErrorCodes.publishFailed,
      `publishing on ${subject} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { status: 503, details: { subject }, cause },
    ),
  invalidSubject: (subject: string, why: string): RongheError =>
    new RongheError(BusErrorCodes.invalidSubject, `invalid bus subject ${JSON.stringify(subject)}: ${why}`, {
      status: 400,
      details: { subject },
    }),
  invalidConfig: (message: string): RongheError =>
    new RongheError(BusErrorCodes.invalidConfig, message, { status: 500 }),
} as const
