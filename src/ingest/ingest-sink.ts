import type { DeviceId, PointId, Quality, TenantId } from '../core/index.ts'

/** A value as a protocol adapter sees it, before it is bound to a point id. */
export interface RawValue {
  /** the point's source binding within the device: a Sparkplug metric name, an OPC UA NodeId, a register name */
  readonly key: string
  readonly ts: number
  readonly value: number | boolean | string | null
  readonly quality?: Quality
}

export interface IngestResult {
  readonly accepted: number
  readonly rejected: readonly { readonly key: string; readonly code: string; readonly message: string }[]
}

/**
 * Where protocol adapters deliver values. `write` resolves once the accepted values are durable;
 * an adapter acknowledges its peer (PUBACK, HTTP 2xx) only then. Values it cannot bind are reported
 * per item in the result, never thrown for the whole batch.
 */
export interface IngestSink {
  write(tenant: TenantId, device: DeviceId, values: readonly RawValue[]): Promise<IngestResult>
}

export interface AdapterStatus {
  readonly connected: boolean
  readonly lastError: string | null
  readonly counters: Readonly<Record<string, number>>
}

export interface ProtocolAdapter {
  readonly kind: 'mqtt' | 'sparkplug' | 'opcua' | 'modbus' | 'http'
  /** begins delivering values; the constructor did no I/O */
  start(sink: IngestSink): Promise<void>
  /** idempotent; aborts in-flight I/O */
  stop(): Promise<void>
  status(): AdapterStatus
}

export type { PointId }
