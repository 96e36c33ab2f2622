import type { EpcisEvent, EventVisibility, StoredEpcisEvent, Visibility } from '../epcis/epcis-types.ts'
import { IdentErrors } from '../identifiers-errors.ts'

/**
 * Trace across companies: starting from one identifier (EPC, class such as an LGTIN batch, DL URI),
 * walk EPCIS events of every tenant — TransformationEvent outputs back to inputs (materials),
 * aggregation / association both ways — and return a graph and a timeline. Each event and field is
 * shown only to whom its owner made it visible; hidden fields are removed before the walk follows
 * them, so a private link never leads anywhere.
 */
export interface TraceViewer {
  /** the asking tenant; absent for the public */
  readonly tenant?: string
}

/** Where events come from: the local store across tenants, other nodes, or several combined. */
export interface TraceEventSource {
  findByIdentifiers(ids: readonly string[]): Promise<readonly StoredEpcisEvent[]>
}

export type TraceDirection = 'upstream' | 'downstream' | 'both'

export interface TraceOptions {
  readonly source: TraceEventSource
  readonly viewer: TraceViewer
  readonly start: string
  readonly direction?: TraceDirection
  /** hops from the start (default 12) */
  readonly maxDepth?: number
  /** events in the answer (default 2000) */
  readonly maxEvents?: number
}

export type TraceEdgeKind = 'transformed' | 'contained' | 'associated'

export interface TraceEdge {
  /** material / contained object → product / container */
  readonly from: string
  readonly to: string
  readonly kind: TraceEdgeKind
  readonly eventId: string
  readonly tenant: string
}

export interface TimelineEntry {
  readonly timeMs: number
  readonly eventTime: string
  readonly eventTimeZoneOffset: string
  readonly tenant: string
  readonly eventId: string
  readonly type: EpcisEvent['type']
  readonly bizStep?: string
  readonly disposition?: string
  readonly readPoint?: string
  readonly bizLocation?: string
  /** the event as this viewer may see it */
  readonly event: EpcisEvent
}

export interface TraceResult {
  readonly start: string
  /** identifiers reached, with how many hops from the start */
  readonly nodes: readonly { readonly id: string; readonly depth: number }[]
  readonly edges: readonly TraceEdge[]
  readonly timeline: readonly TimelineEntry[]
  /** true when maxDepth or maxEvents stopped the walk */
  readonly truncated: boolean
}

const PRIVATE: Visibility = { kind: 'private' }

export function visibleTo(v: Visibility, owner: string, viewer: TraceViewer): boolean {
  if (viewer.tenant !== undefined && viewer.tenant === owner) return true
  if (v.kind === 'public') return true
  if (v.kind === 'shared') return viewer.tenant !== undefined && v.tenants.includes(viewer.tenant)
  return false
}

/**
 * The event as `viewer` may see it, or null when the event itself is hidden. Field rules name
 * top-level keys (`ilmd`, `inputQuantityList`, `example:cost`) or one level deeper (`ilmd.example:cost`).
 * Events without a visibility are private to their owner.
 */
export function redactEvent(
  s: Pick<StoredEpcisEvent, 'event' | 'tenant' | 'visibility'>,
  viewer: TraceViewer,
): EpcisEvent | null {
  const vis: EventVisibility = s.visibility ?? { event: PRIVATE }
  if (!visibleTo(vis.event, s.tenant, viewer)) return null
  const out: Record<string, unknown> = { ...s.event }
  for (const [path, v] of Object.entries(vis.fields ?? {})) {
    if (visibleTo(v, s.tenant, viewer)) continue
    const dot = path.indexOf('.')
    if (dot < 0) {
      delete out[path]
      continue
    }
    const head = path.slice(0, dot)
    const inner = out[head]
    if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
      const copy = { ...(inner as Record<string, unknown>) }
      delete copy[path.slice(dot + 1)]
      out[head] = copy
    }
  }
  return out as EpcisEvent
}

type Dir = 'up' | 'down' | 'start'

function inputsOf(e: EpcisEvent): string[] {
  return [...(e.inputEPCList ?? []), ...(e.inputQuantityList ?? []).map((q) => q.epcClass)]
}
function outputsOf(e: EpcisEvent): string[] {
  return [...(e.outputEPCList ?? []), ...(e.outputQuantityList ?? []).map((q) => q.epcClass)]
}
function childrenOf(e: EpcisEvent): string[] {
  return [...(e.childEPCs ?? []), ...(e.childQuantityList ?? []).map((q) => q.epcClass)]
}

/** Every identifier an event mentions (what the timeline shows as "involved"). */
export function mentionedIds(e: EpcisEvent): string[] {
  return [
    ...(e.epcList ?? []),
    ...(e.quantityList ?? []).map((q) => q.epcClass),
    ...(e.parentID === undefined ? [] : [e.parentID]),
    ...childrenOf(e),
    ...inputsOf(e),
    ...outputsOf(e),
  ]
}

export async function traceProduct(opts: TraceOptions): Promise<TraceResult> {
  if (typeof opts.start !== 'string' || opts.start.trim() === '')
    throw IdentErrors.traceInvalidStart(String(opts.start))
  const direction = opts.direction ?? 'upstream'
  const maxDepth = opts.maxDepth ?? 12
  const maxEvents = opts.maxEvents ?? 2000
  const wantUp = direction !== 'downstream'
  const wantDown = direction !== 'upstream'
  const depthOf = new Map<string, number>([[opts.start, 0]])
  const dirOf = new Map<string, Dir>([[opts.start, 'start']])
  const edges = new Map<string, TraceEdge>()
  const timeline = new Map<string, TimelineEntry>()
  let frontier = [opts.start]
  let truncated = false

  for (let depth = 0; frontier.length > 0; depth++) {
    const events = await opts.source.findByIdentifiers(frontier)
    const current = new Set(frontier)
    const next: string[] = []
    const reach = (id: string, dir: Dir): void => {
      if (depthOf.has(id)) return
      if (depth + 1 > maxDepth) {
        truncated = true
        return
      }
      depthOf.set(id, depth + 1)
      dirOf.set(id, dir)
      next.push(id)
    }
    const edge = (from: string, to: string, kind: TraceEdgeKind, s: StoredEpcisEvent): void => {
      edges.set(`${from}\u0000${to}\u0000${s.eventId}`, {
        from,
        to,
        kind,
        eventId: s.eventId,
        tenant: s.tenant,
      })
    }
    for (const s of events) {
      const e = redactEvent(s, opts.viewer)
      if (e === null) continue
      const key = `${s.tenant}\u0000${s.eventId}`
      if (!timeline.has(key)) {
        if (timeline.size >= maxEvents) {
          truncated = true
          continue
        }
        timeline.set(key, {
          timeMs: s.eventTimeMs,
          eventTime: e.eventTime,
          eventTimeZoneOffset: e.eventTimeZoneOffset,
          tenant: s.tenant,
          eventId: s.eventId,
          type: e.type,
          ...(e.bizStep === undefined ? {} : { bizStep: e.bizStep }),
          ...(e.disposition === undefined ? {} : { disposition: e.disposition }),
          ...(e.readPoint === undefined ? {} : { readPoint: e.readPoint.id }),
          ...(e.bizLocation === undefined ? {} : { bizLocation: e.bizLocation.id }),
          event: e,
        })
      }
      for (const id of current) {
        const dir = dirOf.get(id) ?? 'start'
        const canUp = wantUp && dir !== 'down'
        const canDown = wantDown && dir !== 'up'
        if (e.type === 'TransformationEvent') {
          const ins = inputsOf(e)
          const outs = outputsOf(e)
          if (canUp && outs.includes(id))
            for (const i of ins) {
              edge(i, id, 'transformed', s)
              reach(i, 'up')
            }
          if (canDown && ins.includes(id))
            for (const o of outs) {
              edge(id, o, 'transformed', s)
              reach(o, 'down')
            }
        } else if (
          (e.type === 'AggregationEvent' || e.type === 'AssociationEvent') &&
          e.parentID !== undefined
        ) {
          const kind: TraceEdgeKind = e.type === 'AggregationEvent' ? 'contained' : 'associated'
          const kids = childrenOf(e)
          // what a container holds is upstream of it; the container a product travelled in is downstream
          if (canUp && e.parentID === id)
            for (const c of kids) {
              edge(c, id, kind, s)
              reach(c, 'up')
            }
          if (kids.includes(id) && (canDown || dir === 'start')) {
            edge(id, e.parentID, kind, s)
            reach(e.parentID, 'down')
          }
        }
      }
    }
    frontier = next
  }
  return {
    start: opts.start,
    nodes: [...depthOf.entries()]
      .map(([id, depth]) => ({ id, depth }))
      .sort((a, b) => a.depth - b.depth || a.id.localeCompare(b.id)),
    edges: [...edges.values()],
    timeline: [...timeline.values()].sort(
      (a, b) => a.timeMs - b.timeMs || a.eventId.localeCompare(b.eventId),
    ),
    truncated,
  }
}

/** Several sources as one (local store + other nodes); events de-duplicated by tenant and eventID. */
export function combineTraceSources(...sources: readonly TraceEventSource[]): TraceEventSource {
  return {
    async findByIdentifiers(ids) {
      const all = await Promise.all(sources.map((s) => s.findByIdentifiers(ids)))
      const seen = new Map<string, StoredEpcisEvent>()
      for (const list of all) for (const s of list) seen.set(`${s.tenant}\u0000${s.eventId}`, s)
      return [...seen.values()]
    },
  }
}
