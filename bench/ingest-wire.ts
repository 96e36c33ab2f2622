/**
 * A lean MQTT 3.1.1 peer for the ingest benchmark: hand-built packets over a plain TCP socket and a
 * tiny reader for the few packets a publisher or a subscriber receives. mqtt.js (or one mqtt-packet
 * parser per connection) costs more CPU than the broker under test on a 2-core machine; this costs
 * a socket write per PUBLISH and a few byte reads per PUBACK.
 */
import { connect as netConnect, type Socket } from 'node:net'

function remainingLength(n: number): Buffer {
  const out: number[] = []
  do {
    let b = n % 128
    n = Math.floor(n / 128)
    if (n > 0) b |= 0x80
    out.push(b)
  } while (n > 0)
  return Buffer.from(out)
}

function utf8Field(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s
  const len = Buffer.allocUnsafe(2)
  len.writeUInt16BE(b.length, 0)
  return Buffer.concat([len, b])
}

/** CONNECT, MQTT 3.1.1, clean session. */
export function connectPacket(o: {
  clientId: string
  username?: string
  password?: string
  keepalive: number
}): Buffer {
  let flags = 0x02
  const payload: Buffer[] = [utf8Field(o.clientId)]
  if (o.username !== undefined) {
    flags |= 0x80
    payload.push(utf8Field(o.username))
  }
  if (o.password !== undefined) {
    flags |= 0x40
    payload.push(utf8Field(o.password))
  }
  const ka = Buffer.allocUnsafe(2)
  ka.writeUInt16BE(o.keepalive, 0)
  const variable = Buffer.concat([utf8Field('MQTT'), Buffer.from([4, flags]), ka])
  const body = Buffer.concat([variable, ...payload])
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body])
}

/** PUBLISH at QoS 1 with packet id `id` (1..65535). */
export function publishPacket(topic: string, payload: Uint8Array, id: number): Buffer {
  const t = utf8Field(topic)
  const len = t.length + 2 + payload.length
  const head = remainingLength(len)
  const out = Buffer.allocUnsafe(1 + head.length + len)
  out[0] = 0x32
  head.copy(out, 1)
  let o = 1 + head.length
  t.copy(out, o)
  o += t.length
  out.writeUInt16BE(id, o)
  out.set(payload, o + 2)
  return out
}

export function subscribePacket(id: number, filter: string, qos: 0 | 1): Buffer {
  const f = utf8Field(filter)
  const body = Buffer.concat([Buffer.from([id >> 8, id & 0xff]), f, Buffer.from([qos])])
  return Buffer.concat([Buffer.from([0x82]), remainingLength(body.length), body])
}

export function pubackPacket(id: number): Buffer {
  return Buffer.from([0x40, 0x02, id >> 8, id & 0xff])
}

export interface PeerHandlers {
  onConnack?(returnCode: number): void
  onPuback?(id: number): void
  onSuback?(granted: number[]): void
  /** a PUBLISH from the broker; qos 1 ones are acknowledged by the peer before this is called */
  onPublish?(topic: string, payload: Buffer): void
  onClose?(): void
}

/**
 * One TCP connection that understands CONNACK, PUBACK, SUBACK and PUBLISH (acknowledging QoS 1).
 * Everything else the broker sends is skipped.
 */
export class WirePeer {
  readonly socket: Socket
  handlers: PeerHandlers
  #buf: Buffer | null = null
  #acks: Buffer[] = []
  #ackScheduled = false

  constructor(socket: Socket, handlers: PeerHandlers) {
    this.socket = socket
    this.handlers = handlers
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#read(chunk))
    socket.on('error', () => {})
    socket.on('close', () => this.handlers.onClose?.())
  }

  #read(chunk: Buffer): void {
    const buf = this.#buf === null ? chunk : Buffer.concat([this.#buf, chunk])
    let o = 0
    for (;;) {
      if (buf.length - o < 2) break
      // remaining length (variable byte integer)
      let len = 0
      let mul = 1
      let i = o + 1
      let complete = false
      while (i < buf.length && i < o + 5) {
        const b = buf[i++]!
        len += (b & 0x7f) * mul
        mul *= 128
        if ((b & 0x80) === 0) {
          complete = true
          break
        }
      }
      if (!complete || buf.length - i < len) break
      this.#packet(buf[o]!, buf, i, len)
      o = i + len
    }
    // keep only the unread tail (a copy, so the whole chunk is not retained)
    this.#buf = o === buf.length ? null : Buffer.from(buf.subarray(o))
  }

  #packet(first: number, buf: Buffer, at: number, len: number): void {
    const type = first >> 4
    const h = this.handlers
    if (type === 4) h.onPuback?.(buf.readUInt16BE(at))
    else if (type === 3) {
      const qos = (first >> 1) & 3
      const tl = buf.readUInt16BE(at)
      const topic = buf.toString('utf8', at + 2, at + 2 + tl)
      let p = at + 2 + tl
      if (qos > 0) {
        this.#queueAck(buf.readUInt16BE(p))
        p += 2
      }
      h.onPublish?.(topic, buf.subarray(p, at + len))
    } else if (type === 2) h.onConnack?.(buf[at + 1]!)
    else if (type === 9) h.onSuback?.([...buf.subarray(at + 2, at + len)])
  }

  /** PUBACKs leave in one write per read burst rather than one syscall each. */
  #queueAck(id: number): void {
    this.#acks.push(pubackPacket(id))
    if (this.#ackScheduled) return
    this.#ackScheduled = true
    queueMicrotask(() => {
      this.#ackScheduled = false
      const acks = this.#acks
      this.#acks = []
      this.socket.write(acks.length === 1 ? acks[0]! : Buffer.concat(acks))
    })
  }

  write(b: Buffer): void {
    this.socket.write(b)
  }

  destroy(): void {
    this.socket.destroy()
  }
}

/** Opens a TCP connection, sends CONNECT and resolves with the peer once CONNACK 0 arrives. */
export function openPeer(
  port: number,
  o: { clientId: string; username?: string; password?: string; keepalive?: number },
  timeoutMs = 15_000,
): Promise<WirePeer> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no CONNACK for ${o.clientId} within ${timeoutMs} ms`))
    }, timeoutMs)
    const peer = new WirePeer(socket, {
      onConnack(rc) {
        clearTimeout(timer)
        if (rc === 0) resolve(peer)
        else {
          socket.destroy()
          reject(new Error(`CONNACK ${rc} for ${o.clientId}`))
        }
      },
      onClose() {
        clearTimeout(timer)
        reject(new Error(`connection of ${o.clientId} closed before CONNACK`))
      },
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    socket.once('connect', () => socket.write(connectPacket({ keepalive: 60, ...o })))
  })
}

/** Opens many peers, `parallel` at a time. */
export async function openPeers(
  port: number,
  specs: readonly { clientId: string; username?: string; password?: string; keepalive?: number }[],
  parallel = 200,
): Promise<WirePeer[]> {
  const out: WirePeer[] = new Array(specs.length)
  let next = 0
  async function worker(): Promise<void> {
    while (next < specs.length) {
      const i = next++
      out[i] = await openPeer(port, specs[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, specs.length) }, worker))
  return out
}
