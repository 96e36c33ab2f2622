/**
 * Bytes on disk per stored sample of a 1 Hz analog signal with two decimals (issue 3), in the DuckDB
 * series store. Phase 5 of `npm run bench:ingest`, and on its own (the figure does not depend on the
 * machine's load, so it can be measured while other work runs):
 *
 *   npx tsx bench/bytes-per-point.ts [--points 50]     prints ONE JSON line
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { DuckDBInstance } from '@duckdb/node-api'
import type { PointId, TenantId, TenantSample } from '../src/core/index.ts'
import { createDuckdbSeriesStore } from '../src/store/series/duckdb-series-store.ts'

const round = (x: number, d = 0): number => Math.round(x * 10 ** d) / 10 ** d

export interface BytesPerPoint {
  readonly bytesPerPoint: number
  readonly goal: 2
  readonly meetsGoal: boolean
  readonly points: number
  readonly rows: number
  readonly bytesOnDisk: number
  readonly writeRowsPerSec: number
  readonly usedBlocksBytesPerPoint: number | null
  readonly fileBlocks: { blockSize: number; used: number; free: number } | null
  readonly signal: string
  readonly measuredAs: string
}

/** One day at 1 Hz of `points` process values into a fresh store in `dir`, then its size. */
export async function measureBytesPerPoint(o: {
  readonly dir: string
  readonly points: number
  readonly batchRows: number
}): Promise<BytesPerPoint> {
  const path = join(o.dir, 'bytes.duckdb')
  const store = await createDuckdbSeriesStore({ path })
  const seconds = 86_400
  const day0 = Date.UTC(2025, 0, 6)
  const tenant = 'bench-tenant' as TenantId
  const ids = Array.from({ length: o.points }, (_, i) => `pt_bytes_${String(i).padStart(3, '0')}` as PointId)
  let seed = 0x9e3779b9
  const noise = (): number => {
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    return (seed >>> 0) / 4294967296 - 0.5
  }
  let batch: TenantSample[] = []
  const t0 = performance.now()
  for (let s = 0; s < seconds; s++) {
    for (let i = 0; i < o.points; i++) {
      // a process value: daily swing, a 15-minute cycle, ±0.2 noise, kept to two decimals
      const v =
        60 +
        (i % 10) * 4 +
        8 * Math.sin((2 * Math.PI * s) / 86_400 + i) +
        1.5 * Math.sin((2 * Math.PI * s) / 900 + i / 3) +
        0.4 * noise()
      batch.push({
        tenant,
        point: ids[i] as PointId,
        ts: day0 + s * 1000,
        value: Math.round(v * 100) / 100,
        quality: 'good',
      })
      if (batch.length === o.batchRows) {
        await store.appendForPlatform(batch)
        batch = []
      }
    }
  }
  if (batch.length > 0) await store.appendForPlatform(batch)
  const writeMs = performance.now() - t0
  const bytes = await store.sizeOnDiskForPlatform()
  const rows = o.points * seconds
  await store.close()
  // how much of the file is live data: blocks the compaction freed stay in the file
  const blocks = await databaseBlocks(path)
  rmSync(path, { force: true })
  rmSync(`${path}.wal`, { force: true })
  const bpp = round(bytes / rows, 3)
  return {
    bytesPerPoint: bpp,
    goal: 2,
    meetsGoal: bpp <= 2,
    points: o.points,
    rows,
    bytesOnDisk: bytes,
    writeRowsPerSec: Math.round(rows / (writeMs / 1000)),
    usedBlocksBytesPerPoint: blocks === null ? null : round((blocks.used * blocks.blockSize) / rows, 3),
    fileBlocks: blocks,
    signal:
      '1 Hz for one day; 60 + level + 8·sin(day) + 1.5·sin(15 min) + uniform ±0.2 noise, rounded to 0.01; quality good',
    measuredAs: 'sizeOnDiskForPlatform() (compaction + CHECKPOINT, file + wal) / rows',
  }
}

/** DuckDB's own account of a closed database file: block size, used and free blocks. */
async function databaseBlocks(
  path: string,
): Promise<{ blockSize: number; used: number; free: number } | null> {
  try {
    const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' })
    try {
      const c = await instance.connect()
      const r = await c.runAndReadAll(
        'SELECT block_size, used_blocks, free_blocks FROM pragma_database_size()',
      )
      const row = r.getRows()[0] ?? []
      c.closeSync()
      return { blockSize: Number(row[0]), used: Number(row[1]), free: Number(row[2]) }
    } finally {
      instance.closeSync()
    }
  } catch {
    return null
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--points')
  const points = i > 0 ? Number(process.argv[i + 1]) : 50
  const dir = mkdtempSync(join(tmpdir(), 'ronghe-bench-bytes-'))
  try {
    const r = await measureBytesPerPoint({ dir, points, batchRows: 20_000 }) // the ingest pipeline's default batch
    process.stdout.write(`${JSON.stringify(r)}\n`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
