import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import { referenceRollups } from '../../analytics/reference-rollups.ts'
import type { PointId, Quality, Sample, TenantId } from '../../core/index.ts'
import { METER_PIECE_MS } from './duckdb-meter-pieces.ts'
import { createDuckdbSeriesStore, type DuckdbSeriesStore } from './duckdb-series-store.ts'
import type { MeterConsumption, MeterQuery } from './series-store.ts'
import { createRng } from '../../core/rng.ts'

const root = mkdtempSync(join(tmpdir(), 'ronghe-meter-pieces-'))
after(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const freshPath = (): string => join(root, `m${++n}.duckdb`)

const A = 'tenant-a' as TenantId
const B = 'tenant-b' as TenantId
const MIN = 60_000
const H = METER_PIECE_MS
const DAY = 86_400_000
const T0 = Date.UTC(2026, 10, 23, 16) // 00:00 in Asia/Shanghai, a whole UTC hour
const at = (m: number): number => T0 + m * MIN
const h = (k: number): number => T0 + k * H

function kwh(ts: number, value: number | null, quality: Quality = 'good', point = 'kwh'): Sample {
  return { point: point as PointId, ts, value, quality }
}

const open = (path: string): Promise<DuckdbSeriesStore> =>
  createDuckdbSeriesStore({ path, threads: 1, memoryLimit: '256MB', compactAtRows: 1_000_000 })

/** point, hour, cons, complete, covered, reg, prev_ts, prev_value, entry_delta, first_ts, first_value, last_ts, last_value */
type PieceRow = [
  string,
  number,
  number,
  number,
  number,
  number,
  number | null,
  number | null,
  number | null,
  number,
  number,
  number,
  number,
]

async function piecesOf(path: string): Promise<PieceRow[]> {
  const db = await DuckDBInstance.create(path)
  const c = await db.connect()
  const r = await c.runAndReadAll(
    `SELECT s.point, p.hour::DOUBLE, p.cons, p.complete::DOUBLE, p.covered::DOUBLE, p.reg, p.prev_ts::DOUBLE,
       p.prev_value, p.entry_delta, p.first_ts::DOUBLE, p.first_value, p.last_ts::DOUBLE, p.last_value
     FROM meter_pieces p JOIN series s ON p.sid = s.sid ORDER BY s.point, p.hour`,
  )
  c.closeSync()
  db.closeSync()
  return r.getRows() as unknown as PieceRow[]
}

const rng = (seed: number): (() => number) => createRng(seed).next

/**
 * Readings of a kWh register over `days` from `start`: mostly every 15 minutes on the boundary,
 * some off it or closer together, gaps of 20 minutes to 3 hours, resets, unexplained drops, bad
 * quality and NULL values; decimals with two places.
 */
function meterReadings(random: () => number, point: string, start: number, days: number): Sample[] {
  const out: Sample[] = []
  let ts = start - 15 * MIN
  let v = 1000 + Math.round(random() * 10_000) / 100
  while (ts < start + days * DAY + 30 * MIN) {
    const r = random()
    if (r < 0.03)
      v = Math.round(random() * 50) / 100 // a reset
    else if (r < 0.05)
      v = Math.round(v * 0.6 * 100) / 100 // a drop nobody explains
    else v = Math.round((v + random() * 12) * 100) / 100
    const q = random()
    if (q < 0.03) out.push(kwh(ts, v * 3, 'bad', point))
    else if (q < 0.05) out.push(kwh(ts, null, 'good', point))
    else out.push(kwh(ts, v, q < 0.1 ? 'uncertain' : 'good', point))
    const step = random()
    if (step < 0.7) ts += 15 * MIN
    else if (step < 0.8) ts += 5 * MIN + Math.floor(random() * 10 * MIN)
    else if (step < 0.9) ts += Math.floor(random() * 15 * MIN) + 1
    else if (step < 0.96) ts += 20 * MIN + Math.floor(random() * 30 * MIN)
    else ts += 3 * H
  }
  return out
}

const close = (a: number, b: number, what: string): void => {
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)), `${what}: ${a} ≠ ${b}`)
}

function sameConsumption(got: MeterConsumption, want: MeterConsumption, what: string): void {
  const key = (x: { tenant: string; point: string; bucket?: number }): string =>
    `${x.tenant}/${x.point}/${x.bucket ?? ''}`
  const g = new Map(got.rows.map((r) => [key(r), r]))
  const w = new Map(want.rows.map((r) => [key(r), r]))
  assert.deepEqual([...g.keys()].sort(), [...w.keys()].sort(), `${what}: buckets`)
  for (const [k, x] of w) {
    const y = g.get(k)!
    assert.equal(y.completeIntervals, x.completeIntervals, `${what} ${k}: complete`)
    assert.equal(y.coveredIntervals, x.coveredIntervals, `${what} ${k}: covered`)
    close(y.consumption, x.consumption, `${what} ${k}: consumption`)
  }
  const wr = new Map(want.registers.map((r) => [key(r), r.registerDelta]))
  for (const r of got.registers) close(r.registerDelta, wr.get(key(r)) ?? 0, `${what} ${key(r)}: register`)
  for (const [k, v] of wr) {
    if (v !== 0)
      assert.ok(
        got.registers.some((r) => key(r) === k),
        `${what} ${k}: register missing`,
      )
  }
}

const SERIES = [
  { tenant: A, point: 'kwh' as PointId },
  { tenant: A, point: 'gas' as PointId },
  { tenant: B, point: 'kwh' as PointId },
  { tenant: B, point: 'steam' as PointId },
]

/** Windows and buckets the pieces answer (whole hours), and one they do not (a 10-minute interval). */
function queries(): MeterQuery[] {
  return [
    { from: T0, to: T0 + 3 * DAY, bucketMs: DAY, originMs: -8 * H },
    { from: h(5), to: h(40), bucketMs: H },
    { from: h(7), to: h(8), bucketMs: 15 * MIN },
    { from: h(-2), to: h(30), bucketMs: 6 * H, originMs: 3 * H },
    { from: h(20), to: h(75), bucketMs: DAY, originMs: -8 * H },
    { from: h(0), to: h(24), bucketMs: DAY, intervalMs: 30 * MIN },
  ]
}

async function compareAll(s: DuckdbSeriesStore, what: string): Promise<void> {
  assert.ok(s.rollups)
  const ref = referenceRollups(s)
  let seen = 0
  for (const q of queries()) {
    const got = await s.rollups.meterConsumptionForPlatform({ ...q, series: SERIES })
    const want = await ref.meterConsumptionForPlatform({ ...q, series: SERIES })
    seen += want.rows.length
    sameConsumption(
      got,
      want,
      `${what} [${(q.from - T0) / H}h, ${(q.to - T0) / H}h) / ${q.bucketMs / MIN} min`,
    )
  }
  assert.ok(seen > 50, `${what}: the reference sees data`)
}

describe('duckdb meter pieces', () => {
  it('derives the hand-computed pieces: shares, completeness, the pair that leaves the hour, the entry pair', async () => {
    const path = freshPath()
    const s = await open(path)
    await s.append(A, [
      kwh(at(0), 100),
      kwh(at(15), 110),
      kwh(at(30), 130),
      kwh(at(35), 1e6, 'bad'),
      kwh(at(50), 136), // 20 min after 30: a gap, its 6 kWh not in any interval, but in the register
      kwh(at(55), 140),
      kwh(at(65), 150), // 10 kWh over 55–65: 5 to 45–60, 5 to 60–75
      kwh(at(75), 152),
      kwh(at(90), 1), // a reset: +1
      kwh(at(95), 0.5), // a drop nobody explains: no delta
      kwh(at(200), 9), // 105 min: a long gap, +8.5 in the register only
    ])
    await s.sizeOnDiskForPlatform()
    assert.deepEqual(await s.deriveMeterPiecesForPlatform([{ tenant: A, point: 'kwh' }]), {
      series: 1,
      pieces: 3,
    })
    await s.close()
    assert.deepEqual(await piecesOf(path), [
      // hour 0: 0–15 (10), 15–30 (20), 30–45 nothing, 45–60 partly (4 over 50–55, and 5 of the
      // 55–65 pair that leaves the hour); the register has the 30–50 gap's 6 kWh too
      ['kwh', h(0), 39, 2, 3, 10 + 20 + 6 + 4, null, null, null, at(0), 100, at(55), 140],
      // hour 1: 60–75 (5 + 2), 75–90 (1), 90–105 nothing (the drop)
      ['kwh', h(1), 8, 2, 2, 2 + 1, at(55), 140, 10, at(65), 150, at(95), 0.5],
      ['kwh', h(3), 0, 0, 0, 0, at(95), 0.5, 8.5, at(200), 9, at(200), 9],
    ])
  })

  it('answers windows and buckets from pieces exactly as from samples, through late data, hot rows and retention', async () => {
    const random = rng(20261205)
    const path = freshPath()
    let s = await open(path)
    const data = new Map(SERIES.map((x) => [`${x.tenant}/${x.point}`, meterReadings(random, x.point, T0, 3)]))
    // the first two days go cold and get pieces
    for (const x of SERIES) {
      const all = data.get(`${x.tenant}/${x.point}`)!
      await s.append(
        x.tenant,
        all.filter((r) => r.ts < T0 + 2 * DAY),
      )
    }
    await s.sizeOnDiskForPlatform()
    const first = await s.deriveMeterPiecesForPlatform(SERIES)
    assert.equal(first.series, SERIES.length)
    await compareAll(s, 'cold, pieces to day 2')
    // the third day arrives hot: queries read pieces up to each series' cut and samples after it
    for (const x of SERIES) {
      const all = data.get(`${x.tenant}/${x.point}`)!
      await s.append(
        x.tenant,
        all.filter((r) => r.ts >= T0 + 2 * DAY),
      )
    }
    await compareAll(s, 'day 3 hot')
    await s.sizeOnDiskForPlatform()
    await compareAll(s, 'day 3 compacted')
    // late readings into day 1, between and on top of existing ones: hot, then compacted
    const late: Sample[] = []
    for (let k = 0; k < 40; k++) late.push(kwh(T0 + DAY + Math.floor(random() * DAY), 5000 + k * 3))
    await s.append(A, late)
    await compareAll(s, 'late data hot')
    await s.sizeOnDiskForPlatform()
    await compareAll(s, 'late data compacted')
    await s.close()
    s = await open(path)
    await compareAll(s, 'after a reopen')
    await s.deleteBefore(A, h(9) + 7 * MIN)
    await s.deleteBefore(B, h(9) + 7 * MIN)
    await compareAll(s, 'after retention')
    await s.close()
  })

  it('reads the pieces (a changed piece changes the answer) and derives series a query asks for', async () => {
    const path = freshPath()
    let s = await open(path)
    await s.append(A, [kwh(at(0), 1), kwh(at(15), 2), kwh(at(30), 4), kwh(at(130), 5), kwh(at(190), 6)])
    await s.sizeOnDiskForPlatform()
    assert.ok(s.rollups)
    const q = { series: [{ tenant: A, point: 'kwh' as PointId }], from: h(0), to: h(2), bucketMs: DAY }
    // the first query marks the series a meter and reads samples; its pieces follow in the background
    const before = await s.rollups.meterConsumptionForPlatform(q)
    assert.equal(before.rows[0]?.consumption, 3)
    assert.deepEqual(await s.deriveMeterPiecesForPlatform(), { series: 0, pieces: 0 })
    await s.close()
    assert.equal((await piecesOf(path)).length, 3)
    {
      const db = await DuckDBInstance.create(path)
      const c = await db.connect()
      await c.run(`UPDATE meter_pieces SET cons = cons + 1000 WHERE hour = ${h(0)}`)
      c.closeSync()
      db.closeSync()
    }
    s = await open(path)
    assert.ok(s.rollups)
    const after = await s.rollups.meterConsumptionForPlatform(q)
    assert.equal(after.rows[0]?.consumption, 1003)
    // a 30-minute interval is not what pieces hold: samples answer it
    const halfHours = await s.rollups.meterConsumptionForPlatform({ ...q, intervalMs: 30 * MIN })
    assert.equal(halfHours.rows[0]?.consumption, 3)
    await s.deletePoint(A, 'kwh' as PointId)
    await s.close()
    assert.deepEqual(await piecesOf(path), [])
  })
})
