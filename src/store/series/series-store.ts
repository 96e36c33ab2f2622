import type { PointId, Sample, TenantId, TenantSample } from '../../core/index.ts'

/** Aggregates a bucket query can return. Every bucket row carries all of them. */
export type Aggregate = 'min' | 'max' | 'avg' | 'sum' | 'count' | 'first' | 'last'

export interface RangeQuery {
  readonly point: PointId
  /** inclusive, epoch ms */
  readonly from: number
  /** exclusive, epoch ms */
  readonly to: number
  /** at most this many samples (default and ceiling: capabilities.maxRange) */
  readonly limit?: number
  readonly order?: 'asc' | 'desc'
}

export interface SeriesPoints {
  readonly point: PointId
  readonly samples: readonly Sample[]
  /** true when `limit` cut the answer short */
  readonly truncated: boolean
}

export interface BucketQuery {
  readonly points: readonly PointId[]
  readonly from: number
  readonly to: number
  /** bucket width in ms; if absent it is chosen from `targetPoints` */
  readonly bucketMs?: number
  /** wanted number of buckets across [from, to) when `bucketMs` is absent (default 500) */
  readonly targetPoints?: number
}

export interface BucketRow {
  readonly point: PointId
  /** bucket start, epoch ms, aligned to multiples of bucketMs since the epoch */
  readonly ts: number
  readonly count: number
  readonly min: number | null
  readonly max: number | null
  readonly avg: number | null
  readonly sum: number | null
  readonly first: number | null
  readonly last: number | null
}

export interface BucketRows {
  readonly bucketMs: number
  readonly rows: readonly BucketRow[]
}

export interface SeriesStats {
  readonly samples: number
  readonly points: number
  readonly firstTs: number | null
  readonly lastTs: number | null
}

/**
 * The time-series store. Every method takes the tenant; a method without one is platform-level and
 * named `…ForPlatform`. Writes of the same (tenant, point, ts) are idempotent: the first value wins
 * or the last wins, but there is only ever one row.
 */
export interface SeriesStore {
  readonly capabilities: {
    readonly engine: string
    readonly compression: boolean
    readonly maxBatch: number
    readonly maxRange: number
  }
  /** Durable when it resolves. */
  append(tenant: TenantId, samples: readonly Sample[]): Promise<void>
  /** Many tenants in one batch (the ingest pipeline's group commit). Durable when it resolves. */
  appendForPlatform(rows: readonly TenantSample[]): Promise<void>
  range(tenant: TenantId, q: RangeQuery): Promise<SeriesPoints>
  buckets(tenant: TenantId, q: BucketQuery): Promise<BucketRows>
  latest(tenant: TenantId, points: readonly PointId[]): Promise<ReadonlyMap<PointId, Sample>>
  stats(tenant: TenantId, q: { readonly from: number; readonly to: number }): Promise<SeriesStats>
  /** Delete one tenant's samples older than `before`. Returns rows deleted. */
  deleteBefore(tenant: TenantId, before: number): Promise<number>
  /** Delete every sample of a point (the point was removed). */
  deletePoint(tenant: TenantId, point: PointId): Promise<number>
  /** Bytes on disk of the store, after a checkpoint. */
  sizeOnDiskForPlatform(): Promise<number>
  close(): Promise<void>
}

/** Picks a bucket width from a target number of buckets, rounded up to a "nice" width. */
export function chooseBucketMs(from: number, to: number, targetPoints = 500): number {
  const span = Math.max(1, to - from)
  const raw = span / Math.max(1, targetPoints)
  for (const w of NICE_BUCKETS) if (w >= raw) return w
  return Math.ceil(raw / 86_400_000) * 86_400_000
}

const NICE_BUCKETS = [
  1, 10, 100, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
  1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
] as const
