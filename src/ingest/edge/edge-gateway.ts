import { readFileSync } from 'node:fs'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { type Clock, type DeviceId, systemClock, type TenantId } from '../../core/index.ts'
import type { AdapterStatus, IngestSink, ProtocolAdapter, RawValue } from '../ingest-sink.ts'
import { createModbusAdapter, type ModbusAdapterConfig } from '../modbus/index.ts'
import { createOpcuaAdapter, type OpcuaAdapterConfig } from '../opcua/index.ts'
import { EdgeErrors } from './edge-errors.ts'
import { openStoreForwardQueue, type QueuedSample, type StoreForwardQueue } from './store-forward-queue.ts'

/**
 * The edge gateway: runs OPC UA and Modbus adapters at the site and forwards their values to a Ronghe
 * platform over MQTT in Ronghe's JSON format (`ronghe/{tenant}/{device}/data`, a JSON array of
 * `{key, ts, value, quality}`, QoS 1), through a durable store-and-forward queue:
 *
 *   adapter ──write──► queue (SQLite, fsync) ──► one MQTT session per device ──PUBACK──► delete
 *
 * A value is acknowledged to its adapter once it is in the queue; it leaves the queue only when the broker
 * acknowledged the message carrying it. Per device, messages go out in queue order with a bounded window in
 * flight; when the connection drops, whatever was not acknowledged is sent again from the oldest row on the
 * next connection (a fresh MQTT session each time, so the client library never replays behind our back).
 * The one duplicate QoS 1 allows — a message that arrived but whose PUBACK was lost — is harmless because
 * the platform stores a point's value once per timestamp.
 */

type SourceBase = { readonly device: string }
export type EdgeSourceConfig =
  | (SourceBase & { readonly kind: 'modbus' } & Omit<ModbusAdapterConfig, 'tenant' | 'device' | 'clock'>)
  | (SourceBase & { readonly kind: 'opcua' } & Omit<OpcuaAdapterConfig, 'tenant' | 'device' | 'clock'>)

export interface EdgeUplinkConfig {
  /** `mqtt://host:1883` or `mqtts://host:8883` */
  readonly url: string
  /** credentials for every device without its own entry in `devices` */
  readonly username?: string
  readonly password?: string
  /** per device credentials (Ronghe's broker lets a device publish only under its own key) */
  readonly devices?: Readonly<Record<string, { readonly username: string; readonly password: string }>>
  /** client id prefix; the device key is appended (default `ronghe-edge`) */
  readonly clientIdPrefix?: string
  /** TLS: CA bundle to trust (PEM file) and whether to verify the server (default true) */
  readonly caFile?: string
  readonly rejectUnauthorized?: boolean
  /** default 30 s */
  readonly keepaliveS?: number
}

export interface EdgeGatewayConfig {
  /** the tenant id the platform gave the enterprise: the second level of the topic */
  readonly tenant: string
  /** the queue lives here (edge-queue.sqlite) */
  readonly dataDir: string
  readonly uplink: EdgeUplinkConfig
  readonly sources: readonly EdgeSourceConfig[]
  readonly queue?: { readonly maxSamples?: number; readonly synchronous?: 'full' | 'normal' }
  /** samples per MQTT message (default 500) */
  readonly batchSize?: number
  /** unacknowledged messages per device (default 8) */
  readonly window?: number
  /** the most samples per second the uplink sends, so a catch-up does not flood the platform (default 10 000; 0 = no limit) */
  readonly maxSendRate?: number
  /** uplink reconnect back-off, defaults 500 ms doubling to 30 s */
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number }
  readonly clock?: Clock
  /** called with every batch after it is in the queue (a local live view; tests compare against it) */
  readonly onQueued?: (device: string, values: readonly RawValue[]) => void
}

export interface EdgeGatewayStatus {
  readonly uplinkConnected: boolean
  readonly lastError: string | null
  readonly queueDepth: number
  readonly counters: {
    readonly queued: number
    readonly dropped: number
    readonly sent: number
    readonly messages: number
    readonly uplinkConnects: number
    readonly uplinkErrors: number
  }
  readonly adapters: Readonly<Record<string, AdapterStatus & { readonly kind: string }>>
}

export interface EdgeGateway {
  start(): Promise<void>
  stop(): Promise<void>
  status(): EdgeGatewayStatus
  /** resolves when the queue is empty (everything acknowledged) or rejects after timeoutMs */
  drained(timeoutMs?: number): Promise<void>
  /** the adapters by device key */
  readonly adapters: ReadonlyMap<string, ProtocolAdapter>
}

interface Uplink {
  readonly device: string
  client: MqttClient | null
  generation: number
  connected: boolean
  /** last sequence number handed to MQTT on the current connection */
  cursor: number
  inFlight: number
  pumping: boolean
  backoff: number
  /** reconnect after back-off */
  timer: NodeJS.Timeout | null
  /** resume sending when the rate limit allows */
  rateTimer: NodeJS.Timeout | null
}

export function createEdgeGateway(config: EdgeGatewayConfig): EdgeGateway {
  // no sources is allowed: such an edge only drains a queue left by an earlier run
  if (!/^mqtts?:\/\//.test(config.uplink.url)) throw EdgeErrors.badConfig(`uplink url "${config.uplink.url}"`)
  if (!/^[^/+#]+$/.test(config.tenant)) throw EdgeErrors.badConfig(`tenant "${config.tenant}"`)
  const clock = config.clock ?? systemClock
  const batchSize = config.batchSize ?? 500
  const windowSize = config.window ?? 8
  const maxRate = config.maxSendRate ?? 10_000
  const backoffInitial = config.reconnect?.initialMs ?? 500
  const backoffMax = config.reconnect?.maxMs ?? 30_000
  const adapters = new Map<string, ProtocolAdapter>()
  for (const s of config.sources) {
    if (!/^[^/+#]+$/.test(s.device)) throw EdgeErrors.badConfig(`device key "${s.device}"`)
    if (adapters.has(s.device)) throw EdgeErrors.badConfig(`device "${s.device}" has two sources`)
    const common = { tenant: config.tenant as TenantId, device: s.device as DeviceId, clock }
    adapters.set(
      s.device,
      s.kind === 'modbus'
        ? createModbusAdapter({ ...s, ...common })
        : createOpcuaAdapter({ ...s, ...common }),
    )
  }
  let queue: StoreForwardQueue | null = null
  const uplinks = new Map<string, Uplink>()
  let running = false
  let lastError: string | null = null
  const counters = { queued: 0, sent: 0, messages: 0, uplinkConnects: 0, uplinkErrors: 0 }
  // token bucket for maxSendRate
  let tokens = maxRate
  let tokensAt = Date.now()
  const drainWaiters = new Set<() => void>()

  function notifyDrained(): void {
    if (queue === null || queue.depth() > 0) return
    for (const w of drainWaiters) w()
    drainWaiters.clear()
  }

  const sink: IngestSink = {
    async write(_tenant, device, values) {
      const q = queue
      if (q === null) throw EdgeErrors.stopped()
      q.append(device, values)
      counters.queued += values.length
      config.onQueued?.(device, values)
      const u = uplinks.get(device)
      if (u !== undefined) pump(u)
      return { accepted: values.length, rejected: [] }
    },
  }

  function uplinkOptions(device: string): IClientOptions {
    const creds = config.uplink.devices?.[device]
    const username = creds?.username ?? config.uplink.username
    const password = creds?.password ?? config.uplink.password
    return {
      clientId: `${config.uplink.clientIdPrefix ?? 'ronghe-edge'}-${device}`,
      protocolVersion: 4,
      clean: true,
      // we reconnect ourselves with a fresh client: mqtt.js would otherwise replay its in-memory outbox
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: config.uplink.keepaliveS ?? 30,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
      ...(config.uplink.caFile === undefined ? {} : { ca: readFileSync(config.uplink.caFile) }),
      ...(config.uplink.rejectUnauthorized === undefined
        ? {}
        : { rejectUnauthorized: config.uplink.rejectUnauthorized }),
    }
  }

  function connect(u: Uplink): void {
    if (!running) return
    const gen = ++u.generation
    const c = mqtt.connect(config.uplink.url, uplinkOptions(u.device))
    u.client = c
    c.on('connect', () => {
      if (gen !== u.generation) return
      u.connected = true
      u.backoff = backoffInitial
      u.cursor = 0
      u.inFlight = 0
      counters.uplinkConnects++
      pump(u)
    })
    c.on('error', (err) => {
      if (gen !== u.generation) return
      counters.uplinkErrors++
      lastError = `uplink ${u.device}: ${err.message}`
    })
    c.on('close', () => {
      if (gen !== u.generation) return
      lost(u)
    })
  }

  function lost(u: Uplink): void {
    u.generation++
    u.connected = false
    u.inFlight = 0
    u.cursor = 0
    const c = u.client
    u.client = null
    c?.end(true)
    if (!running || u.timer !== null) return
    const delay = u.backoff
    u.backoff = Math.min(u.backoff * 2, backoffMax)
    u.timer = setTimeout(() => {
      u.timer = null
      connect(u)
    }, delay)
  }

  function takeTokens(n: number): number {
    if (maxRate <= 0) return 0
    const now = Date.now()
    tokens = Math.min(maxRate, tokens + ((now - tokensAt) / 1000) * maxRate)
    tokensAt = now
    if (tokens >= n) {
      tokens -= n
      return 0
    }
    return Math.ceil(((n - tokens) / maxRate) * 1000)
  }

  function pump(u: Uplink): void {
    if (u.pumping) return
    u.pumping = true
    try {
      const q = queue
      while (q !== null && running && u.connected && u.client !== null && u.inFlight < windowSize) {
        const limit = maxRate > 0 ? Math.max(1, Math.min(batchSize, Math.floor(maxRate))) : batchSize
        const rows = q.peek(u.device, u.cursor, limit)
        if (rows.length === 0) break
        const wait = takeTokens(rows.length)
        if (wait > 0) {
          if (u.rateTimer === null)
            u.rateTimer = setTimeout(() => {
              u.rateTimer = null
              pump(u)
            }, wait)
          break
        }
        send(u, rows)
      }
    } finally {
      u.pumping = false
    }
  }

  function send(u: Uplink, rows: readonly QueuedSample[]): void {
    const c = u.client
    const first = rows[0]
    const last = rows[rows.length - 1]
    if (c === null || first === undefined || last === undefined) return
    const gen = u.generation
    u.cursor = last.seq
    u.inFlight++
    const payload = JSON.stringify(
      rows.map((r) => ({ key: r.key, ts: r.ts, value: r.value, quality: r.quality })),
    )
    c.publish(`ronghe/${config.tenant}/${u.device}/data`, payload, { qos: 1 }, (err) => {
      // a callback from a connection we already gave up on: its rows are resent from the queue
      if (gen !== u.generation) return
      u.inFlight--
      if (err) {
        lastError = `uplink ${u.device}: ${err.message}`
        counters.uplinkErrors++
        lost(u)
        return
      }
      const n = queue?.ack(u.device, first.seq, last.seq) ?? 0
      counters.sent += n
      counters.messages++
      notifyDrained()
      pump(u)
    })
  }

  return {
    adapters,
    async start() {
      if (running) return
      running = true
      queue = openStoreForwardQueue({ dataDir: config.dataDir, ...config.queue })
      for (const device of new Set([...adapters.keys(), ...queue.devices()])) {
        const u: Uplink = {
          device,
          client: null,
          generation: 0,
          connected: false,
          cursor: 0,
          inFlight: 0,
          pumping: false,
          backoff: backoffInitial,
          timer: null,
          rateTimer: null,
        }
        uplinks.set(device, u)
        connect(u)
      }
      // an adapter that cannot reach its equipment keeps retrying on its own; it never stops the gateway
      await Promise.all([...adapters.values()].map((a) => a.start(sink).catch(() => undefined)))
    },
    async stop() {
      if (!running) return
      await Promise.all([...adapters.values()].map((a) => a.stop().catch(() => undefined)))
      running = false
      await Promise.all(
        [...uplinks.values()].map(async (u) => {
          if (u.timer !== null) clearTimeout(u.timer)
          if (u.rateTimer !== null) clearTimeout(u.rateTimer)
          u.timer = null
          u.rateTimer = null
          u.generation++
          const c = u.client
          u.client = null
          u.connected = false
          if (c !== null) await c.endAsync(true).catch(() => undefined)
        }),
      )
      uplinks.clear()
      queue?.close()
      queue = null
    },
    status() {
      const adapterStatus: Record<string, AdapterStatus & { kind: string }> = {}
      for (const [device, a] of adapters) adapterStatus[device] = { kind: a.kind, ...a.status() }
      return {
        uplinkConnected: uplinks.size > 0 && [...uplinks.values()].every((u) => u.connected),
        lastError,
        queueDepth: queue?.depth() ?? 0,
        counters: { ...counters, dropped: queue?.dropped() ?? 0 },
        adapters: adapterStatus,
      }
    },
    drained(timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        if (queue !== null && queue.depth() === 0) {
          resolve()
          return
        }
        const done = (): void => {
          clearTimeout(t)
          resolve()
        }
        const t = setTimeout(() => {
          drainWaiters.delete(done)
          reject(EdgeErrors.drainTimeout(timeoutMs, queue?.depth() ?? 0))
        }, timeoutMs)
        drainWaiters.add(done)
      })
    },
  }
}
