import { EventEmitter } from 'node:events'
import { connect, type IClientOptions, type MqttClient } from 'mqtt'
import sparkplug from 'sparkplug-payload'
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js'
import { type Clock, systemClock } from '../core/index.ts'
import { SimErrors } from './sim-errors.ts'

/**
 * A Sparkplug B (3.0) edge node on mqtt.js: NDEATH will with bdSeq, NBIRTH / DBIRTH with names and aliases,
 * NDATA / DDATA by alias only, a seq shared by every message of the node (0..255, wrapping), DDEATH, and a
 * rebirth on NCMD `Node Control/Rebirth`. Used by the virtual factory and by tests of Ronghe's Sparkplug
 * ingest; the edge gateway's store-and-forward sits on top of something like this.
 */

const codec = (() => {
  const c = sparkplug.get('spBv1.0')
  if (c === null) throw new Error('sparkplug-payload has no spBv1.0 codec')
  return c
})()

export const SPARKPLUG_NAMESPACE = 'spBv1.0'
export const REBIRTH_METRIC = 'Node Control/Rebirth'
export const BDSEQ_METRIC = 'bdSeq'

export type SparkplugDataType =
  | 'Int8'
  | 'Int16'
  | 'Int32'
  | 'Int64'
  | 'UInt8'
  | 'UInt16'
  | 'UInt32'
  | 'UInt64'
  | 'Float'
  | 'Double'
  | 'Boolean'
  | 'String'
  | 'DateTime'
  | 'Text'

/** Int64 / UInt64 / DateTime may be given as bigint when they exceed 2^53. */
export type SparkplugValue = number | bigint | boolean | string | null

/** Sparkplug's `Quality` property: 192 GOOD (not sent), 0 BAD, 500 STALE. */
export type SparkplugQuality = 'good' | 'bad' | 'stale'
export const SPARKPLUG_QUALITY_CODE: Readonly<Record<SparkplugQuality, number>> = {
  good: 192,
  bad: 0,
  stale: 500,
}

export interface SparkplugMetricSpec {
  readonly name: string
  /** Unique across the whole edge node (node and device metrics). Assigned from 1000 upwards when omitted. */
  readonly alias?: number
  readonly datatype: SparkplugDataType
  /** Value announced in the first BIRTH; later BIRTHs carry the latest value published. */
  readonly value?: SparkplugValue
  /** Engineering unit, sent in BIRTH as the `engUnit` property (a convention of Ignition and others). */
  readonly unit?: string
}

export interface SparkplugDeviceSpec {
  readonly deviceId: string
  readonly metrics: readonly SparkplugMetricSpec[]
}

export interface SparkplugMetricUpdate {
  /** Either the alias or the name identifies the metric; on the wire only the alias is sent. */
  readonly alias?: number
  readonly name?: string
  readonly value: SparkplugValue
  /** Acquisition time (epoch ms); the clock's now when omitted. */
  readonly timestamp?: number
  readonly quality?: SparkplugQuality
}

export interface SparkplugPublishOptions {
  /** Sparkplug says QoS 0 for data; QoS 1 makes the promise resolve on PUBACK. */
  readonly qos?: 0 | 1
}

export interface SparkplugEdgeNodeOptions {
  readonly url: string
  readonly groupId: string
  readonly edgeNodeId: string
  readonly username?: string
  readonly password?: string
  readonly protocolVersion?: 4 | 5
  readonly clientId?: string
  readonly clock?: Clock
  /** First bdSeq (default 0); incremented on every new MQTT session. */
  readonly bdSeq?: number
  readonly nodeMetrics?: readonly SparkplugMetricSpec[]
  readonly devices?: readonly SparkplugDeviceSpec[]
  /** mqtt.js reconnect period in ms (default 1000); 0 disables reconnecting. */
  readonly reconnectPeriodMs?: number
  readonly connectTimeoutMs?: number
  readonly keepaliveS?: number
  /** Extra mqtt.js options (TLS material and the like). Will, clean and clientId are set by the edge node. */
  readonly mqttOptions?: Omit<IClientOptions, 'will' | 'clean' | 'clientId' | 'protocolVersion'>
}

/** An NCMD or DCMD other than the rebirth request, decoded. */
export interface SparkplugCommand {
  readonly deviceId: string | null
  readonly metrics: readonly {
    readonly name: string | null
    readonly alias: number | null
    readonly value: unknown
  }[]
}

export interface SparkplugEdgeNodeCounters {
  /** Messages the broker accepted (written for QoS 0, PUBACKed for QoS 1), births and deaths included. */
  readonly published: number
  readonly rebirths: number
  readonly connects: number
  readonly bdSeq: number
  /** The seq the next message will carry. */
  readonly seq: number
  readonly connected: boolean
}

export interface SparkplugEdgeNodeEvents {
  /** Births were (re)published; `reason` says why. */
  birth: [reason: 'connect' | 'rebirth']
  /** A host asked for a rebirth with NCMD `Node Control/Rebirth` = true (emitted after the births). */
  rebirth: []
  command: [command: SparkplugCommand]
  disconnect: []
  error: [err: Error]
}

export interface SparkplugEdgeNode {
  readonly groupId: string
  readonly edgeNodeId: string
  /** Connects with the NDEATH will and publishes NBIRTH then every live device's DBIRTH; resolves after them. */
  start(): Promise<void>
  /** clean: NDEATH then DISCONNECT; unclean: drop the socket so the broker publishes the will. */
  stop(options?: { readonly clean?: boolean }): Promise<void>
  publishNodeData(updates: readonly SparkplugMetricUpdate[], options?: SparkplugPublishOptions): Promise<void>
  publishDeviceData(
    deviceId: string,
    updates: readonly SparkplugMetricUpdate[],
    options?: SparkplugPublishOptions,
  ): Promise<void>
  deathDevice(deviceId: string): Promise<void>
  /** Brings a device back after a DDEATH (publishes its DBIRTH). */
  birthDevice(deviceId: string): Promise<void>
  /** Republishes NBIRTH and every live DBIRTH, as on a host's rebirth request. */
  rebirth(): Promise<void>
  /** Test hook: the next message's seq jumps by `by` (default 1), which a host sees as a gap. */
  skipSeq(by?: number): void
  counters(): SparkplugEdgeNodeCounters
  on<E extends keyof SparkplugEdgeNodeEvents>(
    event: E,
    listener: (...args: SparkplugEdgeNodeEvents[E]) => void,
  ): SparkplugEdgeNode
  off<E extends keyof SparkplugEdgeNodeEvents>(
    event: E,
    listener: (...args: SparkplugEdgeNodeEvents[E]) => void,
  ): SparkplugEdgeNode
}

interface MetricState {
  readonly spec: SparkplugMetricSpec
  readonly alias: number
  value: SparkplugValue
  timestamp: number | null
  quality: SparkplugQuality
}

interface MetricSet {
  readonly owner: string
  readonly byName: Map<string, MetricState>
  readonly byAlias: Map<number, MetricState>
  readonly ordered: MetricState[]
}

interface DeviceState extends MetricSet {
  readonly deviceId: string
  alive: boolean
}

const FIRST_AUTO_ALIAS = 1000
const BAD_ID = /[+/#]/

function checkId(what: string, id: string): void {
  if (id.length === 0 || BAD_ID.test(id)) throw SimErrors.invalidId(what, id)
}

/** Values for 64-bit types are handed to protobufjs as decimal strings when they are bigints (it parses them). */
function wireValue(datatype: SparkplugDataType, value: SparkplugValue): UMetric['value'] {
  if (value === null) return null
  if (typeof value === 'bigint') return value.toString() as unknown as UMetric['value']
  if (datatype === 'Boolean') return Boolean(value)
  if (datatype === 'String' || datatype === 'Text') return String(value)
  return value
}

export function sparkplugTopic(
  groupId: string,
  type: 'NBIRTH' | 'NDEATH' | 'NDATA' | 'NCMD' | 'DBIRTH' | 'DDEATH' | 'DDATA' | 'DCMD',
  edgeNodeId: string,
  deviceId?: string,
): string {
  const base = `${SPARKPLUG_NAMESPACE}/${groupId}/${type}/${edgeNodeId}`
  return deviceId === undefined ? base : `${base}/${deviceId}`
}

export function createSparkplugEdgeNode(options: SparkplugEdgeNodeOptions): SparkplugEdgeNode {
  const { groupId, edgeNodeId } = options
  checkId('group_id', groupId)
  checkId('edge_node_id', edgeNodeId)
  const clock = options.clock ?? systemClock
  const events = new EventEmitter()
  // an 'error' event with no listener would throw; errors are reported, never fatal
  events.on('error', () => {})

  // Aliases are unique across the node's whole metric set (node and devices).
  const aliasOwner = new Map<number, string>()
  let nextAutoAlias = FIRST_AUTO_ALIAS
  function buildSet(owner: string, specs: readonly SparkplugMetricSpec[]): MetricSet {
    const set: MetricSet = { owner, byName: new Map(), byAlias: new Map(), ordered: [] }
    for (const spec of specs) {
      if (spec.name === BDSEQ_METRIC || spec.name === REBIRTH_METRIC)
        throw SimErrors.invalidConfig(`metric name '${spec.name}' is reserved by Sparkplug`)
      if (set.byName.has(spec.name))
        throw SimErrors.invalidConfig(`${owner} declares metric '${spec.name}' twice`)
      let alias = spec.alias
      if (alias === undefined) {
        while (aliasOwner.has(nextAutoAlias)) nextAutoAlias++
        alias = nextAutoAlias++
      }
      if (!Number.isSafeInteger(alias) || alias < 0)
        throw SimErrors.invalidConfig(`alias of ${owner}/${spec.name} must be a non-negative integer`)
      const prev = aliasOwner.get(alias)
      if (prev !== undefined) throw SimErrors.duplicateAlias(alias, prev, `${owner}/${spec.name}`)
      aliasOwner.set(alias, `${owner}/${spec.name}`)
      const st: MetricState = { spec, alias, value: spec.value ?? null, timestamp: null, quality: 'good' }
      set.byName.set(spec.name, st)
      set.byAlias.set(alias, st)
      set.ordered.push(st)
    }
    return set
  }

  const nodeSet = buildSet(edgeNodeId, options.nodeMetrics ?? [])
  const devices = new Map<string, DeviceState>()
  for (const d of options.devices ?? []) {
    checkId('device_id', d.deviceId)
    if (devices.has(d.deviceId)) throw SimErrors.invalidConfig(`device '${d.deviceId}' is declared twice`)
    devices.set(d.deviceId, { ...buildSet(d.deviceId, d.metrics), deviceId: d.deviceId, alive: true })
  }

  let client: MqttClient | null = null
  let bdSeq = options.bdSeq ?? 0
  let seq = 0
  // true between the births of a session and its end: DATA is only sent while born
  let born = false
  let hadConnack = false
  let stopping = false
  let published = 0
  let rebirths = 0
  let connects = 0

  function nextSeq(): number {
    const s = seq
    seq = (seq + 1) % 256
    return s
  }

  function deathPayload(): Uint8Array {
    return codec.encodePayload({
      timestamp: clock.now(),
      metrics: [{ name: BDSEQ_METRIC, type: 'Int64', value: bdSeq, timestamp: clock.now() }],
    })
  }

  function send(topic: string, payload: Uint8Array, qos: 0 | 1): Promise<void> {
    const c = client
    if (c === null) return Promise.reject(SimErrors.notStarted(edgeNodeId))
    return new Promise<void>((resolve, reject) => {
      c.publish(topic, Buffer.from(payload), { qos, retain: false }, (err) => {
        if (err) {
          events.emit('error', err)
          reject(err)
          return
        }
        published++
        resolve()
      })
    })
  }

  function birthMetric(st: MetricState, now: number): UMetric {
    const m: UMetric = {
      name: st.spec.name,
      alias: st.alias,
      type: st.spec.datatype,
      value: wireValue(st.spec.datatype, st.value),
      timestamp: st.timestamp ?? now,
    }
    const props: NonNullable<UMetric['properties']> = {}
    if (st.spec.unit !== undefined) props['engUnit'] = { type: 'String', value: st.spec.unit }
    if (st.quality !== 'good') props['Quality'] = { type: 'Int32', value: SPARKPLUG_QUALITY_CODE[st.quality] }
    if (Object.keys(props).length > 0) m.properties = props
    return m
  }

  function dbirthPayload(dev: DeviceState, now: number): Uint8Array {
    return codec.encodePayload({
      timestamp: now,
      seq: nextSeq(),
      metrics: dev.ordered.map((st) => birthMetric(st, now)),
    })
  }

  /** Publishes NBIRTH and all DBIRTHs synchronously, so no DATA can slip between them. */
  function publishBirths(reason: 'connect' | 'rebirth'): Promise<void> {
    const now = clock.now()
    seq = 0
    const nbirth: UPayload = {
      timestamp: now,
      seq: nextSeq(),
      metrics: [
        { name: BDSEQ_METRIC, type: 'Int64', value: bdSeq, timestamp: now },
        { name: REBIRTH_METRIC, type: 'Boolean', value: false, timestamp: now },
        ...nodeSet.ordered.map((st) => birthMetric(st, now)),
      ],
    }
    const sends = [send(sparkplugTopic(groupId, 'NBIRTH', edgeNodeId), codec.encodePayload(nbirth), 0)]
    for (const dev of devices.values()) {
      if (!dev.alive) continue
      sends.push(
        send(sparkplugTopic(groupId, 'DBIRTH', edgeNodeId, dev.deviceId), dbirthPayload(dev, now), 0),
      )
    }
    born = true
    return Promise.all(sends).then(() => {
      events.emit('birth', reason)
    })
  }

  function resolveMetric(set: MetricSet, u: SparkplugMetricUpdate): MetricState {
    const st =
      u.alias !== undefined
        ? set.byAlias.get(u.alias)
        : u.name !== undefined
          ? set.byName.get(u.name)
          : undefined
    if (st === undefined)
      throw SimErrors.unknownMetric(set.owner, u.alias ?? u.name ?? '(neither alias nor name)')
    return st
  }

  function dataPayload(set: MetricSet, updates: readonly SparkplugMetricUpdate[]): Uint8Array {
    const now = clock.now()
    // resolve everything first so an unknown metric publishes nothing and consumes no seq
    const resolved = updates.map((u) => [resolveMetric(set, u), u] as const)
    const metrics: UMetric[] = []
    for (const [st, u] of resolved) {
      const ts = u.timestamp ?? now
      const quality = u.quality ?? 'good'
      st.value = u.value
      st.timestamp = ts
      st.quality = quality
      const m: UMetric = {
        alias: st.alias,
        type: st.spec.datatype,
        value: wireValue(st.spec.datatype, u.value),
        timestamp: ts,
      }
      if (quality !== 'good')
        m.properties = { Quality: { type: 'Int32', value: SPARKPLUG_QUALITY_CODE[quality] } }
      metrics.push(m)
    }
    return codec.encodePayload({ timestamp: now, seq: nextSeq(), metrics })
  }

  function requireBorn(): void {
    if (client === null) throw SimErrors.notStarted(edgeNodeId)
    if (!born) throw SimErrors.offline(edgeNodeId)
  }

  function device(deviceId: string): DeviceState {
    const dev = devices.get(deviceId)
    if (dev === undefined) throw SimErrors.unknownDevice(deviceId)
    return dev
  }

  function onMessage(topic: string, message: Buffer): void {
    const parts = topic.split('/')
    const type = parts[2]
    if (parts[1] !== groupId || parts[3] !== edgeNodeId || (type !== 'NCMD' && type !== 'DCMD')) return
    let payload: UPayload
    try {
      payload = codec.decodePayload(new Uint8Array(message))
    } catch (err) {
      events.emit('error', err instanceof Error ? err : new Error(String(err)))
      return
    }
    const metrics = payload.metrics ?? []
    if (type === 'NCMD') {
      const wantsRebirth = metrics.some((m) => m.name === REBIRTH_METRIC && m.value === true)
      if (wantsRebirth) {
        rebirth()
          .then(() => events.emit('rebirth'))
          .catch((err: unknown) => events.emit('error', err instanceof Error ? err : new Error(String(err))))
      }
      const others = metrics.filter((m) => m.name !== REBIRTH_METRIC)
      if (others.length > 0) events.emit('command', toCommand(null, others))
      return
    }
    events.emit('command', toCommand(parts[4] ?? null, metrics))
  }

  function toCommand(deviceId: string | null, metrics: readonly UMetric[]): SparkplugCommand {
    return {
      deviceId,
      metrics: metrics.map((m) => ({
        name: m.name ?? null,
        alias: m.alias === undefined || m.alias === null ? null : Number(m.alias),
        value: m.value,
      })),
    }
  }

  function onConnect(): void {
    hadConnack = true
    connects++
    const c = client
    if (c === null) return
    const cmdTopics = [
      sparkplugTopic(groupId, 'NCMD', edgeNodeId),
      `${sparkplugTopic(groupId, 'DCMD', edgeNodeId)}/+`,
    ]
    // Sparkplug: subscribe to commands before NBIRTH, so a rebirth request cannot be missed
    c.subscribe(cmdTopics, { qos: 1 }, (err) => {
      if (err) {
        events.emit('error', err)
        return
      }
      publishBirths('connect').catch((e: unknown) =>
        events.emit('error', e instanceof Error ? e : new Error(String(e))),
      )
    })
  }

  function onClose(): void {
    const wasBorn = born
    born = false
    // mqtt.js would resend unacknowledged QoS 1 DATA after reconnecting, before the new NBIRTH and with the
    // old session's seq; drop them instead (their promises reject: the broker never confirmed them)
    const c = client
    if (c !== null) for (const id of Object.keys(c.outgoing)) c.removeOutgoingMessage(Number(id))
    if (hadConnack) {
      // the next CONNECT is a new session: a new bdSeq, and its will must carry it
      hadConnack = false
      bdSeq = (bdSeq + 1) % 256
      const will = client?.options.will
      if (will) will.payload = Buffer.from(deathPayload())
    }
    if (wasBorn) events.emit('disconnect')
  }

  async function rebirth(): Promise<void> {
    requireBorn()
    rebirths++
    await publishBirths('rebirth')
  }

  const node: SparkplugEdgeNode = {
    groupId,
    edgeNodeId,

    start() {
      if (client !== null) return Promise.resolve()
      stopping = false
      const c = connect(options.url, {
        ...options.mqttOptions,
        clientId: options.clientId ?? `ronghe-${groupId}-${edgeNodeId}`,
        protocolVersion: options.protocolVersion ?? 4,
        clean: true,
        username: options.username,
        password: options.password,
        reconnectPeriod: options.reconnectPeriodMs ?? 1000,
        connectTimeout: options.connectTimeoutMs ?? 10_000,
        keepalive: options.keepaliveS ?? 30,
        // we subscribe ourselves on every connect, and never queue data across sessions: its seq would be stale
        resubscribe: false,
        queueQoSZero: false,
        will: {
          topic: sparkplugTopic(groupId, 'NDEATH', edgeNodeId),
          payload: Buffer.from(deathPayload()),
          qos: 1,
          retain: false,
        },
      })
      client = c
      c.on('connect', onConnect)
      c.on('close', onClose)
      c.on('message', onMessage)
      return new Promise<void>((resolve, reject) => {
        const onBirth = (): void => {
          cleanup()
          resolve()
        }
        const onError = (err: Error): void => {
          if (born) return
          cleanup()
          c.end(true)
          client = null
          reject(err)
        }
        const cleanup = (): void => {
          events.off('birth', onBirth)
          c.off('error', onError)
        }
        events.on('birth', onBirth)
        c.on('error', onError)
        c.on('error', (err) => events.emit('error', err))
      })
    },

    async stop(opts = {}) {
      const c = client
      if (c === null || stopping) return
      stopping = true
      if (opts.clean !== false && born) {
        born = false
        try {
          await send(sparkplugTopic(groupId, 'NDEATH', edgeNodeId), deathPayload(), 1)
        } catch {
          // the socket is gone: the broker publishes the will instead
        }
      }
      born = false
      await new Promise<void>((resolve) => {
        // unclean: force-close the socket without DISCONNECT, so the broker publishes the will
        c.end(opts.clean === false, () => resolve())
      })
      client = null
    },

    async publishNodeData(updates, opts = {}) {
      requireBorn()
      const payload = dataPayload(nodeSet, updates)
      await send(sparkplugTopic(groupId, 'NDATA', edgeNodeId), payload, opts.qos ?? 0)
    },

    async publishDeviceData(deviceId, updates, opts = {}) {
      const dev = device(deviceId)
      requireBorn()
      if (!dev.alive) throw SimErrors.deviceDead(deviceId)
      const payload = dataPayload(dev, updates)
      await send(sparkplugTopic(groupId, 'DDATA', edgeNodeId, deviceId), payload, opts.qos ?? 0)
    },

    async deathDevice(deviceId) {
      const dev = device(deviceId)
      requireBorn()
      if (!dev.alive) return
      dev.alive = false
      const payload = codec.encodePayload({ timestamp: clock.now(), seq: nextSeq(), metrics: [] })
      await send(sparkplugTopic(groupId, 'DDEATH', edgeNodeId, deviceId), payload, 0)
    },

    async birthDevice(deviceId) {
      const dev = device(deviceId)
      requireBorn()
      dev.alive = true
      await send(sparkplugTopic(groupId, 'DBIRTH', edgeNodeId, deviceId), dbirthPayload(dev, clock.now()), 0)
    },

    rebirth,

    skipSeq(by = 1) {
      seq = (seq + by) % 256
    },

    counters() {
      return { published, rebirths, connects, bdSeq, seq, connected: born }
    },

    on(event, listener) {
      events.on(event, listener as (...args: unknown[]) => void)
      return node
    },
    off(event, listener) {
      events.off(event, listener as (...args: unknown[]) => void)
      return node
    },
  }
  return node
}
