import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import {
  BIGINT,
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBValue,
  LIST,
  listValue,
  UINTEGER,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api'
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
  catchUpCounterPieces,
  counterPieceBoundsFromHot,
  createCounterPieceSchema,
  derivePiecesAfterCompaction,
  trimCounterPieces,
} from './duckdb-counter-pieces.ts'
import { createDuckdbRollups } from './duckdb-series-rollups.ts'
import {
  catchUpMeterPieces,
  createMeterPieceSchema,
  deriveMeterPiecesAfterCompaction,
  markMeterSeries,
  meterPieceBoundsFromHot,
  trimMeterPieces,
} from './duckdb-meter-pieces.ts'
import {
  catchUpStateRuns,
  createStateRunSchema,
  deriveAfterCompaction,
  stateRunBoundsFromHot,
  trimStateRuns,
} from './duckdb-state-runs.ts'
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
 * Storage layout (why it looks like this):
 *
 * - `series` is a dictionary: one row per (tenant, point) with a small integer `sid`. Samples carry
 *   only the sid, so the tenant and point strings are stored once, and tenant isolation is exact:
 *   the same point id under two tenants is two sids.
 * - `samples_hot` receives appends in arrival order (no index: an ART index on a billion-row table
 *   is slow and memory-heavy). When it holds enough rows (`compactAtRows`) they are moved, sorted by sid,
 *   into `samples_cold`. Sorted runs are what DuckDB's lightweight compression needs: constant-delta
 *   timestamps, runs of one sid, one quality.
 * - A cold value that is exactly a decimal with at most 6 places (what instruments send: 23.47) is
 *   kept as a scaled integer `iv` with its scale `sc`, and `value` is NULL. Integers of one signal in
 *   time order get DuckDB's delta bit-packing, which only integers have: a 1 Hz analog with two
 *   decimals takes about half the bytes it took as ALP-compressed doubles. The round trip is exact:
 *   `iv / 10^sc` is the same correctly rounded division that the encoder checked against the value.
 *   A series' run shares one scale (jumps of scale between rows would defeat the packing); any other
 *   value (more places, huge magnitudes, -0) stays a double.
 * - Queries read the view `samples_all` (cold UNION ALL hot), which decodes `iv`.
 *
 * Idempotency is enforced on write, so the tables never hold two rows for one (sid, ts) and reads
 * need no dedupe. The writer keeps each series' newest stored ts (`hwm`). A sample newer than it
 * cannot exist yet and is appended directly (the common, fast path); a sample at or below it is
 * looked up first. The FIRST write of a (tenant, point, ts) wins; later ones are dropped, within a
 * batch and across batches. The invariant "a series has no rows, or its newest row is at hwm"
 * also lets `latest` read one row per point instead of scanning history.
 *
 * Durability: every batch is one transaction. DuckDB writes the commit to its WAL and fsyncs it
 * before COMMIT returns (seen with strace: one fsync of the .wal per commit), so a resolved append
 * survives kill -9 and power loss; the WAL is replayed on the next open.
 */

export interface DuckdbSeriesStoreConfig {
  /** database file; `:memory:` for a throw-away store */
  readonly path: string
  /** DuckDB memory_limit, e.g. '1GB' */
  readonly memoryLimit?: string
  /** DuckDB worker threads */
  readonly threads?: number
  /**
   * move hot rows into the sorted cold table when the hot table holds this many; default: 4,096 per
   * series, at least 1,000,000 and at most 16,000,000
   */
  readonly compactAtRows?: number
  /** background failures (a compaction that could not run); the next write retries it */
  readonly onError?: (err: Error) => void
}

const MAX_BATCH = 100_000
const MAX_RANGE = 100_000
const READER_POOL = 4
const SCHEMA_VERSION = 5

/**
 * Files open in this process. DuckDB's file lock is a POSIX lock, which stops other processes but
 * not a second instance in the same process — and two instances writing one file corrupt it.
 */
const openPaths = new Set<string>()

interface SeriesEntry {
  readonly sid: number
  readonly tenant: string
  readonly point: string
  /** newest stored ts of the series, null when it has no rows */
  hwm: number | null
}

/** Per-series state while one batch is classified. */
interface BatchSeries {
  readonly entry: SeriesEntry
  max: number
  readonly tsList: number[]
  seen: Set<number> | null
}

/** The DuckDB series store, with its platform-level maintenance of state runs. */
export interface DuckdbSeriesStore extends SeriesStore {
  /**
   * Derives the state runs (duckdb-state-runs.ts) of every text series whose samples go past its
   * runs: a file written by an older version, or filled with SQL. Compaction keeps runs current on
   * its own; this is the one-off catch-up. Runs in the writer queue (writes wait for it).
   */
  deriveStateRunsForPlatform(): Promise<{ readonly series: number; readonly runs: number }>
  /**
   * Derives the counter pieces (duckdb-counter-pieces.ts) of every series whose samples go past its
   * pieces, and of every integer-valued series without pieces; the one-off catch-up, like
   * deriveStateRunsForPlatform.
   */
  deriveCounterPiecesForPlatform(): Promise<{ readonly series: number; readonly pieces: number }>
  /**
   * Marks these series as meters and derives the meter pieces (duckdb-meter-pieces.ts) of every meter
   * series without them; a meter query marks and derives the series it asks for on its own, in the
   * background. Runs in the writer queue, a chunk of series per transaction.
   */
  deriveMeterPiecesForPlatform(
    series?: readonly { readonly tenant: string; readonly point: string }[],
  ): Promise<{ readonly series: number; readonly pieces: number }>
}

export async function createDuckdbSeriesStore(config: DuckdbSeriesStoreConfig): Promise<DuckdbSeriesStore> {
  if (typeof config.path !== 'string' || config.path === '') {
    throw SeriesErrors.invalidQuery('config.path must be a non-empty string')
  }
  const fixedCompactAt = config.compactAtRows
  if (fixedCompactAt !== undefined && (!Number.isSafeInteger(fixedCompactAt) || fixedCompactAt < 1)) {
    throw SeriesErrors.invalidQuery('config.compactAtRows must be a positive integer')
  }
  const options: Record<string, string> = {}
  if (config.memoryLimit !== undefined) options['memory_limit'] = config.memoryLimit
  if (config.threads !== undefined) options['threads'] = String(config.threads)

  const lockKey = config.path === ':memory:' ? null : resolve(config.path)
  if (lockKey !== null) {
    if (openPaths.has(lockKey)) {
      throw new RongheError(
        SeriesErrorCodes.locked,
        'the series store file is already open in this process',
        {
          status: 503,
          details: { path: config.path },
        },
      )
    }
    openPaths.add(lockKey)
  }
  const unlock = (): void => {
    if (lockKey !== null) openPaths.delete(lockKey)
  }

  let instance: DuckDBInstance
  let writer: DuckDBConnection
  try {
    instance = await DuckDBInstance.create(config.path, options)
  } catch (err) {
    unlock()
    throw translateEngineError(err, 'open')
  }
  try {
    writer = await instance.connect()
    await createSchema(writer)
  } catch (err) {
    instance.closeSync()
    unlock()
    throw translateEngineError(err, 'open')
  }

  const byTenant = new Map<string, Map<string, SeriesEntry>>()
  let nextSid = 1
  let hotRows = 0
  const knownMeters: number[] = []
  let seriesAppender: DuckDBAppender
  let hotAppender: DuckDBAppender
  try {
    const series = await writer.runAndReadAll(
      'SELECT sid, tenant, point, cold_max_ts::DOUBLE FROM series ORDER BY sid',
    )
    for (const [sid, tenant, point, coldMax] of series.getRows()) {
      const entry: SeriesEntry = {
        sid: sid as number,
        tenant: tenant as string,
        point: point as string,
        hwm: coldMax as number | null,
      }
      tenantMap(byTenant, entry.tenant).set(entry.point, entry)
      nextSid = Math.max(nextSid, entry.sid + 1)
    }
    const bySid = new Map<number, SeriesEntry>()
    for (const m of byTenant.values()) for (const e of m.values()) bySid.set(e.sid, e)
    const hot = await writer.runAndReadAll(
      'SELECT sid, max(ts)::DOUBLE, count(*)::DOUBLE FROM samples_hot GROUP BY sid',
    )
    for (const [sid, maxTs, n] of hot.getRows()) {
      const e = bySid.get(sid as number)
      if (e !== undefined) e.hwm = e.hwm === null ? (maxTs as number) : Math.max(e.hwm, maxTs as number)
      hotRows += n as number
    }
    for (const [sid] of (
      await writer.runAndReadAll('SELECT sid FROM meter_series WHERE since IS NOT NULL')
    ).getRows())
      knownMeters.push(sid as number)
    seriesAppender = await writer.createAppender('series')
    hotAppender = await writer.createAppender('samples_hot')
  } catch (err) {
    instance.closeSync()
    unlock()
    throw translateEngineError(err, 'open')
  }

  let closed = false
  let tail: Promise<unknown> = Promise.resolve()
  /** Every write (append, delete, compaction, checkpoint) runs through this queue, one at a time. */
  function enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = tail.then(job, job)
    tail = run.catch(() => undefined)
    return run
  }

  const idle: DuckDBConnection[] = []
  const inflight = new Set<Promise<unknown>>()
  /** Reads use their own connections so they run beside a write (DuckDB MVCC gives each a snapshot). */
  function read<T>(operation: string, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(SeriesErrors.closed())
    const run = (async (): Promise<T> => {
      let conn: DuckDBConnection | undefined
      try {
        conn = idle.pop() ?? (await instance.connect())
        return await fn(conn)
      } catch (err) {
        throw translateEngineError(err, operation)
      } finally {
        if (conn !== undefined) {
          if (!closed && idle.length < READER_POOL) idle.push(conn)
          else conn.closeSync()
        }
      }
    })()
    // close() waits for reads in flight before it closes the engine under them
    const settled = run.then(
      () => undefined,
      () => undefined,
    )
    inflight.add(settled)
    void settled.then(() => inflight.delete(settled))
    return run
  }

  function lookup(tenant: string, point: string): SeriesEntry | undefined {
    return byTenant.get(tenant)?.get(point)
  }

  async function writeBatch(rows: Row[]): Promise<void> {
    if (rows.length === 0) return
    if (rows.length > MAX_BATCH) throw SeriesErrors.batchTooLarge(rows.length, MAX_BATCH)
    for (let i = 0; i < rows.length; i++) validateSample(rows[i]!, i)

    // Resolve sids; new series are only published to the maps after the commit.
    const fresh = new Map<string, Map<string, SeriesEntry>>()
    const freshList: SeriesEntry[] = []
    const sidBefore = nextSid
    const state = new Map<SeriesEntry, BatchSeries>()
    const fast: number[] = []
    const suspect: number[] = []
    for (let i = 0; i < rows.length; i++) {
      const { tenant, sample } = rows[i]!
      let entry = lookup(tenant, sample.point) ?? fresh.get(tenant)?.get(sample.point)
      if (entry === undefined) {
        entry = { sid: nextSid++, tenant, point: sample.point, hwm: null }
        tenantMap(fresh, tenant).set(sample.point, entry)
        freshList.push(entry)
      }
      let st = state.get(entry)
      if (st === undefined) {
        st = { entry, max: Number.NEGATIVE_INFINITY, tsList: [], seen: null }
        state.set(entry, st)
      }
      const ts = sample.ts
      if (st.seen === null && ts > st.max) {
        st.max = ts
        st.tsList.push(ts)
      } else {
        // Out of order inside the batch: switch this series to a set to find in-batch duplicates.
        if (st.seen === null) st.seen = new Set(st.tsList)
        if (st.seen.has(ts)) continue // a duplicate within the batch: the first one wins
        st.seen.add(ts)
        if (ts > st.max) st.max = ts
      }
      if (entry.hwm !== null && ts <= entry.hwm) suspect.push(i)
      else fast.push(i)
    }

    let toWrite = fast
    try {
      await writer.run('BEGIN TRANSACTION')
      if (freshList.length > 0) {
        for (const e of freshList) {
          seriesAppender.appendUInteger(e.sid)
          seriesAppender.appendVarchar(e.tenant)
          seriesAppender.appendVarchar(e.point)
          seriesAppender.appendNull()
          seriesAppender.endRow()
        }
        seriesAppender.flushSync()
      }
      if (suspect.length > 0) {
        const existing = await existingKeys(rows, suspect)
        const keep = suspect.filter((i) => {
          const r = rows[i]!
          const sid = lookup(r.tenant, r.sample.point)!.sid
          return !existing.get(sid)?.has(r.sample.ts)
        })
        toWrite = fast.concat(keep)
      }
      appendRows(rows, toWrite, fresh)
      hotAppender.flushSync()
      await writer.run('COMMIT')
    } catch (err) {
      await rollback()
      nextSid = sidBefore
      throw translateEngineError(err, 'append')
    }
    for (const e of freshList) tenantMap(byTenant, e.tenant).set(e.point, e)
    seriesCount += freshList.length
    for (const st of state.values()) {
      if (st.entry.hwm === null || st.max > st.entry.hwm) st.entry.hwm = st.max
    }
    hotRows += toWrite.length
    if (hotRows >= compactThreshold()) {
      // Not awaited: the batch is durable now and its caller should not wait for the compaction.
      enqueue(compact).catch((err: unknown) => config.onError?.(translateEngineError(err, 'compact')))
    }
  }

  async function rollback(): Promise<void> {
    try {
      seriesAppender.clear()
      hotAppender.clear()
    } catch {
      // an appender that failed mid-flush may refuse clear(); the rollback below still discards its rows
    }
    try {
      await writer.run('ROLLBACK')
    } catch {
      // no transaction was open
    }
  }

  /** (sid, ts) keys among `idx` that are already stored. */
  async function existingKeys(rows: Row[], idx: number[]): Promise<Map<number, Set<number>>> {
    const sids: DuckDBValue[] = []
    const tss: DuckDBValue[] = []
    let lo = Number.POSITIVE_INFINITY
    let hi = Number.NEGATIVE_INFINITY
    for (const i of idx) {
      const r = rows[i]!
      sids.push(lookup(r.tenant, r.sample.point)!.sid)
      tss.push(BigInt(r.sample.ts))
      lo = Math.min(lo, r.sample.ts)
      hi = Math.max(hi, r.sample.ts)
    }
    const reader = await writer.runAndReadAll(
      `SELECT s.sid, s.ts::DOUBLE FROM samples_all s
       SEMI JOIN (SELECT unnest($1) AS sid, unnest($2) AS ts) k ON s.sid = k.sid AND s.ts = k.ts
       WHERE s.ts BETWEEN ${lo} AND ${hi}`,
      [listValue(sids), listValue(tss)],
      [LIST(UINTEGER), LIST(BIGINT)],
    )
    const out = new Map<number, Set<number>>()
    for (const [sid, ts] of reader.getRows()) {
      let set = out.get(sid as number)
      if (set === undefined) {
        set = new Set()
        out.set(sid as number, set)
      }
      set.add(ts as number)
    }
    return out
  }

  /** Fills 2,048-row data chunks (DuckDB's vector size) and hands them to the appender. */
  function appendRows(rows: Row[], idx: number[], fresh: Map<string, Map<string, SeriesEntry>>): void {
    const types = [UINTEGER, BIGINT, DOUBLE, VARCHAR, UTINYINT]
    for (let start = 0; start < idx.length; start += 2048) {
      const n = Math.min(2048, idx.length - start)
      const chunk = DuckDBDataChunk.create(types, n)
      const vSid = chunk.getColumnVector(0)
      const vTs = chunk.getColumnVector(1)
      const vValue = chunk.getColumnVector(2)
      const vText = chunk.getColumnVector(3)
      const vQuality = chunk.getColumnVector(4)
      for (let j = 0; j < n; j++) {
        const { tenant, sample } = rows[idx[start + j]!]!
        const entry = lookup(tenant, sample.point) ?? fresh.get(tenant)!.get(sample.point)!
        vSid.setItem(j, entry.sid)
        vTs.setItem(j, BigInt(sample.ts))
        vValue.setItem(j, sample.value ?? null)
        vText.setItem(j, sample.text ?? null)
        vQuality.setItem(j, QUALITY_CODE[sample.quality])
      }
      vSid.flush()
      vTs.flush()
      vValue.flush()
      vText.flush()
      vQuality.flush()
      hotAppender.appendDataChunk(chunk)
    }
  }

  let seriesCount = 0
  for (const m of byTenant.values()) seriesCount += m.size
  /**
   * Each compaction writes one sorted run per series, and every run boundary costs DuckDB a
   * bit-packing group of wide timestamp deltas (about 3 KB). Runs of a few thousand rows per series
   * keep that near 1 bit per sample, so the hot table may grow with the number of series, within
   * bounds that keep the compaction sort short (a write waits for it).
   */
  function compactThreshold(): number {
    return fixedCompactAt ?? Math.min(16_000_000, Math.max(1_000_000, seriesCount * 4096))
  }

  /**
   * Moves the hot rows into the cold table, sorted, and records each series' newest cold ts.
   * Odd sids are written newest first: the step from one series' run to the next is then small
   * (both ends sit at the same end of the time window) instead of a jump across the whole window,
   * which halves what those boundary groups cost. Every query orders explicitly, so the physical
   * order is free to choose; zone maps (min/max per row group) do not care either.
   */
  async function compact(): Promise<void> {
    if (hotRows === 0) return
    try {
      await writer.run('BEGIN TRANSACTION')
      // the state runs to derive again, taken while the rows are still hot
      const runBounds = await stateRunBoundsFromHot(writer)
      const pieceBounds = await counterPieceBoundsFromHot(writer)
      const meterBounds = await meterPieceBoundsFromHot(writer)
      // One scale per series in this run (the largest any of its values needs), so that its integers
      // stay comparable from row to row; a value that is not exact at that scale stays a double.
      await writer.run(
        `INSERT INTO samples_cold (sid, ts, value, text, quality, iv, sc)
         SELECT sid, ts, CASE WHEN NOT ok THEN value END, text, quality,
                CASE WHEN ok THEN r::BIGINT END, CASE WHEN ok THEN sc END
         FROM (SELECT *, coalesce(abs(value) < 1e9 AND r / ${POW10_OF_SC} = value
                                  AND NOT (value = 0 AND value::VARCHAR LIKE '-%'), false) AS ok
               FROM (SELECT h.*, s.sc, round(h.value * ${POW10_OF_SC}) AS r
                     FROM samples_hot h
                     JOIN (SELECT sid, max(${DECIMAL_SCALE_OF_VALUE}) AS sc FROM samples_hot GROUP BY sid) s
                       USING (sid)))
         ORDER BY sid, CASE WHEN sid % 2 = 0 THEN ts ELSE -ts END`,
      )
      await writer.run(
        `UPDATE series SET cold_max_ts = greatest(coalesce(series.cold_max_ts, h.m), h.m)
         FROM (SELECT sid, max(ts) AS m FROM samples_hot GROUP BY sid) h WHERE series.sid = h.sid`,
      )
      await writer.run('DELETE FROM samples_hot')
      await deriveAfterCompaction(writer, runBounds)
      await derivePiecesAfterCompaction(writer, pieceBounds)
      await deriveMeterPiecesAfterCompaction(writer, meterBounds)
      await writer.run('COMMIT')
      hotRows = 0
    } catch (err) {
      await rollback()
      throw err
    }
  }

  /** Series a meter query has asked for (their pieces are derived or on the way). */
  const meterSids = new Set<number>(knownMeters)

  /** In the writer queue: marks `sids` as meters and derives every meter series still without pieces. */
  async function deriveMeters(sids: readonly number[]): Promise<{ series: number; pieces: number }> {
    for (const sid of sids) meterSids.add(sid)
    try {
      await markMeterSeries(writer, sids)
      // a store that is closing stops between chunks; the rest is derived after the next open
      return await catchUpMeterPieces(
        writer,
        () => closed,
        async (fn) => {
          await writer.run('BEGIN TRANSACTION')
          try {
            const r = await fn()
            await writer.run('COMMIT')
            return r
          } catch (err) {
            await rollback()
            throw err
          }
        },
      )
    } catch (err) {
      throw translateEngineError(err, 'deriveMeterPieces')
    }
  }

  /** A meter query asked for these series: the new ones get pieces, in the background. */
  function trackMeters(sids: readonly number[]): void {
    const fresh = sids.filter((sid) => !meterSids.has(sid))
    if (fresh.length === 0 || closed) return
    for (const sid of fresh) meterSids.add(sid)
    void enqueue(() => deriveMeters(fresh)).catch((err: unknown) => {
      for (const sid of fresh) meterSids.delete(sid)
      config.onError?.(err instanceof Error ? err : new Error(String(err)))
    })
  }

  function guardOpen(): void {
    if (closed) throw SeriesErrors.closed()
  }

  const store: DuckdbSeriesStore = {
    capabilities: { engine: 'duckdb', compression: true, maxBatch: MAX_BATCH, maxRange: MAX_RANGE },

    rollups: createDuckdbRollups({
      lookup: (tenant, point) => lookup(tenant, point)?.sid,
      read,
      trackMeters,
    }),

    append(tenant: TenantId, samples: readonly Sample[]): Promise<void> {
      return guarded(async () => {
        validateTenant(tenant)
        if (!Array.isArray(samples)) throw SeriesErrors.invalidSample('samples must be an array')
        const rows = samples.map((sample) => ({ tenant: tenant as string, sample }))
        await enqueue(() => writeBatch(rows))
      })
    },

    appendForPlatform(input: readonly TenantSample[]): Promise<void> {
      return guarded(async () => {
        if (!Array.isArray(input)) throw SeriesErrors.invalidSample('rows must be an array')
        const rows = input.map((sample, i) => {
          if (sample === null || typeof sample !== 'object') {
            throw SeriesErrors.invalidSample(`sample ${i} is not an object`, { index: i })
          }
          validateTenant(sample.tenant, i)
          return { tenant: sample.tenant as string, sample }
        })
        await enqueue(() => writeBatch(rows))
      })
    },

    range(tenant: TenantId, q: RangeQuery): Promise<SeriesPoints> {
      return guarded(async () => {
        validateTenant(tenant)
        validatePoint(q.point)
        validateSpan(q.from, q.to)
        const limit = q.limit ?? MAX_RANGE
        if (!Number.isSafeInteger(limit) || limit < 1) {
          throw SeriesErrors.invalidQuery('limit must be a positive integer', { limit })
        }
        const order = q.order ?? 'asc'
        if (order !== 'asc' && order !== 'desc') throw SeriesErrors.invalidQuery('order must be asc or desc')
        const take = Math.min(limit, MAX_RANGE)
        const entry = lookup(tenant, q.point)
        if (entry === undefined || q.from >= q.to) return { point: q.point, samples: [], truncated: false }
        const cols = await read('range', async (c) => {
          const r = await c.runAndReadAll(
            `SELECT ts::DOUBLE, value, text, quality FROM samples_all
             WHERE sid = ${entry.sid} AND ts >= ${q.from} AND ts < ${q.to}
             ORDER BY ts ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT ${take + 1}`,
          )
          return r.getColumns()
        })
        // A result without rows has no chunks, and then no columns either.
        const [ts = [], value = [], text = [], quality = []] = cols as [
          number[]?,
          (number | null)[]?,
          (string | null)[]?,
          number[]?,
        ]
        const n = Math.min(ts.length, take)
        const samples: Sample[] = new Array(n)
        for (let i = 0; i < n; i++) samples[i] = toSample(q.point, ts[i]!, value[i]!, text[i]!, quality[i]!)
        return { point: q.point, samples, truncated: ts.length > take }
      })
    },

    buckets(tenant: TenantId, q: BucketQuery): Promise<BucketRows> {
      return guarded(async () => {
        validateTenant(tenant)
        const bucketMs = validateBucketQuery(q, MAX_RANGE)
        const order = new Map<number, { point: PointId; index: number }>()
        for (const p of q.points) {
          const e = lookup(tenant, p)
          if (e !== undefined && !order.has(e.sid)) order.set(e.sid, { point: p, index: order.size })
        }
        if (order.size === 0 || q.from >= q.to) return { bucketMs, rows: [] }
        const B = bucketMs
        const cols = await read('buckets', async (c) => {
          // Bucket start = floor(ts / B) * B, written so it also floors negative ts (before 1970).
          const r = await c.runAndReadAll(
            `SELECT sid, (ts - (((ts % ${B}) + ${B}) % ${B}))::DOUBLE AS bucket,
               count(value)::DOUBLE, min(value), max(value), avg(value), sum(value),
               arg_min(value, ts), arg_max(value, ts)
             FROM samples_all
             WHERE sid IN (${[...order.keys()].join(',')}) AND ts >= ${q.from} AND ts < ${q.to}
             GROUP BY sid, bucket ORDER BY sid, bucket`,
          )
          // Columns, not row arrays: an answer can hold hundreds of thousands of buckets.
          return r.getColumns()
        })
        const [
          sidC = [],
          tsC = [],
          countC = [],
          minC = [],
          maxC = [],
          avgC = [],
          sumC = [],
          firstC = [],
          lastC = [],
        ] = cols as (number | null)[][]
        // SQL sorted by (sid, bucket); regroup per point in the order the query listed them.
        const perPoint: BucketRow[][] = Array.from({ length: order.size }, () => [])
        for (let i = 0; i < sidC.length; i++) {
          const o = order.get(sidC[i] as number)!
          perPoint[o.index]!.push({
            point: o.point,
            ts: tsC[i] as number,
            count: countC[i] as number,
            min: minC[i] ?? null,
            max: maxC[i] ?? null,
            avg: avgC[i] ?? null,
            sum: sumC[i] ?? null,
            first: firstC[i] ?? null,
            last: lastC[i] ?? null,
          })
        }
        return { bucketMs, rows: perPoint.flat() }
      })
    },

    latest(tenant: TenantId, points: readonly PointId[]): Promise<ReadonlyMap<PointId, Sample>> {
      return guarded(async () => {
        validateTenant(tenant)
        if (!Array.isArray(points)) throw SeriesErrors.invalidQuery('points must be an array')
        for (const p of points) validatePoint(p)
        const want = new Map<number, { point: PointId; ts: number }>()
        for (const p of points) {
          const e = lookup(tenant, p)
          if (e !== undefined && e.hwm !== null) want.set(e.sid, { point: p, ts: e.hwm })
        }
        const result = new Map<PointId, Sample>()
        if (want.size === 0) return result
        const sids: DuckDBValue[] = []
        const tss: DuckDBValue[] = []
        let lo = Number.POSITIVE_INFINITY
        for (const [sid, w] of want) {
          sids.push(sid)
          tss.push(BigInt(w.ts))
          lo = Math.min(lo, w.ts)
        }
        // The newest row of a series is at its hwm (see the layout note), so this reads one row per
        // point instead of the series' whole history.
        const rows = await read('latest', async (c) => {
          const r = await c.runAndReadAll(
            `SELECT s.sid, s.ts::DOUBLE, s.value, s.text, s.quality FROM samples_all s
             SEMI JOIN (SELECT unnest($1) AS sid, unnest($2) AS ts) k ON s.sid = k.sid AND s.ts = k.ts
             WHERE s.sid IN (${[...want.keys()].join(',')}) AND s.ts >= ${lo}`,
            [listValue(sids), listValue(tss)],
            [LIST(UINTEGER), LIST(BIGINT)],
          )
          return r.getRows()
        })
        for (const [sid, ts, value, text, quality] of rows) {
          const w = want.get(sid as number)!
          result.set(
            w.point,
            toSample(w.point, ts as number, value as number | null, text as string | null, quality as number),
          )
        }
        return result
      })
    },

    stats(tenant: TenantId, q: { readonly from: number; readonly to: number }): Promise<SeriesStats> {
      return guarded(async () => {
        validateTenant(tenant)
        validateSpan(q.from, q.to)
        const empty: SeriesStats = { samples: 0, points: 0, firstTs: null, lastTs: null }
        if (!byTenant.has(tenant) || q.from >= q.to) return empty
        const row = await read('stats', async (c) => {
          const r = await c.runAndReadAll(
            `SELECT count(*)::DOUBLE, count(DISTINCT sid)::DOUBLE, min(ts)::DOUBLE, max(ts)::DOUBLE
             FROM samples_all
             WHERE sid IN (SELECT sid FROM series WHERE tenant = $1) AND ts >= ${q.from} AND ts < ${q.to}`,
            [tenant],
          )
          return r.getRows()[0]!
        })
        return {
          samples: row[0] as number,
          points: row[1] as number,
          firstTs: row[2] as number | null,
          lastTs: row[3] as number | null,
        }
      })
    },

    deleteBefore(tenant: TenantId, before: number): Promise<number> {
      return guarded(async () => {
        validateTenant(tenant)
        if (!Number.isSafeInteger(before))
          throw SeriesErrors.invalidQuery('before must be an integer epoch ms')
        const series = byTenant.get(tenant)
        if (series === undefined) return 0
        return enqueue(async () => {
          const emptied = [...series.values()].filter((e) => e.hwm !== null && e.hwm < before)
          let deleted = 0
          try {
            await writer.run('BEGIN TRANSACTION')
            for (const table of ['samples_hot', 'samples_cold']) {
              const r = await writer.run(
                `DELETE FROM ${table} WHERE sid IN (SELECT sid FROM series WHERE tenant = $1) AND ts < ${before}`,
                [tenant],
              )
              deleted += r.rowsChanged
              if (table === 'samples_hot') hotRows -= r.rowsChanged
            }
            const sids = [...series.values()].map((e) => e.sid)
            await trimStateRuns(writer, `sid IN (${sids.join(',')})`, before)
            await trimCounterPieces(writer, `sid IN (${sids.join(',')})`, before)
            await trimMeterPieces(writer, `sid IN (${sids.join(',')})`, before)
            // A series left without cold rows must not keep an old cold_max_ts, or a restart would
            // restore an hwm above every row it still has.
            await writer.run(
              `UPDATE series SET cold_max_ts = NULL WHERE tenant = $1 AND cold_max_ts < ${before}`,
              [tenant],
            )
            await writer.run('COMMIT')
          } catch (err) {
            await rollback()
            hotRows = await countHot()
            throw translateEngineError(err, 'deleteBefore')
          }
          for (const e of emptied) e.hwm = null
          return deleted
        })
      })
    },

    deletePoint(tenant: TenantId, point: PointId): Promise<number> {
      return guarded(async () => {
        validateTenant(tenant)
        validatePoint(point)
        return enqueue(async () => {
          const entry = lookup(tenant, point)
          if (entry === undefined) return 0
          let deleted = 0
          try {
            await writer.run('BEGIN TRANSACTION')
            for (const table of ['samples_hot', 'samples_cold']) {
              const r = await writer.run(`DELETE FROM ${table} WHERE sid = ${entry.sid}`)
              deleted += r.rowsChanged
              if (table === 'samples_hot') hotRows -= r.rowsChanged
            }
            await writer.run(`DELETE FROM state_runs WHERE sid = ${entry.sid}`)
            await writer.run(`DELETE FROM counter_pieces WHERE sid = ${entry.sid}`)
            await writer.run(`DELETE FROM meter_pieces WHERE sid = ${entry.sid}`)
            await writer.run(`DELETE FROM meter_series WHERE sid = ${entry.sid}`)
            meterSids.delete(entry.sid) // a meter query asking again marks it again
            await writer.run(`UPDATE series SET cold_max_ts = NULL WHERE sid = ${entry.sid}`)
            await writer.run('COMMIT')
          } catch (err) {
            await rollback()
            hotRows = await countHot()
            throw translateEngineError(err, 'deletePoint')
          }
          entry.hwm = null
          return deleted
        })
      })
    },

    deriveStateRunsForPlatform(): Promise<{ readonly series: number; readonly runs: number }> {
      return guarded(() =>
        enqueue(async () => {
          try {
            await writer.run('BEGIN TRANSACTION')
            const r = await catchUpStateRuns(writer)
            await writer.run('COMMIT')
            return r
          } catch (err) {
            await rollback()
            throw translateEngineError(err, 'deriveStateRuns')
          }
        }),
      )
    },

    deriveCounterPiecesForPlatform(): Promise<{ readonly series: number; readonly pieces: number }> {
      return guarded(() =>
        enqueue(async () => {
          try {
            await writer.run('BEGIN TRANSACTION')
            const r = await catchUpCounterPieces(writer)
            await writer.run('COMMIT')
            return r
          } catch (err) {
            await rollback()
            throw translateEngineError(err, 'deriveCounterPieces')
          }
        }),
      )
    },

    deriveMeterPiecesForPlatform(series) {
      return guarded(async () => {
        const sids: number[] = []
        for (const x of series ?? []) {
          const e = lookup(x.tenant, x.point)
          if (e !== undefined) sids.push(e.sid)
        }
        return enqueue(() => deriveMeters(sids))
      })
    },

    sizeOnDiskForPlatform(): Promise<number> {
      return guarded(() =>
        enqueue(async () => {
          try {
            await compact()
            await writer.run('CHECKPOINT')
          } catch (err) {
            throw translateEngineError(err, 'checkpoint')
          }
          if (config.path === ':memory:') return 0
          return fileSize(config.path) + fileSize(`${config.path}.wal`)
        }),
      )
    },

    async close(): Promise<void> {
      if (closed) return
      closed = true
      // a write's follow-up compaction may extend the queue while we wait, so wait until it is still
      for (let t = tail; ; t = tail) {
        await t
        if (t === tail) break
      }
      await Promise.all([...inflight])
      try {
        seriesAppender.closeSync()
        hotAppender.closeSync()
        for (const c of idle.splice(0)) c.closeSync()
        writer.closeSync()
        instance.closeSync()
      } catch (err) {
        throw translateEngineError(err, 'close')
      } finally {
        unlock()
      }
    },
  }

  async function countHot(): Promise<number> {
    try {
      const r = await writer.runAndReadAll('SELECT count(*)::DOUBLE FROM samples_hot')
      return r.getRows()[0]![0] as number
    } catch {
      return hotRows
    }
  }

  async function guarded<T>(fn: () => Promise<T>): Promise<T> {
    guardOpen()
    return fn()
  }

  return store
}

/** The smallest scale 0..6 at which a value is exactly a decimal (NULL: none, keep the double). */
const DECIMAL_SCALE_OF_VALUE = `CASE
  WHEN value IS NULL OR abs(value) >= 1e9 THEN NULL
  ${[0, 1, 2, 3, 4, 5, 6].map((k) => `WHEN round(value * 1e${k}) / 1e${k} = value THEN ${k}`).join('\n  ')}
  END::UTINYINT`
/** 10^sc as an exact double, for encoding and decoding */
const POW10_OF_SC = `CASE sc ${[0, 1, 2, 3, 4, 5, 6].map((k) => `WHEN ${k} THEN 1e${k}`).join(' ')} END`

async function createSchema(c: DuckDBConnection): Promise<void> {
  await c.run(`CREATE TABLE IF NOT EXISTS series_schema (version INTEGER NOT NULL)`)
  const v = await c.runAndReadAll('SELECT max(version) FROM series_schema')
  const version = v.getRows()[0]![0] as number | null
  if (version !== null && version > SCHEMA_VERSION) {
    throw new Error(`series store schema ${version} is newer than this code (${SCHEMA_VERSION})`)
  }
  await c.run(`CREATE TABLE IF NOT EXISTS series (
    sid UINTEGER PRIMARY KEY,
    tenant VARCHAR NOT NULL,
    point VARCHAR NOT NULL,
    cold_max_ts BIGINT,
    UNIQUE (tenant, point))`)
  const columns = `sid UINTEGER NOT NULL, ts BIGINT NOT NULL, value DOUBLE, text VARCHAR, quality UTINYINT NOT NULL`
  await c.run(`CREATE TABLE IF NOT EXISTS samples_hot (${columns})`)
  await c.run(`CREATE TABLE IF NOT EXISTS samples_cold (${columns}, iv BIGINT, sc UTINYINT)`)
  if (version === 1) {
    // version 1 kept every cold value as a double; its rows stay as they are (iv and sc NULL)
    await c.run('BEGIN TRANSACTION')
    await c.run('DROP VIEW IF EXISTS samples_all')
    await c.run('ALTER TABLE samples_cold ADD COLUMN iv BIGINT')
    await c.run('ALTER TABLE samples_cold ADD COLUMN sc UTINYINT')
    await c.run(`UPDATE series_schema SET version = ${SCHEMA_VERSION}`)
    await c.run('COMMIT')
  }
  await createStateRunSchema(c)
  await createCounterPieceSchema(c)
  await createMeterPieceSchema(c)
  if (version === 2 || version === 3 || version === 4) {
    // version 2 had no state runs, version 3 no counter pieces, version 4 no meter pieces: queries
    // read samples until compaction or the catch-ups derive them
    await c.run(`UPDATE series_schema SET version = ${SCHEMA_VERSION}`)
  }
  await c.run(`CREATE VIEW IF NOT EXISTS samples_all AS
    SELECT sid, ts, coalesce(value, iv::DOUBLE / ${POW10_OF_SC}) AS value, text, quality FROM samples_cold
    UNION ALL SELECT sid, ts, value, text, quality FROM samples_hot`)
  if (version === null) await c.run(`INSERT INTO series_schema VALUES (${SCHEMA_VERSION})`)
}

function tenantMap<V>(m: Map<string, Map<string, V>>, tenant: string): Map<string, V> {
  let inner = m.get(tenant)
  if (inner === undefined) {
    inner = new Map()
    m.set(tenant, inner)
  }
  return inner
}

function toSample(point: PointId, ts: number, value: number | null, text: string | null, q: number): Sample {
  const quality = QUALITY_BY_CODE[q] ?? 'bad'
  return text === null ? { point, ts, value, quality } : { point, ts, value, text, quality }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
