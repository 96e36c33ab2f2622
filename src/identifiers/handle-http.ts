import type { IncomingMessage, ServerResponse } from 'node:http'
import type { HandleValue, ValueFilter } from './handle-values.ts'
import { DEFAULT_PERMISSIONS } from './handle-values.ts'

/**
 * The Handle.Net HTTP JSON interface shape (REST API of Handle server v8+):
 * `GET /api/handles/{handle}` → `{responseCode, handle, values:[{index,type,data:{format,value},ttl,timestamp}]}`;
 * on error `values` is replaced by `message`. Response codes and their HTTP status follow the reference table.
 */
export const HandleResponseCode = {
  success: 1,
  error: 2,
  serverTooBusy: 3,
  handleNotFound: 100,
  handleAlreadyExists: 101,
  invalidHandle: 102,
  valuesNotFound: 200,
  valueAlreadyExists: 201,
  invalidValue: 202,
  serverNotResponsible: 301,
  invalidAdmin: 400,
  insufficientPermissions: 401,
  authenticationNeeded: 402,
  authenticationFailed: 403,
  invalidCredential: 404,
} as const

export type HandleOperation = 'resolve' | 'create' | 'modify' | 'delete'

/**
 * HTTP status for a response code. `200 values not found` is 200 when resolving (the handle exists, the
 * filter selected nothing) and 400 for writes; 1 is 201 when a create made a new handle.
 */
export function httpStatusFor(code: number, op: HandleOperation = 'resolve', created = false): number {
  switch (code) {
    case 1:
      return op === 'create' && created ? 201 : 200
    case 2:
      return 500
    case 3:
      return 503
    case 100:
      return 404
    case 101:
    case 201:
      return 409
    case 102:
    case 202:
    case 301:
      return 400
    case 200:
      return op === 'resolve' ? 200 : 400
    case 402:
      return 401
    default:
      if (code >= 400 && code < 500) return 403
      return 500
  }
}

/** Handle.Net's message texts for the codes it names. */
export const RESPONSE_MESSAGES: Readonly<Record<number, string>> = {
  2: 'Unexpected server error',
  3: 'Server too busy',
  100: 'Handle Not Found',
  101: 'Handle Already Exists',
  102: 'Invalid Handle',
  200: 'Values Not Found',
  201: 'Value Already Exists',
  202: 'Invalid Value',
  301: 'Server Not Responsible For Handle',
  400: 'Invalid Admin',
  401: 'Insufficient Permissions',
  402: 'Authentication Needed',
  403: 'Authentication Failed',
}

export interface HandleJsonValue {
  readonly index: number
  readonly type: string
  readonly data: { readonly format: string; readonly value: unknown }
  readonly ttl: number
  /** ISO 8601, UTC, second precision */
  readonly timestamp: string
}

export interface HandleSuccessBody {
  readonly responseCode: 1
  readonly handle: string
  readonly values: readonly HandleJsonValue[]
}

export interface HandleErrorBody {
  readonly responseCode: number
  readonly handle?: string
  readonly message?: string
}

export type HandleBody = HandleSuccessBody | HandleErrorBody

export function isoSeconds(ms: number): string {
  // toISOString always ends in `.sssZ`
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, -5)}Z`
}

export function toJsonValue(v: HandleValue): HandleJsonValue {
  return {
    index: v.index,
    type: v.type,
    data: { format: v.data.format, value: v.data.value },
    ttl: v.ttl,
    timestamp: isoSeconds(v.timestamp),
  }
}

export function successBody(handle: string, values: readonly HandleValue[]): HandleSuccessBody {
  return { responseCode: 1, handle, values: values.map(toJsonValue) }
}

export function errorBody(responseCode: number, handle?: string, message?: string): HandleErrorBody {
  const msg = message ?? RESPONSE_MESSAGES[responseCode]
  return {
    responseCode,
    ...(handle === undefined ? {} : { handle }),
    ...(msg === undefined ? {} : { message: msg }),
  }
}

/** A Handle JSON value read back (from an upstream node): permissions unknown → public read, as served. */
export function fromJsonValue(j: unknown): HandleValue | null {
  if (j === null || typeof j !== 'object') return null
  const o = j as Record<string, unknown>
  const data = o['data'] as Record<string, unknown> | undefined
  if (
    typeof o['index'] !== 'number' ||
    typeof o['type'] !== 'string' ||
    data === undefined ||
    typeof data['format'] !== 'string'
  )
    return null
  const ts = typeof o['timestamp'] === 'string' ? Date.parse(o['timestamp']) : Number.NaN
  return {
    index: o['index'],
    type: o['type'],
    data: { format: data['format'], value: data['value'] },
    ttl: typeof o['ttl'] === 'number' ? o['ttl'] : 0,
    timestamp: Number.isNaN(ts) ? 0 : ts,
    permissions: DEFAULT_PERMISSIONS,
    refs: [],
  }
}

export interface ResolveQuery {
  readonly filter: ValueFilter
  /** authoritative: bypass caches */
  readonly auth: boolean
  /** only publicly readable values; default true (unauthenticated callers cannot turn it off) */
  readonly publicOnly: boolean
}

/** Parse `type=`, `index=` (repeatable, also comma-separated), `auth=`, `publicOnly=`; null with the reason when malformed. */
export function parseResolveQuery(params: URLSearchParams): ResolveQuery | { error: string } {
  const types: string[] = []
  const indexes: number[] = []
  for (const t of params.getAll('type')) for (const x of t.split(',')) if (x !== '') types.push(x)
  for (const i of params.getAll('index'))
    for (const x of i.split(',')) {
      if (!/^\d{1,10}$/.test(x)) return { error: `index "${x}" is not a number` }
      indexes.push(Number(x))
    }
  const bool = (name: string, dflt: boolean): boolean | null => {
    const v = params.get(name)
    if (v === null) return dflt
    if (v === 'true' || v === '1') return true
    if (v === 'false' || v === '0') return false
    return null
  }
  const auth = bool('auth', false)
  const publicOnly = bool('publicOnly', true)
  if (auth === null) return { error: 'auth must be true or false' }
  if (publicOnly === null) return { error: 'publicOnly must be true or false' }
  return { filter: { types, indexes }, auth, publicOnly }
}

/** The handle in a `/api/handles/{handle}` path (percent-decoded), or null when the path is another one. */
export function handleFromPath(pathname: string, base = '/api/handles/'): string | null {
  if (!pathname.startsWith(base)) return null
  const rest = pathname.slice(base.length)
  if (rest === '') return null
  try {
    return rest.split('/').map(decodeURIComponent).join('/')
  } catch {
    return null
  }
}

/**
 * The public resolution's fast path, ahead of the web framework: an anonymous `GET
 * /api/handles/{handle}` with no query, answered from a fresh cache entry whose public body the
 * route has already serialised. It writes exactly what the route would (status, body, content type,
 * resolution source) and returns true; anything else — a query, a token, a tenant, a hop count, a
 * handle not cached or not yet serialised — returns false and goes the full way.
 */
export function createResolutionFastPath(resolver: {
  cachedPublicJson(handle: string): { readonly json: string; readonly upstream?: string } | null
}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const base = '/api/handles/'
  return (req, res) => {
    const url = req.url
    if (req.method !== 'GET' || url === undefined || !url.startsWith(base) || url.includes('?')) return false
    const h = req.headers
    if (
      h.authorization !== undefined ||
      h['x-ronghe-tenant'] !== undefined ||
      h['x-ronghe-resolution-hops'] !== undefined
    )
      return false
    const handle = handleFromPath(url, base)
    if (handle === null) return false
    const hit = resolver.cachedPublicJson(handle)
    if (hit === null) return false
    const headers: Record<string, string | number> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(hit.json),
      'x-ronghe-resolution-source': 'cache',
    }
    if (hit.upstream !== undefined) headers['x-ronghe-resolved-by'] = hit.upstream
    res.writeHead(200, headers)
    res.end(hit.json)
    return true
  }
}
