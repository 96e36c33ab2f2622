import { IdentErrors } from './identifiers-errors.ts'
import { tryParseHandle } from './handle-syntax.ts'

/**
 * Handle values (RFC 3651 §3): one record = a set of values with unique indexes.
 * Internally timestamps are epoch ms; the HTTP face renders ISO 8601.
 */
export type HandleDataFormat = 'string' | 'admin' | 'site' | 'base64' | 'hex' | 'vlist' | 'key'

export interface HandleData {
  readonly format: HandleDataFormat | (string & {})
  readonly value: unknown
}

/** Per-value access flags (Handle's PUBLIC_READ / PUBLIC_WRITE / ADMIN_READ / ADMIN_WRITE). */
export interface ValuePermissions {
  readonly publicRead: boolean
  readonly publicWrite: boolean
  readonly adminRead: boolean
  readonly adminWrite: boolean
}

export interface ValueRef {
  readonly index: number
  readonly handle: string
}

export interface HandleValue {
  readonly index: number
  readonly type: string
  readonly data: HandleData
  /** seconds */
  readonly ttl: number
  /** epoch ms, last modified */
  readonly timestamp: number
  readonly permissions: ValuePermissions
  readonly refs: readonly ValueRef[]
}

/** What a caller writes: everything but index/type/data is optional. */
export interface HandleValueInput {
  readonly index: number
  readonly type: string
  readonly data: HandleData
  readonly ttl?: number
  readonly timestamp?: number
  readonly permissions?: Partial<ValuePermissions>
  readonly refs?: readonly ValueRef[]
}

export interface AdminValue {
  readonly handle: string
  readonly index: number
  /** 12-character bit string, e.g. `011111111111` */
  readonly permissions: string
}

/** A site / delegation value in the spirit of HS_SITE (IDIS homing): where a prefix is served. */
export interface SiteValue {
  /** host name or IPv4/IPv6 address */
  readonly host: string
  readonly httpPort?: number
  readonly tcpPort?: number
  readonly udpPort?: number
  readonly ipType?: 4 | 6
  /** true when the HTTP interface is served over TLS */
  readonly https?: boolean
}

export const DEFAULT_TTL_S = 86400
export const MAX_INDEX = 2147483647
export const DEFAULT_PERMISSIONS: ValuePermissions = {
  publicRead: true,
  publicWrite: false,
  adminRead: true,
  adminWrite: true,
}
/** HS_ADMIN values are readable by the public in Handle; Ronghe keeps that default. */
export const ADMIN_PERMISSIONS_ALL = '011111111111'

/** Ronghe-specific delegation type: data.value is the base URL of the node that serves the prefix. */
export const RONGHE_NODE = 'RONGHE_NODE'

export const WellKnownTypes = {
  url: 'URL',
  email: 'EMAIL',
  admin: 'HS_ADMIN',
  site: 'HS_SITE',
  alias: 'HS_ALIAS',
  vlist: 'HS_VLIST',
  node: RONGHE_NODE,
} as const

export interface ValueProblem {
  /** position in the input array */
  readonly at: number
  readonly index?: number
  readonly field: string
  readonly code: string
  readonly message: string
}

const TYPE_RE = /^[A-Za-z0-9_.\-/:]{1,128}$/
const EMAIL_RE =
  /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s)
    return u.protocol === 'http:' || u.protocol === 'https:'
  } catch {
    return false
  }
}

function isAbsoluteUri(s: string): boolean {
  try {
    new URL(s)
    return true
  } catch {
    return false
  }
}

function isInt(n: unknown, min: number, max: number): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max
}

/** Problems of one value's type-specific content (URL, EMAIL, HS_ADMIN, HS_SITE, RONGHE_NODE). */
function typeProblems(v: HandleValueInput, at: number, out: ValueProblem[]): void {
  const push = (field: string, code: string, message: string): void => {
    out.push({ at, index: v.index, field, code, message })
  }
  const t = v.type.toUpperCase()
  const { format, value } = v.data
  if (t === 'URL') {
    if (format !== 'string') push('data.format', 'format', 'URL values have format "string"')
    else if (typeof value !== 'string' || !isAbsoluteUri(value))
      push('data.value', 'url', 'URL value must be an absolute URI')
  } else if (t === 'EMAIL') {
    if (format !== 'string') push('data.format', 'format', 'EMAIL values have format "string"')
    else if (typeof value !== 'string' || !EMAIL_RE.test(value))
      push('data.value', 'email', 'EMAIL value must be an e-mail address')
  } else if (t === 'HS_ADMIN') {
    if (format !== 'admin') push('data.format', 'format', 'HS_ADMIN values have format "admin"')
    else {
      const a = value as Partial<AdminValue> | null
      if (a === null || typeof a !== 'object')
        push('data.value', 'admin', 'HS_ADMIN value must be {handle, index, permissions}')
      else {
        if (typeof a.handle !== 'string' || tryParseHandle(a.handle) === null)
          push('data.value.handle', 'handle', 'admin handle must be a valid prefix/suffix handle')
        if (!isInt(a.index, 1, MAX_INDEX))
          push('data.value.index', 'index', 'admin index must be an integer 1…2147483647')
        if (typeof a.permissions !== 'string' || !/^[01]{12}$/.test(a.permissions))
          push('data.value.permissions', 'permissions', 'admin permissions must be a 12-character bit string')
      }
    }
  } else if (t === 'HS_SITE') {
    if (format !== 'site') push('data.format', 'format', 'HS_SITE values have format "site"')
    else {
      const s = value as Partial<SiteValue> | null
      if (s === null || typeof s !== 'object' || typeof s.host !== 'string' || s.host.length === 0)
        push('data.value.host', 'site', 'HS_SITE value needs a host')
      else {
        const ports = [s.httpPort, s.tcpPort, s.udpPort].filter((p) => p !== undefined)
        // IDIS SNMS requires at least one port per site (reference §2.3)
        if (ports.length === 0)
          push('data.value', 'site', 'HS_SITE value needs at least one of httpPort, tcpPort, udpPort')
        for (const [k, p] of [
          ['httpPort', s.httpPort],
          ['tcpPort', s.tcpPort],
          ['udpPort', s.udpPort],
        ] as const)
          if (p !== undefined && !isInt(p, 1, 65535)) push(`data.value.${k}`, 'port', `${k} must be 1…65535`)
        if (s.ipType !== undefined && s.ipType !== 4 && s.ipType !== 6)
          push('data.value.ipType', 'site', 'ipType is 4 or 6')
      }
    }
  } else if (t === RONGHE_NODE) {
    if (format !== 'string') push('data.format', 'format', `${RONGHE_NODE} values have format "string"`)
    else if (typeof value !== 'string' || !isHttpUrl(value))
      push('data.value', 'url', `${RONGHE_NODE} value must be the node's http(s) base URL`)
  } else if (format === 'string' && typeof value !== 'string') {
    push('data.value', 'string', 'format "string" needs a string value')
  } else if (
    (format === 'hex' && (typeof value !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(value))) ||
    (format === 'base64' && (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)))
  ) {
    push('data.value', 'encoding', `value is not valid ${format}`)
  }
}

/** Every problem of a value list (empty when valid): indexes, types, formats, ttl, refs, duplicates. */
export function valueProblems(values: readonly HandleValueInput[]): ValueProblem[] {
  const out: ValueProblem[] = []
  const seen = new Set<number>()
  values.forEach((v, at) => {
    if (v === null || typeof v !== 'object') {
      out.push({ at, field: '', code: 'shape', message: 'a value must be an object' })
      return
    }
    if (!isInt(v.index, 1, MAX_INDEX))
      out.push({ at, field: 'index', code: 'index', message: 'index must be an integer 1…2147483647' })
    else if (seen.has(v.index))
      out.push({
        at,
        index: v.index,
        field: 'index',
        code: 'duplicate',
        message: `index ${v.index} appears twice`,
      })
    else seen.add(v.index)
    if (typeof v.type !== 'string' || !TYPE_RE.test(v.type)) {
      out.push({
        at,
        index: v.index,
        field: 'type',
        code: 'type',
        message: 'type must be 1–128 of A-Z a-z 0-9 _ . - / :',
      })
      return
    }
    if (v.data === null || typeof v.data !== 'object' || typeof v.data.format !== 'string') {
      out.push({ at, index: v.index, field: 'data', code: 'shape', message: 'data must be {format, value}' })
      return
    }
    if (v.ttl !== undefined && !isInt(v.ttl, 0, MAX_INDEX))
      out.push({ at, index: v.index, field: 'ttl', code: 'ttl', message: 'ttl must be whole seconds ≥ 0' })
    for (const [i, r] of (v.refs ?? []).entries())
      if (!isInt(r.index, 1, MAX_INDEX) || typeof r.handle !== 'string' || tryParseHandle(r.handle) === null)
        out.push({
          at,
          index: v.index,
          field: `refs[${i}]`,
          code: 'ref',
          message: 'ref must be {index, handle}',
        })
    typeProblems(v, at, out)
  })
  return out
}

/** Validate and complete values (defaults for ttl, timestamp, permissions); throws IDENT_INVALID_VALUE. */
export function normalizeValues(values: readonly HandleValueInput[], now: number): HandleValue[] {
  const problems = valueProblems(values)
  if (problems.length > 0)
    throw IdentErrors.invalidValue(
      `${problems.length} invalid handle value(s): ${problems.map((p) => `[${p.at}] ${p.field}: ${p.message}`).join('; ')}`,
      { problems },
    )
  return values
    .map((v) => ({
      index: v.index,
      type: v.type,
      data: { format: v.data.format, value: v.data.value },
      ttl: v.ttl ?? DEFAULT_TTL_S,
      timestamp: v.timestamp ?? now,
      permissions: { ...DEFAULT_PERMISSIONS, ...v.permissions },
      refs: v.refs ?? [],
    }))
    .sort((a, b) => a.index - b.index)
}

// ---- builders for the well-known types ----

export function urlValue(index: number, url: string, ttl = DEFAULT_TTL_S): HandleValueInput {
  return { index, type: 'URL', data: { format: 'string', value: url }, ttl }
}

export function emailValue(index: number, email: string, ttl = DEFAULT_TTL_S): HandleValueInput {
  return { index, type: 'EMAIL', data: { format: 'string', value: email }, ttl }
}

export function adminValue(
  index: number,
  admin: { handle: string; index: number; permissions?: string },
  ttl = DEFAULT_TTL_S,
): HandleValueInput {
  return {
    index,
    type: 'HS_ADMIN',
    data: {
      format: 'admin',
      value: {
        handle: admin.handle,
        index: admin.index,
        permissions: admin.permissions ?? ADMIN_PERMISSIONS_ALL,
      },
    },
    ttl,
  }
}

export function siteValue(index: number, site: SiteValue, ttl = DEFAULT_TTL_S): HandleValueInput {
  return { index, type: 'HS_SITE', data: { format: 'site', value: site }, ttl }
}

export function nodeValue(index: number, baseUrl: string, ttl = DEFAULT_TTL_S): HandleValueInput {
  return { index, type: RONGHE_NODE, data: { format: 'string', value: baseUrl }, ttl }
}

export function stringValue(
  index: number,
  type: string,
  value: string,
  ttl = DEFAULT_TTL_S,
): HandleValueInput {
  return { index, type, data: { format: 'string', value }, ttl }
}

/** The base URL a delegation value points at (RONGHE_NODE, or an HS_SITE with an httpPort), else null. */
export function delegationTarget(v: Pick<HandleValue, 'type' | 'data'>): string | null {
  const t = v.type.toUpperCase()
  if (t === RONGHE_NODE && typeof v.data.value === 'string' && isHttpUrl(v.data.value))
    return v.data.value.replace(/\/+$/, '')
  if (t === 'HS_SITE' && v.data.value !== null && typeof v.data.value === 'object') {
    const s = v.data.value as Partial<SiteValue>
    if (typeof s.host !== 'string' || s.httpPort === undefined) return null
    const host = s.ipType === 6 || (s.host.includes(':') && !s.host.startsWith('[')) ? `[${s.host}]` : s.host
    return `${s.https ? 'https' : 'http'}://${host}:${s.httpPort}`
  }
  return null
}

// ---- the type= / index= filters of resolution ----

export interface ValueFilter {
  readonly types?: readonly string[]
  readonly indexes?: readonly number[]
}

/**
 * Handle resolution filters: several types/indexes select their union; a type ending in "." selects
 * the dot-delimited subtypes (`URL.` → `URL.mirror`), a plain type matches exactly. Type comparison
 * ignores ASCII case (interpretation, as the Handle server compares types case-insensitively).
 */
export function typeMatches(query: string, type: string): boolean {
  const q = query.toUpperCase()
  const t = type.toUpperCase()
  if (q.endsWith('.')) return t.startsWith(q) || t === q.slice(0, -1)
  return t === q
}

export function filterValues<V extends Pick<HandleValue, 'index' | 'type'>>(
  values: readonly V[],
  f: ValueFilter,
): V[] {
  const types = f.types ?? []
  const indexes = f.indexes ?? []
  if (types.length === 0 && indexes.length === 0) return [...values]
  return values.filter((v) => indexes.includes(v.index) || types.some((q) => typeMatches(q, v.type)))
}

/** Values the public may read (publicRead flag). */
export function publicValues<V extends Pick<HandleValue, 'permissions'>>(values: readonly V[]): V[] {
  return values.filter((v) => v.permissions.publicRead)
}

/** The smallest ttl among values (seconds), or null for an empty list. */
export function minTtl(values: readonly Pick<HandleValue, 'ttl'>[]): number | null {
  let m: number | null = null
  for (const v of values) if (m === null || v.ttl < m) m = v.ttl
  return m
}
