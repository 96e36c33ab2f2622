/**
 * The contract every SeriesStore adapter passes. An adapter's test file calls
 * `seriesStoreContract('duckdb', open, reopen)`: `open` gives a fresh, empty store; `reopen` closes
 * a store and opens the same storage again (persistence tests are skipped without it).
 *
 * Semantics pinned here, beyond the port's comments, so every engine behaves the same:
 * - Duplicates: the FIRST write of a (tenant, point, ts) wins, within a batch and across batches
 *   and restarts; a later write of the same key is dropped without error.
 * - A returned Sample has `text` only when one was stored (no `text: null` key).
 * - Buckets: bucket start = floor(ts / bucketMs) * bucketMs (also before 1970). Only numeric values
 *   enter the aggregates: samples with value null (text samples, bad readings) are not counted, and
 *   `count` is the number of numeric values. A bucket that holds samples but no numeric value is
 *   still returned, with count 0 and null aggregates; a bucket without samples is not returned.
 *   `first`/`last` are the numeric values with the smallest/largest ts in the bucket. Rows come
 *   grouped by point in the order the query lists the points (duplicates and unknown points
 *   ignored), each point's buckets ascending.
 * - stats counts every sample (numeric or not); `points` is the number of points with samples.
 * - Invalid samples reject the whole batch with SERIES_INVALID_SAMPLE and nothing is written.
 * - After close(), every method rejects with SERIES_CLOSED.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { PointId, Quality, Sample, TenantId, TenantSample } from '../../src/core/index.ts'
import { chooseBucketMs, type SeriesStore } from '../../src/store/series/series-store.ts'

const A = 'tenant-a' as TenantId
const B = 'tenant-b' as TenantId
const P1 = 'p1' as PointId
const P2 = 'p2' as PointId
const P3 = 'p3' as PointId

function s(
  point: PointId,
  ts: number,
  value: number | null,
  quality: Quality = 'good',
  text?: string,
): Sample {
  return text === undefined ? { point, ts, value, quality } : { point, ts, value, text, quality }
}

function ts(samples: readonly Sample[]): number[] {
  return samples.map((x) => x.ts)
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.equal((err as { code?: string }).code, code)
    return true
  })
}

export function seriesStoreContract(
  name: string,
  open: () => Promise<SeriesStore>,
  reopen?: (prev: SeriesStore) => Promise<SeriesStore>,
): void {
  /** Opens a store, runs the body, closes whatever store the body ended with. */
  async function withStore(body: (st: SeriesStore) => Promise<SeriesStore | undefined>): Promise<void> {
    let st = await open()
    try {
      st = (await body(st)) ?? st
    } finally {
      await st.close()
    }
  }

  describe(`SeriesStore contract: ${name}`, () => {
    describe('append and range', () => {
      it('returns samples in [from, to), ascending by default', async () => {
        await withStore(async (st) => {
          await st.append(
            A,
            [1000, 2000, 3000, 4000, 5000].map((t) => s(P1, t, t / 1000)),
          )
          const r = await st.range(A, { point: P1, from: 2000, to: 4000 })
          assert.deepEqual(r, { point: P1, samples: [s(P1, 2000, 2), s(P1, 3000, 3)], truncated: false })
          const all = await st.range(A, { point: P1, from: 0, to: 10_000 })
          assert.deepEqual(ts(all.samples), [1000, 2000, 3000, 4000, 5000])
          return undefined
        })
      })

      it('sorts by ts whatever the arrival order', async () => {
        await withStore(async (st) => {
          await st.append(A, [s(P1, 3000, 3), s(P1, 1000, 1)])
          await st.append(A, [s(P1, 2000, 2), s(P1, 5000, 5), s(P1, 4000, 4)])
          const r = await st.range(A, { point: P1, from: 0, to: 10_000 })
          assert.deepEqual(
            r.samples.map((x) => x.value),
            [1, 2, 3, 4, 5],
          )
          return undefined
        })
      })

      it('applies limit and order and says when the answer was cut', async () => {
        await withStore(async (st) => {
          await st.append(
            A,
            [1000, 2000, 3000, 4000, 5000].map((t) => s(P1, t, t)),
          )
          const asc = await st.range(A, { point: P1, from: 0, to: 10_000, limit: 2 })
          assert.deepEqual(ts(asc.samples), [1000, 2000])
          assert.equal(asc.truncated, true)
          const desc = await st.range(A, { point: P1, from: 0, to: 10_000, limit: 2, order: 'desc' })
          assert.deepEqual(ts(desc.samples), [5000, 4000])
          assert.equal(desc.truncated, true)
          const exact = await st.range(A, { point: P1, from: 0, to: 10_000, limit: 5, order: 'desc' })
          assert.deepEqual(ts(exact.samples), [5000, 4000, 3000, 2000, 1000])
          assert.equal(exact.truncated, false)
          const window = await st.range(A, { point: P1, from: 2000, to: 5000, limit: 2, order: 'desc' })
          assert.deepEqual(ts(window.samples), [4000, 3000])
          assert.equal(window.truncated, true)
          return undefined
        })
      })

      it('round-trips text values and all three qualities', async () => {
        await withStore(async (st) => {
          const samples = [
            s(P1, 1000, 1.25, 'good'),
            s(P1, 2000, null, 'uncertain', '运行 running'),
            s(P1, 3000, -7.5, 'bad'),
            s(P1, 4000, null, 'bad'),
            s(P1, 5000, 0, 'good', ''),
            s(P1, 6000, 3, 'uncertain', 'with both'),
          ]
          await st.append(A, samples)
          const r = await st.range(A, { point: P1, from: 0, to: 10_000 })
          assert.deepEqual(r.samples, samples)
          return undefined
        })
      })

      it('keeps large epoch values and values before 1970 exact', async () => {
        await withStore(async (st) => {
          const samples = [s(P1, -86_400_000, 1), s(P1, 0, 2), s(P1, 4_102_444_800_000, 3)]
          await st.append(A, samples)
          const r = await st.range(A, { point: P1, from: -100_000_000, to: 4_102_444_800_001 })
          assert.deepEqual(r.samples, samples)
          return undefined
        })
      })

      it('returns nothing for an unknown point or an empty window', async () => {
        await withStore(async (st) => {
          await st.append(A, [s(P1, 1000, 1)])
          assert.deepEqual(await st.range(A, { point: P2, from: 0, to: 10_000 }), {
            point: P2,
            samples: [],
            truncated: false,
          })
          assert.deepEqual((await st.range(A, { point: P1, from: 1000, to: 1000 })).samples, [])
          assert.deepEqual((await st.range(A, { point: P1, from: 1001, to: 5000 })).samples, [])
          return undefined
        })
      })
    })

    describe('idempotent writes (first write wins)', () => {
      it('keeps one row for a duplicate inside one batch', async () => {
        await withStore(async (st) => {
          await st.append(A, [
            s(P1, 1000, 1),
            s(P1, 2000, 2),
            s(P1, 1000, 99),
            s(P1, 2000, 98),
            s(P1, 1000, 97),
          ])
          const r = await st.range(A, { point: P1, from: 0, to: 10_000 })
          assert.deepEqual(r.samples, [s(P1, 1000, 1), s(P1, 2000, 2)])
          return undefined
        })
      })

      it('keeps one row for a duplicate across batches, also out of order', async () => {
        await withStore(async (st) => {
          await st.append(A, [s(P1, 1000, 1), s(P1, 2000, 2), s(P1, 3000, 3)])
          await st.append(A, [s(P1, 2000, 20, 'bad'), s(P1, 4000, 4), s(P1, 1000, 10)])
          await st.append(A, [s(P1, 3000, 30), s(P1, 500, 0.5), s(P1, 4000, 40)])
          const r = await st.range(A, { point: P1, from: 0, to: 10_000 })
          assert.deepEqual(r.samples, [
            s(P1, 500, 0.5),
            s(P1, 1000, 1),
            s(P1, 2000, 2),
            s(P1, 3000, 3),
            s(P1, 4000, 4),
          ])
          assert.equal((await st.stats(A, { from: 0, to: 10_000 })).samples, 5)
          return undefined
        })
      })

      it('treats the same ts on another point or tenant as a different sample', async () => {
        await withStore(async (st) => {
          await st.appendForPlatform([
            { ...s(P1, 1000, 1), tenant: A },
            { ...s(P2, 1000, 2), tenant: A },
            { ...s(P1, 1000, 3), tenant: B },
          ])
          assert.deepEqual((await st.range(A, { point: P1, from: 0, to: 2000 })).samples, [s(P1, 1000, 1)])
          assert.deepEqual((await st.range(A, { point: P2, from: 0, to: 2000 })).samples, [s(P2, 1000, 2)])
          assert.deepEqual((await st.range(B, { point: P1, from: 0, to: 2000 })).samples, [s(P1, 1000, 3)])
          return undefined
        })
      })

      it('keeps one row for a duplicate written after a reopen', { skip: reopen === undefined }, async () => {
        await withStore(async (first) => {
          await first.append(A, [s(P1, 1000, 1), s(P1, 2000, 2)])
          const st = await reopen!(first)
          await st.append(A, [s(P1, 1000, 10), s(P1, 2000, 20), s(P1, 3000, 3)])
          const r = await st.range(A, { point: P1, from: 0, to: 10_000 })
          assert.deepEqual(r.samples, [s(P1, 1000, 1), s(P1, 2000, 2), s(P1, 3000, 3)])
          return st
        })
      })

      it('keeps one row when many appends of overlapping batches run concurrently', async () => {
        await withStore(async (st) => {
          // 20 batches; batch k holds ts (k .. k+9) * 1000 for P1 and P2 under tenant A: 29 distinct ts.
          const batches = Array.from({ length: 20 }, (_, k) =>
            Array.from({ length: 10 }, (_, j) => [s(P1, (k + j) * 1000, k), s(P2, (k + j) * 1000, k)]).flat(),
          )
          await Promise.all(batches.map((b) => st.append(A, b)))
          const r1 = await st.range(A, { point: P1, from: 0, to: 100_000 })
          assert.deepEqual(
            ts(r1.samples),
            Array.from({ length: 29 }, (_, i) => i * 1000),
          )
          assert.equal((await st.stats(A, { from: 0, to: 100_000 })).samples, 58)
          return undefined
        })
      })
    })

    describe('buckets', () => {
      // Bucket 10 s. Hand-computed for [10_000, 50_000):
      //   [10_000, 20_000): 4 @10_000, 1.5 @12_000, text @15_000, 0.5 @19_999
      //        -> count 3, min 0.5, max 4, sum 6, avg 2, first 4, last 0.5
      //   [20_000, 30_000): -1 @20_000 -> all -1, count 1
      //   [30_000, 40_000): 8 @35_000 (uncertain) and null @36_000 (bad) -> 8, count 1
      //   [40_000, 50_000): text only @45_000 -> count 0, aggregates null
      //   5 @9_999 and 7 @50_000 lie outside the window.
      const data = [
        s(P1, 19_999, 0.5),
        s(P1, 12_000, 1.5),
        s(P1, 10_000, 4),
        s(P1, 15_000, null, 'good', 'idle'),
        s(P1, 9_999, 5),
        s(P1, 20_000, -1),
        s(P1, 35_000, 8, 'uncertain'),
        s(P1, 36_000, null, 'bad'),
        s(P1, 45_000, null, 'good', 'stopped'),
        s(P1, 50_000, 7),
      ]

      it('computes every aggregate per bucket', async () => {
        await withStore(async (st) => {
          await st.append(A, data)
          const r = await st.buckets(A, { points: [P1], from: 10_000, to: 50_000, bucketMs: 10_000 })
          assert.equal(r.bucketMs, 10_000)
          assert.deepEqual(r.rows, [
            { point: P1, ts: 10_000, count: 3, min: 0.5, max: 4, avg: 2, sum: 6, first: 4, last: 0.5 },
            { point: P1, ts: 20_000, count: 1, min: -1, max: -1, avg: -1, sum: -1, first: -1, last: -1 },
            { point: P1, ts: 30_000, count: 1, min: 8, max: 8, avg: 8, sum: 8, first: 8, last: 8 },
            {
              point: P1,
              ts: 40_000,
              count: 0,
              min: null,
              max: null,
              avg: null,
              sum: null,
              first: null,
              last: null,
            },
          ])
          return undefined
        })
      })

      it('aligns buckets to multiples of bucketMs since the epoch, also before 1970', async () => {
        await withStore(async (st) => {
          await st.append(A, [
            s(P1, -15_000, 1),
            s(P1, -5_000, 2),
            s(P1, 5_000, 3),
            s(P1, 12_500, 4),
            s(P1, 17_000, 6),
          ])
          const r = await st.buckets(A, { points: [P1], from: -20_000, to: 20_000, bucketMs: 10_000 })
          assert.deepEqual(
            r.rows.map((x) => [x.ts, x.sum]),
            [
              [-20_000, 1],
              [-10_000, 2],
              [0, 3],
              [10_000, 10],
            ],
          )
          // A window starting mid-bucket: the bucket keeps its aligned start but only holds samples >= from.
          const mid = await st.buckets(A, { points: [P1], from: 13_000, to: 20_000, bucketMs: 10_000 })
          assert.deepEqual(mid.rows, [
            { point: P1, ts: 10_000, count: 1, min: 6, max: 6, avg: 6, sum: 6, first: 6, last: 6 },
          ])
          return undefined
        })
      })

      it('chooses bucketMs from targetPoints when it is absent', async () => {
        await withStore(async (st) => {
          await st.append(A, [s(P1, 0, 1), s(P1, 59_999, 2), s(P1, 60_000, 3), s(P1, 3_599_999, 4)])
          // 1 h / 60 targets = 60 s exactly
          const r = await st.buckets(A, { points: [P1], from: 0, to: 3_600_000, targetPoints: 60 })
          assert.equal(r.bucketMs, 60_000)
          assert.equal(r.bucketMs, chooseBucketMs(0, 3_600_000, 60))
          assert.deepEqual(
            r.rows.map((x) => [x.ts, x.count, x.sum]),
            [
              [0, 2, 3],
              [60_000, 1, 3],
              [3_540_000, 1, 4],
            ],
          )
          // default target 500: 3,600 s / 500 = 7.2 s, rounded up to the nice width 10 s
          const d = await st.buckets(A, { points: [P1], from: 0, to: 3_600_000 })
          assert.equal(d.bucketMs, 10_000)
          assert.deepEqual(
            d.rows.map((x) => [x.ts, x.count]),
            [
              [0, 1],
              [50_000, 1],
              [60_000, 1],
              [3_590_000, 1],
            ],
          )
          return undefined
        })
      })

      it('answers several points grouped in the order they were asked for', async () => {
        await withStore(async (st) => {
          await st.append(A, [
            s(P1, 1000, 1),
            s(P1, 11_000, 2),
            s(P2, 2000, 10),
            s(P2, 3000, 20),
            s(P3, 5000, 7),
          ])
          const r = await st.buckets(A, {
            points: [P2, 'nope' as PointId, P1, P2],
            from: 0,
            to: 20_000,
            bucketMs: 10_000,
          })
          assert.deepEqual(
            r.rows.map((x) => [x.point, x.ts, x.count, x.avg, x.first, x.last]),
            [
              [P2, 0, 2, 15, 10, 20],
              [P1, 0, 1, 1, 1, 1],
              [P1, 10_000, 1, 2, 2, 2],
            ],
          )
          return undefined
        })
      })

      it('returns no rows for no points, unknown points or an empty window', async () => {
        await withStore(async (st) => {
          await st.append(A, [s(P1, 1000, 1)])
          assert.deepEqual(
            (await st.buckets(A, { points: [], from: 0, to: 10_000, bucketMs: 1000 })).rows,
            [],
          )
          assert.deepEqual(
            (await st.buckets(A, { points: [P2], from: 0, to: 10_000, bucketMs: 1000 })).rows,
            [],
          )
          assert.deepEqual(
            (await st.buckets(A, { points: [P1], from: 2000, to: 9000, bucketMs: 1000 })).rows,
            [],
          )
          return undefined
        })
      })
    })

    describe('latest and stats', () => {
      it('returns the newest sample of each point, whatever the arrival order', async () => {
        await withStore(async (st) => {
          await st.append(A, [s(P1, 3000, 3), s(P1, 1000, 1), s(P2, 2000, null, 'bad', 'off')])
          await st.append(A, [s(P1, 2000, 2), s(P2, 1000, 1)])
          const m = await st.latest(A, [P1, P2, P3])
          assert.equal(m.size, 2)
          assert.deepEqual(m.get(P1), s(P1, 3000, 3))
          assert.deepEqual(m.get(P2), s(P2, 2000, null, 'bad', 'off'))
          assert.equal((await st.latest(A, [])).size, 0)
          return undefined
        })
      })

      it('follows deletions: an emptied point gets a new latest from older data', async () => {
        await withStore(async (st) => {
          await st.append(A, [s(P1, 5000, 5), s(P2, 5000, 50), s(P2, 9000, 90)])
          assert.equal(await st.deletePoint(A, P1), 1)
          assert.equal((await st.latest(A, [P1])).size, 0)
          await st.append(A, [s(P1, 1000, 1)])
          assert.deepEqual((await st.latest(A, [P1])).get(P1), s(P1, 1000, 1))
          // everything of P1 is older than 6000 -> P1 is empty again; P2 keeps 9000
          assert.equal(await st.deleteBefore(A, 6000), 2)
          assert.deepEqual([...(await st.latest(A, [P1, P2])).entries()], [[P2, s(P2, 9000, 90)]])
          await st.append(A, [s(P1, 2000, 2), s(P2, 1000, 10)])
          const m = await st.latest(A, [P1, P2])
          assert.deepEqual(m.get(P1), s(P1, 2000, 2))
          assert.deepEqual(m.get(P2), s(P2, 9000, 90))
          return undefined
        })
      })

      it('counts samples and points in a window', async () => {
        await withStore(async (st) => {
          await st.append(A, [s(P1, 1000, 1), s(P1, 2000, null, 'good', 'x'), s(P2, 3000, 3), s(P1, 9000, 9)])
          assert.deepEqual(await st.stats(A, { from: 0, to: 10_000 }), {
            samples: 4,
            points: 2,
            firstTs: 1000,
            lastTs: 9000,
          })
          assert.deepEqual(await st.stats(A, { from: 2000, to: 9000 }), {
            samples: 2,
            points: 2,
            firstTs: 2000,
            lastTs: 3000,
          })
          assert.deepEqual(await st.stats(A, { from: 10_000, to: 20_000 }), {
            samples: 0,
            points: 0,
            firstTs: null,
            lastTs: null,
          })
          assert.deepEqual(await st.stats(B, { from: 0, to: 10_000 }), {
            samples: 0,
            points: 0,
            firstTs: null,
            lastTs: null,
          })
          return undefined
        })
      })
    })

    describe('deletion', () => {
      it('deletePoint removes every sample of one point and reports how many', async () => {
        await withStore(async (st) => {
          await st.append(A, [s(P1, 1000, 1), s(P1, 2000, 2), s(P2, 1000, 10)])
          assert.equal(await st.deletePoint(A, P1), 2)
          assert.deepEqual((await st.range(A, { point: P1, from: 0, to: 10_000 })).samples, [])
          assert.deepEqual((await st.range(A, { point: P2, from: 0, to: 10_000 })).samples, [s(P2, 1000, 10)])
          assert.equal(await st.deletePoint(A, P1), 0)
          assert.equal(await st.deletePoint(A, P3), 0)
          return undefined
        })
      })

      it('deleteBefore removes samples older than the cut and keeps the rest', async () => {
        await withStore(async (st) => {
          await st.append(A, [
            s(P1, 1000, 1),
            s(P1, 2000, 2),
            s(P1, 3000, 3),
            s(P2, 1500, 15),
            s(P2, 2500, 25),
          ])
          assert.equal(await st.deleteBefore(A, 2000), 2)
          assert.deepEqual(ts((await st.range(A, { point: P1, from: 0, to: 10_000 })).samples), [2000, 3000])
          assert.deepEqual(ts((await st.range(A, { point: P2, from: 0, to: 10_000 })).samples), [2500])
          assert.equal(await st.deleteBefore(A, 2000), 0)
          // a deleted key can be written again
          await st.append(A, [s(P1, 1000, 100)])
          assert.deepEqual((await st.range(A, { point: P1, from: 0, to: 1500 })).samples, [s(P1, 1000, 100)])
          return undefined
        })
      })
    })

    describe('tenant isolation', () => {
      async function twoTenants(st: SeriesStore): Promise<void> {
        await st.appendForPlatform([
          { ...s(P1, 1000, 1), tenant: A },
          { ...s(P1, 2000, 2), tenant: A },
          { ...s(P1, 1000, 100), tenant: B },
          { ...s(P1, 3000, 300), tenant: B },
          { ...s(P2, 5000, 500), tenant: B },
        ])
      }

      it('keeps the same point id of two tenants apart on every read', async () => {
        await withStore(async (st) => {
          await twoTenants(st)
          assert.deepEqual((await st.range(A, { point: P1, from: 0, to: 10_000 })).samples, [
            s(P1, 1000, 1),
            s(P1, 2000, 2),
          ])
          assert.deepEqual((await st.range(B, { point: P1, from: 0, to: 10_000 })).samples, [
            s(P1, 1000, 100),
            s(P1, 3000, 300),
          ])
          assert.deepEqual((await st.range(A, { point: P2, from: 0, to: 10_000 })).samples, [])
          const ba = await st.buckets(A, { points: [P1, P2], from: 0, to: 10_000, bucketMs: 10_000 })
          assert.deepEqual(
            ba.rows.map((x) => [x.point, x.count, x.sum]),
            [[P1, 2, 3]],
          )
          const bb = await st.buckets(B, { points: [P1, P2], from: 0, to: 10_000, bucketMs: 10_000 })
          assert.deepEqual(
            bb.rows.map((x) => [x.point, x.count, x.sum]),
            [
              [P1, 2, 400],
              [P2, 1, 500],
            ],
          )
          assert.deepEqual([...(await st.latest(A, [P1, P2])).entries()], [[P1, s(P1, 2000, 2)]])
          const lb = await st.latest(B, [P1, P2])
          assert.deepEqual(lb.get(P1), s(P1, 3000, 300))
          assert.deepEqual(lb.get(P2), s(P2, 5000, 500))
          assert.deepEqual(await st.stats(A, { from: 0, to: 10_000 }), {
            samples: 2,
            points: 1,
            firstTs: 1000,
            lastTs: 2000,
          })
          assert.deepEqual(await st.stats(B, { from: 0, to: 10_000 }), {
            samples: 3,
            points: 2,
            firstTs: 1000,
            lastTs: 5000,
          })
          return undefined
        })
      })

      it("deleteBefore and deletePoint of one tenant leave the other's samples intact", async () => {
        await withStore(async (st) => {
          await twoTenants(st)
          assert.equal(await st.deleteBefore(A, 10_000), 2)
          assert.equal((await st.stats(A, { from: 0, to: 10_000 })).samples, 0)
          assert.equal((await st.stats(B, { from: 0, to: 10_000 })).samples, 3)
          assert.equal(await st.deletePoint(B, P2), 1)
          await st.append(A, [s(P1, 7000, 7), s(P2, 7000, 70)])
          assert.equal(await st.deletePoint(A, P1), 1)
          assert.deepEqual(ts((await st.range(B, { point: P1, from: 0, to: 10_000 })).samples), [1000, 3000])
          assert.deepEqual((await st.range(A, { point: P2, from: 0, to: 10_000 })).samples, [s(P2, 7000, 70)])
          assert.equal((await st.latest(B, [P2])).size, 0)
          return undefined
        })
      })

      it('does not let one tenant deduplicate against another', async () => {
        await withStore(async (st) => {
          await st.append(A, [s(P1, 1000, 1)])
          await st.append(B, [s(P1, 1000, 2)])
          await st.append(A, [s(P1, 1000, 3)])
          assert.deepEqual((await st.range(B, { point: P1, from: 0, to: 2000 })).samples, [s(P1, 1000, 2)])
          assert.deepEqual((await st.range(A, { point: P1, from: 0, to: 2000 })).samples, [s(P1, 1000, 1)])
          return undefined
        })
      })
    })

    describe('platform batches, empty input, bad input', () => {
      it('appendForPlatform stores rows of several tenants in one call', async () => {
        await withStore(async (st) => {
          const rows: TenantSample[] = []
          for (let i = 0; i < 300; i++) {
            const tenant = (['t-1', 't-2', 't-3'] as TenantId[])[i % 3]!
            rows.push({ tenant, point: P1, ts: Math.floor(i / 3) * 1000, value: i, quality: 'good' })
          }
          await st.appendForPlatform(rows)
          for (const [k, tenant] of (['t-1', 't-2', 't-3'] as TenantId[]).entries()) {
            const r = await st.range(tenant, { point: P1, from: 0, to: 1_000_000 })
            assert.equal(r.samples.length, 100)
            assert.deepEqual(r.samples[7], s(P1, 7000, 21 + k))
          }
          return undefined
        })
      })

      it('accepts empty batches and empty point lists', async () => {
        await withStore(async (st) => {
          await st.append(A, [])
          await st.appendForPlatform([])
          assert.equal((await st.latest(A, [P1])).size, 0)
          assert.deepEqual(await st.stats(A, { from: 0, to: 10_000 }), {
            samples: 0,
            points: 0,
            firstTs: null,
            lastTs: null,
          })
          assert.equal(await st.deleteBefore(A, 10_000), 0)
          assert.equal(await st.deletePoint(A, P1), 0)
          return undefined
        })
      })

      it('rejects a batch with an invalid sample and writes none of it', async () => {
        await withStore(async (st) => {
          const good = s(P1, 1000, 1)
          const bad: unknown[] = [
            { point: P1, ts: 1.5, value: 1, quality: 'good' },
            { point: P1, ts: 2000, value: Number.NaN, quality: 'good' },
            { point: P1, ts: 2000, value: 1, quality: 'excellent' },
            { point: '', ts: 2000, value: 1, quality: 'good' },
            { point: P1, ts: 2000, value: '1', quality: 'good' },
          ]
          for (const b of bad) await rejectsWith(st.append(A, [good, b as Sample]), 'SERIES_INVALID_SAMPLE')
          await rejectsWith(
            st.appendForPlatform([
              { ...good, tenant: A },
              { ...good, tenant: '' as TenantId },
            ]),
            'SERIES_INVALID_SAMPLE',
          )
          assert.equal((await st.stats(A, { from: 0, to: 10_000 })).samples, 0)
          await rejectsWith(st.range(A, { point: P1, from: 0, to: 10_000, limit: 0 }), 'SERIES_INVALID_QUERY')
          await rejectsWith(
            st.buckets(A, { points: [P1], from: 0, to: 10_000, bucketMs: 0 }),
            'SERIES_INVALID_QUERY',
          )
          return undefined
        })
      })

      it('rejects a batch larger than capabilities.maxBatch', async () => {
        await withStore(async (st) => {
          const n = st.capabilities.maxBatch + 1
          const rows = Array.from({ length: n }, (_, i) => s(P1, i, 1))
          await rejectsWith(st.append(A, rows), 'SERIES_BATCH_TOO_LARGE')
          return undefined
        })
      })
    })

    describe('concurrency and lifecycle', () => {
      it('answers queries while appends are running', async () => {
        await withStore(async (st) => {
          const writes = Array.from({ length: 10 }, (_, k) =>
            st.append(
              A,
              Array.from({ length: 100 }, (_, j) => s(P1, (k * 100 + j) * 1000, j)),
            ),
          )
          const reads = Array.from({ length: 10 }, () => st.range(A, { point: P1, from: 0, to: 10_000_000 }))
          const results = await Promise.all(reads)
          await Promise.all(writes)
          // each read sees whole batches only (100 samples per committed batch)
          for (const r of results) assert.equal(r.samples.length % 100, 0)
          assert.equal((await st.range(A, { point: P1, from: 0, to: 10_000_000 })).samples.length, 1000)
          return undefined
        })
      })

      it('keeps everything across close and reopen', { skip: reopen === undefined }, async () => {
        await withStore(async (first) => {
          await first.appendForPlatform([
            { ...s(P1, 1000, 1.5, 'uncertain', 'a'), tenant: A },
            { ...s(P1, 2000, 2), tenant: A },
            { ...s(P2, 1000, 3), tenant: B },
          ])
          const st = await reopen!(first)
          assert.deepEqual((await st.range(A, { point: P1, from: 0, to: 10_000 })).samples, [
            s(P1, 1000, 1.5, 'uncertain', 'a'),
            s(P1, 2000, 2),
          ])
          assert.deepEqual((await st.latest(B, [P2])).get(P2), s(P2, 1000, 3))
          assert.deepEqual(await st.stats(A, { from: 0, to: 10_000 }), {
            samples: 2,
            points: 1,
            firstTs: 1000,
            lastTs: 2000,
          })
          assert.ok((await st.sizeOnDiskForPlatform()) > 0)
          return st
        })
      })

      it('remembers deletions across a reopen', { skip: reopen === undefined }, async () => {
        await withStore(async (first) => {
          await first.append(A, [s(P1, 1000, 1), s(P1, 9000, 9), s(P2, 5000, 5)])
          assert.equal(await first.deleteBefore(A, 9500), 3)
          const st = await reopen!(first)
          assert.equal((await st.stats(A, { from: 0, to: 10_000 })).samples, 0)
          await st.append(A, [s(P1, 2000, 2)])
          assert.deepEqual([...(await st.latest(A, [P1, P2])).entries()], [[P1, s(P1, 2000, 2)]])
          return st
        })
      })

      it('reports its size on disk after a checkpoint', async () => {
        await withStore(async (st) => {
          await st.append(A, [s(P1, 1000, 1)])
          const size = await st.sizeOnDiskForPlatform()
          assert.equal(typeof size, 'number')
          assert.ok(size > 0, `size ${size}`)
          return undefined
        })
      })

      it('rejects every call after close with SERIES_CLOSED', async () => {
        const st = await open()
        await st.append(A, [s(P1, 1000, 1)])
        await st.close()
        await st.close() // a second close is harmless
        await rejectsWith(st.append(A, [s(P1, 2000, 2)]), 'SERIES_CLOSED')
        await rejectsWith(st.range(A, { point: P1, from: 0, to: 10_000 }), 'SERIES_CLOSED')
        await rejectsWith(st.latest(A, [P1]), 'SERIES_CLOSED')
      })
    })
  })
}
