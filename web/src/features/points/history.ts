import type { ApiClient } from '../../api/client.ts'

/** Below this many samples in the visible window the chart shows raw values instead of buckets. */
export const RAW_LIMIT = 3000
/** Buckets asked for across the visible window: about one per two pixels of a wide chart. */
export const TARGET_BUCKETS = 800

export type HistoryData =
  | { mode: 'raw'; from: number; to: number; count: number; values: [number, number | null][] }
  | {
      mode: 'bucketed'
      from: number
      to: number
      count: number
      bucketMs: number
      avg: [number, number | null][]
      min: [number, number | null][]
      max: [number, number | null][]
    }

/**
 * The history of one point over [from, to): the server buckets it (so a year of 1 Hz data is one
 * small answer); when the window holds few enough samples, the raw samples are fetched instead.
 */
export async function loadHistory(
  api: ApiClient,
  point: string,
  from: number,
  to: number,
): Promise<HistoryData> {
  const b = await api.buckets(point, { from, to, targetPoints: TARGET_BUCKETS })
  const count = b.rows.reduce((n, r) => n + r.count, 0)
  if (count <= RAW_LIMIT) {
    const r = await api.series(point, { from, to, limit: RAW_LIMIT + 1 })
    if (!r.truncated && r.samples.length <= RAW_LIMIT)
      return { mode: 'raw', from, to, count: r.samples.length, values: r.samples.map((s) => [s.ts, s.value]) }
  }
  // the middle of the bucket is where its aggregate belongs on a time axis
  const half = b.bucketMs / 2
  return {
    mode: 'bucketed',
    from,
    to,
    count,
    bucketMs: b.bucketMs,
    avg: b.rows.map((r) => [r.ts + half, r.avg]),
    min: b.rows.map((r) => [r.ts + half, r.min]),
    max: b.rows.map((r) => [r.ts + half, r.max]),
  }
}
