import type { TenantId } from '../../core/index.ts'
import type { EpcisPage, EpcisQuery } from './epcis-query.ts'
import type { EpcisEvent, EventVisibility, StoredEpcisEvent } from './epcis-types.ts'

export interface CaptureItem {
  /** a validated event with eventID set */
  readonly event: EpcisEvent & { readonly eventID: string }
  readonly eventTimeMs: number
  readonly visibility?: EventVisibility
}

/**
 * Storage port for EPCIS events. Events are immutable once captured (EPCIS corrects by error
 * declaration, not by update). Every method takes the tenant; `…ForPlatform` methods read across
 * tenants for the trace walk, which filters by visibility itself.
 */
export interface EpcisStore {
  /** Append events in one transaction; duplicates by eventID are EPCIS_DUPLICATE_EVENT and nothing is written. */
  capture(
    tenant: TenantId,
    items: readonly CaptureItem[],
    recordTimeMs: number,
  ): Promise<readonly StoredEpcisEvent[]>
  query(tenant: TenantId, q: EpcisQuery): Promise<EpcisPage>
  get(tenant: TenantId, eventId: string): Promise<StoredEpcisEvent | null>
  /** Events of any tenant mentioning any of `ids` in any identifier role (EPC, parent, child, input, output, class). */
  findByIdentifiersForPlatform(ids: readonly string[]): Promise<readonly StoredEpcisEvent[]>
}
