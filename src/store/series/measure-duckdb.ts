/**
 * Measures the DuckDB series store; prints one JSON line. Not a test: run it by hand.
 *   npx tsx src/store/series/measure-duckdb.ts            (all four figures)
 *   npx tsx src/store/series/measure-duckdb.ts append     (one of: append, size, buckets)
 *
 * - appendRowsPerSec: appendForPlatform of 10,000-row batches, 2,000,000 rows (1,000 points of 2
 *   tenants at 1 Hz), batches built before the clock starts; includes the compactions it triggers.
 * - bytesPerPoint: 100 points x 1 day at 1 Hz, analog with two decimals (slow sine trend + noise),
 *   file bytes after sizeOnDiskForPlatform() (compaction + checkpoint) / 8,640,000.
 * - rangeDayP50Ms: range() of one point's whole day (86,400 samples) on that store.
 * - buckets30dP50Ms: buckets() with bucketMs = 1 h over 30 days for 1,000 points stored at
 *   1 sample/min (43,200,000 rows): 720,000 bucket rows per answer.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PointId, TenantId, TenantSample } from '../../core/index.ts'
import { createDuckdbSeriesStore } from './duckdb-series-store.ts'
import type { SeriesStore } from './series-store.ts'

const DAY = 86_400_000
const T0 = Date.UTC(2025, 0, 1)

function analog(point: number, i: number, periodSamples: number, seed: { s: number }): number {
  // xorshift noise: reproducible and cheap
  seed.s ^= seed.s << 13
  seed.s ^= seed.s >>> 17
  seed.s ^= seed.s << 5
  const noise = ((seed.s >>> 0) / 4294967296 - 0.5) * 0.4
  const v = 50 + (point % 7) * 3 + 10 * Math.sin((2 * Math.PI * i) / periodSamples) + noise
  return Math.round(v * 100) / 100
}

async function openTemp(): Promise<{ store: SeriesStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ronghe-measure-'))
  const store = await createDuckdbSeriesStore({ path: join(dir, 'series.duckdb') })
  return { store, dir }
}

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return Math.round(s[Math.floor(s.length / 2)]! * 10) / 10
}

async function measureAppend(): Promise<{ appendRowsPerSec: number; appendRows: number }> {
  const { store, dir } = await openTemp()
  const points = 1000
  const total = 2_000_000
  const seed = { s: 12345 }
  const batches: TenantSample[][] = []
  let batch: TenantSample[] = []
  for (let i = 0; i < total; i++) {
    const p = i % points
    const sec = Math.floor(i / points)
    batch.push({
      tenant: (p % 2 === 0 ? 'tenant-a' : 'tenant-b') as TenantId,
      point: `pt-${p}` as PointId,
      ts: T0 + sec * 1000,
      value: analog(p, sec, 3600, seed),
      quality: 'good',
    })
    if (batch.length === 10_000) {
      batches.push(batch)
      batch = []
    }
  }
  const t = performance.now()
  for (const b of batches) await store.appendForPlatform(b)
  const ms = performance.now() - t
  await store.close()
  rmSync(dir, { recursive: true, force: true })
  return { appendRowsPerSec: Math.round(total / (ms / 1000)), appendRows: total }
}

async function measureSizeAndRange(): Promise<Record<string, number>> {
  const { store, dir } = await openTemp()
  const points = 100
  const seconds = 86_400
  const seed = { s: 987654 }
  const tenant = 'tenant-a' as TenantId
  let batch: TenantSample[] = []
  const t = performance.now()
  for (let sec = 0; sec < seconds; sec++) {
    for (let p = 0; p < points; p++) {
      batch.push({
        tenant,
        point: `pt-${p}` as PointId,
        ts: T0 + sec * 1000,
        value: analog(p, sec, 86_400, seed),
        quality: 'good',
      })
      if (batch.length === 10_000) {
        await store.appendForPlatform(batch)
        batch = []
      }
    }
  }
  if (batch.length > 0) await store.appendForPlatform(batch)
  const loadMs = performance.now() - t
  const bytes = await store.sizeOnDiskForPlatform()
  const rows = points * seconds
  const times: number[] = []
  let got = 0
  for (let i = 0; i < 15; i++) {
    const q0 = performance.now()
    const r = await store.range(tenant, { point: `pt-${i % points}` as PointId, from: T0, to: T0 + DAY })
    times.push(performance.now() - q0)
    got = r.samples.length
  }
  await store.close()
  rmSync(dir, { recursive: true, force: true })
  return {
    bytesPerPoint: Math.round((bytes / rows) * 1000) / 1000,
    sizeBytes: bytes,
    sizeRows: rows,
    sizeLoadRowsPerSec: Math.round(rows / (loadMs / 1000)),
    rangeDaySamples: got,
    rangeDayP50Ms: p50(times),
  }
}

async function measureBuckets(): Promise<Record<string, number>> {
  const { store, dir } = await openTemp()
  const points = 1000
  const minutes = 30 * 24 * 60
  const seed = { s: 4242 }
  const tenant = 'tenant-a' as TenantId
  let batch: TenantSample[] = []
  const t = performance.now()
  for (let m = 0; m < minutes; m++) {
    for (let p = 0; p < points; p++) {
      batch.push({
        tenant,
        point: `pt-${p}` as PointId,
        ts: T0 + m * 60_000,
        value: analog(p, m, 1440, seed),
        quality: 'good',
      })
      if (batch.length === 10_000) {
        await store.appendForPlatform(batch)
        batch = []
      }
    }
  }
  if (batch.length > 0) await store.appendForPlatform(batch)
  const loadMs = performance.now() - t
  const bytes = await store.sizeOnDiskForPlatform()
  const all = Array.from({ length: points }, (_, p) => `pt-${p}` as PointId)
  const times: number[] = []
  let rows = 0
  for (let i = 0; i < 5; i++) {
    const q0 = performance.now()
    const r = await store.buckets(tenant, { points: all, from: T0, to: T0 + 30 * DAY, bucketMs: 3_600_000 })
    times.push(performance.now() - q0)
    rows = r.rows.length
  }
  await store.close()
  rmSync(dir, { recursive: true, force: true })
  return {
    bucketsRowsStored: points * minutes,
    bucketsLoadRowsPerSec: Math.round((points * minutes) / (loadMs / 1000)),
    bucketsBytesPerPoint: Math.round((bytes / (points * minutes)) * 1000) / 1000,
    buckets30dRows: rows,
    buckets30dP50Ms: p50(times),
  }
}

const which = process.argv[2] ?? 'all'
const out: Record<string, unknown> = { engine: 'duckdb' }
if (which === 'all' || which === 'append') Object.assign(out, await measureAppend())
if (which === 'all' || which === 'size') Object.assign(out, await measureSizeAndRange())
if (which === 'all' || which === 'buckets') Object.assign(out, await measureBuckets())
console.log(JSON.stringify(out))
