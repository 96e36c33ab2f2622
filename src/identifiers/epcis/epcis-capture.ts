import { createHash } from 'node:crypto'
import type { Clock, TenantId } from '../../core/index.ts'
import { IdentErrors } from '../identifiers-errors.ts'
import type { CaptureItem, EpcisStore } from './epcis-store.ts'
import type { EpcisEvent, EventVisibility, StoredEpcisEvent } from './epcis-types.ts'
import { type EpcisProblem, parseEpcisTime, validateDocument } from './epcis-validate.ts'

/** GS1-Capture-Error-Behaviour: `rollback` captures nothing if any event is invalid; `proceed` keeps the valid ones. */
export type CaptureErrorBehaviour = 'rollback' | 'proceed'

export interface CaptureOptions {
  readonly errorBehaviour?: CaptureErrorBehaviour
  /** visibility for every event of the call (default: private) */
  readonly visibility?: EventVisibility
  /** largest event list accepted (advertised as GS1-EPCIS-Capture-Limit) */
  readonly limit?: number
}

export interface CaptureResult {
  readonly captured: readonly StoredEpcisEvent[]
  readonly problems: readonly EpcisProblem[]
}

export const CAPTURE_LIMIT = 10_000

/**
 * An eventID for events that arrive without one: `ni:///sha-256;<hex>?ver=CBV2.0` over the event's
 * JSON with keys sorted. Deterministic (a retried capture gets the same id and is refused as a
 * duplicate), but NOT the CBV 2.0 canonical event hash algorithm, so ids differ from other systems'.
 */
export function eventHashId(e: EpcisEvent): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical)
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v)
          .filter((k) => k !== 'eventID' && k !== 'recordTime')
          .sort()
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      )
    return v
  }
  const hex = createHash('sha256')
    .update(JSON.stringify(canonical(e)))
    .digest('hex')
  return `ni:///sha-256;${hex}?ver=CBV2.0`
}

export interface EpcisCapture {
  /** Validate and store an EPCISDocument (or a bare event list). */
  capture(tenant: TenantId, doc: unknown, opts?: CaptureOptions): Promise<CaptureResult>
}

export function createEpcisCapture(deps: {
  readonly store: EpcisStore
  readonly clock: Clock
}): EpcisCapture {
  return {
    async capture(tenant, doc, opts = {}) {
      const v = validateDocument(doc)
      const limit = opts.limit ?? CAPTURE_LIMIT
      const total =
        v.validIndexes.length + new Set(v.problems.filter((p) => p.index >= 0).map((p) => p.index)).size
      if (total > limit) throw IdentErrors.batchTooLarge(total, limit)
      const envelope = v.problems.filter((p) => p.index < 0)
      if (envelope.length > 0)
        throw IdentErrors.epcisInvalidDocument(
          `invalid EPCIS document: ${envelope.map((p) => p.message).join('; ')}`,
          envelope,
        )
      if (v.problems.length > 0 && (opts.errorBehaviour ?? 'rollback') === 'rollback') {
        const first = v.problems[0]!
        throw IdentErrors.epcisInvalidEvent(
          `${v.problems.length} problem(s) in ${new Set(v.problems.map((p) => p.index)).size} event(s); first: event ${first.index} ${first.path}: ${first.message}`,
          v.problems,
        )
      }
      const items: CaptureItem[] = v.events.map((e) => ({
        event: { ...e, eventID: e.eventID ?? eventHashId(e) },
        eventTimeMs: parseEpcisTime(e.eventTime) ?? 0,
        ...(opts.visibility === undefined ? {} : { visibility: opts.visibility }),
      }))
      const captured = items.length === 0 ? [] : await deps.store.capture(tenant, items, deps.clock.now())
      return { captured, problems: v.problems }
    },
  }
}
