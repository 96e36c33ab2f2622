import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import {
  type PointId,
  QUALITY_BY_CODE,
  QUALITY_CODE,
  RongheError,
  type Sample,
  type TenantId,
  type TenantSample,
} from '../../core/index.ts'
import {
  bucketsSql,
  COPY_SQL,
  createPartitionSql,
  floorTo,
  HOUR,
  latestSql,
  listPartitionsSql,
  mergeStagingSql,
  partitionIndexOf,
  partitionName,
  rebuildHourSql,
  STAGING_SQL,
  schemaSql,
  statsSql,
} from './postgres-series-sql.ts'
import { createPostgresPool } from '../postgres-pool.ts'
import { SeriesErrorCodes, SeriesErrors, translateEngineError } from './series-errors.ts'
import type {
  BucketQuery,
  BucketRow,
  BucketRows,
  RangeQuery,
  SeriesPoints,
  SeriesStats,
  SeriesStore,
} from './series-store.ts'
import {
  type Row,
  validateBucketQuery,
  validatePoint,
  validateSample,
  validateSpan,
  validateTenant,
} from './series-validation.ts'

/**
 * The scale-out series store on PostgreSQL (15+; runs unchanged on a Citus coordinator).
 *
 * Layout (see postgres-series-sql.ts for the DDL):
 * - `samples` is range-partitioned on ts (epoch ms, bigint) by native declarative partitioning, one
 *   partition per `partitionMs` (default one day). A write creates the partitions its rows need and
 *   the next ones ahead, in its own short transaction under an advisory lock, so nodes racing to
 *   create the same partition wait for each other instead of failing, and the write transactions
 *   never take the parent's exclusive lock. Retention drops whole partitions where it can.
 * - The key is (tenant_id, point_id, ts): per-point range reads are one b-tree range scan in each
 *   partition the window touches; the BRIN on ts serves scans across tenants.
 * - `samples_hourly` summarises each (tenant, point, hour) and is maintained in the transaction that
 *   writes the samples. buckets() reads it for whole hours when bucketMs is a multiple of an hour,
 *   stats() for whole hours of any window, latest() to find a point's newest ts.
 *
 * Writes: one transaction per batch — COPY into a per-connection temp table, then one statement
 * moves the rows into `samples` with ON CONFLICT DO NOTHING (first write wins) and adds exactly the
 * inserted rows to the rollup. Durable when COMMIT returns (synchronous_commit on, the default).
 *
 * Writers and deleters coordinate with transaction-scoped advisory locks: a writer holds a shared
 * lock per tenant in its batch (writers never block each other), a deletion of one tenant holds that
 * tenant's lock exclusively, so rebuilding a rollup hour never races a write into it. Platform-wide
 * deletion takes a platform lock exclusively that every writer holds shared.
 */

export interface PostgresSeriesStoreConfig {
  /** postgres://user:password@host:5432/database */
  readonly url: string
  /** schema that holds the tables (created if missing); default `ronghe_series` */
  readonly schema?: string
  /** partition width in ms, a multiple of one hour; default one day. Fixed when the schema is created. */
  readonly partitionMs?: number
  /** partitions created beyond the newest one written (default 1) */
  readonly partitionsAhead?: number
  /** connections in the pool (default 8) */
  readonly maxConnections?: number
}

/** The PostgreSQL series store: the port plus platform-level retention by whole partitions. */
export interface PostgresSeriesStore extends SeriesStore {
  /**
   * Deletes every tenant's samples older than `before`: partitions entirely older are dropped, the
   * rest deleted row by row. Returns rows deleted. For a platform-wide retention ceiling.
   */
  deleteBeforeForPlatform(before: number): Promise<number>
  /** Partition indexes (floor(ts / partitionMs)) that exist, ascending. */
  partitionsForPlatform(): Promise<readonly number[]>
}

const MAX_BATCH = 100_000
const MAX_RANGE = 100_000
const DAY = 86_400_000
const SCHEMA_VERSION = '1'
/** advisory lock class ids (the first key of the two-key form): one per purpose */
const LOCK_DDL = 0x52_4f_4e_01
const LOCK_PLATFORM = 0x52_4f_4e_02
const LOCK_TENANT = 0x52_4f_4e_03
/** SQLSTATEs that mean "try the batch again" */
const RETRYABLE = new Set(['40P01', '40001'])
const NO_PARTITION = '23514'

export async function createPostgresSeriesStore(
  config: PostgresSeriesStoreConfig,
): Promise<PostgresSeriesStore> {
  if (typeof config.url !== 'string' || config.url === '') {
    throw SeriesErrors.invalidQuery('config.url must be a postgres:// URL')
  }
  const schema = config.schema ?? 'ronghe_series'
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw SeriesErrors.invalidQuery('config.schema must be a lower-case SQL identifier', { schema })
  }
  const wantedWidth = config.partitionMs ?? DAY
  if (!Number.isSafeInteger(wantedWidth) || wantedWidth < HOUR || wantedWidth % HOUR !== 0) {
    throw SeriesErrors.invalidQuery('config.partitionMs must be a positive multiple of one hour')
  }
  const ahead = config.partitionsAhead ?? 1
  if (!Number.isSafeInteger(ahead) || ahead < 0) {
    throw SeriesErrors.invalidQuery('config.partitionsAhead must be a non-negative integer')
  }

  // epoch ms and counts are int8, parsed as numbers (every one stored is a safe integer)
  const pool = createPostgresPool(config.url, config.maxConnections ?? 8)

  const s = schema
  let width = wantedWidth
  const partitions = new Set<number>()
  try {
    width = await withClient(pool, async (c) => {
      await c.query('BEGIN')
      try {
        await c.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_DDL])
        for (const stmt of schemaSql(s)) await c.query(stmt)
        await c.query(
          `INSERT INTO ${s}.series_settings (key, value) VALUES ('version', $1), ('partition_ms', $2)
           ON CONFLICT (key) DO NOTHING`,
          [SCHEMA_VERSION, String(wantedWidth)],
        )
        const r = await c.query<{ key: string; value: string }>(`SELECT key, value FROM ${s}.series_settings`)
        await c.query('COMMIT')
        const settings = new Map(r.rows.map((x) => [x.key, x.value]))
        if (Number(settings.get('version')) > Number(SCHEMA_VERSION)) {
          throw new Error(
            `series schema ${settings.get('version')} is newer than this code (${SCHEMA_VERSION})`,
          )
        }
        // The width is fixed at creation: existing partitions' bounds depend on it.
        return Number(settings.get('partition_ms') ?? wantedWidth)
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined)
        throw err
      }
    })
    await loadPartitions()
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw translateEngineError(err, 'open')
  }

  async function loadPartitions(): Promise<void> {
    const r = await pool.query<{ name: string }>(listPartitionsSql(s))
    partitions.clear()
    for (const { name } of r.rows) {
      const i = partitionIndexOf(name)
      if (i !== null) partitions.add(i)
    }
  }

  /** Creates the partitions `needed` (plus `ahead` beyond the newest) that are not known to exist. */
  async function ensurePartitions(needed: Set<number>): Promise<void> {
    let top = Number.NEGATIVE_INFINITY
    for (const i of needed) top = Math.max(top, i)
    for (let k = 1; k <= ahead; k++) needed.add(top + k)
    const missing = [...needed].filter((i) => !partitions.has(i)).sort((a, b) => a - b)
    if (missing.length === 0) return
    await withClient(pool, async (c) => {
      await c.query('BEGIN')
      try {
        await c.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_DDL])
        for (const i of missing) await c.query(createPartitionSql(s, i, width))
        await c.query('COMMIT')
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined)
        throw err
      }
    })
    for (const i of missing) partitions.add(i)
  }

  /** Clients that already have the staging table (it lives as long as the session). */
  const staged = new WeakSet<pg.PoolClient>()

  async function writeBatch(rows: Row[]): Promise<void> {
    if (rows.length === 0) return
    if (rows.length > MAX_BATCH) throw SeriesErrors.batchTooLarge(rows.length, MAX_BATCH)
    for (let i = 0; i < rows.length; i++) validateSample(rows[i]!, i)
    const needed = new Set<number>()
    const tenants = new Set<string>()
    for (const r of rows) {
      needed.add(Math.floor(r.sample.ts / width))
      tenants.add(r.tenant)
    }
    const chunks = copyChunks(rows)
    for (let attempt = 1; ; attempt++) {
      try {
        await ensurePartitions(new Set(needed))
        await withClient(pool, async (c) => {
          if (!staged.has(c)) {
            await c.query(STAGING_SQL)
            staged.add(c)
          }
          await c.query('BEGIN')
          try {
            await lockShared(c, [...tenants])
            await pipeline(Readable.from(chunks), c.query(copyFrom(COPY_SQL)))
            await c.query(mergeStagingSql(s))
            await c.query('COMMIT')
          } catch (err) {
            await c.query('ROLLBACK').catch(() => undefined)
            throw err
          }
        })
        return
      } catch (err) {
        const code = (err as { code?: string }).code ?? ''
        if (attempt >= 4 || !(RETRYABLE.has(code) || code === NO_PARTITION)) throw err
        // Another node dropped a partition we thought existed (retention): learn what is there now.
        if (code === NO_PARTITION) await loadPartitions()
      }
    }
  }

  let closed = false
  const inflight = new Set<Promise<unknown>>()
  function run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(SeriesErrors.closed())
    const p = (async (): Promise<T> => {
      try {
        return await fn()
      } catch (err) {
        throw translatePgError(err, operation)
      }
    })()
    const settled = p.then(
      () => undefined,
      () => undefined,
    )
    inflight.add(settled)
    void settled.then(() => inflight.delete(settled))
    return p
  }

  /** Runs `fn` in a transaction holding the tenant's (or the platform's) deletion lock. */
  function exclusive<T>(tenant: string | null, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return withClient(pool, async (c) => {
      await c.query('BEGIN')
      try {
        if (tenant === null) await c.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_PLATFORM])
        else {
          await c.query('SELECT pg_advisory_xact_lock_shared($1, 0)', [LOCK_PLATFORM])
          await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_TENANT, tenant])
        }
        const out = await fn(c)
        await c.query('COMMIT')
        return out
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined)
        throw err
      }
    })
  }

  /** Partitions wholly before `before`, and whether each may be dropped for `tenant` (null: all). */
  async function dropWholePartitions(
    c: pg.PoolClient,
    tenant: string | null,
    before: number,
  ): Promise<number> {
    await loadPartitionsWith(c)
    let deleted = 0
    const old = [...partitions].filter((i) => (i + 1) * width <= before).sort((a, b) => a - b)
    for (const i of old) {
      const name = `${s}.${partitionName(i)}`
      if (tenant !== null) {
        // Only a partition that holds nobody else's rows may go; both probes are b-tree seeks.
        const other = await c.query(
          `SELECT (EXISTS (SELECT 1 FROM ${name} WHERE tenant_id < $1)
                OR EXISTS (SELECT 1 FROM ${name} WHERE tenant_id > $1)) AS other`,
          [tenant],
        )
        if (other.rows[0]?.other === true) continue
      }
      const n = await c.query<{ n: number }>(`SELECT count(*) AS n FROM ${name}`)
      deleted += n.rows[0]?.n ?? 0
      await c.query(`DROP TABLE ${name}`)
      partitions.delete(i)
    }
    return deleted
  }

  async function loadPartitionsWith(c: pg.PoolClient): Promise<void> {
    const r = await c.query<{ name: string }>(listPartitionsSql(s))
    partitions.clear()
    for (const { name } of r.rows) {
      const i = partitionIndexOf(name)
      if (i !== null) partitions.add(i)
    }
  }

  /** Deletes samples older than `before` (one tenant or all) and brings the rollup along. */
  async function deleteOlder(c: pg.PoolClient, tenant: string | null, before: number): Promise<number> {
    const filter = tenant === null ? '' : 'tenant_id = $1 AND'
    const params = tenant === null ? [] : [tenant]
    let deleted = await dropWholePartitions(c, tenant, before)
    const r = await c.query(`DELETE FROM ${s}.samples WHERE ${filter} ts < ${before}`, params)
    deleted += r.rowCount ?? 0
    await c.query(`DELETE FROM ${s}.samples_hourly WHERE ${filter} hour < ${floorTo(before, HOUR)}`, params)
    const cut = floorTo(before, HOUR)
    if (cut < before) {
      // The cut went through this hour: summarise again what is left of it.
      await c.query(`DELETE FROM ${s}.samples_hourly WHERE ${filter} hour = ${cut}`, params)
      await c.query(rebuildHourSql(s, cut, filter), params)
    }
    return deleted
  }

  const store: PostgresSeriesStore = {
    capabilities: { engine: 'postgres', compression: false, maxBatch: MAX_BATCH, maxRange: MAX_RANGE },

    append(tenant: TenantId, samples: readonly Sample[]): Promise<void> {
      return run('append', async () => {
        validateTenant(tenant)
        if (!Array.isArray(samples)) throw SeriesErrors.invalidSample('samples must be an array')
        await writeBatch(samples.map((sample) => ({ tenant: tenant as string, sample })))
      })
    },

    appendForPlatform(input: readonly TenantSample[]): Promise<void> {
      return run('append', async () => {
        if (!Array.isArray(input)) throw SeriesErrors.invalidSample('rows must be an array')
        const rows = input.map((sample, i) => {
          if (sample === null || typeof sample !== 'object') {
            throw SeriesErrors.invalidSample(`sample ${i} is not an object`, { index: i })
          }
          validateTenant(sample.tenant, i)
          return { tenant: sample.tenant as string, sample }
        })
        await writeBatch(rows)
      })
    },

    range(tenant: TenantId, q: RangeQuery): Promise<SeriesPoints> {
      return run('range', async () => {
        validateTenant(tenant)
        validatePoint(q.point)
        validateSpan(q.from, q.to)
        const limit = q.limit ?? MAX_RANGE
        if (!Number.isSafeInteger(limit) || limit < 1) {
          throw SeriesErrors.invalidQuery('limit must be a positive integer', { limit })
        }
        const order = q.order ?? 'asc'
        if (order !== 'asc' && order !== 'desc') throw SeriesErrors.invalidQuery('order must be asc or desc')
        if (q.from >= q.to) return { point: q.point, samples: [], truncated: false }
        const take = Math.min(limit, MAX_RANGE)
        const r = await pool.query<DbSample>(
          `SELECT ts, value, text, quality FROM ${s}.samples
           WHERE tenant_id = $1 AND point_id = $2 AND ts >= ${q.from} AND ts < ${q.to}
           ORDER BY ts ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT ${take + 1}`,
          [tenant, q.point],
        )
        const n = Math.min(r.rows.length, take)
        const samples: Sample[] = new Array(n)
        for (let i = 0; i < n; i++) samples[i] = toSample(q.point, r.rows[i]!)
        return { point: q.point, samples, truncated: r.rows.length > take }
      })
    },

    buckets(tenant: TenantId, q: BucketQuery): Promise<BucketRows> {
      return run('buckets', async () => {
        validateTenant(tenant)
        const bucketMs = validateBucketQuery(q, MAX_RANGE)
        const order = new Map<string, number>()
        for (const p of q.points) if (!order.has(p)) order.set(p, order.size)
        if (order.size === 0 || q.from >= q.to) return { bucketMs, rows: [] }
        const r = await pool.query<DbBucket>(bucketsSql(s, q.from, q.to, bucketMs, bucketMs % HOUR === 0), [
          tenant,
          [...order.keys()],
        ])
        const rows = r.rows.map(
          (x): BucketRow => ({
            point: x.point_id as PointId,
            ts: x.bucket,
            count: x.count,
            min: x.min,
            max: x.max,
            avg: x.count > 0 && x.sum !== null ? x.sum / x.count : null,
            sum: x.sum,
            first: x.first,
            last: x.last,
          }),
        )
        rows.sort((a, b) => order.get(a.point)! - order.get(b.point)! || a.ts - b.ts)
        return { bucketMs, rows }
      })
    },

    latest(tenant: TenantId, points: readonly PointId[]): Promise<ReadonlyMap<PointId, Sample>> {
      return run('latest', async () => {
        validateTenant(tenant)
        if (!Array.isArray(points)) throw SeriesErrors.invalidQuery('points must be an array')
        for (const p of points) validatePoint(p)
        const result = new Map<PointId, Sample>()
        const unique = [...new Set(points)]
        if (unique.length === 0) return result
        const r = await pool.query<DbSample & { point_id: string }>(latestSql(s), [tenant, unique])
        const byPoint = new Map(r.rows.map((x) => [x.point_id, x]))
        // in the order asked for
        for (const p of unique) {
          const x = byPoint.get(p)
          if (x !== undefined) result.set(p, toSample(p, x))
        }
        return result
      })
    },

    stats(tenant: TenantId, q: { readonly from: number; readonly to: number }): Promise<SeriesStats> {
      return run('stats', async () => {
        validateTenant(tenant)
        validateSpan(q.from, q.to)
        if (q.from >= q.to) return { samples: 0, points: 0, firstTs: null, lastTs: null }
        const r = await pool.query<{
          samples: number
          points: number
          first_ts: number | null
          last_ts: number | null
        }>(statsSql(s, q.from, q.to), [tenant])
        const x = r.rows[0]!
        return { samples: x.samples, points: x.points, firstTs: x.first_ts, lastTs: x.last_ts }
      })
    },

    deleteBefore(tenant: TenantId, before: number): Promise<number> {
      return run('deleteBefore', async () => {
        validateTenant(tenant)
        if (!Number.isSafeInteger(before))
          throw SeriesErrors.invalidQuery('before must be an integer epoch ms')
        return exclusive(tenant, (c) => deleteOlder(c, tenant, before))
      })
    },

    deleteBeforeForPlatform(before: number): Promise<number> {
      return run('deleteBefore', async () => {
        if (!Number.isSafeInteger(before))
          throw SeriesErrors.invalidQuery('before must be an integer epoch ms')
        return exclusive(null, (c) => deleteOlder(c, null, before))
      })
    },

    deletePoint(tenant: TenantId, point: PointId): Promise<number> {
      return run('deletePoint', async () => {
        validateTenant(tenant)
        validatePoint(point)
        return exclusive(tenant, async (c) => {
          const r = await c.query(`DELETE FROM ${s}.samples WHERE tenant_id = $1 AND point_id = $2`, [
            tenant,
            point,
          ])
          await c.query(`DELETE FROM ${s}.samples_hourly WHERE tenant_id = $1 AND point_id = $2`, [
            tenant,
            point,
          ])
          return r.rowCount ?? 0
        })
      })
    },

    partitionsForPlatform(): Promise<readonly number[]> {
      return run('partitions', async () => {
        await loadPartitions()
        return [...partitions].sort((a, b) => a - b)
      })
    },

    sizeOnDiskForPlatform(): Promise<number> {
      return run('size', async () => {
        // Every table of the schema with its indexes and TOAST; the partitioned parent itself is empty.
        const r = await pool.query<{ bytes: number }>(
          `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::float8 AS bytes
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relkind = 'r'`,
          [s],
        )
        return r.rows[0]?.bytes ?? 0
      })
    },

    async close(): Promise<void> {
      if (closed) return
      closed = true
      await Promise.all([...inflight])
      await pool.end()
    },
  }
  return store
}

interface DbSample {
  ts: number
  value: number | null
  text: string | null
  quality: number
}

interface DbBucket {
  point_id: string
  bucket: number
  count: number
  min: number | null
  max: number | null
  sum: number | null
  first: number | null
  last: number | null
}

async function withClient<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect()
  let broken: Error | undefined
  try {
    return await fn(c)
  } catch (err) {
    // A connection whose COPY or transaction failed mid-way is not reused.
    if (!(err instanceof RongheError)) broken = err as Error
    throw err
  } finally {
    c.release(broken)
  }
}

/** Takes the platform lock and each tenant's lock shared, in one order (no deadlock with deleters). */
async function lockShared(c: pg.PoolClient, tenants: string[]): Promise<void> {
  await c.query(
    `SELECT count(pg_advisory_xact_lock_shared(k1, k2)) FROM (
       SELECT k1, k2 FROM (
         SELECT $1::int AS k1, 0 AS k2, 0 AS o
         UNION ALL SELECT DISTINCT $2::int, hashtext(t), 1 FROM unnest($3::text[]) t) l
       ORDER BY o, k2) x`,
    [LOCK_PLATFORM, LOCK_TENANT, tenants],
  )
}

/** COPY text format: tab-separated, \N for NULL, backslash escapes. */
function copyText(v: string): string {
  return v.replace(/[\\\t\n\r]/g, (m) =>
    m === '\\' ? '\\\\' : m === '\t' ? '\\t' : m === '\n' ? '\\n' : '\\r',
  )
}

function copyChunks(rows: Row[]): string[] {
  const chunks: string[] = []
  let buf = ''
  for (let i = 0; i < rows.length; i++) {
    const { tenant, sample } = rows[i]!
    const value = sample.value === null || sample.value === undefined ? '\\N' : String(sample.value)
    const text = sample.text === null || sample.text === undefined ? '\\N' : copyText(sample.text)
    buf += `${copyText(tenant)}\t${copyText(sample.point)}\t${sample.ts}\t${value}\t${text}\t${QUALITY_CODE[sample.quality]}\t${i}\n`
    if (buf.length >= 65_536) {
      chunks.push(buf)
      buf = ''
    }
  }
  if (buf.length > 0) chunks.push(buf)
  return chunks
}

function toSample(point: PointId, x: DbSample): Sample {
  const quality = QUALITY_BY_CODE[x.quality] ?? 'bad'
  return x.text === null
    ? { point, ts: x.ts, value: x.value, quality }
    : { point, ts: x.ts, value: x.value, text: x.text, quality }
}

function translatePgError(err: unknown, operation: string): RongheError {
  if (err instanceof RongheError) return err
  const code = (err as { code?: string }).code
  if (code === '53100') {
    return new RongheError(SeriesErrorCodes.storageFull, 'the PostgreSQL server ran out of disk space', {
      status: 503,
      details: { operation },
      cause: err,
    })
  }
  return translateEngineError(err, operation)
}
