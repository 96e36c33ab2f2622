/**
 * SQL text of the PostgreSQL series store, kept apart from the control flow so the schema can be read
 * in one place. `s` is the (validated) schema identifier; numbers inlined into SQL are validated safe
 * integers (inlined so the planner prunes partitions at plan time instead of at run time).
 */

export const HOUR = 3_600_000

/** floor(x / w) * w for integers, also below zero (PostgreSQL's % truncates toward zero). */
export function floorTo(x: number, w: number): number {
  return x - (((x % w) + w) % w)
}

/** The same in SQL, for a bigint expression. */
export function sqlFloor(expr: string, w: number): string {
  return `(${expr} - (((${expr} % ${w}) + ${w}) % ${w}))`
}

export function partitionName(index: number): string {
  return index < 0 ? `samples_pm${-index}` : `samples_p${index}`
}

export function partitionIndexOf(name: string): number | null {
  const m = /^samples_p(m?)(\d+)$/.exec(name)
  if (m === null) return null
  const n = Number(m[2])
  return m[1] === 'm' ? -n : n
}

/**
 * Column order is for the heap, not the key: the 8-byte columns first, then the 2-byte quality, then
 * the variable-length strings, so no padding is wasted between them. The key is
 * (tenant_id, point_id, ts): the tenant leads every key so the tables can be distributed by tenant
 * with Citus, and the primary key makes a repeated write of one sample a no-op.
 */
export function schemaSql(s: string): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.series_settings (
       key text PRIMARY KEY,
       value text NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${s}.samples (
       ts bigint NOT NULL,
       value double precision,
       quality smallint NOT NULL,
       tenant_id text NOT NULL,
       point_id text NOT NULL,
       text text,
       PRIMARY KEY (tenant_id, point_id, ts)
     ) PARTITION BY RANGE (ts)`,
    // Rows arrive roughly in time order, so a BRIN on ts is a few pages that let platform-wide time
    // scans (retention, stats across tenants) skip most of a partition; per-point reads use the key.
    `CREATE INDEX IF NOT EXISTS samples_ts_brin ON ${s}.samples USING brin (ts) WITH (pages_per_range = 32)`,
    // One row per (tenant, point, hour) that holds at least one sample: `n` counts every sample,
    // `count` the numeric ones; first/last are the numeric values at first_ts/last_ts; min_ts/max_ts
    // span every sample. Maintained in the same transaction as the samples it summarises.
    `CREATE TABLE IF NOT EXISTS ${s}.samples_hourly (
       hour bigint NOT NULL,
       min_ts bigint NOT NULL,
       max_ts bigint NOT NULL,
       first_ts bigint,
       last_ts bigint,
       min double precision,
       max double precision,
       sum double precision,
       first double precision,
       last double precision,
       n integer NOT NULL,
       count integer NOT NULL,
       tenant_id text NOT NULL,
       point_id text NOT NULL,
       PRIMARY KEY (tenant_id, point_id, hour))`,
  ]
}

export function createPartitionSql(s: string, index: number, width: number): string {
  return `CREATE TABLE IF NOT EXISTS ${s}.${partitionName(index)} PARTITION OF ${s}.samples
          FOR VALUES FROM (${index * width}) TO (${(index + 1) * width})`
}

export function listPartitionsSql(s: string): string {
  return `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = '${s}.samples'::regclass`
}

/** The per-connection staging table that COPY fills; `ord` keeps arrival order for "first wins". */
export const STAGING_SQL = `CREATE TEMP TABLE IF NOT EXISTS ronghe_series_staging (
  tenant_id text NOT NULL,
  point_id text NOT NULL,
  ts bigint NOT NULL,
  value double precision,
  text text,
  quality smallint NOT NULL,
  ord integer NOT NULL
) ON COMMIT DELETE ROWS`

export const COPY_SQL =
  'COPY pg_temp.ronghe_series_staging (tenant_id, point_id, ts, value, text, quality, ord) FROM STDIN'

/** Partial aggregates of raw samples, one row per (point, floor(ts, width)). */
function rawPartials(from: string, where: string, width: number): string {
  return `SELECT point_id, ${sqlFloor('ts', width)} AS t,
            count(*) AS n, min(ts) AS min_ts, max(ts) AS max_ts, count(value) AS c,
            min(value) AS mn, max(value) AS mx, sum(value) AS sm,
            min(ts) FILTER (WHERE value IS NOT NULL) AS fts,
            (array_agg(value ORDER BY ts) FILTER (WHERE value IS NOT NULL))[1] AS f,
            max(ts) FILTER (WHERE value IS NOT NULL) AS lts,
            (array_agg(value ORDER BY ts DESC) FILTER (WHERE value IS NOT NULL))[1] AS l
          FROM ${from} WHERE ${where} GROUP BY 1, 2`
}

/**
 * Moves freshly staged rows into the samples (first write wins: within the batch by `ord`, against
 * stored rows by ON CONFLICT DO NOTHING) and adds exactly the rows that went in to the hourly rollup.
 * Rows are inserted in key order so concurrent writers of overlapping batches wait on each other in
 * one order and cannot deadlock.
 */
export function mergeStagingSql(s: string): string {
  return `WITH src AS (
      SELECT DISTINCT ON (tenant_id, point_id, ts) ts, value, quality, tenant_id, point_id, text
      FROM pg_temp.ronghe_series_staging
      ORDER BY tenant_id, point_id, ts, ord
    ), ins AS (
      INSERT INTO ${s}.samples (ts, value, quality, tenant_id, point_id, text)
      SELECT ts, value, quality, tenant_id, point_id, text FROM src
      ON CONFLICT DO NOTHING
      RETURNING tenant_id, point_id, ts, value
    ), agg AS (
      SELECT tenant_id, ${sqlFloor('ts', HOUR)} AS hour, point_id,
        count(*) AS n, min(ts) AS min_ts, max(ts) AS max_ts, count(value) AS c,
        min(value) AS mn, max(value) AS mx, sum(value) AS sm,
        min(ts) FILTER (WHERE value IS NOT NULL) AS fts,
        (array_agg(value ORDER BY ts) FILTER (WHERE value IS NOT NULL))[1] AS f,
        max(ts) FILTER (WHERE value IS NOT NULL) AS lts,
        (array_agg(value ORDER BY ts DESC) FILTER (WHERE value IS NOT NULL))[1] AS l
      FROM ins GROUP BY tenant_id, point_id, hour
    )
    INSERT INTO ${s}.samples_hourly AS r
      (tenant_id, point_id, hour, n, min_ts, max_ts, count, min, max, sum, first_ts, first, last_ts, last)
    SELECT tenant_id, point_id, hour, n, min_ts, max_ts, c, mn, mx, sm, fts, f, lts, l
    FROM agg ORDER BY tenant_id, point_id, hour
    ON CONFLICT (tenant_id, point_id, hour) DO UPDATE SET
      n = r.n + excluded.n,
      min_ts = least(r.min_ts, excluded.min_ts),
      max_ts = greatest(r.max_ts, excluded.max_ts),
      count = r.count + excluded.count,
      min = least(r.min, excluded.min),
      max = greatest(r.max, excluded.max),
      sum = CASE WHEN r.sum IS NULL THEN excluded.sum WHEN excluded.sum IS NULL THEN r.sum
                 ELSE r.sum + excluded.sum END,
      first_ts = CASE WHEN excluded.first_ts < r.first_ts OR r.first_ts IS NULL THEN excluded.first_ts
                      ELSE r.first_ts END,
      first = CASE WHEN excluded.first_ts < r.first_ts OR r.first_ts IS NULL THEN excluded.first
                   ELSE r.first END,
      last_ts = CASE WHEN excluded.last_ts > r.last_ts OR r.last_ts IS NULL THEN excluded.last_ts
                     ELSE r.last_ts END,
      last = CASE WHEN excluded.last_ts > r.last_ts OR r.last_ts IS NULL THEN excluded.last
                  ELSE r.last END`
}

/** Rebuilds the rollup rows of one hour from the samples (after a deletion cut through that hour). */
export function rebuildHourSql(s: string, hour: number, tenantFilter: string): string {
  return `INSERT INTO ${s}.samples_hourly
      (tenant_id, point_id, hour, n, min_ts, max_ts, count, min, max, sum, first_ts, first, last_ts, last)
    SELECT tenant_id, point_id, ${hour}, count(*), min(ts), max(ts), count(value), min(value), max(value),
      sum(value), min(ts) FILTER (WHERE value IS NOT NULL),
      (array_agg(value ORDER BY ts) FILTER (WHERE value IS NOT NULL))[1],
      max(ts) FILTER (WHERE value IS NOT NULL),
      (array_agg(value ORDER BY ts DESC) FILTER (WHERE value IS NOT NULL))[1]
    FROM ${s}.samples
    WHERE ${tenantFilter} ts >= ${hour} AND ts < ${hour + HOUR}
    GROUP BY tenant_id, point_id`
}

/** How a window splits into raw edges and whole hours the rollup answers. */
export interface WindowSplit {
  /** [from, to) pieces read from raw samples */
  readonly raw: readonly (readonly [number, number])[]
  /** whole hours [from, to) read from the rollup, or null */
  readonly hours: readonly [number, number] | null
}

export function splitWindow(from: number, to: number): WindowSplit {
  const firstHour = floorTo(from, HOUR) === from ? from : floorTo(from, HOUR) + HOUR
  const lastHour = floorTo(to, HOUR)
  if (firstHour >= lastHour) return { raw: [[from, to]], hours: null }
  const raw: [number, number][] = []
  if (from < firstHour) raw.push([from, firstHour])
  if (lastHour < to) raw.push([lastHour, to])
  return { raw, hours: [firstHour, lastHour] }
}

function rangeFilter(pieces: readonly (readonly [number, number])[], col: string): string {
  return `(${pieces.map(([a, b]) => `(${col} >= ${a} AND ${col} < ${b})`).join(' OR ')})`
}

/**
 * Bucket aggregates. With `useRollup`, whole hours come from the hourly rollup and only the partial
 * hours at the window's edges from raw samples; the partial aggregates are then merged per bucket.
 * $1 = tenant, $2 = point ids (text[]).
 */
export function bucketsSql(
  s: string,
  from: number,
  to: number,
  bucketMs: number,
  useRollup: boolean,
): string {
  const split: WindowSplit = useRollup ? splitWindow(from, to) : { raw: [[from, to]], hours: null }
  const width = useRollup ? HOUR : bucketMs
  const parts: string[] = []
  if (split.raw.length > 0) {
    parts.push(
      rawPartials(
        `${s}.samples`,
        `tenant_id = $1 AND point_id = ANY($2::text[]) AND ${rangeFilter(split.raw, 'ts')}`,
        width,
      ),
    )
  }
  if (split.hours !== null) {
    parts.push(`SELECT point_id, hour AS t, n, min_ts, max_ts, count AS c, min AS mn, max AS mx, sum AS sm,
        first_ts AS fts, first AS f, last_ts AS lts, last AS l
      FROM ${s}.samples_hourly
      WHERE tenant_id = $1 AND point_id = ANY($2::text[]) AND hour >= ${split.hours[0]} AND hour < ${split.hours[1]}`)
  }
  return `SELECT point_id, ${sqlFloor('t', bucketMs)} AS bucket, sum(c)::float8 AS count,
      min(mn) AS min, max(mx) AS max, sum(sm) AS sum,
      (array_agg(f ORDER BY fts) FILTER (WHERE f IS NOT NULL))[1] AS first,
      (array_agg(l ORDER BY lts DESC) FILTER (WHERE l IS NOT NULL))[1] AS last
    FROM (${parts.join(' UNION ALL ')}) p
    GROUP BY 1, 2`
}

/** Samples, points, first and last ts of one tenant in [from, to). $1 = tenant. */
export function statsSql(s: string, from: number, to: number): string {
  const split = splitWindow(from, to)
  const parts: string[] = []
  if (split.raw.length > 0) {
    parts.push(`SELECT point_id, count(*) AS n, min(ts) AS lo, max(ts) AS hi FROM ${s}.samples
      WHERE tenant_id = $1 AND ${rangeFilter(split.raw, 'ts')} GROUP BY point_id`)
  }
  if (split.hours !== null) {
    parts.push(`SELECT point_id, sum(n) AS n, min(min_ts) AS lo, max(max_ts) AS hi FROM ${s}.samples_hourly
      WHERE tenant_id = $1 AND hour >= ${split.hours[0]} AND hour < ${split.hours[1]} GROUP BY point_id`)
  }
  return `SELECT coalesce(sum(n), 0)::float8 AS samples, count(DISTINCT point_id)::float8 AS points,
      min(lo) AS first_ts, max(hi) AS last_ts FROM (${parts.join(' UNION ALL ')}) p`
}

/**
 * The newest sample of each asked point: the rollup's newest hour of the point says at which ts it
 * is (max_ts), so this reads one rollup row and one sample per point instead of the point's history.
 * $1 = tenant, $2 = point ids.
 */
export function latestSql(s: string): string {
  return `SELECT p.point_id, x.ts, x.value, x.text, x.quality
    FROM unnest($2::text[]) AS p(point_id)
    CROSS JOIN LATERAL (
      SELECT h.max_ts FROM ${s}.samples_hourly h
      WHERE h.tenant_id = $1 AND h.point_id = p.point_id ORDER BY h.hour DESC LIMIT 1) r
    JOIN ${s}.samples x ON x.tenant_id = $1 AND x.point_id = p.point_id AND x.ts = r.max_ts`
}
