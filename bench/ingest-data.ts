/**
 * What the ingest benchmark sends, shared by the load generator (child process) and the benchmark
 * (which rebuilds the same rows for the appender floor): deterministic values, so both sides agree
 * without shipping millions of rows between processes.
 */
import type { UMetric } from 'sparkplug-payload/lib/sparkplugbpayload.js'
import { encodeSparkplug } from '../src/ingest/sparkplug/sparkplug-codec.ts'

/** metrics per DDATA message (and per Sparkplug device) */
export const METRICS = 100
/** the Sparkplug device id under every edge node */
export const SPB_DEVICE = 'dev'

export function metricName(m: number): string {
  return `m${String(m).padStart(3, '0')}`
}

/** the Ronghe point key of metric m (a DBIRTH registers `{device}/{metric}`) */
export function metricKey(m: number): string {
  return `${SPB_DEVICE}/${metricName(m)}`
}

/** a process value with two decimals: each metric its own level, slow wave and small steps */
export function spValue(node: number, metric: number, k: number): number {
  const level = 20 + ((node * 7 + metric * 13) % 80)
  const wave = 5 * Math.sin((k + metric * 17) / 60)
  const step = ((k * 31 + metric * 7 + node) % 21) / 100 - 0.1
  return Math.round((level + wave + step) * 100) / 100
}

export function nbirthPayload(ts: number): Uint8Array {
  return encodeSparkplug({
    timestamp: ts,
    seq: 0,
    metrics: [
      { name: 'bdSeq', type: 'Int64', value: 0, timestamp: ts },
      { name: 'Node Control/Rebirth', type: 'Boolean', value: false, timestamp: ts },
    ],
  })
}

export function dbirthPayload(node: number, ts: number, seq: number): Uint8Array {
  const metrics: UMetric[] = []
  for (let m = 0; m < METRICS; m++) {
    metrics.push({
      name: metricName(m),
      alias: m + 1,
      type: 'Double',
      value: spValue(node, m, -1),
      timestamp: ts,
    })
  }
  return encodeSparkplug({ timestamp: ts, seq, metrics })
}

/**
 * A DDATA as edge nodes send it after their birth: every metric by alias (no name), with its
 * datatype and its own timestamp.
 */
export function ddataPayload(node: number, k: number, ts: number, seq: number): Uint8Array {
  const metrics = new Array<UMetric>(METRICS)
  for (let m = 0; m < METRICS; m++) {
    metrics[m] = { alias: m + 1, type: 'Double', value: spValue(node, m, k), timestamp: ts }
  }
  return encodeSparkplug({ timestamp: ts, seq, metrics })
}

export function jsonValue(device: number, k: number): number {
  return Math.round((40 + (device % 50) + Math.sin(k / 10) * 3) * 100) / 100
}

/** one point per message, at its own time: `{"ts":…,"values":{"v":…}}` */
export function jsonPayload(device: number, k: number, ts: number): Buffer {
  return Buffer.from(`{"ts":${ts},"values":{"v":${jsonValue(device, k)}}}`)
}
