import type { Quality } from '../core/index.ts'
import { IngestErrors } from './ingest-errors.ts'
import type { RawValue } from './ingest-sink.ts'

const QUALITIES = new Set<Quality>(['good', 'uncertain', 'bad'])

/**
 * Ronghe's plain JSON format, the same over MQTT (`ronghe/{tenant}/{device}/data`) and HTTP:
 *  - `{"temp": 21.5, "state": "running"}`                   values at the time of arrival
 *  - `{"ts": 1732500000000, "values": {"temp": 21.5}}`      values at one time
 *  - `[{"key": "temp", "ts": 1732500000000, "value": 21.5, "quality": "good"}, …]`, or the same
 *    array under `"samples"`                               values at their own times
 * Throws INGEST_MALFORMED_PAYLOAD when the document has none of these shapes.
 */
export function parseJsonValues(payload: Buffer | string, now: number): RawValue[] {
  let doc: unknown
  try {
    doc = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'))
  } catch (err) {
    throw IngestErrors.malformedPayload(`not JSON (${(err as Error).message})`)
  }
  return valuesOf(doc, now)
}

export function valuesOf(doc: unknown, now: number): RawValue[] {
  if (Array.isArray(doc)) return doc.map((item, i) => itemOf(item, i, now))
  if (doc === null || typeof doc !== 'object')
    throw IngestErrors.malformedPayload('expected a JSON object or array')
  const o = doc as Record<string, unknown>
  if (Array.isArray(o.samples)) return o.samples.map((item, i) => itemOf(item, i, now))
  if (o.values !== undefined) {
    if (o.values === null || typeof o.values !== 'object' || Array.isArray(o.values)) {
      throw IngestErrors.malformedPayload('"values" must be an object of key → value')
    }
    const ts = tsOf(o.ts, now)
    return Object.entries(o.values as Record<string, unknown>).map(([key, value]) => ({
      key,
      ts,
      value: scalar(value, key),
    }))
  }
  return Object.entries(o).map(([key, value]) => ({ key, ts: now, value: scalar(value, key) }))
}

function tsOf(ts: unknown, now: number): number {
  if (ts === undefined || ts === null) return now
  if (typeof ts === 'number') return ts
  if (typeof ts === 'string') {
    const t = Date.parse(ts)
    if (Number.isFinite(t)) return t
  }
  return Number.NaN // rejected per item by the pipeline with INGEST_BAD_TIMESTAMP
}

function scalar(v: unknown, key: string): RawValue['value'] {
  if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v
  throw IngestErrors.malformedPayload(
    `"${key}" must be a number, boolean, text or null, not ${Array.isArray(v) ? 'an array' : typeof v}`,
  )
}

function itemOf(item: unknown, i: number, now: number): RawValue {
  if (item === null || typeof item !== 'object')
    throw IngestErrors.malformedPayload(`sample ${i} is not an object`)
  const o = item as Record<string, unknown>
  if (typeof o.key !== 'string' || o.key.length === 0)
    throw IngestErrors.malformedPayload(`sample ${i} has no "key"`)
  const quality = o.quality === undefined ? undefined : String(o.quality)
  if (quality !== undefined && !QUALITIES.has(quality as Quality)) {
    throw IngestErrors.malformedPayload(
      `sample ${i} has quality "${quality}"; expected good, uncertain or bad`,
    )
  }
  return {
    key: o.key,
    ts: tsOf(o.ts, now),
    value: scalar(o.value, o.key),
    quality: quality as Quality | undefined,
  }
}
