import { createServer, type Server, type Socket } from 'node:net'
import { listEquipment } from './factory-catalog.ts'
import type { EnterpriseSpec, SimValue } from './factory-types.ts'

/**
 * The virtual factory's Modbus TCP server: one per enterprise, one unit id per Modbus equipment (a serial
 * gateway in front of RS-485 meters and compressor controllers, as plants usually wire them).
 *
 * Register map of a unit (see docs/protocols.md):
 *  - input registers from 0: the equipment's points in catalogue order, big-endian, high word first;
 *    float32 points as float32 (2 registers), float64 counters as float64 (4), int32/int64 states and
 *    counters as int32 (2)
 *  - discrete inputs from 0: one per point, on while the point's last value was good
 *  - coils 0…15 and holding registers 0…99: writable scratch (set-points), starting at 0
 * While a unit has a point in bad quality (a dropped-out meter), reads of its input registers answer
 * exception 11 (gateway target device failed to respond), as the serial gateway in front of it would.
 * Function codes 1, 2, 3, 4, 5, 6, 15, 16; anything else gets exception 1.
 */

export type SimRegisterType = 'float32' | 'float64' | 'int32'

export interface SimModbusPoint {
  readonly pointKey: string
  readonly address: number
  readonly type: SimRegisterType
  readonly words: number
  readonly unit: string
}

export interface SimModbusUnit {
  readonly unitId: number
  readonly deviceKey: string
  readonly points: readonly SimModbusPoint[]
}

export const SIM_HOLDING_REGISTERS = 100
export const SIM_COILS = 16

/** Pure: the units and register addresses the server exposes for an enterprise. */
export function simModbusRegisterMap(enterprise: EnterpriseSpec): SimModbusUnit[] {
  const units: SimModbusUnit[] = []
  for (const p of listEquipment([enterprise])) {
    const eq = p.equipment
    if (eq.protocol !== 'modbus' || eq.points.length === 0) continue
    let address = 0
    const points: SimModbusPoint[] = []
    for (const pt of eq.points) {
      if (pt.dataType === 'string' || pt.dataType === 'bool') continue
      const type: SimRegisterType =
        pt.dataType === 'float64' ? 'float64' : pt.dataType === 'float32' ? 'float32' : 'int32'
      const words = type === 'float64' ? 4 : 2
      points.push({ pointKey: pt.key, address, type, words, unit: pt.unit })
      address += words
    }
    units.push({ unitId: units.length + 1, deviceKey: eq.key, points })
  }
  return units
}

/**
 * Pure: Modbus adapter poll groups for one unit of the map, one group per sample period of the catalogue
 * (fast process values every 10 s, counters and states every minute…), at `speed` × real time. The objects
 * fit the Modbus adapter's ModbusPollGroupConfig.
 */
export function simModbusPollGroups(
  enterprise: EnterpriseSpec,
  unit: SimModbusUnit,
  speed = 1,
): {
  name: string
  intervalMs: number
  points: { key: string; table: 'input'; address: number; type: SimRegisterType }[]
}[] {
  const eq = listEquipment([enterprise]).find((p) => p.equipment.key === unit.deviceKey)?.equipment
  const periodOf = new Map(eq?.points.map((p) => [p.key, p.samplePeriodMs]) ?? [])
  const groups = new Map<number, { key: string; table: 'input'; address: number; type: SimRegisterType }[]>()
  for (const p of unit.points) {
    const period = periodOf.get(p.pointKey) ?? 10_000
    const list = groups.get(period) ?? []
    list.push({ key: p.pointKey, table: 'input', address: p.address, type: p.type })
    groups.set(period, list)
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([period, points]) => ({
      name: `every-${period / 1000}s`,
      intervalMs: Math.max(10, Math.round(period / speed)),
      points,
    }))
}

export interface SimModbusServerOptions {
  readonly enterprise: EnterpriseSpec
  readonly host?: string
  /** 0 = ephemeral (default) */
  readonly port?: number
}

export interface SimModbusServerCounters {
  readonly connections: number
  readonly requests: number
  readonly exceptions: number
  readonly values: number
}

export interface SimModbusServer {
  readonly units: readonly SimModbusUnit[]
  /** the bound port, after start() */
  readonly port: number
  start(): Promise<void>
  stop(): Promise<void>
  /** takes a value from the factory; values of other enterprises or equipment are ignored */
  apply(v: SimValue): void
  counters(): SimModbusServerCounters
}

interface UnitState {
  readonly spec: SimModbusUnit
  readonly input: Uint16Array
  readonly holding: Uint16Array
  readonly coils: boolean[]
  readonly good: boolean[]
  readonly byKey: Map<string, number>
}

function encode(value: number, type: SimRegisterType): number[] {
  const buf = Buffer.alloc(type === 'float64' ? 8 : 4)
  if (type === 'float64') buf.writeDoubleBE(value)
  else if (type === 'float32') buf.writeFloatBE(value)
  else buf.writeInt32BE(Math.max(-0x80000000, Math.min(0x7fffffff, Math.round(value))))
  const words: number[] = []
  for (let i = 0; i < buf.length; i += 2) words.push(buf.readUInt16BE(i))
  return words
}

export function createSimModbusServer(options: SimModbusServerOptions): SimModbusServer {
  const units = simModbusRegisterMap(options.enterprise)
  const state = new Map<number, UnitState>()
  const byDevice = new Map<string, UnitState>()
  for (const u of units) {
    const last = u.points[u.points.length - 1]
    const s: UnitState = {
      spec: u,
      input: new Uint16Array(last === undefined ? 0 : last.address + last.words),
      holding: new Uint16Array(SIM_HOLDING_REGISTERS),
      coils: new Array<boolean>(SIM_COILS).fill(false),
      good: new Array<boolean>(u.points.length).fill(true),
      byKey: new Map(u.points.map((p, i) => [p.pointKey, i])),
    }
    state.set(u.unitId, s)
    byDevice.set(u.deviceKey, s)
  }
  let server: Server | null = null
  let boundPort = 0
  const sockets = new Set<Socket>()
  let connections = 0
  let requests = 0
  let exceptions = 0
  let values = 0

  function exception(fc: number, code: number): Buffer {
    exceptions++
    return Buffer.from([fc | 0x80, code])
  }

  function bitsResponse(fc: number, bits: readonly boolean[]): Buffer {
    const n = Math.ceil(bits.length / 8)
    const out = Buffer.alloc(2 + n)
    out[0] = fc
    out[1] = n
    bits.forEach((b, i) => {
      if (b) out[2 + (i >> 3)] = (out[2 + (i >> 3)] ?? 0) | (1 << (i & 7))
    })
    return out
  }

  function handle(unitId: number, pdu: Buffer): Buffer {
    const fc = pdu[0] ?? 0
    if (![1, 2, 3, 4, 5, 6, 15, 16].includes(fc)) return exception(fc, 1)
    const u = state.get(unitId)
    if (u === undefined) return exception(fc, 10)
    if (pdu.length < 5) return exception(fc, 3)
    const address = pdu.readUInt16BE(1)
    const qty = pdu.readUInt16BE(3)
    switch (fc) {
      case 1:
      case 2: {
        if (qty < 1 || qty > 2000) return exception(fc, 3)
        const table = fc === 1 ? u.coils : u.good
        if (address + qty > table.length) return exception(fc, 2)
        return bitsResponse(fc, table.slice(address, address + qty))
      }
      case 3:
      case 4: {
        if (qty < 1 || qty > 125) return exception(fc, 3)
        const table = fc === 3 ? u.holding : u.input
        if (address + qty > table.length) return exception(fc, 2)
        if (fc === 4 && u.good.includes(false)) return exception(fc, 11)
        const out = Buffer.alloc(2 + 2 * qty)
        out[0] = fc
        out[1] = 2 * qty
        for (let i = 0; i < qty; i++) out.writeUInt16BE(table[address + i] ?? 0, 2 + 2 * i)
        return out
      }
      case 5: {
        if (qty !== 0xff00 && qty !== 0) return exception(fc, 3)
        if (address >= u.coils.length) return exception(fc, 2)
        u.coils[address] = qty === 0xff00
        return Buffer.from(pdu.subarray(0, 5))
      }
      case 6: {
        if (address >= u.holding.length) return exception(fc, 2)
        u.holding[address] = qty
        return Buffer.from(pdu.subarray(0, 5))
      }
      case 15: {
        const n = pdu[5] ?? 0
        if (qty < 1 || qty > 1968 || n !== Math.ceil(qty / 8) || pdu.length < 6 + n) return exception(fc, 3)
        if (address + qty > u.coils.length) return exception(fc, 2)
        for (let i = 0; i < qty; i++) u.coils[address + i] = (((pdu[6 + (i >> 3)] ?? 0) >> (i & 7)) & 1) === 1
        return Buffer.from(pdu.subarray(0, 5))
      }
      default: {
        const n = pdu[5] ?? 0
        if (qty < 1 || qty > 123 || n !== 2 * qty || pdu.length < 6 + n) return exception(fc, 3)
        if (address + qty > u.holding.length) return exception(fc, 2)
        for (let i = 0; i < qty; i++) u.holding[address + i] = pdu.readUInt16BE(6 + 2 * i)
        return Buffer.from(pdu.subarray(0, 5))
      }
    }
  }

  function onConnection(sock: Socket): void {
    connections++
    sockets.add(sock)
    sock.setNoDelay(true)
    let rx: Buffer = Buffer.alloc(0)
    sock.on('data', (chunk: Buffer) => {
      rx = rx.length === 0 ? chunk : Buffer.concat([rx, chunk])
      const replies: Buffer[] = []
      while (rx.length >= 7) {
        const len = rx.readUInt16BE(4)
        if (rx.readUInt16BE(2) !== 0 || len < 2 || len > 254) {
          sock.destroy()
          return
        }
        if (rx.length < 6 + len) break
        const tx = rx.readUInt16BE(0)
        const unitId = rx[6] ?? 0
        const pdu = rx.subarray(7, 6 + len)
        rx = rx.subarray(6 + len)
        requests++
        const res = handle(unitId, pdu)
        const head = Buffer.alloc(7)
        head.writeUInt16BE(tx, 0)
        head.writeUInt16BE(0, 2)
        head.writeUInt16BE(res.length + 1, 4)
        head[6] = unitId
        replies.push(head, res)
      }
      if (replies.length > 0) sock.write(Buffer.concat(replies))
    })
    sock.on('error', () => undefined)
    sock.once('close', () => sockets.delete(sock))
  }

  return {
    units,
    get port() {
      return boundPort
    },
    start() {
      return new Promise<void>((resolve, reject) => {
        const srv = createServer(onConnection)
        srv.once('error', reject)
        srv.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
          const a = srv.address()
          boundPort = typeof a === 'object' && a !== null ? a.port : 0
          server = srv
          resolve()
        })
      })
    },
    stop() {
      const srv = server
      server = null
      for (const s of sockets) s.destroy()
      sockets.clear()
      return new Promise<void>((resolve) => {
        if (srv === null) resolve()
        else srv.close(() => resolve())
      })
    },
    apply(v) {
      if (v.enterpriseKey !== options.enterprise.key) return
      const u = byDevice.get(v.deviceKey)
      const i = u?.byKey.get(v.pointKey)
      if (u === undefined || i === undefined) return
      const p = u.spec.points[i]
      if (p === undefined) return
      values++
      if (v.quality !== 'good' || typeof v.value !== 'number') {
        u.good[i] = false
        return
      }
      u.good[i] = true
      encode(v.value, p.type).forEach((w, k) => {
        u.input[p.address + k] = w
      })
    },
    counters() {
      return { connections, requests, exceptions, values }
    },
  }
}
