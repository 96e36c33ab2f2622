import type { DuckDBConnection } from '@duckdb/node-api'
import { bucketOf, createTempTable, cutsSql, floorTo, type SeriesCut } from './duckdb-derived-sql.ts'

/**
 * Counter pieces: per series and UTC hour, a summary of the store's cold numeric samples, so that
 * part-counter increases over months are summed from pieces instead of sorting every sample at each
 * query (the counter analogue of state runs, duckdb-state-runs.ts).
 *
 * The store does not know which points are counters (a point's kind lives in the model, not in the
 * series store). Deriving pieces for every numeric series is not cheap: it is a window sort of the
 * rows being compacted, and it made the compaction of 8.64 M analog 1 Hz rows take 9.3 s instead of
 * 3.2 s (docs/benchmarks.md). So a series gets pieces when the usable values of a compaction (or of
 * the catch-up) are all integers — what part counters send — and keeps them from then on, whatever
 * it sends later. Pieces always cover a series from its first sample: the first derivation of a
 * series reads all its samples. Which series have pieces does not change any answer, only its
 * cost: a series without pieces is read from samples.
 *
 * Usable samples are those counterIncreaseSql reads: quality not bad, value not NULL. The increase
 * at a usable sample is value − prev if value ≥ prev, else value (a reset), where prev is the value
 * of the series' previous usable sample; only positive increases are summed. A piece holds:
 *
 *   hour                    start of the UTC hour (ms)
 *   first_ts, last_ts       first and last usable sample in the hour
 *   first_value, last_value their values (the next piece's entry is derived from last_value)
 *   samples                 number of usable samples
 *   inc                     sum of the positive increases at the piece's samples except its first
 *                           (their predecessor is inside the piece)
 *   prev_ts                 ENTRY: ts of the usable sample before first_ts (the last of an earlier
 *                           piece); NULL for a series' first piece
 *   entry_inc               ENTRY: the increase at first_ts (NULL with prev_ts)
 *
 * A query over whole hours [from, to) with lookback L (counterIncreaseSql reads samples from
 * from − L, so a sample's increase counts when its predecessor is at or after from − L) sums, per
 * piece in the window, inc + (entry_inc if prev_ts ≥ from − L and entry_inc > 0).
 *
 * Maintenance, by the store's writer in the transaction of the samples concerned:
 * - compaction: per series with hot rows (and pieces, or integers only: see above), from the hour of
 *   its oldest hot row (its first sample when it has no pieces yet) up to the first piece
 *   after its newest hot row, which keeps its samples and only gets its entry pair refreshed;
 * - retention (deleteBefore): pieces wholly before the cut are deleted, a piece straddling it is
 *   derived again, and the first remaining piece loses its entry pair;
 * - deletePoint: the series' pieces are deleted;
 * - catchUpCounterPieces: series whose usable samples go past their pieces (older files, SQL fills).
 * A query uses a series' pieces only for hours before its newest piece (which may still grow) and
 * before the hour of its oldest hot row, and reads samples from there on (counterPieceCutSql).
 */

export const PIECE_MS = 3_600_000
const BAD = 2 // QUALITY_CODE.bad
const MAX_TS = '9223372036854775807'

export async function createCounterPieceSchema(c: DuckDBConnection): Promise<void> {
  await c.run(`CREATE TABLE IF NOT EXISTS counter_pieces (
    sid UINTEGER NOT NULL,
    hour BIGINT NOT NULL,
    first_ts BIGINT NOT NULL,
    last_ts BIGINT NOT NULL,
    first_value DOUBLE NOT NULL,
    last_value DOUBLE NOT NULL,
    samples UINTEGER NOT NULL,
    inc DOUBLE NOT NULL,
    prev_ts BIGINT,
    entry_inc DOUBLE)`)
}

/** Hour start of an integer expression, flooring also before 1970. */
const hourOf = (e: string): string => floorTo(e, PIECE_MS)
/** counterIncreaseSql's increase rule. */
const incOf = (v: string, pv: string): string =>
  `CASE WHEN ${pv} IS NULL THEN NULL WHEN ${v} >= ${pv} THEN ${v} - ${pv} ELSE ${v} END`

/**
 * The bounds of one derivation, per series: usable samples in [lo, hi) are derived again (lo NULL:
 * from the first; hi NULL: to the last), after deleting the pieces with last_ts ≥ lo and hour < hi.
 * pl / plv: ts and value of the usable sample before lo (NULL: none). hi is the hour of a piece that
 * stays; its entry pair is refreshed.
 */
const BOUNDS = 'counter_piece_bounds'

const createBounds = (c: DuckDBConnection, select: string): Promise<number> =>
  createTempTable(c, BOUNDS, select)

async function deriveBounded(c: DuckDBConnection): Promise<number> {
  await c.run(`DELETE FROM counter_pieces p USING ${BOUNDS} b
    WHERE p.sid = b.sid AND p.last_ts >= coalesce(b.lo, -${MAX_TS}) AND p.hour < coalesce(b.hi, ${MAX_TS})`)
  const ins = await c.run(`INSERT INTO counter_pieces
    WITH s AS (
      SELECT x.sid, x.ts, x.value, b.pl, b.plv
      FROM samples_all x JOIN ${BOUNDS} b ON x.sid = b.sid
      WHERE x.quality <> ${BAD} AND x.value IS NOT NULL
        AND x.ts >= coalesce(b.lo, -${MAX_TS}) AND x.ts < coalesce(b.hi, ${MAX_TS})
    ), w AS (
      SELECT sid, ts, value, pl, plv, lag(ts) OVER w AS pts0, lag(value) OVER w AS pv0
      FROM s WINDOW w AS (PARTITION BY sid ORDER BY ts)
    ), i AS (
      SELECT sid, ts, value, ${hourOf('ts')} AS hour,
        CASE WHEN pts0 IS NULL THEN pl ELSE pts0 END AS pts,
        ${incOf('value', 'CASE WHEN pts0 IS NULL THEN plv ELSE pv0 END')} AS inc
      FROM w
    )
    SELECT sid, hour, min(ts), max(ts), arg_min(value, ts), arg_max(value, ts), count(*),
      coalesce(sum(inc) FILTER (WHERE inc > 0 AND pts >= hour), 0),
      arg_min_null(pts, ts), arg_min_null(inc, ts)
    FROM i GROUP BY sid, hour`)
  // the piece at hi now follows the last piece before it (or none, after retention)
  await c.run(`UPDATE counter_pieces SET prev_ts = p.lt,
      entry_inc = ${incOf('counter_pieces.first_value', 'p.lv')}
    FROM (SELECT b.sid, b.hi, arg_max(r.last_ts, r.hour) AS lt, arg_max(r.last_value, r.hour) AS lv
          FROM ${BOUNDS} b LEFT JOIN counter_pieces r ON r.sid = b.sid AND r.hour < b.hi
          WHERE b.hi IS NOT NULL GROUP BY b.sid, b.hi) p
    WHERE counter_pieces.sid = p.sid AND counter_pieces.hour = p.hi`)
  return ins.rowsChanged
}

/**
 * Before hot rows move to the cold table: the bounds for every series with pieces already, or whose
 * usable hot values are all integers. Call derivePiecesAfterCompaction once the rows are cold.
 */
export async function counterPieceBoundsFromHot(c: DuckDBConnection): Promise<number> {
  return createBounds(
    c,
    `WITH h AS (
      SELECT sid, ${hourOf('min(ts)')} AS lo, max(ts) AS q,
        bool_and(value = round(value)) FILTER (WHERE value IS NOT NULL AND quality <> ${BAD}) AS integral
      FROM samples_hot GROUP BY sid
    ), h2 AS (
      SELECT h.*, h.sid IN (SELECT DISTINCT sid FROM counter_pieces) AS has FROM h
    )
    -- a series without pieces yet is derived from its first sample (lo NULL)
    SELECT h2.sid, CASE WHEN h2.has THEN h2.lo END AS lo,
      min(p.hour) FILTER (WHERE p.hour > h2.q) AS hi,
      arg_max(p.last_ts, p.hour) FILTER (WHERE p.hour < h2.lo) AS pl,
      arg_max(p.last_value, p.hour) FILTER (WHERE p.hour < h2.lo) AS plv
    FROM h2 LEFT JOIN counter_pieces p ON p.sid = h2.sid
    WHERE h2.has OR h2.integral
    GROUP BY h2.sid, h2.lo, h2.has`,
  )
}

/** Derives the pieces of the bounds taken by counterPieceBoundsFromHot (the rows are cold now). */
export async function derivePiecesAfterCompaction(c: DuckDBConnection, bounds: number): Promise<number> {
  if (bounds === 0) return 0
  return deriveBounded(c)
}

/**
 * Retention: the samples of the series `sidFilter` (a SQL predicate on sid) before `before` are gone.
 * Deletes the pieces wholly before it, derives a piece straddling it again, and clears the entry pair
 * of each series' first remaining piece.
 */
export async function trimCounterPieces(
  c: DuckDBConnection,
  sidFilter: string,
  before: number,
): Promise<void> {
  await c.run(`DELETE FROM counter_pieces WHERE ${sidFilter} AND last_ts < ${before}`)
  const n = await createBounds(
    c,
    `SELECT sid, ${before}::BIGINT AS lo,
       min(hour) FILTER (WHERE first_ts >= ${before}) AS hi, NULL::BIGINT AS pl, NULL::DOUBLE AS plv
     FROM counter_pieces WHERE ${sidFilter} GROUP BY sid`,
  )
  if (n > 0) await deriveBounded(c)
}

/**
 * Catch-up: derives every series whose usable samples go past its pieces, from its newest piece on,
 * and every series without pieces whose usable values are all integers, from its first sample. `sids` limits it to these series (all when absent).
 */
export async function catchUpCounterPieces(
  c: DuckDBConnection,
  sids?: readonly number[],
): Promise<{ series: number; pieces: number }> {
  const only = sids === undefined ? '' : `AND sid IN (${sids.length === 0 ? 'NULL' : sids.join(',')})`
  const n = await createBounds(
    c,
    `WITH t AS (
      SELECT sid, max(ts) AS m, bool_and(value = round(value)) AS integral FROM samples_all
      WHERE quality <> ${BAD} AND value IS NOT NULL ${only} GROUP BY sid
    ), r AS (
      SELECT sid, max(last_ts) AS covered, max(hour) AS lo
      FROM counter_pieces WHERE true ${only} GROUP BY sid
    ), p AS (
      -- the piece before the newest one: the predecessor of the samples derived again
      SELECT q.sid, arg_max(q.last_ts, q.hour) AS pl, arg_max(q.last_value, q.hour) AS plv
      FROM counter_pieces q JOIN r ON q.sid = r.sid AND q.hour < r.lo GROUP BY q.sid
    )
    SELECT t.sid, r.lo, NULL::BIGINT AS hi, p.pl, p.plv
    FROM t LEFT JOIN r ON t.sid = r.sid LEFT JOIN p ON t.sid = p.sid
    WHERE (r.covered IS NULL AND t.integral) OR t.m > r.covered`,
  )
  if (n === 0) return { series: 0, pieces: 0 }
  return { series: n, pieces: await deriveBounded(c) }
}

/** Per series: pieces of hours before `cut` are used, samples from it on; the last usable sample before it. */
export type CounterPieceCut = SeriesCut<number>

/**
 * Per series with pieces: the cut (the hour of its newest piece, or of its oldest hot row if
 * earlier) and the last usable sample before it. Columns: sid, cut, prev ts, prev value.
 */
export function counterPieceCutSql(sids: readonly number[]): string {
  const list = sids.join(',')
  return `WITH pend AS (
    SELECT sid, ${hourOf('min(ts)')} AS p FROM samples_hot WHERE sid IN (${list}) GROUP BY sid
  ), top AS (
    SELECT sid, max(hour) AS h FROM counter_pieces WHERE sid IN (${list}) GROUP BY sid
  ), cut AS (
    SELECT top.sid, least(top.h, coalesce(pend.p, top.h)) AS c FROM top LEFT JOIN pend ON top.sid = pend.sid
  )
  SELECT cut.sid, cut.c::DOUBLE, arg_max(r.last_ts, r.hour)::DOUBLE, arg_max(r.last_value, r.hour)
  FROM cut LEFT JOIN counter_pieces r ON r.sid = cut.sid AND r.hour < cut.c
  GROUP BY cut.sid, cut.c`
}

export interface CounterPieceSql {
  readonly sids: readonly number[]
  readonly from: number
  readonly to: number
  readonly lookbackMs: number
  readonly bucketMs: number
  readonly originMs: number
  readonly cuts: readonly CounterPieceCut[]
}

/** Whether pieces can answer the query exactly: window and buckets on whole UTC hours. */
export function piecesFit(q: { from: number; to: number; bucketMs: number; originMs: number }): boolean {
  const whole = (x: number): boolean => ((x % PIECE_MS) + PIECE_MS) % PIECE_MS === 0
  return whole(q.from) && whole(q.to) && whole(q.bucketMs) && whole(q.originMs)
}

/**
 * counterIncreaseSql's result (sid, bucket, sum of positive increases) from pieces before each
 * series' cut and from samples after it. Only for queries where piecesFit.
 */
export function counterIncreasePieceSql(q: CounterPieceSql): string {
  const { from: F, to: T, bucketMs: B, originMs: O } = q
  const F0 = F - q.lookbackMs
  const sids = q.sids.join(',')
  const cuts = cutsSql(q.cuts, 'plv', 'DOUBLE', String)
  // the samples before the smallest cut are not read (a constant bound prunes row groups)
  const lowest = q.cuts.length < q.sids.length ? F0 : Math.max(F0, Math.min(...q.cuts.map((x) => x.cut)))
  return `WITH cut AS (${cuts}),
  pc AS (
    SELECT p.sid, p.hour AS ts,
      p.inc + CASE WHEN p.prev_ts >= ${F0} AND p.entry_inc > 0 THEN p.entry_inc ELSE 0 END AS inc
    FROM counter_pieces p JOIN cut ON p.sid = cut.sid
    WHERE p.hour >= ${F} AND p.hour < ${T} AND p.hour < cut.c
  ), k AS (
    SELECT x.sid, x.ts, x.value, coalesce(cut.c, -${MAX_TS}) AS c
    FROM samples_all x LEFT JOIN cut ON x.sid = cut.sid
    WHERE x.sid IN (${sids}) AND x.ts >= ${lowest} AND x.ts < ${T}
      AND x.quality <> ${BAD} AND x.value IS NOT NULL AND x.ts >= coalesce(cut.c, -${MAX_TS})
    UNION ALL
    SELECT sid, pl, plv, c FROM cut WHERE pl >= ${F0} AND pl < ${T}
  ), p AS (
    SELECT sid, ts, value, c, lag(value) OVER (PARTITION BY sid ORDER BY ts) AS pv FROM k
  ), i AS (
    SELECT sid, ts, CASE WHEN value >= pv THEN value - pv ELSE value END AS inc
    FROM p WHERE pv IS NOT NULL AND ts >= ${F} AND ts >= c
  ), a AS (
    SELECT sid, ts, inc FROM pc WHERE inc > 0
    UNION ALL
    SELECT sid, ts, inc FROM i WHERE inc > 0
  )
  SELECT sid, ${bucketOf('ts', B, O)}::DOUBLE AS bucket, sum(inc) FROM a GROUP BY sid, bucket`
}
