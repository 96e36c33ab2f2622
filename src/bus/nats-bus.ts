import { createHash } from 'node:crypto'
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream'
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node'
import type { Bus, BusHandler, BusMessage, PublishOptions, SubscribeOptions } from './bus.ts'
import { BusErrors } from './bus-errors.ts'

/**
 * The scale-out bus on NATS JetStream.
 *
 * Subjects: a bus subject `sample.ingested` travels as `<subjectPrefix>.samples.sample.ingested`;
 * other subjects as `<subjectPrefix>.events.<subject>`, except subjects whose first token is listed
 * in `transientRoots` (default `live`), which travel as `<subjectPrefix>.live.<subject>` over core
 * NATS and are never stored — live values for whichever node holds a WebSocket.
 *
 * - Two streams capture the stored classes: `<streamPrefix>SAMPLES` and `<streamPrefix>EVENTS`,
 *   file storage, `replicas` copies, limits retention (max age). publish() resolves when the stream
 *   acknowledged the message (stored on a quorum of replicas; on disk per the server's sync_interval).
 * - A plain subscribe() is a core NATS subscription: every node that subscribes gets every message
 *   published while it is connected (fan-out).
 * - subscribe(…, { queue }) on a stored subject binds to a durable pull consumer named after the
 *   queue group and subject, shared by every member on every node: each message is handled by one
 *   member and acknowledged after its handler resolved; a message whose handler failed is handed out
 *   again (after `retryDelayMs`, at most `maxDeliver` times); a member that dies unacknowledged has
 *   its messages redelivered after `ackWaitMs`. On a transient subject, `queue` is a core NATS queue
 *   group (one member of those connected).
 */
export interface NatsBusConfig {
  /** nats://host:4222, or several separated by commas (a cluster's seed servers) */
  readonly url: string
  /** prefix of the stream names (default `RONGHE_`) */
  readonly streamPrefix?: string
  /** first token of every NATS subject the bus uses (default `ronghe`) */
  readonly subjectPrefix?: string
  /** stream replicas (default 1; 3 on a three-node cluster) */
  readonly replicas?: number
  /** how long the samples stream keeps messages (default 24 h) */
  readonly samplesMaxAgeMs?: number
  /** how long the events stream keeps messages (default 7 days) */
  readonly eventsMaxAgeMs?: number
  /** first subject tokens that are fanned out live and never stored (default ['live']) */
  readonly transientRoots?: readonly string[]
  /** messages a queue member pulls ahead (default 64) */
  readonly prefetch?: number
  /** redelivery of a message a member took but did not acknowledge (default 30 s) */
  readonly ackWaitMs?: number
  /** delivery attempts of a message whose handler keeps failing (default 5) */
  readonly maxDeliver?: number
  /** delay before a failed message is handed out again (default 1 s) */
  readonly retryDelayMs?: number
  /** client name shown in the server's connection list */
  readonly name?: string
  /** handler failures and consumer problems; default: console.error */
  readonly onError?: (err: unknown, subject: string) => void
}

export interface NatsBus extends Bus {
  /** Names of the two streams (for operators and tests). */
  readonly streams: { readonly samples: string; readonly events: string }
  /** Resolves when every queue subscription made so far is bound to its consumer. */
  ready(): Promise<void>
}

const MS = 1_000_000 // JetStream durations are nanoseconds
const TOKEN = /^[^\s.*>]+$/

type SubjectClass = 'samples' | 'events' | 'live'

export async function createNatsBus(config: NatsBusConfig): Promise<NatsBus> {
  const streamPrefix = config.streamPrefix ?? 'RONGHE_'
  const subjectPrefix = config.subjectPrefix ?? 'ronghe'
  if (!/^[A-Za-z0-9_-]*$/.test(streamPrefix))
    throw BusErrors.invalidConfig('streamPrefix: letters, digits, _ or -')
  if (!TOKEN.test(subjectPrefix)) throw BusErrors.invalidConfig('subjectPrefix must be one subject token')
  const replicas = config.replicas ?? 1
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5)
    throw BusErrors.invalidConfig('replicas: 1 to 5')
  const transient = new Set(config.transientRoots ?? ['live'])
  const prefetch = config.prefetch ?? 64
  const ackWaitMs = config.ackWaitMs ?? 30_000
  const maxDeliver = config.maxDeliver ?? 5
  const retryDelayMs = config.retryDelayMs ?? 1000
  const onError =
    config.onError ??
    ((err: unknown, subject: string) => console.error(`bus handler for ${subject} failed:`, err))
  const streams = { samples: `${streamPrefix}SAMPLES`, events: `${streamPrefix}EVENTS` }

  let conn: NatsConnection | undefined
  let js: JetStreamClient
  let jsm: JetStreamManager
  try {
    conn = await connect({
      servers: config.url.split(',').map((x) => x.trim()),
      name: config.name ?? 'ronghe',
      maxReconnectAttempts: -1,
    })
    js = jetstream(conn)
    jsm = await jetstreamManager(conn)
    await ensureStream(
      jsm,
      streams.samples,
      [`${subjectPrefix}.samples.>`],
      replicas,
      config.samplesMaxAgeMs ?? 86_400_000,
    )
    await ensureStream(
      jsm,
      streams.events,
      [`${subjectPrefix}.events.>`],
      replicas,
      config.eventsMaxAgeMs ?? 7 * 86_400_000,
    )
  } catch (err) {
    await conn?.close().catch(() => undefined)
    throw BusErrors.connectFailed(
      `could not set up the NATS JetStream bus at ${config.url}: ${err instanceof Error ? err.message : String(err)}`,
      err,
    )
  }
  const nc: NatsConnection = conn

  function classify(subject: string, forSubscribe: boolean): SubjectClass {
    const tokens = subject.split('.')
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!
      if (forSubscribe && t === '>' && i === tokens.length - 1 && i > 0) continue
      if (!TOKEN.test(t))
        throw BusErrors.invalidSubject(subject, 'tokens are non-empty and hold no spaces, * or >')
    }
    const root = tokens[0]!
    if (transient.has(root)) return 'live'
    return root === 'sample' ? 'samples' : 'events'
  }
  const natsSubject = (cls: SubjectClass, subject: string): string => `${subjectPrefix}.${cls}.${subject}`
  const busSubject = (nats: string): string => nats.slice(nats.indexOf('.', subjectPrefix.length + 1) + 1)

  let closed = false
  const stoppers = new Set<() => void>()
  const pending = new Set<Promise<void>>()

  function deliver(handler: BusHandler, msg: BusMessage): Promise<void> {
    try {
      return Promise.resolve(handler(msg)).catch((err: unknown) => {
        onError(err, msg.subject)
        throw err
      })
    } catch (err) {
      onError(err, msg.subject)
      return Promise.reject(err)
    }
  }

  function decode(data: Uint8Array): unknown {
    return data.length === 0 ? undefined : JSON.parse(new TextDecoder().decode(data))
  }

  function subscribeCore(
    cls: SubjectClass,
    subject: string,
    handler: BusHandler,
    queue?: string,
  ): () => void {
    const sub: Subscription = nc.subscribe(natsSubject(cls, subject), {
      ...(queue === undefined ? {} : { queue }),
      callback: (err, m) => {
        if (err !== null) {
          onError(err, subject)
          return
        }
        let data: unknown
        try {
          data = decode(m.data)
        } catch (e) {
          onError(e, m.subject)
          return
        }
        deliver(handler, { subject: busSubject(m.subject), data }).catch(() => undefined)
      },
    })
    const stop = (): void => {
      stoppers.delete(stop)
      if (!sub.isClosed()) sub.unsubscribe()
    }
    stoppers.add(stop)
    return stop
  }

  function subscribeQueue(
    cls: 'samples' | 'events',
    subject: string,
    handler: BusHandler,
    queue: string,
  ): () => void {
    const stream = cls === 'samples' ? streams.samples : streams.events
    const durable = durableName(queue, subject)
    let stopped = false
    let messages: ConsumerMessages | undefined
    const stop = (): void => {
      stopped = true
      stoppers.delete(stop)
      messages?.stop()
    }
    stoppers.add(stop)

    const setup = (async (): Promise<void> => {
      try {
        await jsm.consumers.add(stream, {
          durable_name: durable,
          filter_subject: natsSubject(cls, subject),
          ack_policy: AckPolicy.Explicit,
          // a group that is new starts with what is published from now on; an existing durable
          // keeps its position, so a restarted cluster resumes where the group left off
          deliver_policy: DeliverPolicy.New,
          ack_wait: ackWaitMs * MS,
          max_deliver: maxDeliver,
          num_replicas: replicas,
        })
      } catch (err) {
        // another member created it first with the same name: bind to that one
        if (!/already (exists|in use)/i.test(String((err as Error)?.message))) throw err
      }
    })()
    const ready = setup.catch((err: unknown) => onError(err, subject))
    pending.add(ready)
    void ready.finally(() => pending.delete(ready))

    void (async (): Promise<void> => {
      await setup.catch(() => undefined)
      // restart the pull loop when it ends for a reason other than stop (server restart, failover)
      while (!stopped && !closed) {
        try {
          const consumer = await js.consumers.get(stream, durable)
          if (stopped || closed) return
          messages = await consumer.consume({ max_messages: prefetch })
          for await (const m of messages) {
            if (stopped || closed) {
              m.nak()
              continue
            }
            let data: unknown
            try {
              data = decode(m.data)
            } catch (e) {
              onError(e, m.subject)
              m.term() // a message that is not JSON will never parse: do not hand it out again
              continue
            }
            try {
              await deliver(handler, { subject: busSubject(m.subject), data })
              m.ack()
            } catch {
              m.nak(retryDelayMs)
            }
          }
        } catch (err) {
          if (stopped || closed) return
          onError(err, subject)
          await new Promise((r) => setTimeout(r, 500))
        }
      }
    })()
    return stop
  }

  const bus: NatsBus = {
    capabilities: { engine: 'nats', durable: true },
    streams,

    async publish<T>(subject: string, data: T, options?: PublishOptions): Promise<void> {
      if (closed) return
      const cls = classify(subject, false)
      // a queue subscription made before this publish must see it: wait until it is bound
      if (pending.size > 0) await Promise.all([...pending])
      const payload = JSON.stringify(data ?? null)
      try {
        if (cls === 'live') nc.publish(natsSubject(cls, subject), payload)
        else
          await js.publish(
            natsSubject(cls, subject),
            payload,
            options?.id === undefined ? undefined : { msgID: options.id },
          )
      } catch (err) {
        if (closed) return
        throw BusErrors.publishFailed(subject, err)
      }
    },

    subscribe<T>(subject: string, handler: BusHandler<T>, options?: SubscribeOptions): () => void {
      if (closed) return () => undefined
      const cls = classify(subject, true)
      const h = handler as BusHandler
      if (options?.queue !== undefined && cls !== 'live')
        return subscribeQueue(cls, subject, h, options.queue)
      return subscribeCore(cls, subject, h, options?.queue)
    },

    async ready(): Promise<void> {
      await Promise.all([...pending])
    },

    async close(): Promise<void> {
      if (closed) return
      closed = true
      for (const stop of [...stoppers]) stop()
      await Promise.all([...pending])
      try {
        await nc.drain()
      } catch {
        await nc.close().catch(() => undefined)
      }
    },
  }
  return bus
}

async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subjects: string[],
  replicas: number,
  maxAgeMs: number,
): Promise<void> {
  try {
    await jsm.streams.info(name)
    return // exists: its limits are the operator's to change (nats stream edit)
  } catch (err) {
    if (!/not found/i.test(String((err as Error)?.message))) throw err
  }
  try {
    await jsm.streams.add({
      name,
      subjects,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      num_replicas: replicas,
      max_age: maxAgeMs * MS,
      // a publish retried with the same Nats-Msg-Id inside this window is stored once
      duplicate_window: 120_000 * MS,
    })
  } catch (err) {
    // another node created it between our info() and add()
    if (!/already in use/i.test(String((err as Error)?.message))) throw err
  }
}

/** A durable name per (queue group, subject): JetStream names may not hold `.`, `*` or `>`. */
function durableName(queue: string, subject: string): string {
  const safe = `${queue}_${subject}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60)
  const hash = createHash('sha256').update(`${queue}\0${subject}`).digest('hex').slice(0, 8)
  return `${safe}_${hash}`
}
