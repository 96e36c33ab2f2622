import type { DuckDBConnection } from '@duckdb/node-api'

/**
 * SQL pieces shared by the DuckDB store's derived tables (state runs, counter pieces, meter pieces)
 * and the rollups that read them.
 */

/** Start of the `size`-aligned span holding an integer expression, flooring also before 1970. */
export function floorTo(expr: string, size: number): string {
  return `(${expr} - (((${expr}) % ${size}) + ${size}) % ${size})`
}

/** Bucket start of an integer expression, flooring also before the origin. */
export function bucketOf(expr: string, B: number, O: number): string {
  return `(${expr} - (((((${expr}) - (${O})) % ${B}) + ${B}) % ${B}))`
}

/** (Re)creates a temp table from a SELECT; returns its row count. */
export async function createTempTable(c: DuckDBConnection, name: string, select: string): Promise<number> {
  await c.run(`CREATE OR REPLACE TEMP TABLE ${name} AS ${select}`)
  const r = await c.runAndReadAll(`SELECT count(*)::DOUBLE FROM ${name}`)
  return r.getRows()[0]?.[0] as number
}

/** One cut per series: where derived rows end and samples begin, and the last value before it. */
export interface SeriesCut<V> {
  readonly sid: number
  readonly cut: number
  readonly prevTs: number | null
  readonly prevValue: V | null
}

/**
 * The cuts as a relation `(sid, c, pl, <valueColumn>)`, typed even when empty; `literal` renders a
 * non-null previous value as SQL.
 */
export function cutsSql<V>(
  cuts: readonly SeriesCut<V>[],
  valueColumn: string,
  valueType: 'DOUBLE' | 'VARCHAR',
  literal: (v: V) => string,
): string {
  if (cuts.length === 0) {
    return `SELECT NULL::UINTEGER AS sid, NULL::BIGINT AS c, NULL::BIGINT AS pl, NULL::${valueType} AS ${valueColumn} WHERE false`
  }
  const rows = cuts.map(
    (x) =>
      `(${x.sid}::UINTEGER, ${x.cut}::BIGINT, ${x.prevTs ?? 'NULL'}::BIGINT, ${x.prevValue === null ? 'NULL' : literal(x.prevValue)}::${valueType})`,
  )
  return `SELECT * FROM (VALUES ${rows.join(',')}) v(sid, c, pl, ${valueColumn})`
}

/** Reads the cuts (columns sid, cut, prev ts, prev value) and then the rows they shape, in one snapshot. */
export async function columnsAfterCuts<V>(
  c: DuckDBConnection,
  cutSql: string,
  rowsSql: (cuts: SeriesCut<V>[]) => string,
): Promise<unknown[][]> {
  await c.run('BEGIN TRANSACTION')
  try {
    const cutRows = (await c.runAndReadAll(cutSql)).getRows()
    const cuts: SeriesCut<V>[] = cutRows.map(([sid, cut, prevTs, prevValue]) => ({
      sid: sid as number,
      cut: cut as number,
      prevTs: prevTs as number | null,
      prevValue: prevValue as V | null,
    }))
    const cols = (await c.runAndReadAll(rowsSql(cuts))).getColumns()
    await c.run('COMMIT')
    return cols
  } catch (err) {
    await c.run('ROLLBACK').catch(() => undefined)
    throw err
  }
}
