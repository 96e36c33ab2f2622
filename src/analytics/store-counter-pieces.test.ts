import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import type { PointId, Quality, Sample, TenantId } from '../core/index.ts'
import { counterPieceCutSql } from '../store/series/duckdb-counter-pieces.ts'
import {
  type CounterIncreaseSql,
  counterIncreaseColumns,
  counterIncreaseSql,
} from '../store/series/duckdb-series-rollups.ts'
import { createDuckdbSeriesStore } from '../store/series/duckdb-series-store.ts'
import type { CounterIncreaseQuery, CounterIncreaseRow } from '../store/series/series-store.ts'
import { referenceRollups } from './reference-rollups.ts'
import { createRng } from '../core/rng.ts'

/**
 * The DuckDB store's counter increases — summed from its counter pieces where the window and buckets
 * are whole hours, from samples elsewhere — against the pure reference and against the sample SQL
 * (counterIncreaseSql) on the same file, on random counters: resets, repeats, decimals, bad and NULL
 * samples, duplicates, silences longer than the lookback, late and out-of-order batches; laid out all
 * hot, compacted in slices with late data and the last slice hot, and all compacted.
 */
const root = mkdtempSync(join(tmpdir(), 'ronghe-counter-pieces-eq-'))
after(() => rmSync(root, { recursive: true, force: true }))

const MIN = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000
const T0 = Date.UTC(2026, 10, 23, 20) // a whole UTC hour, 04:00 in Shanghai
const TENANTS = ['t-1', 't-2'] as TenantId[]
const POINTS = ['c1', 'c2', 'c3'] as PointId[]

const prng = (seed: number): (() => number) => createRng(seed).next

/**
 * c1, c2: integers (they get pieces); c3: quarters (read from samples, unless a compaction of only
 * integer values gives it pieces: then from its first sample). Every sum is exact in doubles, so both
 * sides can be compared equal.
 */
function randomCounter(rnd: () => number, point: PointId, count: number): Sample[] {
  const step = point === 'c3' ? 4 : 1
  const out: Sample[] = []
  let ts = T0 + Math.floor(rnd() * 10) * 1000
  let v = Math.floor(rnd() * 100)
  for (let i = 0; i < count; i++) {
    const r = rnd()
    ts += r < 0.7 ? 5 * MIN : r < 0.85 ? 30_000 : r < 0.95 ? 17 * MIN : r < 0.98 ? 3 * HOUR : 26 * HOUR
    const s = rnd()
    if (s < 0.04)
      v = Math.floor(rnd() * 4) // reset
    else if (s < 0.2) {
      // repeat
    } else if (s < 0.22)
      v -= 1 / step // a small drop (taken as a reset by the rule)
    else v += Math.floor(rnd() * 12) / step
    const q: Quality = rnd() < 0.04 ? 'bad' : rnd() < 0.05 ? 'uncertain' : 'good'
    out.push({ point, ts, value: rnd() < 0.03 ? null : v, quality: q })
    if (rnd() < 0.02) out.push({ point, ts, value: v + 50, quality: 'good' }) // duplicate: dropped
  }
  return out
}

const byKey = (rows: readonly CounterIncreaseRow[]) =>
  [...rows].sort((x, y) => (x.point < y.point ? -1 : x.point > y.point ? 1 : x.bucket - y.bucket))

const colsKey = (cols: unknown[][]): string[] => {
  const [sid = [], b = [], v = []] = cols as number[][]
  return sid.map((s, i) => `${s}@${b[i]}=${v[i]}`).sort()
}

// [from hour, to hour, lookback, bucket, origin]: whole hours (pieces) and one that is not (samples)
const QUERIES: readonly (readonly [number, number, number, number, number])[] = [
  [0, 24 * 12, 5 * MIN, DAY, -8 * HOUR],
  [3, 100, 0, HOUR, 0],
  [7, 150, 20 * MIN, 3 * HOUR, HOUR],
  [30, 200, 4 * HOUR, DAY, 0],
  [50, 51, 30 * DAY, HOUR, 0],
  [-5, 400, 2 * HOUR, 7 * DAY, -8 * HOUR],
  [10.25, 90.5, 5 * MIN, DAY, 0], // not whole hours: read from samples
]

for (const layout of ['hot', 'sliced, late data, last slice hot', 'compacted'] as const) {
  describe(`counter increases from counter pieces = reference (${layout})`, () => {
    for (const seed of [1, 2, 3]) {
      it(`agrees on random counters (seed ${seed})`, async () => {
        const rnd = prng(seed * 7 + layout.length)
        const path = join(root, `${layout.length}-${seed}.duckdb`)
        const store = await createDuckdbSeriesStore({
          path,
          threads: 1,
          memoryLimit: '256MB',
          compactAtRows: 1_000_000, // compactions only where the test asks for them
        })
        const all = new Map<TenantId, Sample[]>()
        for (const t of TENANTS)
          all.set(
            t,
            POINTS.flatMap((p) => randomCounter(rnd, p, 700)),
          )
        const end = Math.max(...[...all.values()].flat().map((x) => x.ts))
        const span = end - T0
        const late: [TenantId, Sample][] = []
        const slices = layout === 'sliced, late data, last slice hot' ? 4 : 1
        for (let k = 0; k < slices; k++) {
          const lo = T0 + (k * span) / slices
          const hi = k === slices - 1 ? Number.POSITIVE_INFINITY : T0 + ((k + 1) * span) / slices
          for (const [t, samples] of all) {
            const slice = samples.filter((x) => x.ts >= lo && x.ts < hi)
            const now = slice.filter((x) => {
              if (slices > 1 && rnd() < 0.03) {
                late.push([t, x])
                return false
              }
              return true
            })
            await store.append(t, now.reverse()) // out of order inside the batch, too
          }
          if (k === 1 || k === 2) {
            // late samples alone in a compaction: the hours they fall into are derived again, and
            // the pieces after them keep their samples and get a new entry pair
            await store.sizeOnDiskForPlatform()
            for (const [t, x] of late.splice(0)) await store.append(t, [x])
          }
          if (slices > 1 && k < slices - 1) await store.sizeOnDiskForPlatform() // compacts: derives
        }
        // the rest of the late samples stay hot, inside hours already derived
        for (const [t, x] of late.splice(0)) await store.append(t, [x])
        if (layout === 'compacted') await store.sizeOnDiskForPlatform()
        const queries: CounterIncreaseSql[] = []
        let nonEmpty = 0
        try {
          assert.ok(store.rollups)
          const ref = referenceRollups(store)
          for (const [f, t, L, B, O] of QUERIES) {
            const w = { from: T0 + f * HOUR, to: T0 + t * HOUR, lookbackMs: L, bucketMs: B, originMs: O }
            const q: CounterIncreaseQuery = { points: POINTS, ...w }
            queries.push({ sids: [1, 2, 3, 4, 5, 6], ...w })
            for (const tenant of TENANTS) {
              const a = await store.rollups.counterIncreases(tenant, q)
              const b = await ref.counterIncreases(tenant, q)
              if (b.length > 0) nonEmpty++
              assert.deepEqual(byKey(a), byKey(b), `[${f}, ${t}) L ${L} B ${B} O ${O} ${tenant}`)
            }
          }
        } finally {
          await store.close()
        }
        assert.ok(nonEmpty >= 2 * QUERIES.length - 2, `only ${nonEmpty} answers had rows`)
        // the same statements on the file: pieces where the store used them, samples SQL throughout
        const db = await DuckDBInstance.create(path)
        const c = await db.connect()
        try {
          for (const q of queries) {
            assert.deepEqual(
              colsKey(await counterIncreaseColumns(c, q)),
              colsKey((await c.runAndReadAll(counterIncreaseSql(q))).getColumns()),
            )
          }
          // pieces were used where the data is cold: the integer series (and maybe c3) have a cut then,
          // none when all is hot; c3 has none when compacted in one go
          const cuts = (await c.runAndReadAll(counterPieceCutSql([1, 2, 3, 4, 5, 6]))).getRows()
          if (layout === 'hot') assert.equal(cuts.length, 0)
          else {
            assert.ok(cuts.length >= 4)
            if (layout === 'compacted') assert.equal(cuts.length, 4)
            const early = cuts.filter(([, cut]) => (cut as number) > T0 + span / 2)
            assert.ok(early.length >= (layout === 'compacted' ? 4 : 1), `cuts ${JSON.stringify(cuts)}`)
          }
        } finally {
          c.closeSync()
          db.closeSync()
        }
      })
    }
  })
}
