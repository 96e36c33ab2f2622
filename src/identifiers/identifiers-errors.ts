import { RongheError } from '../core/index.ts'

/**
 * Error codes of the identifiers module (registry, resolver, EPCIS, Digital Link, trace).
 * Stable and greppable: callers and the API match on `code`, never on the message.
 */
export const IdentErrorCodes = {
  invalidPrefix: 'IDENT_INVALID_PREFIX',
  invalidHandle: 'IDENT_INVALID_HANDLE',
  invalidValue: 'IDENT_INVALID_VALUE',
  handleExists: 'IDENT_HANDLE_EXISTS',
  handleNotFound: 'IDENT_HANDLE_NOT_FOUND',
  prefixExists: 'IDENT_PREFIX_EXISTS',
  prefixNotHeld: 'IDENT_PREFIX_NOT_HELD',
  templateViolation: 'IDENT_TEMPLATE_VIOLATION',
  unknownTemplate: 'IDENT_UNKNOWN_TEMPLATE',
  invalidTemplate: 'IDENT_INVALID_TEMPLATE',
  batchTooLarge: 'IDENT_BATCH_TOO_LARGE',
  invalidPattern: 'IDENT_INVALID_PATTERN',
  upstreamFailed: 'IDENT_UPSTREAM_FAILED',
  epcisInvalidEvent: 'EPCIS_INVALID_EVENT',
  epcisInvalidDocument: 'EPCIS_INVALID_DOCUMENT',
  epcisInvalidQuery: 'EPCIS_INVALID_QUERY',
  epcisInvalidPageToken: 'EPCIS_INVALID_PAGE_TOKEN',
  epcisDuplicateEvent: 'EPCIS_DUPLICATE_EVENT',
  dlInvalidUri: 'DL_INVALID_URI',
  traceInvalidStart: 'TRACE_INVALID_START',
  prefixOutsideNode: 'IDENT_PREFIX_OUTSIDE_NODE',
  dlLinksTaken: 'DL_LINKS_TAKEN',
  dlInvalidLink: 'DL_INVALID_LINK',
} as const

export type IdentErrorCode = (typeof IdentErrorCodes)[keyof typeof IdentErrorCodes]

export const IdentErrors = {
  invalidPrefix: (prefix: string, reason: string): RongheError =>
    new RongheError(IdentErrorCodes.invalidPrefix, `invalid prefix "${prefix}": ${reason}`, {
      status: 400,
      details: { prefix, reason },
    }),
  invalidHandle: (handle: string, reason: string): RongheError =>
    new RongheError(IdentErrorCodes.invalidHandle, `invalid handle "${handle}": ${reason}`, {
      status: 400,
      details: { handle, reason },
    }),
  invalidValue: (message: string, details?: unknown): RongheError =>
    new RongheError(IdentErrorCodes.invalidValue, message, { status: 400, details }),
  handleExists: (handle: string): RongheError =>
    new RongheError(IdentErrorCodes.handleExists, `handle ${handle} already exists`, {
      status: 409,
      details: { handle },
    }),
  handleNotFound: (handle: string): RongheError =>
    new RongheError(IdentErrorCodes.handleNotFound, `handle ${handle} does not exist`, {
      status: 404,
      details: { handle },
    }),
  prefixExists: (prefix: string): RongheError =>
    new RongheError(IdentErrorCodes.prefixExists, `prefix ${prefix} is already homed on this node`, {
      status: 409,
      details: { prefix },
    }),
  prefixNotHeld: (prefix: string): RongheError =>
    new RongheError(
      IdentErrorCodes.prefixNotHeld,
      `prefix ${prefix} is not homed by this tenant on this node`,
      {
        status: 403,
        details: { prefix },
      },
    ),
  templateViolation: (message: string, fieldErrors: readonly unknown[]): RongheError =>
    new RongheError(IdentErrorCodes.templateViolation, message, { status: 422, details: { fieldErrors } }),
  unknownTemplate: (id: string, version?: number): RongheError =>
    new RongheError(
      IdentErrorCodes.unknownTemplate,
      `metadata template ${id}${version === undefined ? '' : `@${version}`} does not exist`,
      { status: 404, details: { id, version } },
    ),
  invalidTemplate: (message: string, details?: unknown): RongheError =>
    new RongheError(IdentErrorCodes.invalidTemplate, message, { status: 400, details }),
  batchTooLarge: (size: number, max: number): RongheError =>
    new RongheError(IdentErrorCodes.batchTooLarge, `batch of ${size} exceeds the limit of ${max}`, {
      status: 413,
      details: { size, max },
    }),
  invalidPattern: (pattern: string, reason: string): RongheError =>
    new RongheError(IdentErrorCodes.invalidPattern, `invalid identifier pattern "${pattern}": ${reason}`, {
      status: 400,
      details: { pattern, reason },
    }),
  upstreamFailed: (url: string, reason: string, cause?: unknown): RongheError =>
    new RongheError(IdentErrorCodes.upstreamFailed, `upstream node ${url} failed: ${reason}`, {
      status: 503,
      details: { url, reason },
      cause,
    }),
  epcisInvalidEvent: (message: string, errors: readonly unknown[]): RongheError =>
    new RongheError(IdentErrorCodes.epcisInvalidEvent, message, { status: 400, details: { errors } }),
  epcisInvalidDocument: (message: string, errors?: readonly unknown[]): RongheError =>
    new RongheError(IdentErrorCodes.epcisInvalidDocument, message, { status: 400, details: { errors } }),
  epcisInvalidQuery: (param: string, reason: string): RongheError =>
    new RongheError(IdentErrorCodes.epcisInvalidQuery, `query parameter ${param}: ${reason}`, {
      status: 400,
      details: { param, reason },
    }),
  epcisInvalidPageToken: (): RongheError =>
    new RongheError(
      IdentErrorCodes.epcisInvalidPageToken,
      'nextPageToken is malformed or belongs to another query',
      { status: 400 },
    ),
  epcisDuplicateEvent: (eventId: string): RongheError =>
    new RongheError(IdentErrorCodes.epcisDuplicateEvent, `event ${eventId} was already captured`, {
      status: 409,
      details: { eventId },
    }),
  dlInvalidUri: (uri: string, reason: string): RongheError =>
    new RongheError(IdentErrorCodes.dlInvalidUri, `invalid GS1 Digital Link URI: ${reason}`, {
      status: 400,
      details: { uri, reason },
    }),
  prefixOutsideNode: (prefix: string, nodePrefix: string): RongheError =>
    new RongheError(
      IdentErrorCodes.prefixOutsideNode,
      `prefix ${prefix} is not under this node's prefix ${nodePrefix}`,
      { status: 400, details: { prefix, nodePrefix } },
    ),
  dlLinksTaken: (keyPath: string): RongheError =>
    new RongheError(IdentErrorCodes.dlLinksTaken, `links for ${keyPath} belong to another enterprise`, {
      status: 409,
      details: { keyPath },
    }),
  dlInvalidLink: (message: string, details?: unknown): RongheError =>
    new RongheError(IdentErrorCodes.dlInvalidLink, message, { status: 400, details }),
  traceInvalidStart: (id: string): RongheError =>
    new RongheError(IdentErrorCodes.traceInvalidStart, `cannot start a trace from "${id}"`, {
      status: 400,
      details: { id },
    }),
} as const
