import type { DuckDBConnection } from '@duckdb/node-api'
import type { PointId, TenantId } from '../../core/index.ts'
import { counterIncreasePieceSql, counterPieceCutSql, piecesFit } from './duckdb-counter-pieces.ts'
import { meterPieceCutSql, meterPieceSql, meterPiecesFit } from './duckdb-meter-pieces.ts'
import { type StateRunCutSql, stateDurationRunSql, stateRunCutSql } from './duckdb-state-runs.ts'
import { SeriesErrors } from './series-errors.ts'
import type {
  CounterIncreaseQuery,
  CounterIncreaseRow,
  MeterBucketRow,
  MeterConsumption,
  MeterQuery,
  MeterRegister,
  RegularBuckets,
  SeriesRollups,
  StateDurationQuery,
  StateDurationRow,
} from './series-store.ts'
import { bucketOf, columnsAfterCuts } from './duckdb-derived-sql.ts'

/**
 * The DuckDB series store's rollups: one set-based query each over `samples_all`, with window
 * functions for the "previous / next reading" of each series; state durations read the store's
 * state runs where they cover the window (duckdb-state-runs.ts). The SQL builders are exported so a
 * benchmark can run exactly the same statement on a bare connection (the floor).
 *
 * Rules follow the analytics module's pure reference functions (samplesToIntervals + computeOee,
 * counterDeltas); test/e2e/analytics-rollups.test.ts compares both on the same data.
 */

const BAD = 2 // QUALITY_CODE.bad
const DEFAULT_INTERVAL_MS = 15 * 60_000

/** Resolves (tenant, point) to the store's series id; undefined when the series has no rows yet. */
export type SidLookup = (tenant: string, point: string) => number | undefined
export type ReadFn = <T>(operation: string, fn: (c: DuckDBConnection) => Promise<T>) => Promise<T>

function int(name: string, v: unknown, min = Number.MIN_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(v) || (v as number) < min) {
    throw SeriesErrors.invalidQuery(`${name} must be an integer ≥ ${min}`, { [name]: v })
  }
  return v as number
}

function buckets(q: RegularBuckets): { B: number; O: number } {
  const B = int('bucketMs', q.bucketMs, 1)
  const O = q.originMs === undefined ? 0 : int('originMs', q.originMs)
  return { B, O }
}

export interface CounterIncreaseSql {
  readonly sids: readonly number[]
  readonly from: number
  readonly to: number
  readonly lookbackMs: number
  readonly bucketMs: number
  readonly originMs: number
}

/** Columns: sid, bucket, sum of positive increases. */
export function counterIncreaseSql(q: CounterIncreaseSql): string {
  const { from: F, to: T, bucketMs: B, originMs: O } = q
  return `WITH k AS (
    SELECT sid, ts, value FROM samples_all
    WHERE sid IN (${q.sids.join(',')}) AND ts >= ${F - q.lookbackMs} AND ts < ${T}
      AND quality <> ${BAD} AND value IS NOT NULL
  ), p AS (
    SELECT sid, ts, value, lag(value) OVER (PARTITION BY sid ORDER BY ts) AS pv FROM k
  ), i AS (
    SELECT sid, ts, CASE WHEN value >= pv THEN value - pv ELSE value END AS inc
    FROM p WHERE pv IS NOT NULL AND ts >= ${F}
  )
  SELECT sid, ${bucketOf('ts', B, O)}::DOUBLE AS bucket, sum(inc) FROM i WHERE inc > 0 GROUP BY sid, bucket`
}

export interface MeterSql {
  readonly sids: readonly number[]
  readonly from: number
  readonly to: number
  readonly intervalMs: number
  readonly bucketMs: number
  readonly originMs: number
  readonly rolloverMax?: number
}

/** The reading pairs of counterDeltas, with their delta (NULL across an unexplained drop). */
function meterPairs(q: MeterSql): string {
  const { from: F, to: T, intervalMs: I } = q
  const R = q.rolloverMax
  const rollover = R === undefined ? '' : `WHEN v0 >= ${R * 0.9} AND v1 <= ${R * 0.1} THEN ${R} - v0 + v1`
  return `k AS (
    SELECT sid, ts, value FROM samples_all
    WHERE sid IN (${q.sids.join(',')}) AND ts >= ${F - I} AND ts < ${T + I}
      AND quality <> ${BAD} AND value IS NOT NULL
  ), p AS (
    SELECT sid, lag(ts) OVER w AS t0, ts AS t1, lag(value) OVER w AS v0, value AS v1
    FROM k WINDOW w AS (PARTITION BY sid ORDER BY ts)
  ), d AS (
    SELECT sid, t0, t1, greatest(t0, ${F}) AS s, least(t1, ${T}) AS e,
      CASE WHEN v1 >= v0 THEN v1 - v0 ${rollover} WHEN v1 <= v0 * 0.01 THEN v1 ELSE NULL END AS delta
    FROM p WHERE t0 IS NOT NULL AND t1 > ${F} AND t0 < ${T}
  )`
}

/**
 * Columns: sid, bucket, consumption, complete intervals, covered intervals. A gap-free pair spans at
 * most intervalMs, so it touches at most two intervals: its first (k0) and the next.
 */
export function meterBucketSql(q: MeterSql): string {
  const { from: F, intervalMs: I, bucketMs: B, originMs: O } = q
  return `WITH ${meterPairs(q)}, y AS MATERIALIZED (
    SELECT sid, delta, t1 - t0 AS span, (s - ${F}) // ${I} AS k0, s, e,
      least(e, ${F} + ((s - ${F}) // ${I} + 1) * ${I}) - s AS c1
    FROM d WHERE delta IS NOT NULL AND t1 - t0 <= ${I}
  ), pieces AS (
    SELECT sid, k0 AS k, delta * c1 / span AS share, c1 AS cov FROM y
    UNION ALL
    SELECT sid, k0 + 1, delta * (e - s - c1) / span, e - s - c1 FROM y WHERE e - s > c1
  ), iv AS (
    SELECT sid, k, sum(share) AS v, sum(cov) AS cov FROM pieces GROUP BY sid, k
  )
  SELECT sid, ${bucketOf(`(${F} + k * ${I})`, B, O)}::DOUBLE AS bucket, sum(v),
    (count(*) FILTER (WHERE cov >= ${I}))::DOUBLE, count(*)::DOUBLE
  FROM iv GROUP BY sid, bucket`
}

/** Columns: sid, register difference over the window (every pair with a known delta, by time). */
export function meterRegisterSql(q: MeterSql): string {
  return `WITH ${meterPairs(q)}
  SELECT sid, coalesce(sum(delta * (e - s) / (t1 - t0)), 0) FROM d GROUP BY sid`
}

function validateWindow(from: number, to: number): void {
  int('from', from)
  int('to', to)
  if (from >= to) throw SeriesErrors.invalidQuery('from must be before to', { from, to })
}

/**
 * State durations in one snapshot: where each series' runs can be used (stateRunCutSql), then runs
 * before the cut and samples after it (stateDurationRunSql). Columns as stateDurationRunSql.
 */
export function stateDurationColumns(
  c: DuckDBConnection,
  q: StateRunCutSql & { readonly bucketMs: number; readonly originMs: number },
): Promise<unknown[][]> {
  return columnsAfterCuts<string>(c, stateRunCutSql(q), (cuts) => stateDurationRunSql({ ...q, cuts }))
}

/**
 * Counter increases in one snapshot: from the store's counter pieces where the window and buckets
 * are whole hours (where each series' pieces end, then pieces before it and samples after it), else
 * from samples (counterIncreaseSql). Columns as counterIncreaseSql.
 */
export async function counterIncreaseColumns(
  c: DuckDBConnection,
  q: CounterIncreaseSql,
): Promise<unknown[][]> {
  if (!piecesFit(q)) return (await c.runAndReadAll(counterIncreaseSql(q))).getColumns()
  return columnsAfterCuts<number>(c, counterPieceCutSql(q.sids), (cuts) =>
    counterIncreasePieceSql({ ...q, cuts }),
  )
}

/**
 * Meter consumption in one snapshot from the store's meter pieces where they fit (meterPiecesFit):
 * where each series' pieces end, then pieces before it and samples after it. Columns as
 * meterPieceSql: bucket rows, and one register row per series with a NULL bucket.
 */
export function meterPieceColumns(
  c: DuckDBConnection,
  q: { sids: readonly number[]; from: number; to: number; bucketMs: number; originMs: number },
): Promise<unknown[][]> {
  return columnsAfterCuts<number>(c, meterPieceCutSql(q.sids, q.from), (cuts) =>
    meterPieceSql({ ...q, cuts }),
  )
}

export function createDuckdbRollups(deps: {
  readonly lookup: SidLookup
  readonly read: ReadFn
  /** a meter query asked for these series: the store derives their meter pieces from now on */
  readonly trackMeters?: (sids: readonly number[]) => void
}): SeriesRollups {
  const { lookup, read } = deps

  function sidsOf(list: readonly { tenant: string; point: string }[]): Map<number, (typeof list)[number]> {
    const m = new Map<number, (typeof list)[number]>()
    for (const x of list) {
      const sid = lookup(x.tenant, x.point)
      if (sid !== undefined && !m.has(sid)) m.set(sid, x)
    }
    return m
  }

  async function meter(
    series: readonly { tenant: string; point: string }[],
    q: MeterQuery,
  ): Promise<MeterConsumption> {
    validateWindow(q.from, q.to)
    const { B, O } = buckets(q)
    const I = int('intervalMs', q.intervalMs ?? DEFAULT_INTERVAL_MS, 1)
    if ((q.to - q.from) % I !== 0 || B % I !== 0 || (((O - q.from) % I) + I) % I !== 0) {
      throw SeriesErrors.invalidQuery(
        'intervals must tile the window and the buckets: intervalMs divides to − from and bucketMs, and originMs lies on an interval boundary',
      )
    }
    if (q.rolloverMax !== undefined && !(q.rolloverMax > 0)) {
      throw SeriesErrors.invalidQuery('rolloverMax must be positive')
    }
    const bySid = sidsOf(series)
    if (bySid.size === 0) return { rows: [], registers: [] }
    const sql: MeterSql = {
      sids: [...bySid.keys()],
      from: q.from,
      to: q.to,
      intervalMs: I,
      bucketMs: B,
      originMs: O,
      ...(q.rolloverMax === undefined ? {} : { rolloverMax: q.rolloverMax }),
    }
    const rows: MeterBucketRow[] = []
    const registers: MeterRegister[] = []
    const addRows = (cols: unknown[][]): void => {
      const [sidC = [], bC = [], vC = [], completeC = [], coveredC = []] = cols as (number | null)[][]
      for (let i = 0; i < sidC.length; i++) {
        const s = bySid.get(sidC[i] as number) as { tenant: string; point: string }
        if (bC[i] === null) {
          registers.push({
            tenant: s.tenant as TenantId,
            point: s.point as PointId,
            registerDelta: vC[i] as number,
          })
          continue
        }
        rows.push({
          tenant: s.tenant as TenantId,
          point: s.point as PointId,
          bucket: bC[i] as number,
          consumption: vC[i] as number,
          completeIntervals: completeC[i] as number,
          coveredIntervals: coveredC[i] as number,
        })
      }
    }
    if (meterPiecesFit(sql)) {
      deps.trackMeters?.(sql.sids)
      addRows(await read('meterConsumption', (c) => meterPieceColumns(c, sql)))
      return { rows, registers }
    }
    const [bucketCols, registerCols] = await Promise.all([
      read('meterConsumption', async (c) => (await c.runAndReadAll(meterBucketSql(sql))).getColumns()),
      read('meterConsumption', async (c) => (await c.runAndReadAll(meterRegisterSql(sql))).getColumns()),
    ])
    addRows(bucketCols)
    const [rSid = [], rV = []] = registerCols as number[][]
    addRows([rSid, rSid.map(() => null), rV])
    return { rows, registers }
  }

  return {
    async stateDurations(tenant, q: StateDurationQuery) {
      validateWindow(q.from, q.to)
      const { B, O } = buckets(q)
      const H = int('maxHoldMs', q.maxHoldMs, 1)
      if (H > B) throw SeriesErrors.invalidQuery('maxHoldMs must not exceed bucketMs')
      if (q.states.length === 0) throw SeriesErrors.invalidQuery('states must not be empty')
      const bySid = sidsOf(q.points.map((point) => ({ tenant, point })))
      if (bySid.size === 0) return { rows: [], ignored: new Map() }
      const cols = await read('stateDurations', (c) =>
        stateDurationColumns(c, {
          sids: [...bySid.keys()],
          from: q.from,
          to: q.to,
          maxHoldMs: H,
          states: q.states,
          bucketMs: B,
          originMs: O,
        }),
      )
      const [sidC = [], bC = [], stC = [], dC = [], runC = []] = cols as (number | string | null)[][]
      const rows: StateDurationRow[] = []
      const ignored = new Map<PointId, number>()
      for (let i = 0; i < sidC.length; i++) {
        const point = (bySid.get(sidC[i] as number) as { point: string }).point as PointId
        if (bC[i] === null) ignored.set(point, dC[i] as number)
        else {
          rows.push({
            point,
            bucket: bC[i] as number,
            state: stC[i] as string,
            durationMs: dC[i] as number,
            runs: runC[i] as number,
          })
        }
      }
      return { rows, ignored }
    },

    async counterIncreases(tenant, q: CounterIncreaseQuery) {
      validateWindow(q.from, q.to)
      const { B, O } = buckets(q)
      const L = int('lookbackMs', q.lookbackMs, 0)
      const bySid = sidsOf(q.points.map((point) => ({ tenant, point })))
      if (bySid.size === 0) return []
      const sql: CounterIncreaseSql = {
        sids: [...bySid.keys()],
        from: q.from,
        to: q.to,
        lookbackMs: L,
        bucketMs: B,
        originMs: O,
      }
      const cols = await read('counterIncreases', (c) => counterIncreaseColumns(c, sql))
      const [sidC = [], bC = [], vC = []] = cols as number[][]
      return sidC.map(
        (sid, i): CounterIncreaseRow => ({
          point: (bySid.get(sid) as { point: string }).point as PointId,
          bucket: bC[i] as number,
          increase: vC[i] as number,
        }),
      )
    },

    meterConsumption(tenant, q) {
      return meter(
        q.points.map((point) => ({ tenant, point })),
        q,
      )
    },

    meterConsumptionForPlatform(q) {
      return meter(q.series, q)
    },
  }
}
