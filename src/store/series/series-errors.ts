import { RongheError } from '../../core/index.ts'

/**
 * Error codes of the series store. Every series adapter raises these, so callers never see an
 * engine's own error text as the code; the engine error stays attached as `cause`.
 * (Named duckdb-* only because this helper may not add other file names to the folder yet; the
 * PostgreSQL adapter should import the same catalogue — move it to series-errors.ts then.)
 */
export const SeriesErrorCodes = {
  invalidSample: 'SERIES_INVALID_SAMPLE',
  invalidQuery: 'SERIES_INVALID_QUERY',
  batchTooLarge: 'SERIES_BATCH_TOO_LARGE',
  closed: 'SERIES_CLOSED',
  locked: 'SERIES_LOCKED',
  storageFull: 'SERIES_STORAGE_FULL',
  openFailed: 'SERIES_OPEN_FAILED',
  engineFailed: 'SERIES_ENGINE_FAILED',
} as const

export type SeriesErrorCode = (typeof SeriesErrorCodes)[keyof typeof SeriesErrorCodes]

export const SeriesErrors = {
  invalidSample: (message: string, details?: unknown): RongheError =>
    new RongheError(SeriesErrorCodes.invalidSample, message, { status: 400, details }),
  invalidQuery: (message: string, details?: unknown): RongheError =>
    new RongheError(SeriesErrorCodes.invalidQuery, message, { status: 400, details }),
  batchTooLarge: (size: number, max: number): RongheError =>
    new RongheError(SeriesErrorCodes.batchTooLarge, `batch of ${size} samples exceeds the limit of ${max}`, {
      status: 413,
      details: { size, max },
    }),
  closed: (): RongheError =>
    new RongheError(SeriesErrorCodes.closed, 'the series store is closed', { status: 503 }),
} as const

/**
 * Turns an engine error into a RongheError at the adapter boundary. A RongheError passes through
 * unchanged. The operation name goes into `details` so a log line says what was being done.
 */
export function translateEngineError(err: unknown, operation: string): RongheError {
  if (err instanceof RongheError) return err
  const text = err instanceof Error ? err.message : String(err)
  if (/Could not set lock|Conflicting lock/i.test(text)) {
    return new RongheError(SeriesErrorCodes.locked, 'the series store file is in use by another process', {
      status: 503,
      details: { operation },
      cause: err,
    })
  }
  if (/No space left|disk is full/i.test(text)) {
    return new RongheError(SeriesErrorCodes.storageFull, `the series store ran out of space: ${text}`, {
      status: 503,
      details: { operation },
      cause: err,
    })
  }
  if (operation === 'open') {
    return new RongheError(SeriesErrorCodes.openFailed, `could not open the series store: ${text}`, {
      status: 500,
      details: { operation },
      cause: err,
    })
  }
  return new RongheError(SeriesErrorCodes.engineFailed, `series store ${operation} failed: ${text}`, {
    status: 500,
    details: { operation },
    cause: err,
  })
}
