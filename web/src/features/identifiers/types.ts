/** The identifier API's answers, as the console reads them (see docs/identifiers.md). */

export interface NodeInfo {
  role: 'top' | 'secondary' | 'enterprise' | 'both'
  prefix: string | null
  upstreamUrl: string | null
  publicBaseUrl: string | null
  recursive: boolean
  resolver: { hits: number; misses: number; entries: number; localReads: number; remoteCalls: number }
}

export interface PrefixRecord {
  prefix: string
  tenant: string
  createdAt: number
}

export interface TemplateField {
  name: string
  index: number
  kind: string
  required: boolean
  label?: string
  maxLength?: number
  pattern?: string
  enum?: string[]
  min?: number
  max?: number
}

export interface MetadataTemplate {
  id: string
  version: number
  category: string
  label?: string
  fields: TemplateField[]
  builtin?: boolean
}

export interface HandleValueJson {
  index: number
  type: string
  data: { format: string; value: unknown }
  ttl: number
  timestamp: string | number
  permissions?: { publicRead: boolean; publicWrite: boolean; adminRead: boolean; adminWrite: boolean }
}

/** a record in the enterprise's own list (GET /api/handles) */
export interface HandleRecordJson {
  handle: string
  prefix: string
  values: HandleValueJson[]
  template?: { id: string; version: number }
  createdAt: number
  updatedAt: number
}

/** a resolution (GET /api/handles/{handle}), Handle.Net's JSON shape */
export interface Resolution {
  responseCode: number
  handle?: string
  values?: HandleValueJson[]
  message?: string
}

export interface BulkResult {
  accepted: number
  rejected: number
  items: (
    | { at: number; handle: string; ok: true; created: boolean }
    | { at: number; handle: string; ok: false; error: { code: string; message: string } }
  )[]
}

export interface EpcisEvent {
  type: string
  eventID: string
  eventTime: string
  eventTimeZoneOffset?: string
  recordTime?: string
  action?: string
  bizStep?: string
  disposition?: string
  readPoint?: { id: string }
  bizLocation?: { id: string }
  epcList?: string[]
  parentID?: string
  childEPCs?: string[]
  inputEPCList?: string[]
  outputEPCList?: string[]
  quantityList?: { epcClass: string; quantity?: number; uom?: string }[]
  inputQuantityList?: { epcClass: string; quantity?: number; uom?: string }[]
  outputQuantityList?: { epcClass: string; quantity?: number; uom?: string }[]
  [key: string]: unknown
}

export interface EpcisQueryDocument {
  epcisBody: { queryResults: { resultsBody: { eventList: EpcisEvent[] } } }
  nextPageToken?: string
}

export interface TraceEdge {
  from: string
  to: string
  kind: 'transformed' | 'contained' | 'associated'
  eventId: string
  tenant: string
}

export interface TimelineEntry {
  timeMs: number
  eventTime: string
  tenant: string
  eventId: string
  type: string
  bizStep?: string
  disposition?: string
  readPoint?: string
  event: EpcisEvent
}

export interface TraceResult {
  identifier: string
  start: string
  nodes: { id: string; depth: number }[]
  edges: TraceEdge[]
  timeline: TimelineEntry[]
  truncated: boolean
  /** display names of the enterprises in the timeline */
  tenantNames?: Record<string, string>
}

// the CBV business steps the server validates against: one list, shared with the server
export { BIZ_STEPS } from '../../../../src/identifiers/epcis/cbv.ts'

export { EVENT_TYPES } from '../../../../src/identifiers/epcis/epcis-types.ts'

/** `urn:epcglobal:cbv:bizstep:shipping` / `https://ref.gs1.org/cbv/BizStep-shipping` → `shipping` */
export function bareCbv(v: string | undefined): string {
  if (v === undefined) return ''
  return v.replace(/^urn:epcglobal:cbv:\w+:/, '').replace(/^https:\/\/ref\.gs1\.org\/cbv\/\w+-/, '')
}

/** Every object an event names, inputs and outputs included. */
export function eventObjects(e: EpcisEvent): string[] {
  return [
    ...(e.parentID === undefined ? [] : [e.parentID]),
    ...(e.epcList ?? []),
    ...(e.childEPCs ?? []),
    ...(e.inputEPCList ?? []),
    ...(e.outputEPCList ?? []),
    ...(e.quantityList ?? []).map((q) => q.epcClass),
    ...(e.inputQuantityList ?? []).map((q) => q.epcClass),
    ...(e.outputQuantityList ?? []).map((q) => q.epcClass),
  ]
}

/** `2026-03-02T00:00:00Z` with `+08:00` → `2026-03-02 08:00:00 (UTC+08:00)`: the time where the event happened. */
export function plantTime(iso: string, offset: string | undefined): string {
  const ms = Date.parse(iso)
  const m = /^([+-])(\d\d):(\d\d)$/.exec(offset ?? '')
  if (Number.isNaN(ms) || m === null) return iso
  const minutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]))
  return `${new Date(ms + minutes * 60_000).toISOString().slice(0, 19).replace('T', ' ')} (UTC${offset})`
}
