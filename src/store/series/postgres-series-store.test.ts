import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { seriesStoreContract } from '../../../test/contracts/series-store.contract.ts'
import type { PointId, Sample, TenantId } from '../../core/index.ts'
import { createScratchDatabase, needPostgres, type ScratchDatabase } from './postgres-scratch.ts'
import {
  createPostgresSeriesStore,
  type PostgresSeriesStore,
  type PostgresSeriesStoreConfig,
} from './postgres-series-store.ts'
import type { SeriesStore } from './series-store.ts'

// One scratch database per run (dropped at the end); each store the contract opens gets its own schema.
const skip = await needPostgres()
let scratch: ScratchDatabase | undefined
let n = 0
const schemas = new WeakMap<SeriesStore, string>()

async function openIn(
  schema: string,
  extra: Partial<PostgresSeriesStoreConfig> = {},
): Promise<PostgresSeriesStore> {
  const st = await createPostgresSeriesStore({ url: scratch!.url, schema, maxConnections: 4, ...extra })
  schemas.set(st, schema)
  return st
}
function fresh(extra: Partial<PostgresSeriesStoreConfig> = {}): Promise<PostgresSeriesStore> {
  n += 1
  return openIn(`s${n}`, extra)
}

if (skip === undefined) {
  before(async () => {
    scratch = await createScratchDatabase('series')
  })
  after(async () => scratch?.drop())
  seriesStoreContract(
    'postgres',
    () => fresh(),
    async (prev) => {
      await prev.close()
      return openIn(schemas.get(prev)!)
    },
  )
}

const A = 'tenant-a' as TenantId
const B = 'tenant-b' as TenantId
const P1 = 'p1' as PointId
const P2 = 'p2' as PointId
const H = 3_600_000
const DAY = 86_400_000

function s(point: PointId, ts: number, value: number | null, text?: string): Sample {
  return text === undefined
    ? { point, ts, value, quality: 'good' }
    : { point, ts, value, text, quality: 'good' }
}

async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: scratch!.url })
  await c.connect()
  try {
    return (await c.query<T>(text, params)).rows
  } finally {
    await c.end()
  }
}

describe('postgres series store specifics', { skip }, () => {
  it('creates a partition per day as data arrives, plus one ahead', async () => {
    const st = await fresh()
    try {
      await st.append(A, [s(P1, 1000, 1), s(P1, 2 * DAY + 5, 2)])
      assert.deepEqual(await st.partitionsForPlatform(), [0, 2, 3])
      await st.append(A, [s(P1, -1, 0)])
      // ahead of -1 is 0, which exists; day 1 is never needed
      assert.deepEqual(await st.partitionsForPlatform(), [-1, 0, 2, 3])
      const bounds = await sql<{ b: string }>(
        `SELECT pg_get_expr(c.relpartbound, c.oid) AS b FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname = 'samples_pm1'`,
        [schemas.get(st)],
      )
      assert.deepEqual(bounds, [{ b: `FOR VALUES FROM ('-${DAY}') TO ('0')` }])
    } finally {
      await st.close()
    }
  })

  it('keeps the hourly rollup equal to the samples through writes, duplicates and deletions', async () => {
    const st = await fresh()
    const schema = schemas.get(st)!
    try {
      // hour 0: 1 @0, 3 @1000, text @2000; hour 1: 5 @H, 7 @H+10; a duplicate of @1000 is dropped
      await st.append(A, [s(P1, 1000, 3), s(P1, 0, 1), s(P1, 2000, null, 'on')])
      await st.append(A, [s(P1, 1000, 99), s(P1, H + 10, 7), s(P1, H, 5)])
      const rollup = async (): Promise<unknown[]> =>
        (
          await sql<Record<string, number | null>>(
            `SELECT hour, n, count, min, max, sum, first_ts, first, last_ts, last, min_ts, max_ts
             FROM ${schema}.samples_hourly ORDER BY hour`,
          )
        ).map((r) => Object.values(r).map((v) => (v === null ? null : Number(v))))
      assert.deepEqual(await rollup(), [
        [0, 3, 2, 1, 3, 4, 0, 1, 1000, 3, 0, 2000],
        [H, 2, 2, 5, 7, 12, H, 5, H + 10, 7, H, H + 10],
      ])
      // cut through hour 1: only 7 @H+10 is left of it
      assert.equal(await st.deleteBefore(A, H + 5), 4)
      assert.deepEqual(await rollup(), [[H, 1, 1, 7, 7, 7, H + 10, 7, H + 10, 7, H + 10, H + 10]])
      assert.equal(await st.deletePoint(A, P1), 1)
      assert.deepEqual(await rollup(), [])
    } finally {
      await st.close()
    }
  })

  it('answers hour-multiple buckets from the rollup plus raw edges, equal to the raw answer', async () => {
    const st = await fresh()
    try {
      const rows: Sample[] = []
      // 3 hours and a bit, one sample every 10 minutes, value = minute index; a text sample at 95 min
      for (let m = 0; m < 200; m += 10) rows.push(s(P1, m * 60_000, m))
      rows.push(s(P1, 95 * 60_000, null, 'idle'))
      await st.append(A, rows)
      // [25 min, 185 min) in 2-hour buckets: bucket 0 holds 30..110 (9 values, sum 630),
      // bucket 2 h holds 120..180 (7 values, sum 1050)
      const r = await st.buckets(A, { points: [P1], from: 25 * 60_000, to: 185 * 60_000, bucketMs: 2 * H })
      assert.deepEqual(r.rows, [
        { point: P1, ts: 0, count: 9, min: 30, max: 110, avg: 70, sum: 630, first: 30, last: 110 },
        { point: P1, ts: 2 * H, count: 7, min: 120, max: 180, avg: 150, sum: 1050, first: 120, last: 180 },
      ])
      assert.deepEqual(await st.stats(A, { from: 25 * 60_000, to: 185 * 60_000 }), {
        samples: 17,
        points: 1,
        firstTs: 30 * 60_000,
        lastTs: 180 * 60_000,
      })
    } finally {
      await st.close()
    }
  })

  it('drops a whole partition when only the deleting tenant has rows in it', async () => {
    const st = await fresh({ partitionsAhead: 0 })
    try {
      await st.appendForPlatform([
        { tenant: A, ...s(P1, 1000, 1) },
        { tenant: A, ...s(P1, 2000, 2) },
        { tenant: A, ...s(P1, DAY + 1000, 3) },
        { tenant: B, ...s(P1, DAY + 2000, 4) },
        { tenant: A, ...s(P1, 2 * DAY + 1000, 5) },
      ])
      assert.deepEqual(await st.partitionsForPlatform(), [0, 1, 2])
      // day 0 holds only A -> dropped; day 1 also holds B -> A's row deleted, B's kept
      assert.equal(await st.deleteBefore(A, 2 * DAY), 3)
      assert.deepEqual(await st.partitionsForPlatform(), [1, 2])
      assert.equal((await st.stats(B, { from: 0, to: 3 * DAY })).samples, 1)
      assert.deepEqual(
        (await st.range(A, { point: P1, from: 0, to: 3 * DAY })).samples.map((x) => x.value),
        [5],
      )
      // a write into the dropped day creates it again
      await st.append(A, [s(P1, 500, 0.5)])
      assert.deepEqual(await st.partitionsForPlatform(), [0, 1, 2])
      // platform retention drops every partition wholly before the cut
      assert.equal(await st.deleteBeforeForPlatform(2 * DAY), 2)
      assert.deepEqual(await st.partitionsForPlatform(), [2])
      assert.equal((await st.stats(B, { from: 0, to: 3 * DAY })).samples, 0)
      assert.equal((await st.stats(A, { from: 0, to: 3 * DAY })).samples, 1)
    } finally {
      await st.close()
    }
  })

  it('lets a second store (another node) write into partitions the first one dropped', async () => {
    const first = await fresh({ partitionsAhead: 0 })
    const second = await openIn(schemas.get(first)!, { partitionsAhead: 0 })
    try {
      await first.append(A, [s(P1, 1000, 1)])
      await second.append(A, [s(P1, 2000, 2)]) // learns day 0 exists
      assert.equal(await first.deleteBeforeForPlatform(DAY), 2)
      await second.append(A, [s(P1, 3000, 3)]) // its cache still lists day 0: retried after reload
      assert.deepEqual(
        (await first.range(A, { point: P1, from: 0, to: DAY })).samples.map((x) => x.value),
        [3],
      )
    } finally {
      await first.close()
      await second.close()
    }
  })

  it('stores text with tabs, newlines and backslashes through COPY unchanged', async () => {
    const st = await fresh()
    try {
      const odd = 'a\tb\nc\\d\re \\N'
      await st.append(A, [s(P1, 1000, null, odd), s('p\t2' as PointId, 1000, 1)])
      assert.deepEqual((await st.range(A, { point: P1, from: 0, to: 2000 })).samples, [
        s(P1, 1000, null, odd),
      ])
      assert.equal((await st.range(A, { point: 'p\t2' as PointId, from: 0, to: 2000 })).samples.length, 1)
      await assert.rejects(st.append(A, [s(P2, 1, null, 'nul\0')]), { code: 'SERIES_INVALID_SAMPLE' })
    } finally {
      await st.close()
    }
  })
})
