/**
 * Ronghe's in-process MQTT broker: the device front door for MQTT 3.1.1 and 5 (3.1 accepted).
 *
 * Why our own (and not Aedes): devices need an acknowledgement that means "stored". A QoS 1
 * PUBACK (QoS 2 PUBREC) is written only after `hooks.onPublish` resolves, and MQTT 5 clients get
 * the platform's reason code when it says no. Built on mqtt-packet's parser and generator.
 *
 * Memory: one Connection object, one parser (with a plain ByteList instead of a stream) and one
 * Session per client; listeners are shared functions that find their connection through a symbol
 * on the socket, and one sweep timer serves keep-alive, connect timeouts, session expiry and will
 * delays for every client. Sessions, queued messages and retained messages live in memory only:
 * a restart loses persistent sessions (clients see sessionPresent=false and resubscribe).
 */
import { randomBytes } from 'node:crypto'
import { createServer, type Server, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import * as mqtt from 'mqtt-packet'
import type {
  IConnackPacket,
  IConnectPacket,
  IDisconnectPacket,
  IPublishPacket,
  ISubscribePacket,
  IUnsubscribePacket,
  Packet,
  Parser,
} from 'mqtt-packet'
import { type Clock, isRongheError, systemClock } from '../../core/index.ts'
import { ConnackV3, MqttErrorCodes, MqttErrors, ReasonCode } from './broker-errors.ts'
import { ByteList } from './byte-list.ts'
import {
  isValidTopicFilter,
  isValidTopicName,
  parseSharedFilter,
  SubscriptionTree,
  type SubscriptionOptions,
  topicMatches,
} from './topic-filter.ts'

// ---------------------------------------------------------------------------------------------
// Public types

/** What a CONNECT says about the client, handed to `hooks.authenticate`. */
export interface ConnectInfo {
  readonly clientId: string
  readonly username?: string
  readonly password?: Buffer
  /** 4 = MQTT 3.1.1 (3.1 clients are reported as 4), 5 = MQTT 5 */
  readonly protocolVersion: 4 | 5
  readonly remoteAddress: string
  /** seconds, 0 = none */
  readonly keepalive: number
  /** v3 clean session / v5 clean start */
  readonly cleanSession: boolean
}

/** A connected client as the hooks see it. */
export interface BrokerClient {
  readonly id: string
  readonly protocolVersion: 4 | 5
  readonly remoteAddress: string
  /** whatever `hooks.authenticate` resolved */
  principal: unknown
  /** Closes the connection from the platform side (v5: DISCONNECT with `reason`, default 0x98 administrative action); the will is published. */
  close(reason?: number): void
}

/** A message as onPublish sees it. */
export interface InboundMessage {
  readonly topic: string
  readonly payload: Buffer
  readonly qos: 0 | 1 | 2
  readonly retain: boolean
}

/** For a will (client null in onPublish): the client it belonged to, so the platform can attribute it (tenant, device). */
export interface WillOrigin {
  readonly clientId: string
  /** what authenticate resolved for that client */
  readonly principal: unknown
}

/** The platform's answer to a PUBLISH. */
export interface PublishVerdict {
  readonly ok: boolean
  /** MQTT 5 PUBACK/PUBREC reason when not ok: 0x87 not authorized, 0x99 payload format invalid, 0x90 topic name invalid, 0x83 implementation specific; default 0x80 */
  readonly reasonCode?: number
  /** MQTT 5 reasonString property, and the message given to onRejected */
  readonly reason?: string
  /**
   * When not ok: v3.1.1 clients, which cannot receive a reason, are disconnected instead of
   * acknowledged; v5 clients publishing at QoS 0 get DISCONNECT with `reasonCode`. v5 QoS 1/2 always
   * get the reason in their PUBACK/PUBREC.
   */
  readonly disconnect?: boolean
  /** default true: deliver to subscribers (and store when retained) */
  readonly route?: boolean
}

export interface BrokerHooks {
  /** Resolves the principal; rejecting with a RongheError `AUTH_*` refuses the CONNECT (see connackFor). */
  authenticate(info: ConnectInfo): Promise<unknown>
  /** Synchronous ACL check per PUBLISH (and for the will topic at CONNECT). */
  authorizePublish(client: BrokerClient, topic: string): boolean
  /** Synchronous ACL check per filter, given as the client sent it (`$share/g/f` included; see parseSharedFilter). */
  authorizeSubscribe(client: BrokerClient, filter: string): boolean
  /**
   * Every accepted PUBLISH (after ACL) in arrival order per client. QoS 1/2 are acknowledged only
   * once this resolves; messages from one client are routed in arrival order. `client` is null for
   * a will published on a client's behalf.
   */
  onPublish(
    client: BrokerClient | null,
    msg: InboundMessage,
    will?: WillOrigin,
  ): Promise<PublishVerdict> | PublishVerdict
  onConnect?(client: BrokerClient): void
  onDisconnect?(client: BrokerClient, info: { graceful: boolean; reason: string }): void
  /** Oversize or malformed packets, ACL denials, refused verdicts... for logs and counters. */
  onRejected?(client: BrokerClient | null, info: { code: string; message: string; topic?: string }): void
}

export interface MqttBrokerOptions {
  readonly hooks: BrokerHooks
  /** Largest packet accepted, whole packet in bytes; default 256 KiB. Advertised to v5 clients. */
  readonly maxPacketBytes?: number
  /** Pause reading a client's socket while this many onPublish calls are pending; default 1000. */
  readonly maxInflightPerClient?: number
  /** A client silent for keepalive × this factor is closed; default 1.5 (MQTT-3.1.2-24). */
  readonly keepaliveGraceFactor?: number
  readonly clock?: Clock
  /** How often the shared sweep runs (keep-alive, connect timeout, session expiry); default 1000 ms. */
  readonly sweepIntervalMs?: number
  /** A socket that has not completed CONNECT after this long is closed; default 10 s. */
  readonly connectTimeoutMs?: number
  /** QoS 1 messages kept per session while offline or waiting for a window; default 1000 (oldest dropped). */
  readonly maxQueuedPerSession?: number
  /** Outbound QoS 1 messages unacknowledged per client (further capped by the v5 receiveMaximum); default 100. */
  readonly maxOutboundInflight?: number
  /** QoS 0 messages to a client are dropped while its socket has more than this buffered; default 1 MiB. */
  readonly maxWriteBufferBytes?: number
}

export interface BrokerStats {
  /** open sockets, connected or not yet */
  readonly connections: number
  readonly messagesIn: number
  readonly messagesOut: number
  readonly rejected: number
  /** messages dropped: offline queue full, QoS 0 under back-pressure, larger than a client's maximum */
  readonly dropped: number
}

export interface MqttBroker {
  /** Listens on TCP; resolves the bound port (pass 0 for an ephemeral one). */
  listen(port: number, host?: string): Promise<number>
  /** Serves one already-open stream (TCP socket, or a WebSocket stream later). */
  handle(socket: Duplex, remoteAddress?: string): void
  /** Platform-originated message (Sparkplug NCMD, STATE...): routed to subscribers; does not call onPublish. */
  publish(topic: string, payload: Buffer | string, opts?: { qos?: 0 | 1; retain?: boolean }): Promise<void>
  /** Connected clients (CONNACK sent). */
  clientCount(): number
  stats(): BrokerStats
  /** Runs the keep-alive / timeout / expiry sweep now; the timer calls it, tests call it after advancing a ManualClock. */
  sweep(): void
  /** Stops listening, closes every client (v5: DISCONNECT 0x8B), waits for pending onPublish calls. Idempotent. */
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Internals

const ST_NEW = 0
const ST_AUTH = 1
const ST_CONNECTED = 2
const ST_CLOSED = 3

const PAUSE_AUTH = 1
const PAUSE_INFLIGHT = 2

const kConn: unique symbol = Symbol('ronghe.mqtt.conn')
type Tagged = { [kConn]?: Connection }

/** How long a closing socket may stay half-open so our DISCONNECT reaches the peer. */
const LINGER_MS = 2000
/** How long close() waits for clients to close after our DISCONNECT before destroying their sockets. */
const CLOSE_GRACE_MS = 250

interface Will {
  readonly topic: string
  readonly payload: Buffer
  readonly qos: 0 | 1 | 2
  readonly retain: boolean
  readonly delayMs: number
  /** whose will it is: set once authenticate has resolved */
  owner: WillOrigin
}

/** One message as it goes out to one subscriber. */
interface Delivery {
  readonly topic: string
  readonly payload: Buffer
  readonly retain: boolean
}

interface RetainedMessage {
  readonly payload: Buffer
  readonly qos: 0 | 1
}

/** An inbound PUBLISH waiting for its verdict, kept in arrival order. */
interface PendingIn {
  readonly msg: InboundMessage
  readonly messageId: number
  /** false for a duplicate QoS 2 PUBLISH: acknowledge only */
  readonly deliver: boolean
  verdict: PublishVerdict | null
  /** already reported through onRejected (ACL denial, invalid topic) */
  readonly reported: boolean
}

interface SessionSub {
  readonly filter: string
  readonly group: string | undefined
}

class Session {
  readonly clientId: string
  conn: Connection | null = null
  persistent = false
  expiryMs = 0
  expiresAt = 0
  subs: Map<string, SessionSub> | null = null
  /** outbound QoS 1 awaiting PUBACK, by packet id */
  inflight: Map<number, Delivery> | null = null
  /** outbound QoS 1 waiting for a connection or a window slot */
  queue: Delivery[] | null = null
  nextId = 1
  /** inbound QoS 2 packet ids between PUBLISH and PUBREL (deliver once) */
  qos2In: Set<number> | null = null
  pendingWill: { will: Will; dueAt: number } | null = null
  constructor(clientId: string) {
    this.clientId = clientId
  }
}

class Connection implements BrokerClient {
  readonly broker: BrokerCore
  readonly socket: Duplex
  readonly parser: Parser
  readonly remoteAddress: string
  readonly openedAt: number
  id = ''
  protocolVersion: 4 | 5 = 4
  wire: 3 | 4 | 5 = 4
  principal: unknown = undefined
  state = ST_NEW
  session: Session | null = null
  keepaliveMs = 0
  lastSeen: number
  will: Will | null = null
  pending: PendingIn[] | null = null
  held: Packet[] | null = null
  pauseMask = 0
  /** client's v5 maximumPacketSize; 0 = no limit */
  maxOut = 0
  outWindow: number
  problemInfo = true
  constructor(broker: BrokerCore, socket: Duplex, parser: Parser, remoteAddress: string, now: number) {
    this.broker = broker
    this.socket = socket
    this.parser = parser
    this.remoteAddress = remoteAddress
    this.openedAt = now
    this.lastSeen = now
    this.outWindow = broker.maxOutboundInflight
  }
  close(reason?: number): void {
    this.broker.kick(this, reason ?? ReasonCode.administrativeAction, 'closed by the platform')
  }
}

interface ParserInternals {
  _list: unknown
  settings: unknown
  packet: { length: number }
}

function varIntBytes(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4
}

function packetBytes(remaining: number): number {
  return 1 + varIntBytes(remaining) + remaining
}

function toBuffer(p: string | Buffer | null | undefined): Buffer {
  if (p === null || p === undefined) return Buffer.alloc(0)
  return typeof p === 'string' ? Buffer.from(p) : p
}

function isPromiseLike<T>(x: unknown): x is PromiseLike<T> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function'
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * CONNACK code for a refused authentication: `AUTH_FORBIDDEN` and codes ending in `_FORBIDDEN` or
 * `_NOT_AUTHORIZED` mean "not authorized" (v3 5, v5 0x87); other `AUTH_*` codes mean bad
 * credentials (v3 4, v5 0x86); anything else is a server fault (v3 3, v5 0x88 server unavailable).
 */
export function connackFor(err: unknown): { v3: number; v5: number } {
  if (isRongheError(err) && err.code.startsWith('AUTH_')) {
    if (
      err.code === 'AUTH_FORBIDDEN' ||
      err.code.endsWith('_FORBIDDEN') ||
      err.code.endsWith('_NOT_AUTHORIZED')
    ) {
      return { v3: ConnackV3.notAuthorized, v5: ReasonCode.notAuthorized }
    }
    return { v3: ConnackV3.badUserNameOrPassword, v5: ReasonCode.badUserNameOrPassword }
  }
  return { v3: ConnackV3.serverUnavailable, v5: ReasonCode.serverUnavailable }
}

// Shared listeners: `this` is the socket or parser; no closure per client.
function onSocketData(this: Duplex, chunk: Buffer): void {
  const conn = (this as Tagged)[kConn]
  if (conn !== undefined) conn.broker.onData(conn, chunk)
}
function onSocketClose(this: Duplex): void {
  const conn = (this as Tagged)[kConn]
  if (conn !== undefined) conn.broker.onSocketGone(conn, 'socket closed')
}
function onSocketError(this: Duplex, err: Error): void {
  const conn = (this as Tagged)[kConn]
  if (conn !== undefined) conn.broker.onSocketGone(conn, `socket error: ${err.message}`)
}
function onSocketDrain(this: Duplex): void {
  const conn = (this as Tagged)[kConn]
  if (conn?.session != null && conn.state === ST_CONNECTED) conn.broker.pump(conn.session)
}
function onParserPacket(this: Parser, packet: Packet): void {
  const conn = (this as unknown as Tagged)[kConn]
  if (conn !== undefined) conn.broker.onPacket(conn, packet)
}
function onParserError(this: Parser, err: Error): void {
  const conn = (this as unknown as Tagged)[kConn]
  if (conn !== undefined) conn.broker.onMalformed(conn, err)
}

class BrokerCore implements MqttBroker {
  readonly hooks: BrokerHooks
  readonly clock: Clock
  readonly maxPacketBytes: number
  readonly maxInflight: number
  readonly grace: number
  readonly sweepIntervalMs: number
  readonly connectTimeoutMs: number
  readonly maxQueued: number
  readonly maxOutboundInflight: number
  readonly maxWriteBuffer: number

  readonly #connections = new Set<Connection>()
  readonly #sessions = new Map<string, Session>()
  readonly #offline = new Set<Session>()
  readonly #tree = new SubscriptionTree<Session>()
  readonly #retained = new Map<string, RetainedMessage>()
  readonly #hookPromises = new Set<Promise<unknown>>()
  readonly #lingering = new Set<Duplex>()
  #server: Server | null = null
  #timer: ReturnType<typeof setInterval> | null = null
  #closed = false
  #closing: Promise<void> | null = null
  #connected = 0
  #messagesIn = 0
  #messagesOut = 0
  #rejected = 0
  #dropped = 0

  constructor(options: MqttBrokerOptions) {
    this.hooks = options.hooks
    this.clock = options.clock ?? systemClock
    this.maxPacketBytes = options.maxPacketBytes ?? 256 * 1024
    this.maxInflight = Math.max(1, options.maxInflightPerClient ?? 1000)
    this.grace = options.keepaliveGraceFactor ?? 1.5
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1000
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    this.maxQueued = Math.max(1, options.maxQueuedPerSession ?? 1000)
    this.maxOutboundInflight = Math.max(1, Math.min(65535, options.maxOutboundInflight ?? 100))
    this.maxWriteBuffer = options.maxWriteBufferBytes ?? 1024 * 1024
  }

  // ----- public surface

  listen(port: number, host?: string): Promise<number> {
    if (this.#closed) return Promise.reject(MqttErrors.closed())
    if (this.#server !== null) return Promise.reject(new Error('the MQTT broker is already listening'))
    const server = createServer((socket) => this.handle(socket))
    this.#server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        // a failing accept must not crash the process; sockets report their own errors
        server.on('error', () => {})
        const addr = server.address()
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port)
      })
    })
  }

  handle(socket: Duplex, remoteAddress?: string): void {
    if (this.#closed) {
      socket.destroy()
      return
    }
    this.#startTimer()
    const parser = mqtt.parser()
    // swap the parser's stream-based buffer list for a plain one (memory per idle connection)
    ;(parser as unknown as ParserInternals)._list = new ByteList()
    const addr = remoteAddress ?? (socket instanceof Socket ? socket.remoteAddress : undefined) ?? 'unknown'
    const conn = new Connection(this, socket, parser, addr, this.clock.now())
    ;(socket as Tagged)[kConn] = conn
    ;(parser as unknown as Tagged)[kConn] = conn
    parser.on('packet', onParserPacket)
    parser.on('error', onParserError)
    socket.on('data', onSocketData)
    socket.on('close', onSocketClose)
    socket.on('error', onSocketError)
    socket.on('drain', onSocketDrain)
    if (socket instanceof Socket) socket.setNoDelay(true)
    this.#connections.add(conn)
  }

  publish(topic: string, payload: Buffer | string, opts?: { qos?: 0 | 1; retain?: boolean }): Promise<void> {
    if (this.#closed) return Promise.reject(MqttErrors.closed())
    if (!isValidTopicName(topic)) return Promise.reject(MqttErrors.topicInvalid(topic))
    this.#route(
      { topic, payload: Buffer.from(toBuffer(payload)), qos: opts?.qos ?? 0, retain: opts?.retain ?? false },
      null,
    )
    return Promise.resolve()
  }

  clientCount(): number {
    return this.#connected
  }

  stats(): BrokerStats {
    return {
      connections: this.#connections.size,
      messagesIn: this.#messagesIn,
      messagesOut: this.#messagesOut,
      rejected: this.#rejected,
      dropped: this.#dropped,
    }
  }

  sweep(): void {
    const now = this.clock.now()
    for (const conn of this.#connections) {
      if (conn.state === ST_NEW || conn.state === ST_AUTH) {
        if (now - conn.openedAt > this.connectTimeoutMs) {
          this.#reject(
            null,
            MqttErrorCodes.timeout,
            `no CONNECT from ${conn.remoteAddress} within ${this.connectTimeoutMs} ms`,
          )
          this.#end(conn, 'connect timeout', false, false)
        }
      } else if (conn.state === ST_CONNECTED && conn.keepaliveMs > 0 && conn.pauseMask === 0) {
        // (a client we stopped reading is not silent: we are the slow side)
        if (now - conn.lastSeen > conn.keepaliveMs * this.grace) {
          this.#reject(conn, MqttErrorCodes.timeout, `client ${conn.id} silent for ${now - conn.lastSeen} ms`)
          this.#disconnect(conn, ReasonCode.keepAliveTimeout, 'keep-alive timeout', true)
        }
      }
    }
    for (const s of this.#offline) {
      if (s.pendingWill !== null && s.pendingWill.dueAt <= now) {
        const w = s.pendingWill.will
        s.pendingWill = null
        this.#publishWill(w)
      }
      if (s.expiresAt <= now) this.#dropSession(s)
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#closed = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    const server = this.#server
    const serverClosed = server
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve()
    for (const conn of [...this.#connections]) {
      // the platform is going down: no wills (they would race the stores closing behind us)
      if (conn.state === ST_CONNECTED && conn.wire === 5) {
        this.#send(conn, { cmd: 'disconnect', reasonCode: ReasonCode.serverShuttingDown })
      }
      this.#end(conn, 'broker closing', false, false)
    }
    const socketsGone = [...this.#lingering].map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.destroyed) resolve()
          else s.once('close', () => resolve())
        }),
    )
    // clients get a moment to read the DISCONNECT and close; then we stop waiting for them
    let timer: ReturnType<typeof setTimeout> | undefined
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_GRACE_MS)
    })
    await Promise.race([Promise.all(socketsGone), grace])
    clearTimeout(timer)
    for (const s of this.#lingering) s.destroy()
    await Promise.all(socketsGone)
    await serverClosed
    await Promise.allSettled([...this.#hookPromises])
    this.#sessions.clear()
    this.#offline.clear()
    this.#retained.clear()
  }

  // ----- socket and parser events

  onData(conn: Connection, chunk: Buffer): void {
    if (conn.state === ST_CLOSED) return // lingering: discard what the peer still sends
    conn.lastSeen = this.clock.now()
    try {
      conn.parser.parse(chunk)
    } catch (err) {
      this.onMalformed(conn, err)
      return
    }
    if (conn.state === ST_CLOSED) return
    // the parser has read the fixed header of a packet it is still buffering: refuse it now
    const partial = (conn.parser as unknown as ParserInternals).packet.length
    if (partial > 0 && packetBytes(partial) > this.maxPacketBytes) this.#tooLarge(conn, packetBytes(partial))
  }

  onSocketGone(conn: Connection, reason: string): void {
    if (conn.state === ST_CLOSED) return
    this.#end(conn, reason, false, true)
  }

  onMalformed(conn: Connection, err: unknown): void {
    if (conn.state === ST_CLOSED) return
    this.#reject(
      conn.state === ST_CONNECTED ? conn : null,
      MqttErrorCodes.malformed,
      `malformed packet from ${conn.remoteAddress}: ${errorText(err)}`,
    )
    this.#disconnect(conn, ReasonCode.malformed, 'malformed packet', true)
  }

  onPacket(conn: Connection, packet: Packet): void {
    if (conn.state === ST_CLOSED) return
    const len = packet.length ?? 0
    if (packetBytes(len) > this.maxPacketBytes) {
      this.#tooLarge(conn, packetBytes(len))
      return
    }
    try {
      this.#dispatch(conn, packet)
    } catch (err) {
      this.#reject(
        conn.state === ST_CONNECTED ? conn : null,
        MqttErrorCodes.hookFailed,
        `handling ${packet.cmd} failed: ${errorText(err)}`,
      )
      this.#disconnect(conn, ReasonCode.implementationSpecific, `internal error: ${errorText(err)}`, true)
    }
  }

  // ----- packets

  #dispatch(conn: Connection, packet: Packet): void {
    if (conn.state === ST_AUTH) {
      // pipelined after CONNECT while authenticate runs: replay once connected
      conn.held ??= []
      if (conn.held.length >= 100) {
        this.#protocolError(conn, 'too many packets before CONNACK')
        return
      }
      conn.held.push(packet)
      return
    }
    if (conn.state === ST_NEW) {
      if (packet.cmd !== 'connect') {
        this.#protocolError(conn, `first packet was ${packet.cmd}, not connect`)
        return
      }
      this.#onConnect(conn, packet)
      return
    }
    switch (packet.cmd) {
      case 'publish':
        this.#onPublish(conn, packet)
        return
      case 'puback': {
        const s = conn.session!
        if (packet.messageId !== undefined && s.inflight?.delete(packet.messageId)) this.pump(s)
        return
      }
      case 'pubrel': {
        const id = packet.messageId ?? 0
        const known = conn.session!.qos2In?.delete(id) ?? false
        this.#send(
          conn,
          conn.wire === 5 && !known
            ? { cmd: 'pubcomp', messageId: id, reasonCode: ReasonCode.packetIdNotFound }
            : { cmd: 'pubcomp', messageId: id, reasonCode: 0 },
        )
        return
      }
      case 'pubrec':
        // we never send QoS 2; answer so a confused client does not hang
        this.#send(conn, { cmd: 'pubrel', messageId: packet.messageId ?? 0, reasonCode: 0 })
        return
      case 'pubcomp':
        return
      case 'subscribe':
        this.#onSubscribe(conn, packet)
        return
      case 'unsubscribe':
        this.#onUnsubscribe(conn, packet)
        return
      case 'pingreq':
        this.#send(conn, { cmd: 'pingresp' })
        return
      case 'disconnect':
        this.#onDisconnect(conn, packet)
        return
      default:
        this.#protocolError(conn, `unexpected ${packet.cmd} packet`)
    }
  }

  #onConnect(conn: Connection, p: IConnectPacket): void {
    const wire = p.protocolVersion ?? 4
    conn.wire = wire
    conn.protocolVersion = wire === 5 ? 5 : 4
    // the parser keeps the whole CONNECT as its settings; keep only what it needs
    ;(conn.parser as unknown as ParserInternals).settings = { protocolVersion: wire }
    const clean = p.clean !== false
    const props = p.properties
    let clientId = p.clientId ?? ''
    let assigned = false
    if (clientId === '') {
      if (wire !== 5 && !clean) {
        this.#refuse(
          conn,
          ConnackV3.identifierRejected,
          ReasonCode.clientIdNotValid,
          'empty client id needs cleanSession',
        )
        return
      }
      clientId = `ronghe-${randomBytes(8).toString('hex')}`
      assigned = true
    }
    conn.id = clientId
    conn.keepaliveMs = (p.keepalive ?? 0) * 1000
    if (props?.maximumPacketSize !== undefined) conn.maxOut = props.maximumPacketSize
    if (props?.receiveMaximum !== undefined)
      conn.outWindow = Math.max(1, Math.min(props.receiveMaximum, this.maxOutboundInflight))
    if (props?.requestProblemInformation === false) conn.problemInfo = false
    if (props?.authenticationMethod !== undefined) {
      this.#refuse(
        conn,
        ConnackV3.notAuthorized,
        0x8c /* bad authentication method */,
        'enhanced authentication is not supported',
      )
      return
    }
    if (p.will) {
      const w = p.will
      conn.will = {
        topic: w.topic,
        // copy: the parsed payload may be a view of a larger socket chunk
        payload: Buffer.from(toBuffer(w.payload)),
        qos: (w.qos ?? 0) as 0 | 1 | 2,
        retain: w.retain ?? false,
        delayMs: (w.properties?.willDelayInterval ?? 0) * 1000,
        owner: { clientId, principal: undefined },
      }
    }
    // v3: clean=false keeps the session for ever (in memory); v5: the session expiry interval decides
    const expirySec = wire === 5 ? (props?.sessionExpiryInterval ?? 0) : clean ? 0 : 0xffffffff
    const info: ConnectInfo = {
      clientId,
      ...(p.username !== undefined ? { username: p.username } : {}),
      ...(p.password !== undefined ? { password: p.password } : {}),
      protocolVersion: conn.protocolVersion,
      remoteAddress: conn.remoteAddress,
      keepalive: p.keepalive ?? 0,
      cleanSession: clean,
    }
    conn.state = ST_AUTH
    this.#pause(conn, PAUSE_AUTH)
    const done = (async () => {
      let principal: unknown
      try {
        principal = await this.hooks.authenticate(info)
      } catch (err) {
        if (conn.state === ST_CLOSED) return
        const codes = connackFor(err)
        this.#refuse(conn, codes.v3, codes.v5, `authentication refused: ${errorText(err)}`)
        return
      }
      this.#completeConnect(conn, principal, clean, expirySec, assigned)
    })()
    this.#track(done)
  }

  #completeConnect(
    conn: Connection,
    principal: unknown,
    clean: boolean,
    expirySec: number,
    assigned: boolean,
  ): void {
    if (conn.state === ST_CLOSED) return
    conn.principal = principal
    const will = conn.will
    if (will !== null) {
      will.owner = { clientId: conn.id, principal }
      if (!isValidTopicName(will.topic)) {
        this.#refuse(
          conn,
          ConnackV3.notAuthorized,
          ReasonCode.topicNameInvalid,
          `invalid will topic ${will.topic}`,
        )
        return
      }
      if (!this.#authorizePublish(conn, will.topic)) {
        this.#reject(
          conn,
          MqttErrorCodes.publishDenied,
          `will topic not authorized for ${conn.id}`,
          will.topic,
        )
        this.#refuse(conn, ConnackV3.notAuthorized, ReasonCode.notAuthorized, 'will topic not authorized')
        return
      }
    }
    const clientId = conn.id
    const previous = this.#sessions.get(clientId)
    if (previous?.conn != null) {
      this.#disconnect(previous.conn, ReasonCode.sessionTakenOver, 'session taken over', true)
    }
    let session = this.#sessions.get(clientId)
    if (session !== undefined && clean) {
      this.#dropSession(session)
      session = undefined
    }
    const sessionPresent = session !== undefined
    if (session === undefined) {
      session = new Session(clientId)
      this.#sessions.set(clientId, session)
    } else {
      this.#offline.delete(session)
      // reconnected within the will delay: the will is not sent (MQTT 5 §3.1.3.2.2)
      session.pendingWill = null
    }
    session.persistent = expirySec > 0
    session.expiryMs = expirySec >= 0xffffffff ? Number.POSITIVE_INFINITY : expirySec * 1000
    session.conn = conn
    conn.session = session
    conn.state = ST_CONNECTED
    conn.lastSeen = this.clock.now()
    this.#connected++
    const connack: IConnackPacket =
      conn.wire === 5
        ? {
            cmd: 'connack',
            reasonCode: 0,
            sessionPresent,
            properties: {
              maximumPacketSize: this.maxPacketBytes,
              receiveMaximum: Math.min(65535, this.maxInflight),
              retainAvailable: true,
              wildcardSubscriptionAvailable: true,
              sharedSubscriptionAvailable: true,
              subscriptionIdentifiersAvailable: false,
              ...(assigned ? { assignedClientIdentifier: clientId } : {}),
            },
          }
        : { cmd: 'connack', returnCode: 0, sessionPresent }
    this.#send(conn, connack)
    if (this.hooks.onConnect) this.#safeHook(() => this.hooks.onConnect!(conn))
    if (sessionPresent) {
      // resend unacknowledged QoS 1 with DUP, then what queued while offline
      if (session.inflight !== null) {
        for (const [id, d] of session.inflight) this.#writePublish(conn, d, 1, id, true)
      }
      this.pump(session)
    }
    const held = conn.held
    conn.held = null
    if (held !== null) for (const p of held) if (conn.state === ST_CONNECTED) this.onPacket(conn, p)
    this.#resume(conn, PAUSE_AUTH)
  }

  #refuse(conn: Connection, v3: number, v5: number, message: string): void {
    this.#reject(
      null,
      MqttErrorCodes.authFailed,
      `CONNECT from ${conn.remoteAddress} (${conn.id || 'no id'}) refused: ${message}`,
    )
    this.#send(
      conn,
      conn.wire === 5
        ? { cmd: 'connack', reasonCode: v5, sessionPresent: false }
        : { cmd: 'connack', returnCode: v3, sessionPresent: false },
    )
    this.#end(conn, message, false, false)
  }

  #onPublish(conn: Connection, p: IPublishPacket): void {
    this.#messagesIn++
    const session = conn.session!
    const qos = p.qos
    const messageId = p.messageId ?? 0
    if (p.properties?.topicAlias !== undefined) {
      // we advertise topicAliasMaximum 0, so an alias is a protocol error (MQTT-3.3.2-8)
      this.#reject(conn, MqttErrorCodes.protocol, `topic alias from ${conn.id}, none allowed`)
      this.#disconnect(conn, ReasonCode.topicAliasInvalid, 'topic alias not allowed', true)
      return
    }
    const msg: InboundMessage = { topic: p.topic, payload: toBuffer(p.payload), qos, retain: p.retain }
    if (!isValidTopicName(p.topic)) {
      this.#reject(conn, MqttErrorCodes.topicInvalid, `invalid topic name from ${conn.id}`, p.topic)
      this.#enqueueDone(conn, msg, messageId, {
        ok: false,
        reasonCode: ReasonCode.topicNameInvalid,
        reason: 'topic name invalid',
        disconnect: true,
      })
      return
    }
    if (qos === 2 && session.qos2In?.has(messageId)) {
      // a resent QoS 2 PUBLISH we already took: acknowledge, do not deliver twice
      this.#pushPending(conn, { msg, messageId, deliver: false, verdict: { ok: true }, reported: false })
      this.#flush(conn)
      return
    }
    if (!this.#authorizePublish(conn, p.topic)) {
      this.#reject(
        conn,
        MqttErrorCodes.publishDenied,
        `publish to ${p.topic} not authorized for ${conn.id}`,
        p.topic,
      )
      this.#enqueueDone(conn, msg, messageId, {
        ok: false,
        reasonCode: ReasonCode.notAuthorized,
        reason: 'not authorized',
        disconnect: true,
      })
      return
    }
    if (qos === 2) {
      session.qos2In ??= new Set()
      session.qos2In.add(messageId)
    }
    const entry: PendingIn = { msg, messageId, deliver: true, verdict: null, reported: false }
    this.#pushPending(conn, entry)
    let result: Promise<PublishVerdict> | PublishVerdict
    try {
      result = this.hooks.onPublish(conn, msg)
    } catch (err) {
      result = failedVerdict(err)
    }
    if (isPromiseLike<PublishVerdict>(result)) {
      const settled = Promise.resolve(result).then(
        (v) => this.#settle(conn, entry, v),
        (err: unknown) => this.#settle(conn, entry, failedVerdict(err)),
      )
      this.#track(settled)
    } else {
      this.#settle(conn, entry, result)
    }
  }

  #enqueueDone(conn: Connection, msg: InboundMessage, messageId: number, verdict: PublishVerdict): void {
    this.#pushPending(conn, { msg, messageId, deliver: false, verdict, reported: true })
    this.#flush(conn)
  }

  #pushPending(conn: Connection, entry: PendingIn): void {
    conn.pending ??= []
    conn.pending.push(entry)
    if (conn.pending.length >= this.maxInflight) this.#pause(conn, PAUSE_INFLIGHT)
  }

  #settle(conn: Connection, entry: PendingIn, verdict: PublishVerdict): void {
    entry.verdict = verdict ?? { ok: false, reason: 'onPublish returned no verdict' }
    this.#flush(conn)
  }

  /** Finishes settled inbound publishes from the head, so acks and routing keep arrival order. */
  #flush(conn: Connection): void {
    const list = conn.pending
    if (list === null) return
    let n = 0
    while (n < list.length && list[n]!.verdict !== null) n++
    if (n === 0) return
    const done = list.splice(0, n)
    if (list.length === 0) conn.pending = null
    for (const e of done) this.#finishInbound(conn, e)
    if ((conn.pending?.length ?? 0) < this.maxInflight) this.#resume(conn, PAUSE_INFLIGHT)
  }

  #finishInbound(conn: Connection, e: PendingIn): void {
    const v = e.verdict!
    const { msg } = e
    if (v.ok) {
      // routed even when the publisher has gone: the platform has the data
      if (e.deliver && v.route !== false) {
        this.#route({ ...msg, payload: Buffer.from(msg.payload) }, conn.session)
      }
    } else {
      if (!e.reported) {
        this.#reject(
          conn,
          MqttErrorCodes.publishRejected,
          v.reason ?? `publish to ${msg.topic} rejected`,
          msg.topic,
        )
      }
      if (msg.qos === 2) conn.session?.qos2In?.delete(e.messageId)
    }
    if (conn.state !== ST_CONNECTED) return
    const v5 = conn.wire === 5
    if (!v.ok && v.disconnect && (!v5 || msg.qos === 0)) {
      this.#disconnect(conn, v.reasonCode ?? ReasonCode.unspecified, v.reason ?? 'publish rejected', true)
      return
    }
    if (msg.qos === 0) return
    const cmd = msg.qos === 1 ? 'puback' : 'pubrec'
    if (v5 && !v.ok) {
      const withReason = v.reason !== undefined && conn.problemInfo
      this.#send(conn, {
        cmd,
        messageId: e.messageId,
        reasonCode: v.reasonCode ?? ReasonCode.unspecified,
        ...(withReason ? { properties: { reasonString: v.reason } } : {}),
      })
    } else {
      // success (reason 0 in the short form), or v3, which cannot carry a reason: acknowledge
      this.#send(conn, v5 ? { cmd, messageId: e.messageId, reasonCode: 0 } : { cmd, messageId: e.messageId })
    }
  }

  #onSubscribe(conn: Connection, p: ISubscribePacket): void {
    const session = conn.session!
    const v5 = conn.wire === 5
    const granted: number[] = []
    const retainedFor: { filter: string; qos: 0 | 1 }[] = []
    for (const sub of p.subscriptions) {
      const raw = sub.topic
      const shared = parseSharedFilter(raw)
      if (shared === undefined || (shared === null && !isValidTopicFilter(raw))) {
        this.#reject(conn, MqttErrorCodes.filterInvalid, `invalid topic filter from ${conn.id}`, raw)
        granted.push(v5 ? ReasonCode.topicFilterInvalid : 0x80)
        continue
      }
      let allowed: boolean
      try {
        allowed = this.hooks.authorizeSubscribe(conn, raw) === true
      } catch (err) {
        this.#reject(conn, MqttErrorCodes.hookFailed, `authorizeSubscribe threw: ${errorText(err)}`, raw)
        allowed = false
      }
      if (!allowed) {
        this.#reject(
          conn,
          MqttErrorCodes.subscribeDenied,
          `subscribe to ${raw} not authorized for ${conn.id}`,
          raw,
        )
        granted.push(v5 ? ReasonCode.notAuthorized : 0x80)
        continue
      }
      const qos: 0 | 1 = sub.qos >= 1 ? 1 : 0
      const options: SubscriptionOptions = {
        qos,
        noLocal: sub.nl === true,
        retainAsPublished: sub.rap === true,
      }
      const filter = shared?.filter ?? raw
      const group = shared?.group
      session.subs ??= new Map()
      const existed = session.subs.has(raw)
      this.#tree.add(filter, session, options, group)
      session.subs.set(raw, { filter, group })
      granted.push(qos)
      // retained messages are not sent for shared subscriptions (MQTT 5 §4.8.2)
      const rh = sub.rh ?? 0
      if (group === undefined && (rh === 0 || (rh === 1 && !existed))) retainedFor.push({ filter, qos })
    }
    this.#send(conn, { cmd: 'suback', messageId: p.messageId ?? 0, granted })
    for (const { filter, qos } of retainedFor) {
      for (const [topic, r] of this.#retained) {
        if (topicMatches(filter, topic)) {
          this.#deliver(session, { topic, payload: r.payload, retain: true }, Math.min(qos, r.qos) as 0 | 1)
        }
      }
    }
  }

  #onUnsubscribe(conn: Connection, p: IUnsubscribePacket): void {
    const session = conn.session!
    const codes: number[] = []
    for (const raw of p.unsubscriptions) {
      const sub = session.subs?.get(raw)
      if (sub === undefined) {
        codes.push(ReasonCode.noSubscriptionExisted)
        continue
      }
      this.#tree.remove(sub.filter, session, sub.group)
      session.subs!.delete(raw)
      codes.push(ReasonCode.success)
    }
    if (session.subs?.size === 0) session.subs = null
    this.#send(
      conn,
      conn.wire === 5
        ? { cmd: 'unsuback', messageId: p.messageId ?? 0, granted: codes }
        : { cmd: 'unsuback', messageId: p.messageId ?? 0, granted: [] },
    )
  }

  #onDisconnect(conn: Connection, p: IDisconnectPacket): void {
    const session = conn.session!
    const expiry = p.properties?.sessionExpiryInterval
    // MQTT-3.14.2-2: a session that had expiry 0 cannot be made persistent at DISCONNECT
    if (expiry !== undefined && session.persistent) {
      session.persistent = expiry > 0
      session.expiryMs = expiry >= 0xffffffff ? Number.POSITIVE_INFINITY : expiry * 1000
    }
    // v5 0x04 "disconnect with will message" asks for the will
    const withWill = conn.wire === 5 && p.reasonCode === 0x04
    this.#end(conn, 'client disconnected', true, withWill)
  }

  // ----- routing and delivery

  #route(msg: InboundMessage, from: Session | null): void {
    if (msg.retain) {
      if (msg.payload.length === 0) this.#retained.delete(msg.topic)
      else this.#retained.set(msg.topic, { payload: msg.payload, qos: msg.qos >= 1 ? 1 : 0 })
    }
    const recipients = this.#tree.match(msg.topic, isOnline)
    const msgQos: 0 | 1 = msg.qos >= 1 ? 1 : 0
    for (const { subscriber, options } of recipients) {
      if (options.noLocal && subscriber === from) continue
      const qos: 0 | 1 = msgQos < options.qos ? msgQos : options.qos
      // MQTT-3.3.1-9: the retain flag is cleared for established subscriptions unless Retain As Published
      const retain = options.retainAsPublished ? msg.retain : false
      this.#deliver(subscriber, { topic: msg.topic, payload: msg.payload, retain }, qos)
    }
  }

  #deliver(session: Session, d: Delivery, qos: 0 | 1): void {
    const conn = session.conn
    const online = conn !== null && conn.state === ST_CONNECTED
    if (qos === 0) {
      // QoS 0 is not kept for offline sessions, and is shed under write back-pressure
      if (!online) return
      if (conn.socket.writableLength > this.maxWriteBuffer) {
        this.#dropped++
        return
      }
      this.#writePublish(conn, d, 0, 0, false)
      return
    }
    if (!online && !session.persistent) return
    const queued = session.queue !== null && session.queue.length > 0
    if (
      online &&
      !queued &&
      (session.inflight?.size ?? 0) < conn.outWindow &&
      !conn.socket.writableNeedDrain
    ) {
      this.#sendQos1(conn, session, d, false)
      return
    }
    session.queue ??= []
    if (session.queue.length >= this.maxQueued) {
      session.queue.shift()
      this.#dropped++
    }
    session.queue.push(d)
  }

  /** Sends queued QoS 1 messages while the client's window and socket allow. */
  pump(session: Session): void {
    const conn = session.conn
    const q = session.queue
    if (conn === null || conn.state !== ST_CONNECTED || q === null) return
    while (q.length > 0 && (session.inflight?.size ?? 0) < conn.outWindow && !conn.socket.writableNeedDrain) {
      this.#sendQos1(conn, session, q.shift()!, false)
    }
    if (q.length === 0) session.queue = null
  }

  #sendQos1(conn: Connection, session: Session, d: Delivery, dup: boolean): void {
    session.inflight ??= new Map()
    let id = session.nextId
    for (let tries = 0; tries < 65535 && session.inflight.has(id); tries++) id = id === 65535 ? 1 : id + 1
    session.nextId = id === 65535 ? 1 : id + 1
    if (this.#writePublish(conn, d, 1, id, dup)) session.inflight.set(id, d)
  }

  #writePublish(conn: Connection, d: Delivery, qos: 0 | 1, messageId: number, dup: boolean): boolean {
    const packet: IPublishPacket = {
      cmd: 'publish',
      topic: d.topic,
      payload: d.payload,
      qos,
      retain: d.retain,
      dup,
    }
    if (qos === 1) packet.messageId = messageId
    if (!this.#send(conn, packet)) {
      this.#dropped++
      return false
    }
    this.#messagesOut++
    return true
  }

  #send(conn: Connection, packet: Packet): boolean {
    const socket = conn.socket
    if (socket.destroyed || socket.writableEnded) return false
    const buf = mqtt.generate(packet, { protocolVersion: conn.wire })
    // MQTT-3.1.2-24 (v5): never send a client more than its maximum packet size
    if (conn.maxOut > 0 && buf.length > conn.maxOut) return false
    socket.write(buf)
    return true
  }

  // ----- ending connections and sessions

  /** Server-side close: v5 clients that were CONNACKed get DISCONNECT `code` first. */
  #disconnect(conn: Connection, code: number, reason: string, publishWill: boolean): void {
    if (conn.state === ST_CLOSED) return
    if (conn.state === ST_CONNECTED && conn.wire === 5)
      this.#send(conn, { cmd: 'disconnect', reasonCode: code })
    this.#end(conn, reason, false, publishWill)
  }

  kick(conn: Connection, code: number, reason: string): void {
    this.#disconnect(conn, code, reason, true)
  }

  #protocolError(conn: Connection, message: string): void {
    this.#reject(
      conn.state === ST_CONNECTED ? conn : null,
      MqttErrorCodes.protocol,
      `${message} (${conn.remoteAddress})`,
    )
    this.#disconnect(conn, ReasonCode.protocolError, message, true)
  }

  #tooLarge(conn: Connection, bytes: number): void {
    this.#reject(
      conn.state === ST_CONNECTED ? conn : null,
      MqttErrorCodes.tooLarge,
      `packet of ${bytes} bytes from ${conn.id || conn.remoteAddress} exceeds ${this.maxPacketBytes}`,
    )
    this.#disconnect(conn, ReasonCode.packetTooLarge, 'packet too large', true)
  }

  #end(conn: Connection, reason: string, graceful: boolean, publishWill: boolean): void {
    if (conn.state === ST_CLOSED) return
    const wasConnected = conn.state === ST_CONNECTED
    conn.state = ST_CLOSED
    conn.held = null
    this.#connections.delete(conn)
    this.#finishSocket(conn.socket)
    if (!wasConnected) return
    this.#connected--
    const session = conn.session
    if (session !== null && session.conn === conn) {
      session.conn = null
      const will = publishWill ? conn.will : null
      if (session.persistent) {
        session.expiresAt = this.clock.now() + session.expiryMs
        this.#offline.add(session)
        if (will !== null && will.delayMs > 0) {
          session.pendingWill = { will, dueAt: this.clock.now() + will.delayMs }
        } else if (will !== null) {
          this.#publishWill(will)
        }
      } else {
        this.#dropSession(session)
        if (will !== null) this.#publishWill(will)
      }
    }
    conn.will = null
    if (this.hooks.onDisconnect) this.#safeHook(() => this.hooks.onDisconnect!(conn, { graceful, reason }))
  }

  /** End our side, keep reading (and discarding) until the peer closes or the linger runs out. */
  #finishSocket(socket: Duplex): void {
    if (socket.destroyed) return
    this.#lingering.add(socket)
    // a paused socket would never see the peer's FIN
    socket.resume()
    socket.end()
    const timer = setTimeout(() => socket.destroy(), LINGER_MS)
    timer.unref()
    socket.once('close', () => {
      clearTimeout(timer)
      this.#lingering.delete(socket)
    })
  }

  #dropSession(session: Session): void {
    if (this.#sessions.get(session.clientId) === session) this.#sessions.delete(session.clientId)
    this.#offline.delete(session)
    if (session.subs !== null) {
      for (const sub of session.subs.values()) this.#tree.remove(sub.filter, session, sub.group)
      session.subs = null
    }
    session.queue = null
    session.inflight = null
    if (session.pendingWill !== null) {
      const w = session.pendingWill.will
      session.pendingWill = null
      this.#publishWill(w)
    }
  }

  #publishWill(will: Will): void {
    const msg: InboundMessage = {
      topic: will.topic,
      payload: will.payload,
      qos: will.qos,
      retain: will.retain,
    }
    const finish = (v: PublishVerdict): void => {
      if (v?.ok && v.route !== false) this.#route(msg, null)
      else
        this.#reject(
          null,
          MqttErrorCodes.publishRejected,
          v?.reason ?? `will on ${will.topic} rejected`,
          will.topic,
        )
    }
    let result: Promise<PublishVerdict> | PublishVerdict
    try {
      result = this.hooks.onPublish(null, msg, will.owner)
    } catch (err) {
      result = failedVerdict(err)
    }
    if (isPromiseLike<PublishVerdict>(result)) {
      this.#track(Promise.resolve(result).then(finish, (err: unknown) => finish(failedVerdict(err))))
    } else {
      finish(result)
    }
  }

  // ----- helpers

  #authorizePublish(conn: Connection, topic: string): boolean {
    try {
      return this.hooks.authorizePublish(conn, topic) === true
    } catch (err) {
      this.#reject(conn, MqttErrorCodes.hookFailed, `authorizePublish threw: ${errorText(err)}`, topic)
      return false
    }
  }

  #reject(client: BrokerClient | null, code: string, message: string, topic?: string): void {
    this.#rejected++
    const onRejected = this.hooks.onRejected
    if (onRejected) {
      this.#safeHook(() =>
        onRejected(client, topic === undefined ? { code, message } : { code, message, topic }),
      )
    }
  }

  #safeHook(fn: () => void): void {
    try {
      fn()
    } catch {
      // a failing observer hook must not take the connection (or the broker) down
    }
  }

  #track(p: Promise<unknown>): void {
    this.#hookPromises.add(p)
    void p.finally(() => this.#hookPromises.delete(p))
  }

  #pause(conn: Connection, reason: number): void {
    if (conn.pauseMask === 0) conn.socket.pause()
    conn.pauseMask |= reason
  }

  #resume(conn: Connection, reason: number): void {
    if ((conn.pauseMask & reason) === 0) return
    conn.pauseMask &= ~reason
    if (conn.pauseMask === 0 && conn.state !== ST_CLOSED) {
      conn.lastSeen = this.clock.now()
      conn.socket.resume()
    }
  }

  #startTimer(): void {
    if (this.#timer !== null || this.#closed) return
    this.#timer = setInterval(() => this.sweep(), this.sweepIntervalMs)
    this.#timer.unref()
  }
}

function isOnline(s: Session): boolean {
  return s.conn !== null && s.conn.state === ST_CONNECTED
}

function failedVerdict(err: unknown): PublishVerdict {
  return {
    ok: false,
    reasonCode: ReasonCode.implementationSpecific,
    reason: `could not accept the message: ${errorText(err)}`,
    disconnect: true,
  }
}

/** Creates a broker; no I/O until `listen` or `handle`. */
export function createMqttBroker(options: MqttBrokerOptions): MqttBroker {
  if (options?.hooks === undefined) throw new TypeError('createMqttBroker needs options.hooks')
  if (options.maxPacketBytes !== undefined && !(options.maxPacketBytes >= 64)) {
    throw new RangeError('maxPacketBytes must be at least 64')
  }
  return new BrokerCore(options)
}
