import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { DuckDBInstance } from '@duckdb/node-api'
import { seriesStoreContract } from '../../../test/contracts/series-store.contract.ts'
import type { PointId, Sample, TenantId } from '../../core/index.ts'
import { createDuckdbSeriesStore, type DuckdbSeriesStoreConfig } from './duckdb-series-store.ts'
import type { SeriesStore } from './series-store.ts'

const root = mkdtempSync(join(tmpdir(), 'ronghe-duckdb-series-'))
after(() => rmSync(root, { recursive: true, force: true }))

let n = 0
function freshPath(): string {
  n += 1
  return join(root, `s${n}.duckdb`)
}

/** Runs the contract with the given options; reopen closes the store and opens its file again. */
function contract(name: string, extra: Partial<DuckdbSeriesStoreConfig>): void {
  const paths = new WeakMap<SeriesStore, string>()
  const openAt = async (path: string): Promise<SeriesStore> => {
    const st = await createDuckdbSeriesStore({ path, threads: 1, memoryLimit: '256MB', ...extra })
    paths.set(st, path)
    return st
  }
  seriesStoreContract(
    name,
    () => openAt(freshPath()),
    async (prev) => {
      await prev.close()
      return openAt(paths.get(prev)!)
    },
  )
}

contract('duckdb', {})
// Compacting after every batch sends nearly every row through the cold table, so the dedupe
// look-ups, deletions and latest() are exercised against compacted data too.
contract('duckdb, compacting after every batch', { compactAtRows: 1 })

const A = 'tenant-a' as TenantId
const P1 = 'p1' as PointId

describe('duckdb series store specifics', () => {
  it('moves hot rows into the cold table in one run per series', async () => {
    const path = freshPath()
    const st = await createDuckdbSeriesStore({ path, threads: 1, compactAtRows: 4 })
    const p2 = 'p2' as PointId
    await st.append(A, [
      { point: p2, ts: 2000, value: 2, quality: 'good' },
      { point: P1, ts: 3000, value: 3, quality: 'good' },
      { point: P1, ts: 1000, value: 1, quality: 'good' },
      { point: p2, ts: 1000, value: 1, quality: 'good' },
    ])
    await st.append(A, [{ point: P1, ts: 1000, value: 9, quality: 'good' }])
    await st.sizeOnDiskForPlatform() // also compacts what is still hot
    await st.close()
    const db = await DuckDBInstance.create(path)
    const c = await db.connect()
    const hot = (await c.runAndReadAll('SELECT count(*)::INTEGER FROM samples_hot')).getRows()
    const cold = (
      await c.runAndReadAll('SELECT sid, ts::INTEGER, value, iv::INTEGER, sc FROM samples_cold')
    ).getRows()
    c.closeSync()
    db.closeSync()
    assert.deepEqual(hot, [[0]])
    // sids are given in order of first sight: p2 = 1, p1 = 2; the duplicate (p1, 1000) was dropped.
    // Runs are sorted by sid; odd sids newest first (see compact()), even sids oldest first.
    // Whole numbers are kept as scaled integers (scale 0), the double column left NULL.
    assert.deepEqual(cold, [
      [1, 2000, null, 2, 0],
      [1, 1000, null, 1, 0],
      [2, 1000, null, 1, 0],
      [2, 3000, null, 3, 0],
    ])
  })

  it('gives back every value bit for bit after compaction, decimals or not', async () => {
    const st = await createDuckdbSeriesStore({ path: freshPath(), threads: 1, compactAtRows: 1 })
    const values = [
      23.47,
      0.1,
      0.29,
      -5.5,
      1 / 3,
      Math.PI,
      -0,
      0,
      1e-7,
      123456.789012,
      999999999.5,
      1e9,
      -1e12,
      2 ** -30,
      0.000001,
      1234.5678901,
      Number.MAX_SAFE_INTEGER,
      5e-324,
      1.7976931348623157e308,
    ]
    await st.append(
      A,
      values.map((value, i) => ({ point: P1, ts: 1000 * (i + 1), value, quality: 'good' as const })),
    )
    await st.sizeOnDiskForPlatform()
    const got = await st.range(A, { point: P1, from: 0, to: 1000 * (values.length + 1) })
    assert.equal(got.samples.length, values.length)
    for (const [i, s] of got.samples.entries()) {
      assert.ok(Object.is(s.value, values[i]), `${values[i]} came back as ${s.value}`)
    }
    const b = await st.buckets(A, { points: [P1], from: 0, to: 4000, bucketMs: 4000 })
    assert.equal(b.rows[0]?.max, 23.47)
    await st.close()
  })

  it('opens a version-1 file, whose cold values are all doubles, and keeps reading and compacting it', async () => {
    const path = freshPath()
    const db = await DuckDBInstance.create(path)
    const c = await db.connect()
    await c.run('CREATE TABLE series_schema (version INTEGER NOT NULL); INSERT INTO series_schema VALUES (1)')
    await c.run(`CREATE TABLE series (sid UINTEGER PRIMARY KEY, tenant VARCHAR NOT NULL, point VARCHAR NOT NULL,
                 cold_max_ts BIGINT, UNIQUE (tenant, point)); INSERT INTO series VALUES (1, 'tenant-a', 'p1', 2000)`)
    for (const t of ['samples_hot', 'samples_cold']) {
      await c.run(`CREATE TABLE ${t} (sid UINTEGER NOT NULL, ts BIGINT NOT NULL, value DOUBLE, text VARCHAR,
                   quality UTINYINT NOT NULL)`)
    }
    await c.run('CREATE VIEW samples_all AS SELECT * FROM samples_cold UNION ALL SELECT * FROM samples_hot')
    await c.run('INSERT INTO samples_cold VALUES (1, 1000, 1.25, NULL, 0), (1, 2000, 2.5, NULL, 0)')
    c.closeSync()
    db.closeSync()
    const st = await createDuckdbSeriesStore({ path, threads: 1, compactAtRows: 1 })
    await st.append(A, [{ point: P1, ts: 3000, value: 3.75, quality: 'good' }])
    await st.sizeOnDiskForPlatform()
    const got = await st.range(A, { point: P1, from: 0, to: 4000 })
    assert.deepEqual(
      got.samples.map((s) => s.value),
      [1.25, 2.5, 3.75],
    )
    await st.close()
  })

  it('keeps every acknowledged batch after the process is killed with SIGKILL', async () => {
    const path = freshPath()
    const storeUrl = new URL('./duckdb-series-store.ts', import.meta.url).href
    // The child appends 500-sample batches and prints each batch number once append() resolved.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { createDuckdbSeriesStore } = await import(${JSON.stringify(storeUrl)})
         const st = await createDuckdbSeriesStore({ path: ${JSON.stringify(path)}, threads: 1 })
         for (let k = 0; ; k++) {
           const batch = []
           for (let j = 0; j < 500; j++) batch.push({ point: 'p1', ts: k * 500 + j, value: k, quality: 'good' })
           await st.append('tenant-a', batch)
           process.stdout.write('acked ' + k + '\\n')
         }`,
      ],
      { cwd: fileURLToPath(new URL('../../..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const acked = await new Promise<number>((resolve, reject) => {
      let out = ''
      let last = -1
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        const lines = out.split('\n')
        out = lines.pop() ?? ''
        for (const line of lines) last = Number(line.split(' ')[1])
        if (last >= 20) {
          child.kill('SIGKILL')
          resolve(last)
        }
      })
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`child exited early (${code}): ${stderr}`))
      })
    })
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve()
      else child.on('exit', () => resolve())
    })
    const st = await createDuckdbSeriesStore({ path, threads: 1 })
    try {
      const stats = await st.stats(A, { from: 0, to: 1_000_000_000 })
      // every acknowledged batch is there, and batches are all-or-nothing
      assert.ok(stats.samples >= (acked + 1) * 500, `${stats.samples} < ${(acked + 1) * 500}`)
      assert.equal(stats.samples % 500, 0)
      const r = await st.range(A, { point: P1, from: acked * 500, to: acked * 500 + 500 })
      assert.deepEqual(
        r.samples.map((x: Sample) => x.value),
        new Array(500).fill(acked),
      )
    } finally {
      await st.close()
    }
  })

  it('refuses a second open of a file that is already open in this process', async () => {
    const path = freshPath()
    const st = await createDuckdbSeriesStore({ path, threads: 1 })
    try {
      await assert.rejects(createDuckdbSeriesStore({ path, threads: 1 }), (err: unknown) => {
        assert.equal((err as { code: string }).code, 'SERIES_LOCKED')
        return true
      })
    } finally {
      await st.close()
    }
    // once closed, the file opens again
    const again = await createDuckdbSeriesStore({ path, threads: 1 })
    await again.close()
  })
})
