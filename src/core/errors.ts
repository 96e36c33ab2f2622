/**
 * The one error type that reaches callers. Each module lists its codes in a `*-errors.ts` file;
 * the API's error handler is the only place that turns a RongheError into an HTTP response.
 */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503

export interface RongheErrorOptions {
  readonly status?: ErrorStatus
  readonly details?: unknown
  readonly cause?: unknown
}

export class RongheError extends Error {
  readonly code: string
  readonly status: ErrorStatus
  readonly details: unknown

  constructor(code: string, message: string, options: RongheErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'RongheError'
    this.code = code
    this.status = options.status ?? 400
    this.details = options.details
  }

  toJSON(): { code: string; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details }
  }
}

export function isRongheError(err: unknown): err is RongheError {
  return err instanceof RongheError
}

/** Codes shared by every module. Module-specific codes live beside the module. */
export const CoreErrors = {
  validation: (message: string, details?: unknown): RongheError =>
    new RongheError('VALIDATION_FAILED', message, { status: 400, details }),
  notFound: (what: string, id: string): RongheError =>
    new RongheError('NOT_FOUND', `${what} ${id} does not exist`, { status: 404, details: { what, id } }),
  conflict: (message: string, details?: unknown, cause?: unknown): RongheError =>
    new RongheError('STORE_CONFLICT', message, { status: 409, details, cause }),
  forbidden: (message: string): RongheError => new RongheError('AUTH_FORBIDDEN', message, { status: 403 }),
  unauthenticated: (message: string): RongheError =>
    new RongheError('AUTH_UNAUTHENTICATED', message, { status: 401 }),
} as const
