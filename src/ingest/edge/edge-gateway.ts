import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import type { UMetric } from 'sparkplug-payload/lib/sparkplugbpayload.js'
import { type Clock, type DeviceId, systemClock, type TenantId } from '../../core/index.ts'
import type { AdapterStatus, IngestSink, ProtocolAdapter, RawValue } from '../ingest-sink.ts'
import { createModbusAdapter, type ModbusAdapterConfig } from '../modbus/index.ts'
import { createOpcuaAdapter, type OpcuaAdapterConfig } from '../opcua/index.ts'
import { decodeSparkplug, encodeSparkplug } from '../sparkplug/sparkplug-codec.ts'
import { EdgeErrors } from './edge-errors.ts'
import { openStoreForwardQueue, type QueuedSample, type StoreForwardQueue } from './store-forward-queue.ts'

/**
 * The edge gateway: runs OPC UA and Modbus adapters at the site and forwards their values to a Ronghe
 * platform as ONE Sparkplug B edge node (group id = tenant id, edge node id = the platform device key
 * the edge logs in as); every source is a Sparkplug device under it, so its points arrive on the platform
 * as `{source device}/{key}`. Values pass through a durable store-and-forward queue:
 *
 *   adapter ──write──► queue (SQLite, fsync) ──► DDATA by alias (QoS 1) ──PUBACK──► delete
 *
 * Session: CONNECT with an NDEATH will (bdSeq, persisted in the data dir so a late will of an older run never
 * matches the new session), NBIRTH (seq 0, bdSeq, `Node Control/Rebirth`), then per device a DBIRTH that names
 * every metric it has seen with its alias before the first DDATA that uses them (a metric first seen later gets a
 * fresh DBIRTH). seq runs 0..255 over every message of the session; a new connection starts a new session with
 * NBIRTH seq 0, so the host never sees a gap. An NCMD `Node Control/Rebirth` makes the node publish its births
 * again. Births carry real values only (the last sample sent, or the first one about to be sent), so a birth
 * never writes a sample the queue did not hold; the platform keeps one value per point and timestamp.
 *
 * DDATA goes out with QoS 1 (Sparkplug suggests QoS 0, but store-and-forward needs the acknowledgement) and
 * MQTT 5, so a message the platform refuses comes back as a failed PUBACK: the session is then dropped and the
 * rows are sent again after a fresh birth. A value leaves the queue only when the PUBACK of the message that
 * carried it arrived; per device, messages go out in queue order with a bounded window in flight. Births wait
 * for their own PUBACK before any data, because a broker may process a client's messages concurrently.
 */

type SourceBase = { readonly device: string }
export type EdgeSourceConfig =
  | (SourceBase & { readonly kind: 'modbus' } & Omit<ModbusAdapterConfig, 'tenant' | 'device' | 'clock'>)
  | (SourceBase & { readonly kind: 'opcua' } & Omit<OpcuaAdapterConfig, 'tenant' | 'device' | 'clock'>)

export interface EdgeUplinkConfig {
  /** `mqtt://host:1883` or `mqtts://host:8883` */
  readonly url: string
  /** the Sparkplug edge node id: the key of the platform device the edge logs in as */
  readonly edgeNodeId: string
  readonly username?: string
  readonly password?: string
  /** default `ronghe-edge-{edgeNodeId}` */
  readonly clientId?: string
  /** TLS: CA bundle to trust (PEM file) and whether to verify the server (default true) */
  readonly caFile?: string
  readonly rejectUnauthorized?: boolean
  /** default 30 s */
  readonly keepaliveS?: number
}

export interface EdgeGatewayConfig {
  /** the tenant id the platform gave the enterprise: the Sparkplug group id */
  readonly tenant: string
  /** the queue lives here (edge-queue.sqlite), and the bdSeq counter (edge-bdseq) */
  readonly dataDir: string
  readonly uplink: EdgeUplinkConfig
  readonly sources: readonly EdgeSourceConfig[]
  readonly queue?: { readonly maxSamples?: number; readonly synchronous?: 'full' | 'normal' }
  /** samples per DDATA message (default 500) */
  readonly batchSize?: number
  /** unacknowledged DDATA messages (default 8) */
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
    readonly births: number
    readonly rebirthRequests: number
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

type MetricType = 'Double' | 'Boolean' | 'String'

interface Metric {
  readonly alias: number
  readonly type: MetricType
  /** the last sample sent (or about to be sent first): what a birth carries */
  last: QueuedSample
}

interface DeviceLink {
  readonly device: string
  /** last queue seq handed to MQTT on the current session */
  cursor: number
  /** metric keys declared by a DBIRTH in the current session */
  readonly born: Set<string>
  readonly metrics: Map<string, Metric>
}

const QUALITY_CODE = { good: 192, uncertain: 64, bad: 0 } as const
const typeOf = (v: RawValue['value']): MetricType =>
  typeof v === 'boolean' ? 'Boolean' : typeof v === 'string' ? 'String' : 'Double'

function metricValue(type: MetricType, v: RawValue['value']): { value?: unknown; isNull?: boolean } {
  if (v === null) return { isNull: true }
  if (type === 'Double') {
    const n = typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'number' ? v : Number(v)
    return Number.isFinite(n) ? { value: n } : { isNull: true }
  }
  if (type === 'Boolean') return { value: typeof v === 'boolean' ? v : Boolean(v) }
  return { value: String(v) }
}

function withQuality(m: UMetric, q: QueuedSample['quality']): UMetric {
  if (q === 'good') return m
  return { ...m, properties: { Quality: { type: 'Int32', value: QUALITY_CODE[q] } } }
}

export function createEdgeGateway(config: EdgeGatewayConfig): EdgeGateway {
  // no sources is allowed: such an edge only drains a queue left by an earlier run
  if (!/^mqtts?:\/\//.test(config.uplink.url)) throw EdgeErrors.badConfig(`uplink url "${config.uplink.url}"`)
  if (!/^[^/+#]+$/.test(config.tenant)) throw EdgeErrors.badConfig(`tenant "${config.tenant}"`)
  const edgeNode = config.uplink.edgeNodeId
  if (typeof edgeNode !== 'string' || !/^[^/+#]+$/.test(edgeNode))
    throw EdgeErrors.badConfig(`uplink.edgeNodeId "${String(edgeNode)}"`)
  const clock = config.clock ?? systemClock
  const batchSize = config.batchSize ?? 500
  const windowSize = config.window ?? 8
  const maxRate = config.maxSendRate ?? 10_000
  const backoffInitial = config.reconnect?.initialMs ?? 500
  const backoffMax = config.reconnect?.maxMs ?? 30_000
  const topic = (type: string, device?: string): string =>
    `spBv1.0/${config.tenant}/${type}/${edgeNode}${device === undefined ? '' : `/${device}`}`
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
  const links = new Map<string, DeviceLink>()
  let running = false
  let lastError: string | null = null
  const counters = {
    queued: 0,
    sent: 0,
    messages: 0,
    births: 0,
    rebirthRequests: 0,
    uplinkConnects: 0,
    uplinkErrors: 0,
  }
  // the session
  let client: MqttClient | null = null
  let generation = 0
  let connected = false
  let seq = 0
  let bdSeq = 0
  let inFlight = 0
  /** a birth waits for its PUBACK before any data goes out */
  let birthPending = false
  let pumping = false
  let backoff = backoffInitial
  let reconnectTimer: NodeJS.Timeout | null = null
  let rateTimer: NodeJS.Timeout | null = null
  let nextAlias = 1
  let rr = 0
  // token bucket for maxSendRate
  let tokens = maxRate
  let tokensAt = Date.now()
  const drainWaiters = new Set<() => void>()
  const bdSeqFile = join(config.dataDir, 'edge-bdseq')

  function notifyDrained(): void {
    if (queue === null || queue.depth() > 0) return
    for (const w of drainWaiters) w()
    drainWaiters.clear()
  }

  function link(device: string): DeviceLink {
    let l = links.get(device)
    if (l === undefined) {
      l = { device, cursor: 0, born: new Set(), metrics: new Map() }
      links.set(device, l)
    }
    return l
  }

  const sink: IngestSink = {
    async write(_tenant, device, values) {
      const q = queue
      if (q === null) throw EdgeErrors.stopped()
      q.append(device, values)
      counters.queued += values.length
      config.onQueued?.(device, values)
      link(device)
      pump()
      return { accepted: values.length, rejected: [] }
    },
  }

  const nextSeq = (): number => {
    const s = seq
    seq = (seq + 1) % 256
    return s
  }

  function nextBdSeq(): number {
    let prev = -1
    try {
      prev = Number(readFileSync(bdSeqFile, 'utf8'))
    } catch {
      // first run
    }
    const next = Number.isInteger(prev) && prev >= 0 ? (prev + 1) % 256 : 0
    writeFileSync(bdSeqFile, String(next))
    return next
  }

  function deathPayload(): Buffer {
    return Buffer.from(
      encodeSparkplug({
        timestamp: clock.now(),
        metrics: [{ name: 'bdSeq', type: 'Int64', value: bdSeq }],
      }),
    )
  }

  function options(): IClientOptions {
    const u = config.uplink
    return {
      clientId: u.clientId ?? `ronghe-edge-${edgeNode}`,
      protocolVersion: 5,
      clean: true,
      // we reconnect ourselves with a fresh client: mqtt.js would otherwise replay its in-memory outbox
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: u.keepaliveS ?? 30,
      will: { topic: topic('NDEATH'), payload: deathPayload(), qos: 1, retain: false },
      ...(u.username === undefined ? {} : { username: u.username }),
      ...(u.password === undefined ? {} : { password: u.password }),
      ...(u.caFile === undefined ? {} : { ca: readFileSync(u.caFile) }),
      ...(u.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: u.rejectUnauthorized }),
    }
  }

  function connect(): void {
    if (!running) return
    const gen = ++generation
    bdSeq = nextBdSeq()
    const c = mqtt.connect(config.uplink.url, options())
    client = c
    c.on('connect', () => {
      if (gen !== generation) return
      connected = true
      backoff = backoffInitial
      inFlight = 0
      counters.uplinkConnects++
      c.subscribe(topic('NCMD'), { qos: 0 }, () => undefined)
      birthNode()
    })
    c.on('message', (_t, payload) => {
      if (gen !== generation) return
      try {
        const p = decodeSparkplug(payload)
        if (p.metrics.some((m) => m.name === 'Node Control/Rebirth' && m.value === true)) {
          counters.rebirthRequests++
          birthNode()
        }
      } catch {
        // not a Sparkplug payload: nothing we could act on
      }
    })
    c.on('error', (err) => {
      if (gen !== generation) return
      counters.uplinkErrors++
      lastError = `uplink: ${err.message}`
    })
    c.on('close', () => {
      if (gen !== generation) return
      lost()
    })
  }

  function lost(): void {
    generation++
    connected = false
    inFlight = 0
    birthPending = false
    for (const l of links.values()) {
      l.cursor = 0
      l.born.clear()
    }
    const c = client
    client = null
    c?.end(true)
    if (!running || reconnectTimer !== null) return
    const delay = backoff
    backoff = Math.min(backoff * 2, backoffMax)
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null
      connect()
    }, delay)
  }

  /** publishes a birth; data waits until the broker acknowledged it */
  function publishBirth(t: string, payload: Uint8Array): void {
    const c = client
    if (c === null) return
    const gen = generation
    birthPending = true
    counters.births++
    c.publish(t, Buffer.from(payload), { qos: 1 }, (err) => {
      if (gen !== generation) return
      if (err) {
        lastError = `uplink birth: ${err.message}`
        counters.uplinkErrors++
        lost()
        return
      }
      birthPending = false
      pump()
    })
  }

  /** NBIRTH (seq 0); every device is born again before its next DDATA */
  function birthNode(): void {
    if (!connected) return
    seq = 0
    for (const l of links.values()) l.born.clear()
    const now = clock.now()
    publishBirth(
      topic('NBIRTH'),
      encodeSparkplug({
        timestamp: now,
        seq: nextSeq(),
        metrics: [
          { name: 'bdSeq', type: 'Int64', value: bdSeq, timestamp: now },
          { name: 'Node Control/Rebirth', type: 'Boolean', value: false, timestamp: now },
        ],
      }),
    )
  }

  function birthDevice(l: DeviceLink): void {
    const metrics: UMetric[] = []
    for (const [key, m] of l.metrics) {
      metrics.push(
        withQuality(
          {
            name: key,
            alias: m.alias,
            type: m.type,
            timestamp: m.last.ts,
            ...metricValue(m.type, m.last.value),
          } as UMetric,
          m.last.quality,
        ),
      )
      l.born.add(key)
    }
    publishBirth(
      topic('DBIRTH', l.device),
      encodeSparkplug({ timestamp: clock.now(), seq: nextSeq(), metrics }),
    )
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

  function pump(): void {
    if (pumping) return
    pumping = true
    try {
      const q = queue
      const limit = maxRate > 0 ? Math.max(1, Math.min(batchSize, Math.floor(maxRate))) : batchSize
      while (
        q !== null &&
        running &&
        connected &&
        client !== null &&
        !birthPending &&
        inFlight < windowSize
      ) {
        // round robin over the devices, so one device's backlog does not starve the others
        const list = [...links.values()]
        let picked: { l: DeviceLink; rows: QueuedSample[] } | null = null
        for (let i = 0; i < list.length && picked === null; i++) {
          const l = list[(rr + i) % list.length]
          if (l === undefined) continue
          const rows = q.peek(l.device, l.cursor, limit)
          if (rows.length > 0) {
            picked = { l, rows }
            rr = (rr + i + 1) % list.length
          }
        }
        if (picked === null) break
        const { l, rows } = picked
        // metrics the platform has not been told about in this session: a DBIRTH first
        let unborn = false
        for (const r of rows) {
          if (!l.metrics.has(r.key))
            l.metrics.set(r.key, { alias: nextAlias++, type: typeOf(r.value), last: r })
          if (!l.born.has(r.key)) unborn = true
        }
        if (unborn) {
          birthDevice(l)
          break
        }
        const wait = takeTokens(rows.length)
        if (wait > 0) {
          if (rateTimer === null)
            rateTimer = setTimeout(() => {
              rateTimer = null
              pump()
            }, wait)
          break
        }
        send(l, rows)
      }
    } finally {
      pumping = false
    }
  }

  function send(l: DeviceLink, rows: readonly QueuedSample[]): void {
    const c = client
    const first = rows[0]
    const last = rows[rows.length - 1]
    if (c === null || first === undefined || last === undefined) return
    const gen = generation
    l.cursor = last.seq
    inFlight++
    const metrics: UMetric[] = []
    for (const r of rows) {
      const m = l.metrics.get(r.key)
      if (m === undefined) continue
      m.last = r
      metrics.push(
        withQuality(
          { alias: m.alias, type: m.type, timestamp: r.ts, ...metricValue(m.type, r.value) } as UMetric,
          r.quality,
        ),
      )
    }
    const payload = encodeSparkplug({ timestamp: clock.now(), seq: nextSeq(), metrics })
    c.publish(topic('DDATA', l.device), Buffer.from(payload), { qos: 1 }, (err) => {
      // a callback from a session we already gave up on: its rows are resent from the queue
      if (gen !== generation) return
      inFlight--
      if (err) {
        lastError = `uplink ${l.device}: ${err.message}`
        counters.uplinkErrors++
        lost()
        return
      }
      const n = queue?.ack(l.device, first.seq, last.seq) ?? 0
      counters.sent += n
      counters.messages++
      notifyDrained()
      pump()
    })
  }

  return {
    adapters,
    async start() {
      if (running) return
      running = true
      queue = openStoreForwardQueue({ dataDir: config.dataDir, ...config.queue })
      for (const device of new Set([...adapters.keys(), ...queue.devices()])) link(device)
      connect()
      // an adapter that cannot reach its equipment keeps retrying on its own; it never stops the gateway
      await Promise.all([...adapters.values()].map((a) => a.start(sink).catch(() => undefined)))
    },
    async stop() {
      if (!running) return
      await Promise.all([...adapters.values()].map((a) => a.stop().catch(() => undefined)))
      running = false
      if (reconnectTimer !== null) clearTimeout(reconnectTimer)
      if (rateTimer !== null) clearTimeout(rateTimer)
      reconnectTimer = null
      rateTimer = null
      generation++
      const c = client
      client = null
      const wasConnected = connected
      connected = false
      if (c !== null) {
        // a clean DISCONNECT does not fire the will: say goodbye ourselves
        if (wasConnected)
          await c.publishAsync(topic('NDEATH'), deathPayload(), { qos: 1 }).catch(() => undefined)
        await c.endAsync(true).catch(() => undefined)
      }
      links.clear()
      queue?.close()
      queue = null
    },
    status() {
      const adapterStatus: Record<string, AdapterStatus & { kind: string }> = {}
      for (const [device, a] of adapters) adapterStatus[device] = { kind: a.kind, ...a.status() }
      return {
        uplinkConnected: connected,
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
