/**
 * A byte-level MQTT peer for tests: a TCP socket plus mqtt-packet, so tests can send exactly the
 * packets they mean (malformed ones, unacknowledged QoS 1, QoS 2 duplicates) and see every packet
 * the broker answers with, in order. Test support only; not part of the public surface.
 */
import { connect, type Socket } from 'node:net'
import * as mqtt from 'mqtt-packet'
import type { Packet } from 'mqtt-packet'

export interface RawClient {
  readonly socket: Socket
  /** every packet received so far, in order */
  readonly received: Packet[]
  send(packet: Packet): void
  writeBytes(bytes: Buffer): void
  /** resolves with the next received packet of this type (searching from `from`, default: not yet consumed) */
  next<C extends Packet['cmd']>(cmd: C, timeoutMs?: number): Promise<Extract<Packet, { cmd: C }>>
  /** resolves when the socket has closed */
  closed(timeoutMs?: number): Promise<void>
  readonly isClosed: boolean
  destroy(): void
}

export function openRaw(port: number, protocolVersion: 3 | 4 | 5 = 4): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    const parser = mqtt.parser({ protocolVersion })
    const received: Packet[] = []
    const consumed = new Set<Packet>()
    const waiters: Array<() => void> = []
    let isClosed = false
    const wake = (): void => {
      for (const w of waiters.splice(0)) w()
    }
    parser.on('packet', (p: Packet) => {
      received.push(p)
      wake()
    })
    parser.on('error', () => {})
    socket.on('data', (chunk) => parser.parse(chunk))
    socket.on('error', () => {})
    socket.on('close', () => {
      isClosed = true
      wake()
    })
    const client: RawClient = {
      socket,
      received,
      get isClosed() {
        return isClosed
      },
      send(packet) {
        socket.write(mqtt.generate(packet, { protocolVersion }))
      },
      writeBytes(bytes) {
        socket.write(bytes)
      },
      next(cmd, timeoutMs = 3000) {
        return new Promise((res, rej) => {
          const timer = setTimeout(() => rej(new Error(`no ${cmd} within ${timeoutMs} ms`)), timeoutMs)
          const look = (): void => {
            const hit = received.find((p) => p.cmd === cmd && !consumed.has(p))
            if (hit !== undefined) {
              consumed.add(hit)
              clearTimeout(timer)
              res(hit as never)
            } else if (isClosed) {
              clearTimeout(timer)
              rej(new Error(`socket closed before ${cmd}`))
            } else {
              waiters.push(look)
            }
          }
          look()
        })
      },
      closed(timeoutMs = 3000) {
        return new Promise((res, rej) => {
          const timer = setTimeout(() => rej(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs)
          const look = (): void => {
            if (isClosed) {
              clearTimeout(timer)
              res()
            } else waiters.push(look)
          }
          look()
        })
      },
      destroy() {
        socket.destroy()
      },
    }
    socket.once('connect', () => resolve(client))
    socket.once('error', reject)
  })
}

/** Opens a raw client and completes CONNECT; resolves with the client and the CONNACK. */
export async function connectRaw(
  port: number,
  connect: Partial<Extract<Packet, { cmd: 'connect' }>> & { clientId: string },
): Promise<{ client: RawClient; connack: Extract<Packet, { cmd: 'connack' }> }> {
  const version = connect.protocolVersion ?? 4
  const client = await openRaw(port, version)
  client.send({
    cmd: 'connect',
    protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clean: true,
    keepalive: 0,
    ...connect,
  })
  const connack = await client.next('connack')
  return { client, connack }
}
