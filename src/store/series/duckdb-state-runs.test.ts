import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import type { PointId, Quality, Sample, TenantId } from '../../core/index.ts'
import { createDuckdbSeriesStore, type DuckdbSeriesStore } from './duckdb-series-store.ts'
import { RUN_GAP_MS } from './duckdb-state-runs.ts'

const root = mkdtempSync(join(tmpdir(), 'ronghe-state-runs-'))
after(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const freshPath = (): string => join(root, `r${++n}.duckdb`)

const A = 'tenant-a' as TenantId
const B = 'tenant-b' as TenantId
const MIN = 60_000
// 01:00 UTC: the first samples do not cross the runs' UTC-day grid
const T0 = Date.UTC(2026, 10, 24, 1)
const at = (m: number): number => T0 + m * MIN

function st(point: string, ts: number, text: string | null, quality: Quality = 'good'): Sample {
  return text === null
    ? { point: point as PointId, ts, value: 1, quality }
    : { point: point as PointId, ts, value: null, text, quality }
}

const open = (path: string, compactAtRows?: number): Promise<DuckdbSeriesStore> =>
  createDuckdbSeriesStore({
    path,
    threads: 1,
    memoryLimit: '256MB',
    ...(compactAtRows === undefined ? {} : { compactAtRows }),
  })

type RunRow = [
  string,
  string,
  number,
  number,
  number | null,
  string | null,
  number,
  number | null,
  boolean | null,
  number,
]

/** The stored runs (tenant, point, start, last, next, state, max_gap, gap_before, same_before, samples). */
async function runsOf(path: string): Promise<RunRow[]> {
  const db = await DuckDBInstance.create(path)
  const c = await db.connect()
  const r = await c.runAndReadAll(
    `SELECT s.tenant, s.point, r.start_ts::DOUBLE, r.last_ts::DOUBLE, r.next_ts::DOUBLE, r.state,
       r.max_gap::DOUBLE, r.gap_before::DOUBLE, r.same_before, r.samples::DOUBLE
     FROM state_runs r JOIN series s ON r.sid = s.sid ORDER BY s.tenant, s.point, r.start_ts`,
  )
  c.closeSync()
  db.closeSync()
  return r.getRows() as unknown as RunRow[]
}

/** A store that got `samples` in one batch and compacted them: the runs derived in one go. */
async function runsInOneGo(byTenant: readonly [TenantId, readonly Sample[]][]): Promise<RunRow[]> {
  const path = freshPath()
  const s = await open(path)
  for (const [tenant, samples] of byTenant) await s.append(tenant, samples)
  await s.sizeOnDiskForPlatform()
  await s.close()
  return runsOf(path)
}

const base: Sample[] = [
  st('st', at(0), 'running'),
  st('st', at(1), 'running'),
  st('st', at(2), 'running'),
  st('st', at(3), 'down'),
  st('st', at(4), 'down'),
  st('st', at(14), 'down'), // 10 min after the previous one: the gap is a run boundary
  st('st', at(15), 'idle', 'bad'), // bad: not part of any run
  st('st', at(16), 'down'),
  st('st', at(17), null), // a numeric sample on the state point: a run without text
  st('st', at(18), 'running'),
]

describe('duckdb state runs', () => {
  it('derives runs at compaction: changes, repeats, gaps beyond the run gap, bad and text-less samples, the day grid', async () => {
    assert.ok(10 * MIN > RUN_GAP_MS && 2 * MIN <= RUN_GAP_MS)
    const midnight = Date.UTC(2026, 10, 25)
    const path = freshPath()
    const s = await open(path)
    await s.append(A, [
      ...base,
      st('g', midnight - MIN, 'idle'),
      st('g', midnight, 'idle'),
      st('g', midnight + MIN, 'idle'),
      { point: 'num' as PointId, ts: at(0), value: 5, quality: 'good' },
      { point: 'num' as PointId, ts: at(1), value: 6, quality: 'good' },
    ])
    await s.sizeOnDiskForPlatform() // compacts
    await s.close()
    assert.deepEqual(await runsOf(path), [
      // the UTC day grid splits a run; the part after midnight follows one of the same state
      [A, 'g', midnight - MIN, midnight - MIN, midnight, 'idle', 0, null, null, 1],
      [A, 'g', midnight, midnight + MIN, null, 'idle', MIN, MIN, true, 2],
      [A, 'st', at(0), at(2), at(3), 'running', MIN, null, null, 3],
      [A, 'st', at(3), at(4), at(14), 'down', MIN, MIN, false, 2],
      [A, 'st', at(14), at(16), at(17), 'down', 2 * MIN, 10 * MIN, true, 2],
      [A, 'st', at(17), at(17), at(18), null, 0, MIN, false, 1],
      [A, 'st', at(18), at(18), null, 'running', 0, MIN, false, 1],
      // a numeric series has no runs
    ])
  })

  it('extends the open run with the next compaction and re-derives a range that late data falls into', async () => {
    const path = freshPath()
    const s = await open(path)
    await s.append(A, base.slice(0, 5))
    await s.sizeOnDiskForPlatform()
    await s.append(A, base.slice(5))
    await s.sizeOnDiskForPlatform()
    // late: a 'down' between the running samples, and a running sample inside the gap
    const late = [st('st', at(1.5), 'down'), st('st', at(9), 'down')]
    await s.append(A, late)
    await s.sizeOnDiskForPlatform()
    await s.close()
    // [lo, hi) = [0, 14) was derived again; the run at 14 stays and now follows the run ending at 9
    // (runs need not be maximal: one derivation of all samples would join them)
    assert.deepEqual(await runsOf(path), [
      [A, 'st', at(0), at(1), at(1.5), 'running', MIN, null, null, 2],
      [A, 'st', at(1.5), at(1.5), at(2), 'down', 0, 0.5 * MIN, false, 1],
      [A, 'st', at(2), at(2), at(3), 'running', 0, 0.5 * MIN, false, 1],
      [A, 'st', at(3), at(9), at(14), 'down', 5 * MIN, MIN, false, 3],
      [A, 'st', at(14), at(16), at(17), 'down', 2 * MIN, 5 * MIN, true, 2],
      [A, 'st', at(17), at(17), at(18), null, 0, MIN, false, 1],
      [A, 'st', at(18), at(18), null, 'running', 0, MIN, false, 1],
    ])
  })

  it('deletes the runs before a retention cut and derives a run that straddles it again', async () => {
    const path = freshPath()
    const s = await open(path)
    await s.append(A, base)
    await s.sizeOnDiskForPlatform()
    await s.deleteBefore(A, at(3.5))
    await s.close()
    const kept = base.filter((x) => x.ts >= at(3.5))
    assert.deepEqual(await runsOf(path), await runsInOneGo([[A, kept]]))
    assert.deepEqual((await runsOf(path))[0], [A, 'st', at(4), at(4), at(14), 'down', 0, null, null, 1])
  })

  it('keeps tenants apart: same point id, own runs, own retention and point deletion', async () => {
    const path = freshPath()
    const s = await open(path, 1) // compacts after every batch
    const other = [st('st', at(0), 'idle'), st('st', at(1), 'setup'), st('st', at(2), 'setup')]
    await s.append(A, base)
    await s.append(B, other)
    await s.deleteBefore(A, at(10))
    await s.deletePoint(A, 'g' as PointId) // no runs of its own: nothing else changes
    await s.close()
    const expected = await runsInOneGo([
      [A, base.filter((x) => x.ts >= at(10))],
      [B, other],
    ])
    assert.deepEqual(await runsOf(path), expected)
    assert.deepEqual(
      expected.filter((r) => r[0] === B).map((r) => [r[2], r[3], r[5]]),
      [
        [at(0), at(0), 'idle'],
        [at(1), at(2), 'setup'],
      ],
    )
    const s2 = await open(path)
    await s2.deletePoint(A, 'st' as PointId)
    await s2.close()
    assert.deepEqual(
      await runsOf(path),
      expected.filter((r) => r[0] === B),
    )
  })

  it('catches up samples written past compaction, once', async () => {
    const path = freshPath()
    const s = await open(path)
    await s.append(A, base)
    await s.sizeOnDiskForPlatform()
    await s.close()
    // as an older version's file would be: samples without runs
    const db = await DuckDBInstance.create(path)
    const c = await db.connect()
    await c.run('DELETE FROM state_runs')
    c.closeSync()
    db.closeSync()
    const s2 = await open(path)
    assert.deepEqual(await s2.deriveStateRunsForPlatform(), { series: 1, runs: 5 })
    assert.deepEqual(await s2.deriveStateRunsForPlatform(), { series: 0, runs: 0 })
    await s2.close()
    assert.deepEqual(await runsOf(path), await runsInOneGo([[A, base]]))
  })
})
