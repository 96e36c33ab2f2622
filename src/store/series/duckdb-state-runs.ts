import type { DuckDBConnection } from '@duckdb/node-api'
import { bucketOf, createTempTable, cutsSql, type SeriesCut } from './duckdb-derived-sql.ts'

/**
 * State runs: the DuckDB series store's run-length form of text (state) series, so that state
 * durations over months are read from runs instead of re-sorting every sample at each query.
 *
 * A run is a stretch of consecutive good samples of one series with one text (NULL text — a numeric
 * sample on a state point — forms runs of its own, so a query can tell it is there). A new run
 * starts where the text changes, where a sample follows its predecessor by more than RUN_GAP_MS, and
 * at each RUN_GRID_MS boundary (so the newest, still open run of a series stays short: a compaction
 * re-reads it, and a query reads it from the samples). Runs need not be maximal: every field below is
 * exact for the samples it covers, so a query gets the same answer from any split.
 *
 *   start_ts, last_ts  first and last sample of the run
 *   next_ts            the series' next good sample after last_ts (the next run's start); NULL for
 *                      the newest run
 *   max_gap            largest step between consecutive samples inside the run (0 for one sample)
 *   gap_before         start_ts − the previous run's last_ts; NULL for a series' first run
 *   same_before        the previous run has the same text (it was split by a gap or the grid)
 *   samples            number of samples
 *
 * With the hold rule of samplesToIntervals (a sample holds until the next one, at most maxHoldMs), a
 * run whose max_gap ≤ maxHoldMs covers [start_ts, last_ts + min(next_ts − last_ts, maxHoldMs)) without
 * a hole, and it starts a new logical run unless the previous one had the same state and ended at
 * most maxHoldMs before. That is all stateDurations needs.
 *
 * Derivation is done by the store's writer, in the same transaction as the samples it covers:
 * - compaction (hot → cold): for each text series with hot rows, from the run holding the oldest hot
 *   sample (so late data re-derives the runs it falls into) up to the first run after the newest hot
 *   sample; that later run keeps its samples and only its gap_before / same_before are refreshed;
 * - retention (deleteBefore): runs wholly before the cut are deleted, a run straddling it is derived
 *   again from the samples that remain;
 * - deletePoint: the series' runs are deleted;
 * - deriveStateRunsForPlatform: catches up series whose cold samples run past their runs (a file
 *   written by an older version, or filled by SQL as the benchmark does).
 * Samples still in the hot table are "pending": a query reads the runs only before the oldest
 * pending sample of a series, and the samples after it (see stateDurationRunSql).
 */

/** A sample further than this from its predecessor starts a new run (the gap is its own boundary). */
export const RUN_GAP_MS = 300_000
/** Runs are cut at multiples of this (UTC days), which bounds an open run. */
export const RUN_GRID_MS = 86_400_000
const BAD = 2 // QUALITY_CODE.bad
const MAX_TS = '9223372036854775807'

export async function createStateRunSchema(c: DuckDBConnection): Promise<void> {
  await c.run(`CREATE TABLE IF NOT EXISTS state_runs (
    sid UINTEGER NOT NULL,
    start_ts BIGINT NOT NULL,
    last_ts BIGINT NOT NULL,
    next_ts BIGINT,
    state VARCHAR,
    max_gap BIGINT NOT NULL,
    gap_before BIGINT,
    same_before BOOLEAN,
    samples UINTEGER NOT NULL)`)
}

/**
 * The bounds of one derivation: per series, samples in [lo, hi) are (re)derived (lo NULL: from the
 * first sample; hi NULL: to the last). lo is the start of an existing run or a retention cut; hi is
 * the start of a run that stays. gb0 / sb0: gap_before / same_before of the run that starts at lo.
 */
const BOUNDS = 'state_run_bounds'

const createBounds = (c: DuckDBConnection, select: string): Promise<number> =>
  createTempTable(c, BOUNDS, select)

/**
 * Deletes the runs inside the bounds, derives them again from samples_all, and refreshes the
 * gap_before / same_before of the run at each hi. Returns the runs written.
 */
async function deriveBounded(c: DuckDBConnection): Promise<number> {
  await c.run(`DELETE FROM state_runs r USING ${BOUNDS} b
    WHERE r.sid = b.sid AND r.start_ts >= coalesce(b.lo, -${MAX_TS}) AND r.start_ts < coalesce(b.hi, ${MAX_TS})`)
  const ins = await c.run(`INSERT INTO state_runs
    WITH s AS (
      SELECT x.sid, x.ts, x.text AS st, b.hi, b.gb0, b.sb0
      FROM samples_all x JOIN ${BOUNDS} b ON x.sid = b.sid
      WHERE x.quality <> ${BAD} AND x.ts >= coalesce(b.lo, -${MAX_TS}) AND x.ts < coalesce(b.hi, ${MAX_TS})
    ), w AS (
      SELECT *, lag(ts) OVER w AS pts, lag(st) OVER w AS pst, lead(ts) OVER w AS nts
      FROM s WINDOW w AS (PARTITION BY sid ORDER BY ts)
    ), f AS (
      SELECT *, (pts IS NULL OR pst IS DISTINCT FROM st OR ts - pts > ${RUN_GAP_MS}
                 OR ts // ${RUN_GRID_MS} <> pts // ${RUN_GRID_MS}) AS brk
      FROM w
    ), g AS (
      SELECT *, sum(brk::INTEGER) OVER (PARTITION BY sid ORDER BY ts ROWS UNBOUNDED PRECEDING) AS grp
      FROM f
    )
    SELECT sid, min(ts), max(ts),
      nullif(max(coalesce(nts, hi, ${MAX_TS})), ${MAX_TS}),
      any_value(st),
      coalesce(max(ts - pts) FILTER (WHERE NOT brk), 0),
      max(CASE WHEN pts IS NULL THEN gb0 ELSE ts - pts END) FILTER (WHERE brk),
      bool_or(CASE WHEN pts IS NULL THEN sb0 ELSE pst IS NOT DISTINCT FROM st END) FILTER (WHERE brk),
      count(*)
    FROM g GROUP BY sid, grp`)
  // the run at hi now follows the last run derived before it
  await c.run(`UPDATE state_runs SET gap_before = state_runs.start_ts - p.last_ts,
      same_before = (p.state IS NOT DISTINCT FROM state_runs.state)
    FROM (SELECT r.sid, r.last_ts, r.state, r.next_ts FROM state_runs r JOIN ${BOUNDS} b
          ON r.sid = b.sid AND r.next_ts = b.hi AND r.start_ts < b.hi) p
    WHERE state_runs.sid = p.sid AND state_runs.start_ts = p.next_ts`)
  return ins.rowsChanged
}

/**
 * Before hot rows move to the cold table: the bounds for every series that has text samples (in the
 * hot rows, or runs already). Call deriveAfterCompaction once the rows are cold.
 */
export async function stateRunBoundsFromHot(c: DuckDBConnection): Promise<number> {
  return createBounds(
    c,
    `WITH h AS (
      SELECT sid, min(ts) AS p, max(ts) AS q, bool_or(text IS NOT NULL) AS textual
      FROM samples_hot GROUP BY sid
    ), h2 AS (
      SELECT * FROM h WHERE textual OR sid IN (SELECT DISTINCT sid FROM state_runs)
    )
    SELECT h2.sid,
      max(r.start_ts) FILTER (WHERE r.start_ts <= h2.p) AS lo,
      min(r.start_ts) FILTER (WHERE r.start_ts > h2.q) AS hi,
      arg_max_null(r.gap_before, r.start_ts) FILTER (WHERE r.start_ts <= h2.p) AS gb0,
      arg_max_null(r.same_before, r.start_ts) FILTER (WHERE r.start_ts <= h2.p) AS sb0
    FROM h2 LEFT JOIN state_runs r ON r.sid = h2.sid
    GROUP BY h2.sid`,
  )
}

/** Derives the runs of the bounds taken by stateRunBoundsFromHot (the rows are cold now). */
export async function deriveAfterCompaction(c: DuckDBConnection, bounds: number): Promise<number> {
  if (bounds === 0) return 0
  return deriveBounded(c)
}

/**
 * Retention: the samples of the series `sidFilter` (a SQL predicate on sid) before `before` are gone.
 * Deletes the runs that started before it and derives a run that straddled it again.
 */
export async function trimStateRuns(c: DuckDBConnection, sidFilter: string, before: number): Promise<void> {
  const n = await createBounds(
    c,
    `SELECT sid, ${before}::BIGINT AS lo, next_ts AS hi, NULL::BIGINT AS gb0, NULL::BOOLEAN AS sb0
     FROM state_runs WHERE ${sidFilter} AND start_ts < ${before} AND last_ts >= ${before}`,
  )
  await c.run(`DELETE FROM state_runs WHERE ${sidFilter} AND start_ts < ${before}`)
  // the first remaining run of a series has no predecessor any more
  await c.run(`UPDATE state_runs SET gap_before = NULL, same_before = NULL
    FROM (SELECT sid, min(start_ts) AS s FROM state_runs WHERE ${sidFilter} GROUP BY sid) f
    WHERE state_runs.sid = f.sid AND state_runs.start_ts = f.s`)
  if (n > 0) await deriveBounded(c)
}

/**
 * Catch-up: derives every text series whose stored samples go past its runs, from its newest run
 * on (from its first sample when it has none). `sids` limits it to these series (all when absent).
 */
export async function catchUpStateRuns(
  c: DuckDBConnection,
  sids?: readonly number[],
): Promise<{ series: number; runs: number }> {
  const only = sids === undefined ? '' : `AND sid IN (${sids.length === 0 ? 'NULL' : sids.join(',')})`
  const n = await createBounds(
    c,
    `WITH t AS (
      SELECT sid, max(ts) AS m FROM samples_all
      WHERE quality <> ${BAD} ${only}
        AND sid IN (SELECT sid FROM samples_all WHERE text IS NOT NULL ${only}
                    UNION SELECT sid FROM state_runs WHERE true ${only})
      GROUP BY sid
    ), r AS (
      SELECT sid, max(last_ts) AS covered, max(start_ts) AS lo,
        arg_max_null(gap_before, start_ts) AS gb0, arg_max_null(same_before, start_ts) AS sb0
      FROM state_runs WHERE true ${only} GROUP BY sid
    )
    SELECT t.sid, r.lo, NULL::BIGINT AS hi, r.gb0, r.sb0 FROM t LEFT JOIN r ON t.sid = r.sid
    WHERE r.covered IS NULL OR t.m > r.covered`,
  )
  if (n === 0) return { series: 0, runs: 0 }
  return { series: n, runs: await deriveBounded(c) }
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`
}

export interface StateRunCutSql {
  readonly sids: readonly number[]
  readonly from: number
  readonly to: number
  readonly maxHoldMs: number
  readonly states: readonly string[]
}

/**
 * Per series, where its runs can be used up to (columns: sid, cut, last_ts and state of the run
 * before the cut). The usable runs are the closed runs before the series' oldest pending (hot)
 * sample. A series is left out — read from samples only — when no run is usable, or when a usable
 * run that touches [from − maxHoldMs, to) has a text that is not one of the states, or a step inside
 * it longer than maxHoldMs (its hold would leave holes the run does not record).
 */
export function stateRunCutSql(q: StateRunCutSql): string {
  const { from: F, to: T, maxHoldMs: H } = q
  const sids = q.sids.join(',')
  // usable: closed, and before the oldest pending sample; one pass over the runs of the series
  const usable = '(r.next_ts IS NOT NULL AND (pend.p IS NULL OR r.next_ts <= pend.p))'
  return `WITH pend AS (
    SELECT sid, min(ts) AS p FROM samples_hot WHERE sid IN (${sids}) GROUP BY sid
  ), cut AS (
    SELECT r.sid, max(r.next_ts) FILTER (WHERE ${usable}) AS c,
      arg_max_null(r.last_ts, r.next_ts) FILTER (WHERE ${usable}) AS pl,
      arg_max_null(r.state, r.next_ts) FILTER (WHERE ${usable}) AS pst,
      bool_or(${usable} AND r.start_ts < ${T} AND r.last_ts >= ${F - H}
        AND (r.state IS NULL OR r.state NOT IN (${q.states.map(sqlString).join(',')}) OR r.max_gap > ${H})) AS bad
    FROM state_runs r LEFT JOIN pend ON r.sid = pend.sid
    WHERE r.sid IN (${sids})
    GROUP BY r.sid
  )
  SELECT sid, c::DOUBLE, CASE WHEN pst IS NOT NULL THEN pl::DOUBLE END, pst FROM cut
  WHERE c IS NOT NULL AND NOT bad`
}

/**
 * Per series: runs before `cut` are used, samples from it on; (prevTs, prevValue) is the last sample
 * (ts, state) before the cut, the predecessor of the first sample read (null: none to use).
 */
export type StateRunCut = SeriesCut<string>

export interface StateDurationRunSql extends StateRunCutSql {
  readonly bucketMs: number
  readonly originMs: number
  readonly cuts: readonly StateRunCut[]
}

/**
 * State durations from runs before each series' cut and from samples after it. Columns: sid, bucket,
 * state, ms, runs whose first moment inside [from, to) lies in the bucket; and, with state NULL and
 * bucket NULL, the number of good samples read whose text is not a state (the samples part only: a
 * series whose runs hold such text is not given a cut).
 */
export function stateDurationRunSql(q: StateDurationRunSql): string {
  const { from: F, to: T, maxHoldMs: H, bucketMs: B, originMs: O } = q
  const states = q.states.map(sqlString).join(',')
  const stateList = `[${states}]`
  const cuts = cutsSql(q.cuts, 'pst', 'VARCHAR', sqlString)
  // the samples before the smallest cut are not read (a constant bound prunes row groups)
  const lowest =
    q.cuts.length < q.sids.length ? F - H : Math.max(F - H, Math.min(...q.cuts.map((x) => x.cut)))
  return `WITH cut AS (${cuts}),
  runs AS NOT MATERIALIZED (
    SELECT r.sid, r.state AS st, greatest(r.start_ts, ${F}) AS s,
      least(r.last_ts + least(r.next_ts - r.last_ts, ${H}), ${T}) AS e,
      (r.start_ts <= ${F} OR r.gap_before IS NULL OR NOT r.same_before OR r.gap_before > ${H}) AS first
    FROM state_runs r JOIN cut ON r.sid = cut.sid
    WHERE r.next_ts <= cut.c AND r.start_ts < ${T} AND r.last_ts > ${F - H}
  ), k AS NOT MATERIALIZED (
    SELECT x.sid, x.ts, x.text AS st, coalesce(cut.c, -${MAX_TS}) AS c
    FROM samples_all x LEFT JOIN cut ON x.sid = cut.sid
    WHERE x.sid IN (${q.sids.join(',')}) AND x.ts >= ${lowest} AND x.ts < ${T}
      AND x.quality <> ${BAD} AND x.text IN (${states}) AND x.ts >= coalesce(cut.c, -${MAX_TS})
    UNION ALL
    SELECT sid, pl, pst, c FROM cut WHERE pl >= ${F - H} AND pl < ${T}
  ), n AS NOT MATERIALIZED (
    SELECT sid, ts, st, c, lead(ts) OVER w AS nts, lag(ts) OVER w AS pts, lag(st) OVER w AS pst
    FROM k WINDOW w AS (PARTITION BY sid ORDER BY ts)
  ), iv AS NOT MATERIALIZED (
    SELECT sid, st, greatest(ts, ${F}) AS s, least(coalesce(nts, ts + ${H}), ts + ${H}, ${T}) AS e,
      (pts IS NULL OR pst <> st OR ts - pts > ${H} OR ts <= ${F}) AS first
    FROM n WHERE ts >= c
  ), pieces AS NOT MATERIALIZED (
    -- read twice (first bucket of every piece, further buckets of the few that cross one): computing
    -- it twice costs less than materializing it. States as small integers: grouping by them is cheaper than by text
    SELECT sid, list_position(${stateList}, st)::UTINYINT AS st, s, e, first, ${bucketOf('s', B, O)} AS b0
    FROM (SELECT * FROM runs UNION ALL SELECT * FROM iv) WHERE e > s
  ), parts AS (
    SELECT sid, st, b0 AS b, least(e, b0 + ${B}) - s AS d, first AS f FROM pieces
    UNION ALL
    SELECT sid, st, b, least(e, b + ${B}) - b AS d, false AS f
    FROM (SELECT sid, st, e, unnest(range(b0 + ${B}, e, ${B})) AS b FROM pieces WHERE e > b0 + ${B})
  )
  SELECT sid, b::DOUBLE, ${stateList}[st], sum(d)::DOUBLE, (count(*) FILTER (WHERE f))::DOUBLE
  FROM parts GROUP BY sid, b, st
  UNION ALL
  SELECT x.sid, NULL, NULL, count(*)::DOUBLE, NULL FROM samples_all x LEFT JOIN cut ON x.sid = cut.sid
  WHERE x.sid IN (${q.sids.join(',')}) AND x.ts >= ${lowest} AND x.ts < ${T} AND x.quality <> ${BAD}
    AND (x.text IS NULL OR x.text NOT IN (${states})) AND x.ts >= coalesce(cut.c, -${MAX_TS})
  GROUP BY x.sid`
}
