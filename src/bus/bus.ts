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

export interface Bus {
  readonly capabilities: { readonly engine: 'memory' | 'nats'; readonly durable: boolean }
  publish<T>(subject: string, data: T): Promise<void>
  /** `subject` may end in `.>` to match every subject below it. Returns the unsubscribe function. */
  subscribe<T>(subject: string, handler: BusHandler<T>, options?: SubscribeOptions): () => void
  close(): Promise<void>
}

/** Well-known subjects and their payloads. */
export const Subjects = {
  sampleIngested: 'sample.ingested',
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
