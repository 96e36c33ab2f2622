import { BusErrors } from './bus-errors.ts'

/**
 * The internal bus. Subjects are `noun.past-verb` (`sample.ingested`, `device.connected`).
 * In the embedded shape it is in-process; in the scale-out shape it is NATS JetStream.
 */
export interface BusMessage<T = unknown> {
  readonly subject: string
  readonly data: T
}

export type BusHandler<T = unknown> = (msg: BusMessage<T>) => void | Promise<void>

export interface SubscribeOptions {
  /** members of a queue group share the messages: each is handled by one member only */
  readonly queue?: string
}

export interface PublishOptions {
  /**
   * identifies the message: a publish retried with the same id (after a failure whose outcome is
   * unknown) is stored once by a durable bus (JetStream's duplicate window, 2 minutes)
   */
  readonly id?: string
}

export interface Bus {
  readonly capabilities: { readonly engine: 'memory' | 'nats'; readonly durable: boolean }
  publish<T>(subject: string, data: T, options?: PublishOptions): Promise<void>
  /** `subject` may end in `.>` to match every subject below it. Returns the unsubscribe function. */
  subscribe<T>(subject: string, handler: BusHandler<T>, options?: SubscribeOptions): () => void
  close(): Promise<void>
}

/** Rule partitions when none are configured (`RONGHE_RULE_PARTITIONS`). */
export const DEFAULT_RULE_PARTITIONS = 16
/** Upper bound on rule partitions: each is a lease and a durable consumer on every NATS install. */
export const MAX_RULE_PARTITIONS = 1024

/**
 * The rule partition of a tenant: FNV-1a (32 bit) of its id's UTF-8 bytes, mod `partitions`.
 * Every node and every version must compute the same number for the same tenant — it decides which
 * subject a tenant's samples travel on and which node evaluates them — so this is a fixed, written-out
 * hash, never a runtime's own string hash.
 */
export function partitionOf(tenant: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_RULE_PARTITIONS)
    throw BusErrors.invalidConfig(
      `rule partitions: an integer from 1 to ${MAX_RULE_PARTITIONS}, got ${partitions}`,
    )
  let h = 0x811c9dc5
  for (const byte of new TextEncoder().encode(tenant)) {
    h ^= byte
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h % partitions
}

/** Well-known subjects and their payloads. */
export const Subjects = {
  /**
   * `{ tenant, samples }` once the samples are durable, on the subject of the tenant's rule partition
   * (`sample.ingested.p7`): the node that holds partition 7 evaluates them, in order. Subscribe to
   * `sampleIngestedAll` to see every tenant's samples.
   */
  sampleIngestedIn: (partition: number): string => `sample.ingested.p${partition}`,
  /** every `sample.ingested.<partition>` */
  sampleIngestedAll: 'sample.ingested.>',
  /** the subject a tenant's samples are published on, with `partitions` rule partitions */
  sampleIngestedFor: (tenant: string, partitions: number): string =>
    `sample.ingested.p${partitionOf(tenant, partitions)}`,
  deviceConnected: 'device.connected',
  deviceDisconnected: 'device.disconnected',
  pointRegistered: 'point.registered',
  /**
   * `{ handle }` changed (registered, edited, removed) through some node: every node drops it from
   * its resolver cache. Transient (`live.` — core NATS fan-out, never stored): an invalidation is of
   * no use to a node that was not connected when it was sent.
   */
  handleChanged: 'live.handle.changed',
} as const
