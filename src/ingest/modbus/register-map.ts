import { ModbusErrors } from './modbus-errors.ts'

/**
 * Pure part of the Modbus adapter: what a register map is, how adjacent points are coalesced into as few
 * requests as the protocol allows, and how register words become engineering values. No I/O here.
 */

export type ModbusTable = 'coil' | 'discrete' | 'holding' | 'input'
export type ModbusValueType = 'bool' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64'
/** Order of the two bytes inside a register (`big` = Modbus standard, high byte first). */
export type ByteOrder = 'big' | 'little'
/** Order of the registers of a 32/64-bit value (`big` = first register holds the most significant word). */
export type WordOrder = 'big' | 'little'

export interface ModbusPointConfig {
  /** the point's key in the ingest path (RawValue.key) */
  readonly key: string
  readonly table: ModbusTable
  /** zero-based protocol address (register 40001 is holding address 0) */
  readonly address: number
  /** default `bool` for coils and discrete inputs, `uint16` for registers */
  readonly type?: ModbusValueType
  readonly byteOrder?: ByteOrder
  readonly wordOrder?: WordOrder
  /** engineering value = raw × scale + offset (default 1 and 0) */
  readonly scale?: number
  readonly offset?: number
}

export interface ModbusPollGroupConfig {
  readonly name: string
  readonly intervalMs: number
  readonly points: readonly ModbusPointConfig[]
}

/** function codes used to read each table */
export const READ_FUNCTION: Readonly<Record<ModbusTable, 1 | 2 | 3 | 4>> = {
  coil: 1,
  discrete: 2,
  holding: 3,
  input: 4,
}

/** protocol limits per read request (Modbus Application Protocol v1.1b3 §6.1–6.4) */
export const MAX_REGISTERS_PER_READ = 125
export const MAX_BITS_PER_READ = 2000

const WORDS: Readonly<Record<ModbusValueType, number>> = {
  bool: 1,
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  float64: 4,
}

export function isBitTable(t: ModbusTable): boolean {
  return t === 'coil' || t === 'discrete'
}

export function typeOf(p: ModbusPointConfig): ModbusValueType {
  return p.type ?? (isBitTable(p.table) ? 'bool' : 'uint16')
}

/** registers (or bits) the point occupies */
export function widthOf(p: ModbusPointConfig): number {
  return isBitTable(p.table) ? 1 : WORDS[typeOf(p)]
}

/** One read request and the points it serves. */
export interface ReadRequest {
  readonly table: ModbusTable
  readonly functionCode: 1 | 2 | 3 | 4
  readonly address: number
  readonly quantity: number
  readonly points: readonly ModbusPointConfig[]
}

export interface PlanOptions {
  /** registers per request, at most 125 */
  readonly maxRegisters?: number
  /** bits per request, at most 2000 */
  readonly maxBits?: number
  /**
   * unused registers a request may span to join two points (default 0: only adjacent or overlapping points
   * are joined; a gap can hit an unmapped address, which the device answers with exception 2)
   */
  readonly maxGap?: number
}

export function validatePoints(points: readonly ModbusPointConfig[]): void {
  const keys = new Set<string>()
  for (const p of points) {
    if (typeof p.key !== 'string' || p.key.length === 0) throw ModbusErrors.badConfig('a point has no key')
    if (keys.has(p.key)) throw ModbusErrors.badConfig(`point key "${p.key}" is used twice`)
    keys.add(p.key)
    if (!(p.table in READ_FUNCTION))
      throw ModbusErrors.badConfig(`point "${p.key}" has table "${String(p.table)}"`, { key: p.key })
    if (!Number.isInteger(p.address) || p.address < 0 || p.address + widthOf(p) > 0x10000)
      throw ModbusErrors.badConfig(`point "${p.key}" has address ${p.address}; expected 0…65535`, {
        key: p.key,
      })
    const t = typeOf(p)
    if (!(t in WORDS)) throw ModbusErrors.badConfig(`point "${p.key}" has type "${t}"`, { key: p.key })
    if (isBitTable(p.table) && t !== 'bool')
      throw ModbusErrors.badConfig(`point "${p.key}" is a ${p.table}: its type must be bool`, { key: p.key })
    if (!isBitTable(p.table) && t === 'bool')
      throw ModbusErrors.badConfig(`point "${p.key}" is a register: use a numeric type`, { key: p.key })
  }
}

/**
 * Coalesces points into read requests: per table, sorted by address, a request grows while the next point
 * starts within maxGap of its end and the whole span stays within the per-request limit.
 */
export function planReads(points: readonly ModbusPointConfig[], options: PlanOptions = {}): ReadRequest[] {
  const maxRegs = Math.min(options.maxRegisters ?? MAX_REGISTERS_PER_READ, MAX_REGISTERS_PER_READ)
  const maxBits = Math.min(options.maxBits ?? MAX_BITS_PER_READ, MAX_BITS_PER_READ)
  const maxGap = options.maxGap ?? 0
  const out: ReadRequest[] = []
  for (const table of ['coil', 'discrete', 'holding', 'input'] as const) {
    const limit = isBitTable(table) ? maxBits : maxRegs
    const sorted = points.filter((p) => p.table === table).sort((a, b) => a.address - b.address)
    let start = -1
    let end = -1 // exclusive
    let members: ModbusPointConfig[] = []
    const flush = (): void => {
      if (members.length > 0)
        out.push({
          table,
          functionCode: READ_FUNCTION[table],
          address: start,
          quantity: end - start,
          points: members,
        })
      members = []
    }
    for (const p of sorted) {
      const pEnd = p.address + widthOf(p)
      if (members.length > 0 && p.address <= end + maxGap && Math.max(end, pEnd) - start <= limit) {
        end = Math.max(end, pEnd)
        members.push(p)
        continue
      }
      flush()
      start = p.address
      end = pEnd
      members = [p]
    }
    flush()
  }
  return out
}

/** Decodes one point from the words (or bits) a request returned; `base` is the request's start address. */
export function decodePoint(
  p: ModbusPointConfig,
  base: number,
  data: { readonly words?: Uint16Array; readonly bits?: readonly boolean[] },
): number | boolean {
  const i = p.address - base
  if (isBitTable(p.table)) {
    const b = data.bits?.[i]
    if (b === undefined) throw ModbusErrors.badResponse(`bit ${p.address} missing from the response`)
    return b
  }
  const t = typeOf(p)
  const n = WORDS[t]
  const words = data.words
  if (words === undefined || i + n > words.length)
    throw ModbusErrors.badResponse(`register ${p.address} missing from the response`)
  const raw = rawValue(words.subarray(i, i + n), t, p.byteOrder ?? 'big', p.wordOrder ?? 'big')
  const scale = p.scale ?? 1
  const offset = p.offset ?? 0
  return scale === 1 && offset === 0 ? raw : raw * scale + offset
}

/** Puts the words into canonical big-endian byte order and reads the value. */
export function rawValue(
  words: Uint16Array,
  t: ModbusValueType,
  byteOrder: ByteOrder,
  wordOrder: WordOrder,
): number {
  const n = words.length
  const buf = Buffer.alloc(n * 2)
  for (let k = 0; k < n; k++) {
    const w = words[wordOrder === 'big' ? k : n - 1 - k] ?? 0
    const hi = w >> 8
    const lo = w & 0xff
    buf[2 * k] = byteOrder === 'big' ? hi : lo
    buf[2 * k + 1] = byteOrder === 'big' ? lo : hi
  }
  switch (t) {
    case 'int16':
      return buf.readInt16BE(0)
    case 'uint16':
    case 'bool':
      return buf.readUInt16BE(0)
    case 'int32':
      return buf.readInt32BE(0)
    case 'uint32':
      return buf.readUInt32BE(0)
    case 'float32':
      return buf.readFloatBE(0)
    case 'float64':
      return buf.readDoubleBE(0)
  }
}

/** The inverse of rawValue: the registers holding a value (used by the simulator and by tests). */
export function encodeWords(
  value: number,
  t: Exclude<ModbusValueType, 'bool'>,
  byteOrder: ByteOrder = 'big',
  wordOrder: WordOrder = 'big',
): number[] {
  const n = WORDS[t]
  const buf = Buffer.alloc(n * 2)
  switch (t) {
    case 'int16':
      buf.writeInt16BE(value)
      break
    case 'uint16':
      buf.writeUInt16BE(value)
      break
    case 'int32':
      buf.writeInt32BE(value)
      break
    case 'uint32':
      buf.writeUInt32BE(value)
      break
    case 'float32':
      buf.writeFloatBE(value)
      break
    case 'float64':
      buf.writeDoubleBE(value)
      break
  }
  const words: number[] = []
  for (let k = 0; k < n; k++) {
    const hi = buf[2 * k] ?? 0
    const lo = buf[2 * k + 1] ?? 0
    words.push(byteOrder === 'big' ? (hi << 8) | lo : (lo << 8) | hi)
  }
  return wordOrder === 'big' ? words : words.reverse()
}
