import { connect, type Socket } from 'node:net'
import { ModbusErrors } from './modbus-errors.ts'

/**
 * A minimal Modbus TCP client over node:net: MBAP framing (transaction id, protocol 0, length, unit id),
 * the read and write function codes, exception responses as MODBUS_EXCEPTION errors, a timeout per request.
 * Requests go one at a time: many PLCs and serial gateways mishandle pipelined transactions.
 */

export interface ModbusClientOptions {
  readonly host: string
  readonly port: number
  readonly connectTimeoutMs?: number
}

export interface ModbusClient {
  connect(): Promise<void>
  readonly connected: boolean
  readBits(unit: number, fc: 1 | 2, address: number, quantity: number, timeoutMs: number): Promise<boolean[]>
  readRegisters(
    unit: number,
    fc: 3 | 4,
    address: number,
    quantity: number,
    timeoutMs: number,
  ): Promise<Uint16Array>
  writeCoil(unit: number, address: number, value: boolean, timeoutMs: number): Promise<void>
  writeRegister(unit: number, address: number, value: number, timeoutMs: number): Promise<void>
  writeCoils(unit: number, address: number, values: readonly boolean[], timeoutMs: number): Promise<void>
  writeRegisters(unit: number, address: number, values: readonly number[], timeoutMs: number): Promise<void>
  /** closes the socket; requests in flight fail with MODBUS_NOT_CONNECTED */
  close(): void
  /** called once when the connection is lost (not after close()) */
  onClose(listener: (err: Error | null) => void): void
}

interface Pending {
  readonly tx: number
  readonly fc: number
  readonly what: string
  readonly resolve: (pdu: Buffer) => void
  readonly reject: (err: Error) => void
  timer: NodeJS.Timeout | null
}

export function createModbusClient(options: ModbusClientOptions): ModbusClient {
  const where = `${options.host}:${options.port}`
  let socket: Socket | null = null
  let rx: Buffer = Buffer.alloc(0)
  let nextTx = 1
  let pending: Pending | null = null
  let chain: Promise<unknown> = Promise.resolve()
  let closedByUs = false
  const closeListeners: ((err: Error | null) => void)[] = []

  function failPending(err: Error): void {
    const p = pending
    pending = null
    if (p === null) return
    if (p.timer !== null) clearTimeout(p.timer)
    p.reject(err)
  }

  function onData(chunk: Buffer): void {
    rx = rx.length === 0 ? chunk : Buffer.concat([rx, chunk])
    while (rx.length >= 7) {
      const len = rx.readUInt16BE(4)
      if (len < 2 || len > 254) {
        // the stream is out of step; nothing after this can be trusted
        socket?.destroy(ModbusErrors.badResponse(`MBAP length ${len}`))
        return
      }
      if (rx.length < 6 + len) return
      const tx = rx.readUInt16BE(0)
      const proto = rx.readUInt16BE(2)
      const pdu = rx.subarray(7, 6 + len)
      rx = rx.subarray(6 + len)
      const p = pending
      // a late answer to a request that already timed out carries an old transaction id: drop it
      if (p === null || p.tx !== tx || proto !== 0) continue
      pending = null
      if (p.timer !== null) clearTimeout(p.timer)
      const fc = pdu[0] ?? 0
      if (fc === (p.fc | 0x80)) p.reject(ModbusErrors.exception(p.fc, pdu[1] ?? 0, p.what))
      else if (fc !== p.fc) p.reject(ModbusErrors.badResponse(`function ${fc} in answer to ${p.fc}`))
      else p.resolve(Buffer.from(pdu))
    }
  }

  function transact(unit: number, pdu: Buffer, timeoutMs: number, what: string): Promise<Buffer> {
    const run = (): Promise<Buffer> =>
      new Promise<Buffer>((resolve, reject) => {
        const s = socket
        if (s === null || s.destroyed) {
          reject(ModbusErrors.notConnected(where))
          return
        }
        const tx = nextTx
        nextTx = nextTx === 0xffff ? 1 : nextTx + 1
        const head = Buffer.alloc(7)
        head.writeUInt16BE(tx, 0)
        head.writeUInt16BE(0, 2)
        head.writeUInt16BE(pdu.length + 1, 4)
        head.writeUInt8(unit, 6)
        const p: Pending = { tx, fc: pdu[0] ?? 0, what, resolve, reject, timer: null }
        p.timer = setTimeout(() => {
          if (pending === p) pending = null
          reject(ModbusErrors.timeout(timeoutMs, what))
        }, timeoutMs)
        pending = p
        s.write(Buffer.concat([head, pdu]))
      })
    const next = chain.then(run, run)
    chain = next.catch(() => undefined)
    return next
  }

  const client: ModbusClient = {
    get connected() {
      return socket !== null && !socket.destroyed && !socket.connecting
    },
    connect() {
      closedByUs = false
      rx = Buffer.alloc(0)
      return new Promise<void>((resolve, reject) => {
        const s = connect({ host: options.host, port: options.port })
        s.setNoDelay(true)
        const timer = setTimeout(() => {
          s.destroy()
          reject(ModbusErrors.notConnected(where, new Error('connect timeout')))
        }, options.connectTimeoutMs ?? 3000)
        s.once('connect', () => {
          clearTimeout(timer)
          socket = s
          resolve()
        })
        s.on('data', onData)
        s.on('error', (err) => {
          clearTimeout(timer)
          if (socket !== s) reject(ModbusErrors.notConnected(where, err))
        })
        s.once('close', () => {
          clearTimeout(timer)
          if (socket !== s) return
          socket = null
          failPending(ModbusErrors.notConnected(where))
          if (!closedByUs) for (const l of closeListeners) l(null)
        })
      })
    },
    async readBits(unit, fc, address, quantity, timeoutMs) {
      const req = Buffer.alloc(5)
      req.writeUInt8(fc, 0)
      req.writeUInt16BE(address, 1)
      req.writeUInt16BE(quantity, 3)
      const what = `${fc === 1 ? 'coils' : 'discrete inputs'} ${address}+${quantity} unit ${unit}`
      const res = await transact(unit, req, timeoutMs, what)
      const count = res[1] ?? 0
      if (count !== Math.ceil(quantity / 8) || res.length !== 2 + count)
        throw ModbusErrors.badResponse(`${count} bytes for ${quantity} bits`)
      const out: boolean[] = []
      for (let i = 0; i < quantity; i++) out.push((((res[2 + (i >> 3)] ?? 0) >> (i & 7)) & 1) === 1)
      return out
    },
    async readRegisters(unit, fc, address, quantity, timeoutMs) {
      const req = Buffer.alloc(5)
      req.writeUInt8(fc, 0)
      req.writeUInt16BE(address, 1)
      req.writeUInt16BE(quantity, 3)
      const what = `${fc === 3 ? 'holding' : 'input'} registers ${address}+${quantity} unit ${unit}`
      const res = await transact(unit, req, timeoutMs, what)
      const count = res[1] ?? 0
      if (count !== quantity * 2 || res.length !== 2 + count)
        throw ModbusErrors.badResponse(`${count} bytes for ${quantity} registers`)
      const out = new Uint16Array(quantity)
      for (let i = 0; i < quantity; i++) out[i] = res.readUInt16BE(2 + 2 * i)
      return out
    },
    async writeCoil(unit, address, value, timeoutMs) {
      const req = Buffer.alloc(5)
      req.writeUInt8(5, 0)
      req.writeUInt16BE(address, 1)
      req.writeUInt16BE(value ? 0xff00 : 0, 3)
      await transact(unit, req, timeoutMs, `write coil ${address} unit ${unit}`)
    },
    async writeRegister(unit, address, value, timeoutMs) {
      const req = Buffer.alloc(5)
      req.writeUInt8(6, 0)
      req.writeUInt16BE(address, 1)
      req.writeUInt16BE(value & 0xffff, 3)
      await transact(unit, req, timeoutMs, `write register ${address} unit ${unit}`)
    },
    async writeCoils(unit, address, values, timeoutMs) {
      const n = Math.ceil(values.length / 8)
      const req = Buffer.alloc(6 + n)
      req.writeUInt8(15, 0)
      req.writeUInt16BE(address, 1)
      req.writeUInt16BE(values.length, 3)
      req.writeUInt8(n, 5)
      values.forEach((v, i) => {
        if (v) req[6 + (i >> 3)] = (req[6 + (i >> 3)] ?? 0) | (1 << (i & 7))
      })
      await transact(unit, req, timeoutMs, `write coils ${address}+${values.length} unit ${unit}`)
    },
    async writeRegisters(unit, address, values, timeoutMs) {
      const req = Buffer.alloc(6 + 2 * values.length)
      req.writeUInt8(16, 0)
      req.writeUInt16BE(address, 1)
      req.writeUInt16BE(values.length, 3)
      req.writeUInt8(2 * values.length, 5)
      values.forEach((v, i) => {
        req.writeUInt16BE(v & 0xffff, 6 + 2 * i)
      })
      await transact(unit, req, timeoutMs, `write registers ${address}+${values.length} unit ${unit}`)
    },
    close() {
      closedByUs = true
      const s = socket
      socket = null
      failPending(ModbusErrors.notConnected(where))
      s?.destroy()
    },
    onClose(listener) {
      closeListeners.push(listener)
    },
  }
  return client
}
