/**
 * One-off check for issue 7 (not part of bench:analytics): on the analytics bench's cached file
 * (after `npm run bench:analytics -- --derive-only`), runs the OEE counter part both ways on one bare
 * connection — from counter pieces (counterIncreaseColumns) and from samples (counterIncreaseSql, the
 * old lag over every counter sample) — and prints one JSON line: both times and whether the two
 * results are equal.
 *
 * Usage: npx tsx bench/analytics-counter-check.ts [path to the bench's .duckdb file]
 */
import { readFileSync } from 'node:fs'
import { DuckDBInstance } from '@duckdb/node-api'
import { counterIncreaseColumns, counterIncreaseSql } from '../src/store/series/duckdb-series-rollups.ts'
const DAY = 86_400_000,
  OFFSET = 8 * 3_600_000
const F = Date.UTC(2026, 8, 1) - OFFSET
const q = {
  sids: Array.from({ length: 2000 }, (_, i) => 1001 + i),
  from: F,
  to: F + 90 * DAY,
  lookbackMs: 300_000,
  bucketMs: DAY,
  originMs: -OFFSET,
}
const db = await DuckDBInstance.create(
  process.argv[2] ?? '/tmp/ronghe-bench-analytics/m1000-d90-e10000-v1.duckdb',
)
const c = await db.connect()
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
const l0 = load()
let t = performance.now()
const a = await counterIncreaseColumns(c, q)
const pieces = (performance.now() - t) / 1000
t = performance.now()
const b = (await c.runAndReadAll(counterIncreaseSql(q))).getColumns()
const samples = (performance.now() - t) / 1000
const key = (cols: unknown[][]) => {
  const [s = [], k = [], v = []] = cols as number[][]
  return s
    .map((x, i) => `${x}@${k[i]}=${v[i]}`)
    .sort()
    .join()
}
console.log(
  JSON.stringify({
    piecesSeconds: +pieces.toFixed(2),
    samplesSqlSeconds: +samples.toFixed(2),
    rows: a[0]?.length,
    sameResult: key(a) === key(b),
    loadStart: l0,
    loadEnd: load(),
  }),
)
c.closeSync()
db.closeSync()
