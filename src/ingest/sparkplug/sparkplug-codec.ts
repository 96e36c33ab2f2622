import sparkplug from 'sparkplug-payload'
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js'
import type { DataType, PointKind, Quality } from '../../core/index.ts'

const spB = sparkplug.get('spBv1.0')
if (!spB) throw new Error('sparkplug-payload lacks the spBv1.0 codec')
const codec = spB

export interface DecodedMetric {
  readonly name: string | null
  readonly alias: number | null
  readonly type: string | null
  readonly timestamp: number | null
  readonly value: number | boolean | string | null
  readonly quality: Quality
  readonly unit: string | null
}

export interface DecodedPayload {
  readonly timestamp: number | null
  readonly seq: number | null
  readonly metrics: readonly DecodedMetric[]
}

/** protobufjs gives 64-bit fields as Long objects; every one we use fits a double. */
function toNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'number') return v
  if (typeof v === 'object' && v !== null && 'low' in v && 'high' in v) {
    const l = v as { low: number; high: number; unsigned: boolean }
    return l.unsigned ? (l.high >>> 0) * 4294967296 + (l.low >>> 0) : l.high * 4294967296 + (l.low >>> 0)
  }
  if (typeof v === 'bigint') return Number(v)
  return null
}

/**
 * OPC DA quality in a `Quality` property (Ignition's convention): 192 good, 64–191 uncertain, below 64
 * bad; Sparkplug's 500 STALE is uncertain (the value was good once but is no longer current).
 */
function qualityOf(m: UMetric): Quality {
  if (m.isNull) return 'bad'
  const q = m.properties?.Quality ?? m.properties?.quality
  if (!q) return 'good'
  const code = toNumber(q.value)
  if (code === null) return 'good'
  if (code === 500) return 'uncertain'
  if (code >= 192) return 'good'
  if (code >= 64) return 'uncertain'
  return 'bad'
}

function unitOf(m: UMetric): string | null {
  const u = m.properties?.engUnit ?? m.properties?.EngUnit ?? m.properties?.engUnits ?? m.properties?.unit
  return u && typeof u.value === 'string' ? u.value : null
}

function metricValue(m: UMetric): number | boolean | string | null {
  if (m.isNull) return null
  const v = m.value
  if (v === null || v === undefined) return null
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v
  const n = toNumber(v)
  if (n !== null) return n
  // DataSet, Template, Bytes, File: not a time-series value
  return null
}

/** Decodes a Sparkplug B payload; throws with the protobuf reason on malformed input. */
export function decodeSparkplug(payload: Uint8Array): DecodedPayload {
  const p: UPayload = codec.decodePayload(payload)
  return {
    timestamp: toNumber(p.timestamp),
    seq: toNumber(p.seq),
    metrics: (p.metrics ?? []).map((m) => ({
      name: m.name ?? null,
      alias: toNumber(m.alias),
      type: (m.type as string | undefined) ?? null,
      timestamp: toNumber(m.timestamp),
      value: metricValue(m),
      quality: qualityOf(m),
      unit: unitOf(m),
    })),
  }
}

export function encodeSparkplug(p: UPayload): Uint8Array {
  return codec.encodePayload(p)
}

/** Sparkplug datatype → how Ronghe stores the point. */
export function pointTypeOf(type: string | null): { dataType: DataType; kind: PointKind } | null {
  switch (type) {
    case 'Int8':
    case 'Int16':
      return { dataType: 'int16', kind: 'analog' }
    case 'Int32':
      return { dataType: 'int32', kind: 'analog' }
    case 'Int64':
    case 'DateTime':
      return { dataType: 'int64', kind: 'analog' }
    case 'UInt8':
    case 'UInt16':
      return { dataType: 'uint16', kind: 'analog' }
    case 'UInt32':
    case 'UInt64':
      return { dataType: 'uint32', kind: 'analog' }
    case 'Float':
      return { dataType: 'float32', kind: 'analog' }
    case 'Double':
      return { dataType: 'float64', kind: 'analog' }
    case 'Boolean':
      return { dataType: 'bool', kind: 'state' }
    case 'String':
    case 'Text':
    case 'UUID':
      return { dataType: 'string', kind: 'text' }
    default:
      return null
  }
}
