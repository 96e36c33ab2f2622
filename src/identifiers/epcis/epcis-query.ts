import { createHash } from 'node:crypto'
import { IdentErrors } from '../identifiers-errors.ts'
import { canonicalCbv } from './cbv.ts'
import { EVENT_TYPES, type EpcisEvent, type EpcisEventType, type StoredEpcisEvent } from './epcis-types.ts'
import { parseEpcisTime } from './epcis-validate.ts'

/**
 * EPCIS 2.0 query parameters (REST binding) and their semantics over stored events. Times are
 * half-open: GE_ is inclusive, LT_ exclusive. List parameters take repeated values or values joined by
 * "|" or ","; a list matches when any value matches. MATCH_ values may be EPC patterns
 * (`urn:epc:idpat:sgtin:0614141.107346.*`). Results are ordered by eventTime, then capture order.
 */
export interface EpcisQuery {
  readonly eventType?: readonly EpcisEventType[]
  readonly GE_eventTime?: number
  readonly LT_eventTime?: number
  readonly GE_recordTime?: number
  readonly LT_recordTime?: number
  readonly EQ_action?: readonly string[]
  readonly EQ_bizStep?: readonly string[]
  readonly EQ_disposition?: readonly string[]
  readonly EQ_readPoint?: readonly string[]
  readonly EQ_bizLocation?: readonly string[]
  readonly EQ_eventID?: readonly string[]
  readonly EQ_persistentDisposition_set?: readonly string[]
  readonly EQ_persistentDisposition_unset?: readonly string[]
  readonly MATCH_epc?: readonly string[]
  readonly MATCH_parentID?: readonly string[]
  readonly MATCH_inputEPC?: readonly string[]
  readonly MATCH_outputEPC?: readonly string[]
  readonly MATCH_anyEPC?: readonly string[]
  readonly MATCH_epcClass?: readonly string[]
  readonly MATCH_anyEPCClass?: readonly string[]
  readonly perPage?: number
  readonly nextPageToken?: string
}

export interface EpcisPage {
  readonly events: readonly StoredEpcisEvent[]
  /** present when more events match */
  readonly nextPageToken?: string
}

export const DEFAULT_PER_PAGE = 30
export const MAX_PER_PAGE = 1000

const LIST_PARAMS = [
  'EQ_action',
  'EQ_bizStep',
  'EQ_disposition',
  'EQ_readPoint',
  'EQ_bizLocation',
  'EQ_eventID',
  'EQ_persistentDisposition_set',
  'EQ_persistentDisposition_unset',
  'MATCH_epc',
  'MATCH_parentID',
  'MATCH_inputEPC',
  'MATCH_outputEPC',
  'MATCH_anyEPC',
  'MATCH_epcClass',
  'MATCH_anyEPCClass',
] as const
const TIME_PARAMS = ['GE_eventTime', 'LT_eventTime', 'GE_recordTime', 'LT_recordTime'] as const

/** Parse query parameters (URLSearchParams or a record); unknown parameters are an error, not ignored. */
export function parseEpcisQuery(
  input: URLSearchParams | Readonly<Record<string, string | readonly string[]>>,
): EpcisQuery {
  const entries: [string, string][] =
    input instanceof URLSearchParams
      ? [...input.entries()]
      : Object.entries(input).flatMap(([k, v]) =>
          typeof v === 'string' ? [[k, v] as [string, string]] : v.map((x) => [k, x] as [string, string]),
        )
  const q: Record<string, unknown> = {}
  for (const [k, v] of entries) {
    if ((LIST_PARAMS as readonly string[]).includes(k) || k === 'eventType') {
      const values = v
        .split(/[|,]/)
        .map((x) => x.trim())
        .filter((x) => x !== '')
      if (values.length === 0) throw IdentErrors.epcisInvalidQuery(k, 'needs at least one value')
      if (k === 'eventType')
        for (const t of values)
          if (!(EVENT_TYPES as readonly string[]).includes(t))
            throw IdentErrors.epcisInvalidQuery(k, `"${t}" is not an event type`)
      if (k === 'EQ_action')
        for (const a of values)
          if (!['ADD', 'OBSERVE', 'DELETE'].includes(a))
            throw IdentErrors.epcisInvalidQuery(k, `"${a}" is not ADD, OBSERVE or DELETE`)
      q[k] = [...((q[k] as string[] | undefined) ?? []), ...values]
    } else if ((TIME_PARAMS as readonly string[]).includes(k)) {
      const ms = parseEpcisTime(v)
      if (ms === null)
        throw IdentErrors.epcisInvalidQuery(k, 'must be an ISO 8601 date-time with a time zone')
      q[k] = ms
    } else if (k === 'perPage' || k === 'PerPage') {
      if (!/^\d{1,6}$/.test(v) || Number(v) < 1 || Number(v) > MAX_PER_PAGE)
        throw IdentErrors.epcisInvalidQuery(k, `must be 1…${MAX_PER_PAGE}`)
      q['perPage'] = Number(v)
    } else if (k === 'nextPageToken' || k === 'NextPageToken') {
      q['nextPageToken'] = v
    } else throw IdentErrors.epcisInvalidQuery(k, 'is not a supported query parameter')
  }
  return q as EpcisQuery
}

/** Identifier roles in an event, as indexed by stores: which MATCH_ parameters look at which fields. */
export type IdRole = 'epc' | 'child' | 'parent' | 'input' | 'output' | 'class' | 'inputClass' | 'outputClass'

export function eventIdentifiers(e: EpcisEvent): { role: IdRole; id: string }[] {
  const out: { role: IdRole; id: string }[] = []
  for (const id of e.epcList ?? []) out.push({ role: 'epc', id })
  for (const id of e.childEPCs ?? []) out.push({ role: 'child', id })
  if (e.parentID !== undefined) out.push({ role: 'parent', id: e.parentID })
  for (const id of e.inputEPCList ?? []) out.push({ role: 'input', id })
  for (const id of e.outputEPCList ?? []) out.push({ role: 'output', id })
  for (const q of [...(e.quantityList ?? []), ...(e.childQuantityList ?? [])])
    out.push({ role: 'class', id: q.epcClass })
  for (const q of e.inputQuantityList ?? []) out.push({ role: 'inputClass', id: q.epcClass })
  for (const q of e.outputQuantityList ?? []) out.push({ role: 'outputClass', id: q.epcClass })
  return out
}

/** Roles each MATCH_ parameter looks at (EPCIS 2.0 query semantics). */
export const MATCH_ROLES: Readonly<Record<string, readonly IdRole[]>> = {
  MATCH_epc: ['epc', 'child'],
  MATCH_parentID: ['parent'],
  MATCH_inputEPC: ['input'],
  MATCH_outputEPC: ['output'],
  MATCH_anyEPC: ['epc', 'child', 'parent', 'input', 'output'],
  MATCH_epcClass: ['class'],
  MATCH_anyEPCClass: ['class', 'inputClass', 'outputClass'],
}

/** Does `id` match `pattern`? Exact, or an EPC pattern with `*` fields (`urn:epc:idpat:sgtin:0614141.*.*`). */
export function idMatches(pattern: string, id: string): boolean {
  if (pattern === id) return true
  const m = /^urn:epc:idpat:([a-z0-9]+):(.+)$/.exec(pattern)
  if (!m) return false
  const cls = /^urn:epc:(id|class):([a-z0-9]+):(.+)$/.exec(id)
  if (!cls || cls[2] !== m[1]) return false
  const pf = (m[2] ?? '').split('.')
  const idf = (cls[3] ?? '').split('.')
  if (pf.length !== idf.length) return false
  return pf.every((p, i) => p === '*' || p === idf[i])
}

/** True when the stored event satisfies every parameter of the query (paging aside). */
export function matchesQuery(s: StoredEpcisEvent, q: EpcisQuery): boolean {
  const e = s.event
  if (q.eventType && !q.eventType.includes(e.type)) return false
  if (q.GE_eventTime !== undefined && !(s.eventTimeMs >= q.GE_eventTime)) return false
  if (q.LT_eventTime !== undefined && !(s.eventTimeMs < q.LT_eventTime)) return false
  if (q.GE_recordTime !== undefined && !(s.recordTimeMs >= q.GE_recordTime)) return false
  if (q.LT_recordTime !== undefined && !(s.recordTimeMs < q.LT_recordTime)) return false
  if (q.EQ_action && (e.action === undefined || !q.EQ_action.includes(e.action))) return false
  if (q.EQ_bizStep) {
    if (e.bizStep === undefined) return false
    const b = canonicalCbv('bizstep', e.bizStep)
    if (!q.EQ_bizStep.some((x) => canonicalCbv('bizstep', x) === b)) return false
  }
  if (q.EQ_disposition) {
    if (e.disposition === undefined) return false
    const d = canonicalCbv('disp', e.disposition)
    if (!q.EQ_disposition.some((x) => canonicalCbv('disp', x) === d)) return false
  }
  if (q.EQ_readPoint && (e.readPoint === undefined || !q.EQ_readPoint.includes(e.readPoint.id))) return false
  if (q.EQ_bizLocation && (e.bizLocation === undefined || !q.EQ_bizLocation.includes(e.bizLocation.id)))
    return false
  if (q.EQ_eventID && !q.EQ_eventID.includes(s.eventId)) return false
  for (const k of ['set', 'unset'] as const) {
    const want = k === 'set' ? q.EQ_persistentDisposition_set : q.EQ_persistentDisposition_unset
    if (!want) continue
    const have = (e.persistentDisposition?.[k] ?? []).map((d) => canonicalCbv('disp', d))
    if (!want.some((w) => have.includes(canonicalCbv('disp', w)))) return false
  }
  const ids = eventIdentifiers(e)
  for (const [param, roles] of Object.entries(MATCH_ROLES)) {
    const patterns = q[param as keyof EpcisQuery] as readonly string[] | undefined
    if (!patterns) continue
    const hit = ids.some((x) => roles.includes(x.role) && patterns.some((p) => idMatches(p, x.id)))
    if (!hit) return false
  }
  return true
}

/** A fingerprint of the query without its paging, so a token cannot be replayed on another query. */
export function queryFingerprint(q: EpcisQuery): string {
  const { perPage: _p, nextPageToken: _t, ...rest } = q
  const sorted = Object.keys(rest)
    .sort()
    .map((k) => [k, rest[k as keyof typeof rest]])
  return createHash('sha256').update(JSON.stringify(sorted)).digest('base64url').slice(0, 12)
}

export interface PagePosition {
  /** eventTime (ms) and seq of the last event returned */
  readonly t: number
  readonly s: number
}

export function encodePageToken(pos: PagePosition, q: EpcisQuery): string {
  return Buffer.from(JSON.stringify({ t: pos.t, s: pos.s, f: queryFingerprint(q) })).toString('base64url')
}

/** Decode a token; EPCIS_INVALID_PAGE_TOKEN when malformed or minted for another query. */
export function decodePageToken(token: string, q: EpcisQuery): PagePosition {
  try {
    const o = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      t?: unknown
      s?: unknown
      f?: unknown
    }
    if (typeof o.t === 'number' && typeof o.s === 'number' && o.f === queryFingerprint(q))
      return { t: o.t, s: o.s }
  } catch {
    // fall through
  }
  throw IdentErrors.epcisInvalidPageToken()
}

/** Order used by every store: eventTime, then capture sequence. */
export function compareStored(
  a: Pick<StoredEpcisEvent, 'eventTimeMs' | 'seq'>,
  b: Pick<StoredEpcisEvent, 'eventTimeMs' | 'seq'>,
): number {
  return a.eventTimeMs - b.eventTimeMs || a.seq - b.seq
}

/** Run a query over an in-memory list of stored events (the reference semantics stores must match). */
export function queryEvents(events: readonly StoredEpcisEvent[], q: EpcisQuery): EpcisPage {
  const perPage = q.perPage ?? DEFAULT_PER_PAGE
  const after = q.nextPageToken === undefined ? null : decodePageToken(q.nextPageToken, q)
  const matching = events
    .filter((s) => after === null || compareStored(s, { eventTimeMs: after.t, seq: after.s }) > 0)
    .filter((s) => matchesQuery(s, q))
    .sort(compareStored)
  const page = matching.slice(0, perPage)
  const last = page[page.length - 1]
  if (matching.length > perPage && last !== undefined)
    return { events: page, nextPageToken: encodePageToken({ t: last.eventTimeMs, s: last.seq }, q) }
  return { events: page }
}
