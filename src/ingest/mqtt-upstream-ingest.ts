import { connect, type IClientOptions, type MqttClient } from 'mqtt'
import { type Clock, isRongheError, type TenantId } from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import { createDeviceLookup } from './device-lookup.ts'
import { IngestErrors } from './ingest-errors.ts'
import type { IngestPipeline } from './ingest-pipeline.ts'
import { parseJsonValues } from './json-format.ts'

/**
 * The device front door on an external MQTT broker (Mosquitto, EMQX, HiveMQ, …). Devices publish
 * to the broker (`ronghe/{tenant}/{device}/data`, QoS 1); the broker authenticates them and its ACL
 * confines each device to its own topic. Every Ronghe node is an MQTT client of that broker with a
 * persistent session (MQTT 5 session expiry, or MQTT 3.1.1 clean session = false) and subscribes
 * `$share/{group}/{filter}` at QoS 1: the broker hands each message to one member of the group.
 *
 * A message is acknowledged (PUBACK) only when its samples are in the series store; until then the
 * broker holds it in this node's session. If the node dies the message stays unacknowledged and the
 * broker delivers it again — Mosquitto when the node comes back with the same client id (it keeps a
 * dead member's in-flight and queued messages in that member's session), EMQX to another member of
 * the group. Writing a sample twice is harmless: the first write of a (point, ts) wins. Values
 * without a timestamp get the time they reached this node, so devices that need exactly-once
 * storage send `ts` (MQTT carries no broker timestamp).
 *
 * Messages that can never be stored (a topic that is not `…/{tenant}/{device}/data`, an unregistered
 * device, a payload that is not Ronghe JSON) are acknowledged at once and counted by error code, so
 * the broker does not deliver them again and again. Failures that may pass (the series store is
 * down, the ingest queue is full) are retried on this node with backoff, holding the PUBACK.
 *
 * A session has as many messages in hand as the broker sends before their PUBACKs (its in-flight
 * window; with MQTT 5 at most 256, the Receive Maximum announced here); PUBACKs go out in the order
 * the messages arrived. A node holds `connections` sessions (`{clientId}-{n}` when more than one).
 */
export interface MqttUpstreamIngestDeps {
  /** mqtt://host:1883, mqtts://host:8883, ws(s)://… */
  readonly url: string
  /** shared-subscription group every node joins */
  readonly group: string
  /** topic filters; a topic's last three levels are `{tenant}/{device}/data` */
  readonly filters: readonly string[]
  /** this node's client id; the same across restarts, different from every other node's */
  readonly clientId: string
  readonly username?: string | undefined
  readonly password?: string | undefined
  /** sessions this node holds (default 1) */
  readonly connections?: number
  /** 5 (default) or 4 (MQTT 3.1.1) */
  readonly protocolVersion?: 4 | 5
  /** how long the broker keeps this node's session while it is away, s (MQTT 5; default 7 days) */
  readonly sessionExpiryS?: number
  /** first reconnect delay, doubled after every failed attempt up to maxReconnectMs (default 500) */
  readonly minReconnectMs?: number
  readonly maxReconnectMs?: number
  /** first delay before a message whose samples could not be stored is tried again (default 200 ms, doubling to 5 s) */
  readonly retryDelayMs?: number
  readonly meta: MetaStore
  readonly pipeline: IngestPipeline
  readonly clock: Clock
  readonly log: {
    info(msg: string, extra?: unknown): void
    warn(msg: string, extra?: unknown): void
    error(msg: string, extra?: unknown): void
  }
}

export interface MqttUpstreamStats {
  /** sessions connected to the broker now */
  readonly connected: number
  /** sessions whose shared subscription the broker granted on the current connection */
  readonly subscribed: number
  readonly sessions: number
  /** messages whose samples are stored and that were acknowledged */
  readonly stored: number
  /** messages acknowledged without storing, and single values the pipeline rejected, by error code */
  readonly refused: Readonly<Record<string, number>>
  /** attempts to store a message that failed and were tried again */
  readonly retried: number
  readonly lastError: string | null
}

export interface MqttUpstreamIngest {
  /** connects in the background; resolves at once (the broker may not be up yet) */
  start(): Promise<void>
  /** idempotent; finishes the messages being stored, then disconnects (sessions stay on the broker) */
  stop(): Promise<void>
  stats(): MqttUpstreamStats
}

/** tells mqtt.js not to send the PUBACK of a QoS 1 message itself (see handleMessage below) */
const PUBACK_LATER = new Error('PUBACK sent once the samples are stored')

type Outcome = { readonly ack: true; readonly refusal?: string } | { readonly ack: false }

/** The URL as it may be logged: no password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return '(unparsable URL)'
  }
}

export function createMqttUpstreamIngest(deps: MqttUpstreamIngestDeps): MqttUpstreamIngest {
  const { meta, pipeline, clock, log } = deps
  const connections = deps.connections ?? 1
  const protocolVersion = deps.protocolVersion ?? 5
  const minReconnectMs = deps.minReconnectMs ?? 500
  const maxReconnectMs = deps.maxReconnectMs ?? 30_000
  const retryDelayMs = deps.retryDelayMs ?? 200
  if (deps.filters.length === 0) throw new Error('mqtt upstream: at least one topic filter is needed')
  if (!Number.isInteger(connections) || connections < 1)
    throw new Error('mqtt upstream: connections must be a positive integer')
  const shared = deps.filters.map((f) => `$share/${deps.group}/${f}`)
  const where = redactUrl(deps.url)
  const deviceOf = createDeviceLookup(meta)
  const clients: MqttClient[] = []
  const inFlight = new Set<Promise<unknown>>()
  const refused: Record<string, number> = {}
  let connected = 0
  let subscribed = 0
  let stored = 0
  let retried = 0
  let lastError: string | null = null
  let stopped = false
  let started = false

  function countRefusal(code: string, topic: string, message: string): void {
    const n = (refused[code] ?? 0) + 1
    refused[code] = n
    // the first of each code, then every thousandth: a misbehaving device must not flood the log
    if (n === 1 || n % 1000 === 0)
      log.warn('device message refused', { code, topic, error: message, refusedWithThisCode: n })
  }

  async function store(topic: string, payload: Buffer): Promise<void> {
    const levels = topic.split('/')
    const tenant = levels[levels.length - 3] as TenantId
    const key = levels[levels.length - 2] as string
    if (levels.length < 3 || levels[levels.length - 1] !== 'data' || !tenant || !key)
      throw IngestErrors.unmappedTopic(topic)
    const device = await deviceOf(tenant, key)
    if (device === null) throw IngestErrors.unregisteredDevice(tenant, key)
    const values = parseJsonValues(payload, clock.now())
    const r = await pipeline.write(tenant, device.id, values)
    for (const x of r.rejected) countRefusal(x.code, topic, x.message)
    // acknowledged to the broker only once queryable in the series store, not just in this node's log
    await pipeline.appliedSoFar()
  }

  /** Stores one message, retrying what may pass; `ack: false` only when stopping before it was stored. */
  async function handle(topic: string, payload: Buffer): Promise<Outcome> {
    let delay = retryDelayMs
    for (;;) {
      try {
        await store(topic, payload)
        stored++
        return { ack: true }
      } catch (err) {
        if (isRongheError(err) && err.code.startsWith('INGEST_') && err.code !== 'INGEST_OVERLOADED') {
          countRefusal(err.code, topic, err.message)
          return { ack: true, refusal: err.code }
        }
        retried++
        lastError = String(err)
        if (retried === 1 || retried % 100 === 0)
          log.warn('message not stored yet; trying again (the broker keeps it until then)', {
            topic,
            error: String(err),
            retried,
          })
        if (stopped) return { ack: false }
        await new Promise((r) => setTimeout(r, delay))
        delay = Math.min(delay * 2, 5000)
        if (stopped) return { ack: false }
      }
    }
  }

  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p)
    void p.finally(() => inFlight.delete(p)).catch(() => undefined)
    return p
  }

  function open(clientId: string): MqttClient {
    let isUp = false
    let isSubscribed = false
    let loggedError: string | null = null
    const options: IClientOptions = {
      clientId,
      clean: false,
      protocolVersion,
      reconnectPeriod: minReconnectMs,
      connectTimeout: 10_000,
      keepalive: 30,
      // subscribed on every CONNACK below (the broker may have lost the session)
      resubscribe: false,
      ...(deps.username === undefined ? {} : { username: deps.username }),
      ...(deps.password === undefined ? {} : { password: deps.password }),
      ...(protocolVersion === 5
        ? { properties: { sessionExpiryInterval: deps.sessionExpiryS ?? 7 * 86_400, receiveMaximum: 256 } }
        : {}),
    }
    const client = connect(deps.url, options)
    // QoS 1: the PUBACK goes out only once the samples are stored. mqtt.js calls handleMessage for
    // each QoS 1 message and, when its callback is called without an error, sends the PUBACK and only
    // then reads the next message. To have several messages in hand (up to the broker's in-flight
    // window), the callback is called at once with an error — mqtt.js then sends no PUBACK and goes
    // on — and the PUBACKs are sent here with mqtt.js's packet writer, in the order the messages
    // arrived (MQTT 3.1.1 and 5, section 4.6), each as soon as it and every older one is stored.
    // `_sendPacket` is mqtt.js's internal writer (5.16): without it, one message at a time.
    const writer = (client as unknown as { _sendPacket?: (packet: object, cb: () => void) => void })
      ._sendPacket
    let pending: { messageId: number; ready: boolean; code: number }[] = []
    const flush = (): void => {
      while (pending[0]?.ready) {
        const { messageId, code } = pending.shift() as { messageId: number; code: number }
        writer?.call(
          client,
          protocolVersion === 5
            ? { cmd: 'puback', messageId, reasonCode: code }
            : { cmd: 'puback', messageId },
          () => undefined,
        )
      }
    }
    client.handleMessage = (packet, callback) => {
      if (packet.qos !== 1) return callback()
      const work = track(handle(packet.topic, packet.payload as Buffer))
      if (typeof writer !== 'function') {
        // stopping (`ack: false`): no PUBACK, the broker delivers the message again
        void work.then((o) => (o.ack ? callback() : undefined))
        return
      }
      const entry = { messageId: packet.messageId as number, ready: false, code: 0 }
      const connection = pending
      connection.push(entry)
      void work.then((o) => {
        // stopping, or the connection it came on is gone: the broker delivers it again
        if (!o.ack || connection !== pending) return
        entry.ready = true
        // MQTT 5 tells the broker the message was refused (0x83 implementation specific error)
        entry.code = o.refusal !== undefined ? 0x83 : 0
        flush()
      })
      callback(PUBACK_LATER)
    }
    client.on('message', (topic, payload, packet) => {
      // QoS 0 messages carry no acknowledgement: stored as they come (QoS 1 went through handleMessage)
      if (packet.qos === 0 && !stopped) void track(handle(topic, payload))
    })
    client.on('connect', (connack) => {
      isUp = true
      connected++
      loggedError = null
      client.options.reconnectPeriod = minReconnectMs
      log.info('connected to the MQTT broker', {
        broker: where,
        clientId,
        sessionPresent: connack.sessionPresent,
      })
      client.subscribe(shared, { qos: 1 }, (err, granted) => {
        const refusedFilters = (granted ?? []).filter((g) => g.qos !== 0 && g.qos !== 1 && g.qos !== 2)
        if (err || refusedFilters.length > 0) {
          lastError = err
            ? String(err)
            : `subscription refused: ${refusedFilters.map((g) => g.topic).join(', ')}`
          log.error('the broker refused the shared subscription (check its ACL for this user)', {
            broker: where,
            clientId,
            error: lastError,
          })
        } else if (isUp && !isSubscribed) {
          isSubscribed = true
          subscribed++
        }
      })
    })
    client.on('close', () => {
      pending = []
      if (isUp) connected--
      if (isSubscribed) subscribed--
      isUp = false
      isSubscribed = false
      // exponential backoff with jitter; mqtt.js reads the period when it schedules the next attempt
      const next = Math.min(maxReconnectMs, (client.options.reconnectPeriod ?? minReconnectMs) * 2)
      client.options.reconnectPeriod = Math.round(next * (0.8 + Math.random() * 0.4))
    })
    client.on('error', (err) => {
      lastError = err.message
      if (loggedError !== err.message && !stopped)
        log.warn('MQTT broker connection problem', { broker: where, clientId, error: err.message })
      loggedError = err.message
    })
    return client
  }

  return {
    async start(): Promise<void> {
      if (started) return
      started = true
      for (let i = 0; i < connections; i++)
        clients.push(open(connections === 1 ? deps.clientId : `${deps.clientId}-${i + 1}`))
    },
    async stop(): Promise<void> {
      if (stopped) return
      stopped = true
      // messages being stored finish (and are acknowledged) unless they are waiting for a retry
      await Promise.allSettled([...inFlight])
      await Promise.all(
        clients.map(
          (c) =>
            new Promise<void>((resolve) => {
              const force = setTimeout(() => c.end(true, () => resolve()), 3000)
              c.end(false, () => {
                clearTimeout(force)
                resolve()
              })
            }),
        ),
      )
    },
    stats: () => ({
      connected,
      subscribed,
      sessions: clients.length,
      stored,
      refused: { ...refused },
      retried,
      lastError,
    }),
  }
}
