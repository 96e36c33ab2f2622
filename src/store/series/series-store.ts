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
  /** Set-based rollups the engine computes itself; absent when callers must read ranges instead. */
  readonly rollups?: SeriesRollups
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

/**
 * Set-based rollups computed next to the data, so analytics over months of many series does not
 * ship every sample to the process. Buckets are regular: bucket start = originMs + k × bucketMs
 * (originMs defaults to 0), e.g. local production days with originMs = −8 h for Asia/Shanghai.
 * The semantics are those of the analytics module's pure reference functions, which a store without
 * native rollups falls back to (analytics `referenceRollups`).
 */
export interface SeriesRollups {
  /**
   * Time each text state held, per point and bucket, inside [from, to). Samples that are bad or
   * whose text is not in `states` are left out as if absent. A kept sample's state holds until the
   * next kept sample, at most `maxHoldMs` (then the time is uncovered); samples from
   * from − maxHoldMs on are read so the state holding into the window counts. A run is a sequence
   * of samples of one state each within maxHoldMs of the previous; it counts once, in the bucket of
   * its first moment inside [from, to). maxHoldMs must not exceed bucketMs.
   */
  stateDurations(tenant: TenantId, q: StateDurationQuery): Promise<StateDurations>
  /**
   * Increases of cumulative counters (good / scrap part counters): for consecutive good numeric
   * readings the increase is cur − prev, or cur after a drop (a reset counts from 0), attributed to
   * the later reading's bucket; only later readings in [from, to) count, earlier readings from
   * from − lookbackMs on serve as their predecessors.
   */
  counterIncreases(tenant: TenantId, q: CounterIncreaseQuery): Promise<readonly CounterIncreaseRow[]>
  /** Meter consumption (see MeterQuery) of the tenant's points. */
  meterConsumption(
    tenant: TenantId,
    q: MeterQuery & { readonly points: readonly PointId[] },
  ): Promise<MeterConsumption>
  /** The same for series of many tenants at once (regional rollups); the caller scopes the list. */
  meterConsumptionForPlatform(
    q: MeterQuery & { readonly series: readonly { readonly tenant: TenantId; readonly point: PointId }[] },
  ): Promise<MeterConsumption>
}

export interface RegularBuckets {
  readonly bucketMs: number
  /** a bucket boundary, epoch ms (default 0) */
  readonly originMs?: number
}

export interface StateDurationQuery extends RegularBuckets {
  readonly points: readonly PointId[]
  readonly from: number
  readonly to: number
  readonly maxHoldMs: number
  readonly states: readonly string[]
}

export interface StateDurationRow {
  readonly point: PointId
  /** bucket start, epoch ms */
  readonly bucket: number
  readonly state: string
  /** ms of the bucket ∩ [from, to) in this state */
  readonly durationMs: number
  /** runs of this state whose first moment inside [from, to) lies in this bucket */
  readonly runs: number
}

export interface StateDurations {
  readonly rows: readonly StateDurationRow[]
  /** per point: good samples read whose text is not one of `states` (left out) */
  readonly ignored: ReadonlyMap<PointId, number>
}

export interface CounterIncreaseQuery extends RegularBuckets {
  readonly points: readonly PointId[]
  readonly from: number
  readonly to: number
  readonly lookbackMs: number
}

export interface CounterIncreaseRow {
  readonly point: PointId
  readonly bucket: number
  /** sum of the positive increases attributed to this bucket */
  readonly increase: number
}

/**
 * Consumption from cumulative meter registers, by the rules of analytics `counterDeltas` with its
 * default gap (one interval) and reset (a drop to ≤ 1 % of the previous reading) rules: readings
 * from from − intervalMs to to + intervalMs are paired; a pair further apart than intervalMs, or
 * across an unexplained drop, is a gap whose consumption is not spread; a pair within it is split
 * over the intervals it spans in proportion to time. Buckets group whole intervals: intervalMs
 * divides bucketMs, and from, to and originMs lie on interval boundaries.
 */
export interface MeterQuery extends RegularBuckets {
  readonly from: number
  readonly to: number
  /** default 15 minutes */
  readonly intervalMs?: number
  /** register modulus for rollovers; none when absent */
  readonly rolloverMax?: number
}

export interface MeterBucketRow {
  readonly tenant: TenantId
  readonly point: PointId
  readonly bucket: number
  /** known consumption in the bucket (gap-free pairs only) */
  readonly consumption: number
  /** intervals of the bucket fully covered by gap-free pairs */
  readonly completeIntervals: number
  /** intervals of the bucket with some coverage (complete or partial) */
  readonly coveredIntervals: number
}

export interface MeterRegister {
  readonly tenant: TenantId
  readonly point: PointId
  /**
   * consumption over [from, to) including the known deltas of long gaps (the register difference),
   * each pair apportioned by time: the independent figure that the sum of the daily values is
   * checked against (only unexplained drops stay unknown)
   */
  readonly registerDelta: number
}

export interface MeterConsumption {
  /** buckets with at least one covered interval; a series without any has no rows */
  readonly rows: readonly MeterBucketRow[]
  /** one per series that has readings in the window */
  readonly registers: readonly MeterRegister[]
}
