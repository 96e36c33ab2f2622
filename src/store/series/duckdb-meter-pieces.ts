import type { DuckDBConnection } from '@duckdb/node-api'
import { bucketOf, createTempTable, cutsSql, floorTo, type SeriesCut } from './duckdb-derived-sql.ts'

/**
 * Meter pieces: per meter series and UTC hour, what meterBucketSql and meterRegisterSql compute
 * from that hour's readings, so that a regional month of 15-minute consumption (10,000 enterprises:
 * 28.8 M readings) is summed from 7.2 M hourly pieces instead of sorting every reading at each query
 * (the meter analogue of counter pieces, duckdb-counter-pieces.ts).
 *
 * Which series are meters: the store cannot tell (meters send decimals, like any analog), so a
 * series becomes one when a meter query first asks for it (`meter_series`, `since` NULL), and the
 * store's writer then derives its pieces over its whole history (catchUpMeterPieces, a few hundred
 * series per transaction so writes are not held up long). Until then, and for every query the pieces
 * cannot answer exactly, the query reads samples. Which series have pieces changes no answer, only
 * its cost; floating-point sums may differ in the last bits, since they are added in another order.
 *
 * Readings are usable samples (quality not bad, value not NULL); a pair is two consecutive
 * readings (t0, v0), (t1, v1); its delta is v1 − v0 when v1 ≥ v0, v1 when v1 ≤ v0 · 1% (a reset),
 * else unknown (an unexplained drop). Pieces are fixed to 15-minute intervals and no rollover: a
 * query with another interval or with rolloverMax reads samples. A piece, for each hour with a
 * reading:
 *
 *   cons, complete, covered  the hour's four intervals as meterBucketSql sees them: the shares of
 *                            the gap-free pairs (span ≤ 15 min, delta known) split in proportion to
 *                            time, and how many intervals are wholly / partly covered by them —
 *                            including the pair that leaves the hour for the next reading
 *   reg                      sum of the known deltas of the pairs with both readings in the hour
 *   prev_ts, prev_value      ENTRY: the reading before the hour's first (NULL for a series' first)
 *   entry_delta              the entry pair's delta (NULL: none, or unknown)
 *   first_ts, first_value    the hour's first reading (the entry pair ends here)
 *   last_ts, last_value      its last (a later derivation starts from it)
 *
 * A query over [F, T) in whole hours then adds, per series: cons / complete / covered of the hours
 * in [F, T); reg of those hours; and each entry pair of the hours in [F, T] clipped to [F, T), when
 * its first reading is before T + 15 min and its previous at or after F − 15 min (meterRegisterSql
 * reads readings in [F − 15 min, T + 15 min)).
 *
 * The newest piece of a series may still change (its leaving pair is not known yet), and so may
 * every hour from the one 15 minutes before its oldest hot row: a query uses pieces for hours before
 * that cut and reads samples from it on, with the reading just before the cut for the pair that
 * crosses it (meterPieceCutSql, meterPieceSql).
 *
 * Maintenance, by the store's writer in the transaction of the samples concerned:
 * - compaction: meter series with hot rows are derived again from the hour 15 minutes before their
 *   oldest hot row to their end;
 * - retention (deleteBefore): pieces before two hours after the cut's hour are deleted, and `since`
 *   moves there: a query starting earlier reads samples;
 * - deletePoint: the series' pieces and its meter mark are deleted.
 */

export const METER_PIECE_MS = 3_600_000
/** the interval the pieces are derived for (analytics' DEFAULT_INTERVAL_MS) */
export const METER_PIECE_INTERVAL_MS = 900_000
const I = METER_PIECE_INTERVAL_MS
const BAD = 2 // QUALITY_CODE.bad
const MAX_TS = '9223372036854775807'
/** `since` of a series derived from its first reading: pieces answer any window */
const FROM_THE_START = -(2 ** 53)
/** series derived per catch-up transaction */
const CATCH_UP_CHUNK = 500

export async function createMeterPieceSchema(c: DuckDBConnection): Promise<void> {
  await c.run(`CREATE TABLE IF NOT EXISTS meter_series (sid UINTEGER PRIMARY KEY, since BIGINT)`)
  await c.run(`CREATE TABLE IF NOT EXISTS meter_pieces (
    sid UINTEGER NOT NULL,
    hour BIGINT NOT NULL,
    cons DOUBLE NOT NULL,
    complete UTINYINT NOT NULL,
    covered UTINYINT NOT NULL,
    reg DOUBLE NOT NULL,
    prev_ts BIGINT,
    prev_value DOUBLE,
    entry_delta DOUBLE,
    first_ts BIGINT NOT NULL,
    first_value DOUBLE NOT NULL,
    last_ts BIGINT NOT NULL,
    last_value DOUBLE NOT NULL)`)
}

const hourOf = (e: string): string => floorTo(e, METER_PIECE_MS)
/** the pair rule of meterPairs without rollover */
const deltaOf = (v0: string, v1: string): string =>
  `CASE WHEN ${v1} >= ${v0} THEN ${v1} - ${v0} WHEN ${v1} <= ${v0} * 0.01 THEN ${v1} END`

/**
 * One derivation, per series: readings from `lo` (NULL: the first) to the end are derived again,
 * after deleting the pieces from lo's hour on; (pl, plv) is the reading before lo (NULL: none).
 */
const BOUNDS = 'meter_piece_bounds'

const createBounds = (c: DuckDBConnection, select: string): Promise<number> =>
  createTempTable(c, BOUNDS, select)

async function deriveBounded(c: DuckDBConnection): Promise<number> {
  const LO = `coalesce(b.lo, -${MAX_TS})`
  // the lowest start as a constant, so that the scan skips older row groups by their zone maps
  const [lowest] = (
    await c.runAndReadAll(
      `SELECT CASE WHEN count(*) FILTER (WHERE lo IS NULL) = 0 THEN min(lo) END::DOUBLE FROM ${BOUNDS}`,
    )
  ).getRows()[0] as [number | null]
  const floor = lowest === null ? '' : `AND x.ts >= ${lowest}`
  const pieceFloor = lowest === null ? '' : `AND p.hour >= ${lowest}`
  await c.run(
    `DELETE FROM meter_pieces p USING ${BOUNDS} b WHERE p.sid = b.sid AND p.hour >= ${LO} ${pieceFloor}`,
  )
  const ins = await c.run(`INSERT INTO meter_pieces
    WITH s AS (
      SELECT x.sid, x.ts, x.value FROM samples_all x JOIN ${BOUNDS} b ON x.sid = b.sid
      WHERE x.quality <> ${BAD} AND x.value IS NOT NULL AND x.ts >= ${LO} ${floor}
      UNION ALL SELECT sid, pl, plv FROM ${BOUNDS} WHERE pl IS NOT NULL
    ), p AS (
      SELECT sid, lag(ts) OVER w AS t0, ts AS t1, lag(value) OVER w AS v0, value AS v1
      FROM s WINDOW w AS (PARTITION BY sid ORDER BY ts)
    ), d AS MATERIALIZED (
      SELECT p.sid, t0, t1, v0, v1, ${hourOf('t1')} AS h, ${deltaOf('v0', 'v1')} AS delta
      FROM p JOIN ${BOUNDS} b ON p.sid = b.sid WHERE t1 >= ${LO}
    ), r AS (
      SELECT sid, h, min(t1) AS first_ts, arg_min(v1, t1) AS first_value,
        max(t1) AS last_ts, arg_max(v1, t1) AS last_value,
        arg_min_null(t0, t1) AS prev_ts, arg_min_null(v0, t1) AS prev_value,
        coalesce(sum(delta) FILTER (WHERE t0 >= h), 0) AS reg
      FROM d GROUP BY sid, h
    ), y AS (
      SELECT sid, delta, t1 - t0 AS span, ${floorTo('t0', I)} AS k0, t0, t1,
        least(t1, ${floorTo('t0', I)} + ${I}) - t0 AS c1
      FROM d WHERE delta IS NOT NULL AND t1 - t0 <= ${I}
    ), pc AS (
      SELECT sid, k0 AS k, delta * c1 / span AS share, c1 AS cov FROM y
      UNION ALL
      SELECT sid, k0 + ${I}, delta * (span - c1) / span, span - c1 FROM y WHERE span > c1
    ), iv AS (
      SELECT pc.sid, k, sum(share) AS v, sum(cov) AS cov
      FROM pc JOIN ${BOUNDS} b ON pc.sid = b.sid WHERE k >= ${LO} GROUP BY pc.sid, k
    ), hc AS (
      SELECT sid, ${hourOf('k')} AS h, sum(v) AS cons,
        count(*) FILTER (WHERE cov >= ${I}) AS complete, count(*) AS covered
      FROM iv GROUP BY sid, h
    )
    SELECT r.sid, r.h, coalesce(hc.cons, 0), coalesce(hc.complete, 0), coalesce(hc.covered, 0), r.reg,
      r.prev_ts, r.prev_value, ${deltaOf('r.prev_value', 'r.first_value')}, r.first_ts, r.first_value, r.last_ts, r.last_value
    FROM r LEFT JOIN hc ON r.sid = hc.sid AND r.h = hc.h`)
  return ins.rowsChanged
}

/**
 * Before hot rows move to the cold table: the bounds of every meter series with pieces that has hot
 * rows. Call deriveMeterPiecesAfterCompaction once the rows are cold.
 */
export async function meterPieceBoundsFromHot(c: DuckDBConnection): Promise<number> {
  return createBounds(
    c,
    `WITH h AS (
      SELECT h.sid, ${hourOf(`min(h.ts) - ${I}`)} AS lo FROM samples_hot h
      JOIN meter_series m ON m.sid = h.sid AND m.since IS NOT NULL GROUP BY h.sid
    )
    SELECT h.sid, h.lo, arg_max(p.last_ts, p.hour) AS pl, arg_max(p.last_value, p.hour) AS plv
    FROM h LEFT JOIN meter_pieces p ON p.sid = h.sid AND p.hour < h.lo
    GROUP BY h.sid, h.lo`,
  )
}

/** Derives the pieces of the bounds taken by meterPieceBoundsFromHot (the rows are cold now). */
export async function deriveMeterPiecesAfterCompaction(c: DuckDBConnection, bounds: number): Promise<number> {
  if (bounds === 0) return 0
  return deriveBounded(c)
}

/**
 * Retention: the samples of the series `sidFilter` (a SQL predicate on sid) before `before` are
 * gone. Pieces from two hours after its hour on do not depend on them (a gap-free pair is at most
 * 15 minutes long); earlier ones are deleted and queries from before there read samples.
 */
export async function trimMeterPieces(c: DuckDBConnection, sidFilter: string, before: number): Promise<void> {
  const keep = `(${hourOf(String(before))} + ${2 * METER_PIECE_MS})`
  await c.run(`DELETE FROM meter_pieces WHERE ${sidFilter} AND hour < ${keep}`)
  await c.run(
    `UPDATE meter_series SET since = greatest(since, ${keep}) WHERE ${sidFilter} AND since IS NOT NULL`,
  )
}

/** Marks series as meters (their pieces are derived by catchUpMeterPieces). */
export async function markMeterSeries(c: DuckDBConnection, sids: readonly number[]): Promise<void> {
  if (sids.length === 0) return
  await c.run(`INSERT INTO meter_series
    SELECT unnest([${sids.join(',')}])::UINTEGER AS sid, NULL::BIGINT ON CONFLICT DO NOTHING`)
}

/** Meter series whose pieces are not derived yet (at most `limit`). */
export async function pendingMeterSeries(c: DuckDBConnection, limit = CATCH_UP_CHUNK): Promise<number[]> {
  const r = await c.runAndReadAll(
    `SELECT sid FROM meter_series WHERE since IS NULL ORDER BY sid LIMIT ${limit}`,
  )
  return r.getRows().map((x) => Number(x[0]))
}

/** Derives the given meter series from their first reading; they are answered from pieces from then on. */
export async function deriveMeterSeries(
  c: DuckDBConnection,
  sids: readonly number[],
): Promise<{ series: number; pieces: number }> {
  if (sids.length === 0) return { series: 0, pieces: 0 }
  const n = await createBounds(
    c,
    `SELECT unnest([${sids.join(',')}])::UINTEGER AS sid, NULL::BIGINT AS lo, NULL::BIGINT AS pl, NULL::DOUBLE AS plv`,
  )
  const pieces = await deriveBounded(c)
  await c.run(
    `UPDATE meter_series SET since = ${FROM_THE_START} WHERE sid IN (${sids.join(',')}) AND since IS NULL`,
  )
  return { series: n, pieces }
}

/**
 * Per series: pieces of hours before `cut` are used, samples from it on; the last reading before it
 * (null: none at or after from − 15 min in the pieces).
 */
export type MeterPieceCut = SeriesCut<number>

/**
 * Per meter series whose pieces cover the window from `from`: the cut (the hour of its newest
 * piece, or 15 minutes before its oldest hot row if earlier) and the reading before it, looked for
 * in the pieces from `from` − 15 min's hour on (an earlier one is not read by the query anyway).
 * Columns: sid, cut, prev ts, prev value.
 */
export function meterPieceCutSql(sids: readonly number[], from: number): string {
  const list = sids.join(',')
  return `WITH ms AS (
    SELECT sid FROM meter_series WHERE sid IN (${list}) AND since <= ${from}
  ), pend AS (
    SELECT sid, ${hourOf(`min(ts) - ${I}`)} AS p FROM samples_hot WHERE sid IN (${list}) GROUP BY sid
  ), top AS (
    -- a series whose pieces end before the window reads samples from from − 15 min either way, so
    -- only pieces from there on are looked at (older row groups are skipped)
    SELECT p.sid, max(p.hour) AS h FROM meter_pieces p JOIN ms ON p.sid = ms.sid
    WHERE p.hour >= ${hourOf(String(from - I))} GROUP BY p.sid
  ), cut AS (
    SELECT top.sid, least(top.h, coalesce(pend.p, top.h)) AS c FROM top LEFT JOIN pend ON top.sid = pend.sid
  )
  SELECT cut.sid, cut.c::DOUBLE, arg_max(r.last_ts, r.hour)::DOUBLE, arg_max(r.last_value, r.hour)
  FROM cut LEFT JOIN meter_pieces r
    ON r.sid = cut.sid AND r.hour < cut.c AND r.hour >= ${hourOf(String(from - I))}
  GROUP BY cut.sid, cut.c`
}

/** Whether pieces can answer a meter query exactly: 15-minute intervals, no rollover, whole hours. */
export function meterPiecesFit(q: {
  from: number
  to: number
  intervalMs: number
  bucketMs: number
  originMs: number
  rolloverMax?: number
}): boolean {
  const whole = (x: number): boolean => ((x % METER_PIECE_MS) + METER_PIECE_MS) % METER_PIECE_MS === 0
  return (
    q.intervalMs === I &&
    q.rolloverMax === undefined &&
    whole(q.from) &&
    whole(q.to) &&
    whole(q.bucketMs) &&
    whole(q.originMs)
  )
}

export interface MeterPieceSql {
  readonly sids: readonly number[]
  readonly from: number
  readonly to: number
  readonly bucketMs: number
  readonly originMs: number
  readonly cuts: readonly MeterPieceCut[]
}

/**
 * meterBucketSql's and meterRegisterSql's results in one statement, from pieces before each
 * series' cut and from samples after it. Only for queries where meterPiecesFit. Columns: sid,
 * bucket (NULL on a series' register row), consumption (or the register difference), complete
 * intervals, covered intervals.
 */
export function meterPieceSql(q: MeterPieceSql): string {
  const { from: F, to: T, bucketMs: B, originMs: O } = q
  const cuts = cutsSql(q.cuts, 'plv', 'DOUBLE', String)
  // a series read from samples from its cut (after F) or, without one, from F − I; the lowest of
  // those starts is a constant bound that prunes row groups
  let lowest = F - I
  if (q.cuts.length === q.sids.length && q.cuts.length > 0) {
    lowest = Math.max(F - I, Math.min(...q.cuts.map((x) => (x.cut > F ? x.cut : F - I))))
  }
  return `WITH cut AS (${cuts}),
  pb AS (
    -- one pass over the pieces: per series and bucket, the hours in [F, T); an entry pair wholly in
    -- the window adds its delta, one that crosses F is clipped below (bx)
    SELECT p.sid, ${bucketOf('p.hour', B, O)} AS bucket, sum(p.cons) AS v,
      sum(p.complete) AS complete, sum(p.covered) AS covered,
      sum(p.reg + CASE WHEN p.prev_ts >= ${F} THEN coalesce(p.entry_delta, 0) ELSE 0 END) AS reg
    FROM meter_pieces p JOIN cut ON p.sid = cut.sid
    WHERE p.hour >= ${F} AND p.hour < ${T} AND p.hour < cut.c
    GROUP BY p.sid, bucket
  ), bx AS (
    -- entry pairs crossing F (from F − I on) or T (the hour at T, if its first reading is before T + I)
    SELECT p.sid, sum(p.entry_delta * (least(p.first_ts, ${T}) - greatest(p.prev_ts, ${F}))
      / (p.first_ts - p.prev_ts)) AS reg
    FROM meter_pieces p JOIN cut ON p.sid = cut.sid
    WHERE p.hour >= ${F} AND p.hour <= ${T} AND p.hour < cut.c AND p.entry_delta IS NOT NULL
      AND p.prev_ts >= ${F - I} AND p.first_ts < ${T + I} AND (p.prev_ts < ${F} OR p.hour = ${T})
    GROUP BY p.sid
  ), k AS (
    SELECT x.sid, x.ts, x.value, CASE WHEN cut.c > ${F} THEN cut.c ELSE ${F} END AS st
    FROM samples_all x LEFT JOIN cut ON x.sid = cut.sid
    WHERE x.sid IN (${q.sids.join(',')}) AND x.ts >= ${lowest} AND x.ts < ${T + I}
      AND x.quality <> ${BAD} AND x.value IS NOT NULL
      AND x.ts >= CASE WHEN cut.c > ${F} THEN cut.c ELSE ${F - I} END
    UNION ALL
    SELECT sid, pl, plv, c FROM cut WHERE c > ${F} AND c <= ${T} AND pl >= ${F - I}
  ), p AS (
    SELECT sid, st, lag(ts) OVER w AS t0, ts AS t1, lag(value) OVER w AS v0, value AS v1
    FROM k WINDOW w AS (PARTITION BY sid ORDER BY ts)
  ), d AS MATERIALIZED (
    SELECT sid, t0, t1, greatest(t0, st) AS s, least(t1, ${T}) AS e, ${deltaOf('v0', 'v1')} AS delta,
      -- the register clips to the whole window, the intervals to the part after the cut
      least(t1, ${T}) - greatest(t0, ${F}) AS ro
    FROM p WHERE t0 IS NOT NULL AND t1 > ${F} AND t0 < ${T}
  ), y AS (
    SELECT sid, delta, t1 - t0 AS span, ${floorTo('s', I)} AS k0, s, e,
      least(e, ${floorTo('s', I)} + ${I}) - s AS c1
    FROM d WHERE delta IS NOT NULL AND t1 - t0 <= ${I} AND s < e
  ), sp AS (
    SELECT sid, k0 AS k, delta * c1 / span AS share, c1 AS cov FROM y
    UNION ALL
    SELECT sid, k0 + ${I}, delta * (e - s - c1) / span, e - s - c1 FROM y WHERE e - s > c1
  ), iv AS (
    SELECT sid, k, sum(share) AS v, sum(cov) AS cov FROM sp GROUP BY sid, k
  ), rows AS (
    SELECT sid, bucket, v, complete::BIGINT AS complete, covered::BIGINT AS covered FROM pb
    UNION ALL
    SELECT sid, ${bucketOf('k', B, O)}, v, (cov >= ${I})::BIGINT, 1 FROM iv
  ), sreg AS (
    SELECT sid, sum(delta * ro / (t1 - t0)) FILTER (WHERE ro > 0) AS reg FROM d GROUP BY sid
  )
  SELECT sid, bucket::DOUBLE, sum(v), sum(complete)::DOUBLE, sum(covered)::DOUBLE
  FROM rows GROUP BY sid, bucket HAVING sum(covered) > 0
  UNION ALL
  SELECT sid, NULL::DOUBLE, sum(reg), NULL::DOUBLE, NULL::DOUBLE
  FROM (SELECT sid, reg FROM pb UNION ALL SELECT sid, reg FROM bx UNION ALL SELECT sid, coalesce(reg, 0) FROM sreg)
  GROUP BY sid`
}

/** Catch-up: derives pending meter series in chunks; returns what it did. */
export async function catchUpMeterPieces(
  c: DuckDBConnection,
  stop: () => boolean,
  transaction: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<{ series: number; pieces: number }> {
  let series = 0
  let pieces = 0
  while (!stop()) {
    const r = await transaction(async () => deriveMeterSeries(c, await pendingMeterSeries(c)))
    if (r.series === 0) return { series, pieces }
    series += r.series
    pieces += r.pieces
  }
  return { series, pieces }
}
