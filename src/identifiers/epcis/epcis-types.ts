/** EPCIS 2.0 JSON / JSON-LD event model (the fields Ronghe reads; extension fields pass through). */
export const EVENT_TYPES = [
  'ObjectEvent',
  'AggregationEvent',
  'TransactionEvent',
  'TransformationEvent',
  'AssociationEvent',
] as const
export type EpcisEventType = (typeof EVENT_TYPES)[number]
export type EpcisAction = 'ADD' | 'OBSERVE' | 'DELETE'

export interface QuantityElement {
  readonly epcClass: string
  readonly quantity?: number
  /** UN/ECE Recommendation 20 unit code */
  readonly uom?: string
}

export interface BizTransaction {
  readonly type?: string
  readonly bizTransaction: string
}

export interface SourceElement {
  readonly type: string
  readonly source: string
}

export interface DestinationElement {
  readonly type: string
  readonly destination: string
}

export interface SensorReport {
  readonly type?: string
  readonly value?: number
  readonly uom?: string
  readonly [k: string]: unknown
}

export interface SensorElement {
  readonly sensorMetadata?: Readonly<Record<string, unknown>>
  readonly sensorReport: readonly SensorReport[]
}

export interface EpcisEvent {
  readonly type: EpcisEventType
  readonly eventTime: string
  readonly eventTimeZoneOffset: string
  readonly recordTime?: string
  readonly eventID?: string
  readonly action?: EpcisAction
  readonly epcList?: readonly string[]
  readonly quantityList?: readonly QuantityElement[]
  readonly parentID?: string
  readonly childEPCs?: readonly string[]
  readonly childQuantityList?: readonly QuantityElement[]
  readonly inputEPCList?: readonly string[]
  readonly inputQuantityList?: readonly QuantityElement[]
  readonly outputEPCList?: readonly string[]
  readonly outputQuantityList?: readonly QuantityElement[]
  readonly transformationID?: string
  readonly bizStep?: string
  readonly disposition?: string
  readonly persistentDisposition?: { readonly set?: readonly string[]; readonly unset?: readonly string[] }
  readonly readPoint?: { readonly id: string }
  readonly bizLocation?: { readonly id: string }
  readonly bizTransactionList?: readonly BizTransaction[]
  readonly sourceList?: readonly SourceElement[]
  readonly destinationList?: readonly DestinationElement[]
  readonly sensorElementList?: readonly SensorElement[]
  readonly ilmd?: Readonly<Record<string, unknown>>
  readonly certificationInfo?: string | readonly string[]
  readonly errorDeclaration?: {
    readonly declarationTime: string
    readonly reason?: string
    readonly correctiveEventIDs?: readonly string[]
  }
  readonly [extension: string]: unknown
}

export interface EpcisDocument {
  readonly '@context'?: unknown
  readonly type: 'EPCISDocument'
  readonly schemaVersion: string
  readonly creationDate: string
  readonly epcisBody: { readonly eventList: readonly unknown[] }
  readonly [k: string]: unknown
}

export const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'

/** Who may see an event or one of its fields (trace across companies). */
export type Visibility =
  | { readonly kind: 'private' }
  | { readonly kind: 'shared'; readonly tenants: readonly string[] }
  | { readonly kind: 'public' }

export interface EventVisibility {
  /** the event as a whole (default private) */
  readonly event: Visibility
  /** per top-level field (`ilmd`, `bizTransactionList`, `example:cost`…); default: the event's */
  readonly fields?: Readonly<Record<string, Visibility>>
}

/** An event as stored: who captured it, when, and its position in the store. */
export interface StoredEpcisEvent {
  readonly seq: number
  readonly tenant: string
  readonly eventId: string
  /** epoch ms */
  readonly eventTimeMs: number
  readonly recordTimeMs: number
  readonly event: EpcisEvent
  readonly visibility?: EventVisibility
}
