import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import type { PointId, Quality, Sample, TenantId } from '../../core/index.ts'
import { PIECE_MS } from './duckdb-counter-pieces.ts'
import { createDuckdbSeriesStore, type DuckdbSeriesStore } from './duckdb-series-store.ts'

const root = mkdtempSync(join(tmpdir(), 'ronghe-counter-pieces-'))
after(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const freshPath = (): string => join(root, `p${++n}.duckdb`)

const A = 'tenant-a' as TenantId
const MIN = 60_000
const T0 = Date.UTC(2026, 10, 24, 1) // a whole UTC hour
const at = (m: number): number => T0 + m * MIN
const h = (k: number): number => T0 + k * PIECE_MS

function cv(ts: number, value: number | null, quality: Quality = 'good', point = 'c'): Sample {
  return { point: point as PointId, ts, value, quality }
}

const open = (path: string): Promise<DuckdbSeriesStore> =>
  createDuckdbSeriesStore({ path, threads: 1, memoryLimit: '256MB', compactAtRows: 1_000_000 })

/** point, hour, first_ts, last_ts, first_value, last_value, samples, inc, prev_ts, entry_inc */
type PieceRow = [string, number, number, number, number, number, number, number, number | null, number | null]

async function piecesOf(path: string): Promise<PieceRow[]> {
  const db = await DuckDBInstance.create(path)
  const c = await db.connect()
  const r = await c.runAndReadAll(
    `SELECT s.point, p.hour::DOUBLE, p.first_ts::DOUBLE, p.last_ts::DOUBLE, p.first_value, p.last_value,
       p.samples::DOUBLE, p.inc, p.prev_ts::DOUBLE, p.entry_inc
     FROM counter_pieces p JOIN series s ON p.sid = s.sid ORDER BY s.point, p.hour`,
  )
  c.closeSync()
  db.closeSync()
  return r.getRows() as unknown as PieceRow[]
}

// hour 0: 10, 15, 15 (no increase), 3 (a reset: +3), a bad 100 and a NULL (both skipped);
// hour 1: 8 (after 3: +5, the entry), 9 (+1)
const base: Sample[] = [
  cv(at(0), 10),
  cv(at(10), 15),
  cv(at(20), 15),
  cv(at(30), 3),
  cv(at(40), 100, 'bad'),
  cv(at(50), null),
  cv(at(70), 8),
  cv(at(80), 9),
]

describe('duckdb counter pieces', () => {
  it('derives pieces at compaction: increases, resets, repeats, bad and NULL samples, the entry pair', async () => {
    const path = freshPath()
    const s = await open(path)
    await s.append(A, base)
    await s.append(A, [cv(at(10), 99)]) // a duplicate: the first write wins, so no piece sees 99
    await s.append(A, [{ point: 'st' as PointId, ts: at(0), value: null, text: 'running', quality: 'good' }])
    await s.sizeOnDiskForPlatform() // compacts
    await s.close()
    assert.deepEqual(await piecesOf(path), [
      ['c', h(0), at(0), at(30), 10, 3, 4, 5 + 0 + 3, null, null],
      ['c', h(1), at(70), at(80), 8, 9, 2, 1, at(30), 5],
      // a text series has no pieces
    ])
  })

  it('re-derives the hour that late data falls into and the next piece’s entry pair', async () => {
    const path = freshPath()
    const s = await open(path)
    await s.append(A, base)
    await s.sizeOnDiskForPlatform()
    await s.append(A, [cv(at(190), 12)]) // hour 3
    await s.sizeOnDiskForPlatform()
    // late: 20 into hour 0 after 3 (+17; then hour 1's 8 is a reset), 10 into the empty hour 2
    await s.append(A, [cv(at(45), 20), cv(at(130), 10)])
    await s.sizeOnDiskForPlatform()
    await s.close()
    assert.deepEqual(await piecesOf(path), [
      ['c', h(0), at(0), at(45), 10, 20, 5, 5 + 0 + 3 + 17, null, null],
      ['c', h(1), at(70), at(80), 8, 9, 2, 1, at(45), 8],
      ['c', h(2), at(130), at(130), 10, 10, 1, 0, at(80), 1],
      ['c', h(3), at(190), at(190), 12, 12, 1, 0, at(130), 2],
    ])
  })

  it('late data alone in a derived hour refreshes only the following piece’s entry', async () => {
    const path = freshPath()
    const s = await open(path)
    await s.append(A, [cv(at(0), 1), cv(at(10), 4), cv(at(130), 6), cv(at(140), 7)])
    await s.sizeOnDiskForPlatform()
    await s.append(A, [cv(at(20), 10)]) // now 6 after 10 is a reset: hour 2's entry becomes 6
    await s.sizeOnDiskForPlatform()
    await s.close()
    assert.deepEqual(await piecesOf(path), [
      ['c', h(0), at(0), at(20), 1, 10, 3, 3 + 6, null, null],
      ['c', h(2), at(130), at(140), 6, 7, 2, 1, at(20), 6],
    ])
  })

  it('gives pieces to integer series only, then from their first sample, and keeps them', async () => {
    const path = freshPath()
    const s = await open(path)
    // 'a' sends decimals (an analog): no pieces; 'c' sends integers (a counter)
    await s.append(A, [
      cv(at(0), 1.5, 'good', 'a'),
      cv(at(10), 2.25, 'good', 'a'),
      cv(at(0), 4),
      cv(at(10), 6),
    ])
    await s.sizeOnDiskForPlatform()
    await s.close()
    assert.deepEqual(
      (await piecesOf(path)).map((x) => x[0]),
      ['c'],
    )
    // a compaction with integers only: 'a' now gets pieces over all its samples; 'c' keeps its
    // pieces with a decimal value
    const s2 = await open(path)
    await s2.append(A, [cv(at(70), 3, 'good', 'a'), cv(at(70), 6.5)])
    await s2.sizeOnDiskForPlatform()
    await s2.close()
    assert.deepEqual(await piecesOf(path), [
      ['a', h(0), at(0), at(10), 1.5, 2.25, 2, 0.75, null, null],
      ['a', h(1), at(70), at(70), 3, 3, 1, 0, at(10), 0.75],
      ['c', h(0), at(0), at(10), 4, 6, 2, 2, null, null],
      ['c', h(1), at(70), at(70), 6.5, 6.5, 1, 0, at(10), 0.5],
    ])
  })

  it('counts an entry increase exactly when its previous sample is at or after from − lookback', async () => {
    const s = await open(freshPath())
    try {
      // hour 1's only sample follows one 5 minutes before the hour; hour 2 keeps hour 1 from being the newest piece
      await s.append(A, [cv(at(40), 1), cv(at(55), 5), cv(at(65), 8), cv(at(130), 9)])
      await s.sizeOnDiskForPlatform()
      assert.ok(s.rollups)
      const q = { points: ['c' as PointId], from: h(1), to: h(2), bucketMs: PIECE_MS }
      assert.deepEqual(await s.rollups.counterIncreases(A, { ...q, lookbackMs: 5 * MIN }), [
        { point: 'c', bucket: h(1), increase: 3 },
      ])
      assert.deepEqual(await s.rollups.counterIncreases(A, { ...q, lookbackMs: 5 * MIN - 1 }), [])
      // the first hour: 1 → 5 inside it (+4); its first sample has no predecessor
      assert.deepEqual(
        await s.rollups.counterIncreases(A, { ...q, from: h(0), to: h(1), lookbackMs: 99 * MIN }),
        [{ point: 'c', bucket: h(0), increase: 4 }],
      )
    } finally {
      await s.close()
    }
  })

  it('retention deletes pieces before the cut, derives a straddling one again and clears the entry', async () => {
    const path = freshPath()
    const s = await open(path)
    await s.append(A, [...base, cv(at(45), 20)])
    await s.sizeOnDiskForPlatform()
    await s.deleteBefore(A, at(25)) // hour 0 keeps 3 and 20
    await s.close()
    assert.deepEqual(await piecesOf(path), [
      ['c', h(0), at(30), at(45), 3, 20, 2, 17, null, null],
      ['c', h(1), at(70), at(80), 8, 9, 2, 1, at(45), 8],
    ])
    const s2 = await open(path)
    await s2.deleteBefore(A, at(60)) // hour 0 is gone: hour 1 has no predecessor any more
    await s2.close()
    assert.deepEqual(await piecesOf(path), [['c', h(1), at(70), at(80), 8, 9, 2, 1, null, null]])
    const s3 = await open(path)
    await s3.deletePoint(A, 'c' as PointId)
    await s3.close()
    assert.deepEqual(await piecesOf(path), [])
  })

  it('catches up a file without pieces (schema 3) and is idempotent', async () => {
    const path = freshPath()
    const s = await open(path)
    await s.append(A, [...base, cv(at(190), 12)])
    await s.sizeOnDiskForPlatform()
    await s.append(A, [cv(at(45), 20)])
    await s.sizeOnDiskForPlatform()
    await s.close()
    const expected = await piecesOf(path)
    assert.equal(expected.length, 3)
    // make it a version-3 file: no counter_pieces table
    {
      const db = await DuckDBInstance.create(path)
      const c = await db.connect()
      await c.run('DROP TABLE counter_pieces')
      await c.run('UPDATE series_schema SET version = 3')
      c.closeSync()
      db.closeSync()
    }
    const s2 = await open(path)
    // a sample still hot is derived too (a query does not use the hour it is in)
    await s2.append(A, [cv(at(250), 13)])
    assert.deepEqual(await s2.deriveCounterPiecesForPlatform(), { series: 1, pieces: 4 })
    assert.deepEqual(await s2.deriveCounterPiecesForPlatform(), { series: 0, pieces: 0 })
    await s2.close()
    assert.deepEqual(await piecesOf(path), [
      ...expected,
      ['c', h(4), at(250), at(250), 13, 13, 1, 0, at(190), 1],
    ])
    const db = await DuckDBInstance.create(path)
    const c = await db.connect()
    const v = (await c.runAndReadAll('SELECT max(version) FROM series_schema')).getRows()[0]?.[0]
    c.closeSync()
    db.closeSync()
    assert.equal(v, 5)
  })

  it('catches up only past the newest piece when samples were added with SQL', async () => {
    const path = freshPath()
    const s = await open(path)
    await s.append(A, base)
    await s.sizeOnDiskForPlatform()
    await s.close()
    {
      const db = await DuckDBInstance.create(path)
      const c = await db.connect()
      await c.run(`INSERT INTO samples_cold (sid, ts, value, text, quality) VALUES
        (1, ${at(85)}, 2, NULL, 0), (1, ${at(125)}, 7, NULL, 0)`)
      c.closeSync()
      db.closeSync()
    }
    const s2 = await open(path)
    assert.deepEqual(await s2.deriveCounterPiecesForPlatform(), { series: 1, pieces: 2 })
    await s2.close()
    assert.deepEqual(await piecesOf(path), [
      ['c', h(0), at(0), at(30), 10, 3, 4, 8, null, null],
      ['c', h(1), at(70), at(85), 8, 2, 3, 1 + 2, at(30), 5],
      ['c', h(2), at(125), at(125), 7, 7, 1, 0, at(85), 5],
    ])
  })
})
