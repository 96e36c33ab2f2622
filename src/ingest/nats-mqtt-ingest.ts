import { AckPolicy, DeliverPolicy, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { isRongheError, type TenantId } from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import { createDeviceLookup } from './device-lookup.ts'
import type { IngestPipeline } from './ingest-pipeline.ts'
import { parseJsonValues } from './json-format.ts'

/**
 * The device front door at scale: devices publish to the MQTT listener of a NATS cluster
 * (`ronghe/{tenant}/{device}/data`, QoS 1). NATS stores each QoS 1 message in its `$MQTT_msgs`
 * JetStream stream (file storage, replicated over the cluster; interest retention) before it sends
 * the PUBACK. Every Ronghe node binds to ONE durable pull consumer on that stream
 * (`ronghe_ingest`, filter `$MQTT.msgs.ronghe.>`): each message goes to one node, which writes its
 * samples and acknowledges the message only when they are in the series store (pipeline drained).
 * A node that dies holding unacknowledged messages has them handed to another node after
 * `ackWaitMs`; writing a sample twice is harmless (the first write of a (point, ts) wins).
 *
 * Values without a timestamp get the time NATS stored the message, so a redelivery writes the same
 * sample again instead of a new one. Authentication and topic permissions are NATS's (users and
 * their publish permissions per `ronghe.{tenant}.{device}.>`): the tenant and device are taken
 * from the subject.
 */
export interface NatsMqttIngestDeps {
  /** nats://host:4222, or several separated by commas */
  readonly url: string
  readonly meta: MetaStore
  readonly pipeline: IngestPipeline
  readonly log: {
    info(msg: string, extra?: unknown): void
    warn(msg: string, extra?: unknown): void
    error(msg: string, extra?: unknown): void
  }
  /** stream NATS keeps MQTT QoS 1 messages in (default `$MQTT_msgs`) */
  readonly stream?: string
  /** durable consumer shared by every node (default `ronghe_ingest`) */
  readonly durable?: string
  /** default 10 s */
  readonly ackWaitMs?: number
  /** messages a node works on at once (default 512) */
  readonly maxInFlight?: number
  /** consumer replicas (default: the stream's) */
  readonly replicas?: number
}

export interface NatsMqttIngest {
  start(): Promise<void>
  stop(): Promise<void>
  stats(): { acked: number; refused: number; retried: number; bound: boolean }
}

const MS = 1_000_000
const SUBJECT_ROOT = '$MQTT.msgs.'

export function createNatsMqttIngest(deps: NatsMqttIngestDeps): NatsMqttIngest {
  const { meta, pipeline, log } = deps
  const stream = deps.stream ?? '$MQTT_msgs'
  const durable = deps.durable ?? 'ronghe_ingest'
  const ackWaitMs = deps.ackWaitMs ?? 10_000
  const maxInFlight = deps.maxInFlight ?? 512
  const deviceOf = createDeviceLookup(meta)
  let nc: NatsConnection | undefined
  let stopped = false
  let bound = false
  let acked = 0
  let refused = 0
  let retried = 0
  let loop: Promise<void> = Promise.resolve()
  let stopConsume: (() => void) | null = null
  const inFlight = new Set<Promise<void>>()

  async function handle(m: JsMsg): Promise<void> {
    // $MQTT.msgs.ronghe.{tenant}.{device}.data
    const parts = m.subject.slice(SUBJECT_ROOT.length).split('.')
    if (parts.length !== 4 || parts[0] !== 'ronghe' || parts[3] !== 'data') {
      m.term() // status and other topics are not samples; nothing to retry
      return
    }
    const tenant = parts[1] as TenantId
    const key = parts[2] as string
    try {
      const device = await deviceOf(tenant, key)
      if (device === null) {
        refused++
        log.warn('message from an unknown device dropped', { tenant, device: key })
        m.term()
        return
      }
      const arrival = Math.floor(m.info.timestampNanos / MS)
      const values = parseJsonValues(Buffer.from(m.data), arrival)
      const r = await pipeline.write(tenant, device.id, values)
      if (r.rejected.length > 0) refused += r.rejected.length
      // acknowledged to NATS only once queryable in the series store, not just in this node's log
      await pipeline.appliedSoFar()
      await m.ackAck()
      acked++
    } catch (err) {
      if (isRongheError(err) && err.code.startsWith('INGEST_') && err.code !== 'INGEST_OVERLOADED') {
        refused++
        log.warn('message refused', { tenant, device: key, code: err.code, error: err.message })
        m.term()
        return
      }
      retried++
      log.warn('message not written; NATS will hand it out again', { error: String(err) })
      m.nak(1000)
    }
  }

  async function ensureConsumer(): Promise<void> {
    const jsm = await jetstreamManager(nc as NatsConnection)
    try {
      await jsm.consumers.info(stream, durable)
      return
    } catch (err) {
      if (!/not found/i.test(String((err as Error)?.message))) throw err
    }
    try {
      await jsm.consumers.add(stream, {
        durable_name: durable,
        filter_subject: `${SUBJECT_ROOT}ronghe.>`,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: ackWaitMs * MS,
        max_ack_pending: 20_000,
        ...(deps.replicas === undefined ? {} : { num_replicas: deps.replicas }),
      })
    } catch (err) {
      if (!/already (exists|in use)/i.test(String((err as Error)?.message))) throw err
    }
  }

  async function run(): Promise<void> {
    let warned = false
    while (!stopped) {
      try {
        // the stream exists once the first MQTT client connected to the cluster
        await ensureConsumer()
        const js = jetstream(nc as NatsConnection)
        const consumer = await js.consumers.get(stream, durable)
        if (stopped) return
        const messages = await consumer.consume({ max_messages: Math.min(maxInFlight, 1000) })
        stopConsume = () => messages.stop()
        bound = true
        warned = false
        for await (const m of messages) {
          if (stopped) break
          const p = handle(m)
          inFlight.add(p)
          void p.finally(() => inFlight.delete(p))
          while (inFlight.size >= maxInFlight) await Promise.race(inFlight)
        }
      } catch (err) {
        bound = false
        if (stopped) return
        if (!warned)
          log.warn('waiting for the NATS MQTT stream (no device connected yet, or the cluster is down)', {
            error: String(err),
          })
        warned = true
        await new Promise((r) => setTimeout(r, 1000))
      }
    }
  }

  return {
    async start(): Promise<void> {
      nc = await connect({
        servers: deps.url.split(',').map((x) => x.trim()),
        name: 'ronghe-mqtt-ingest',
        maxReconnectAttempts: -1,
      })
      loop = run()
    },
    async stop(): Promise<void> {
      if (stopped) return
      stopped = true
      stopConsume?.()
      await Promise.allSettled([...inFlight])
      await loop.catch(() => undefined)
      await nc?.drain().catch(() => nc?.close())
    },
    stats: () => ({ acked, refused, retried, bound }),
  }
}
