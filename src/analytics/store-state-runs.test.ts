import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import type { PointId, Quality, Sample, TenantId } from '../core/index.ts'
import { createDuckdbSeriesStore } from '../store/series/duckdb-series-store.ts'
import { stateRunCutSql } from '../store/series/duckdb-state-runs.ts'
import type { StateDurationQuery, StateDurations } from '../store/series/series-store.ts'
import { MACHINE_STATES } from './oee/compute-oee.ts'
import { referenceRollups } from './reference-rollups.ts'
import { createRng } from '../core/rng.ts'

/**
 * The DuckDB store's state durations — read from its state runs where they are derived, from
 * samples where they are not (data still hot, late data, retention) — against the pure reference
 * (samplesToIntervals per point), on random data: irregular steps and gaps, unknown and text-less
 * samples, bad quality, late and out-of-order batches, compactions in between.
 */
const root = mkdtempSync(join(tmpdir(), 'ronghe-state-runs-eq-'))
after(() => rmSync(root, { recursive: true, force: true }))

const MIN = 60_000
const DAY = 86_400_000
const T0 = Date.UTC(2026, 10, 23, 20) // 04:00 in Shanghai: windows cross local and UTC midnights
const TENANTS = ['t-1', 't-2'] as TenantId[]
const POINTS = ['s1', 's2', 's3'] as PointId[]

const prng = (seed: number): (() => number) => createRng(seed).next

/** s1: known states only; s2: now and then an unknown or a text-less sample; s3: those only early on */
function randomSeries(rnd: () => number, point: PointId, count: number): Sample[] {
  const out: Sample[] = []
  let ts = T0 + Math.floor(rnd() * 10) * 1000
  let state: string = MACHINE_STATES[0] as string
  for (let i = 0; i < count; i++) {
    const r = rnd()
    // mostly one minute; sometimes shorter, a little longer, or a silence
    ts += r < 0.75 ? MIN : r < 0.85 ? 30_000 : r < 0.93 ? 2.5 * MIN : r < 0.97 ? 7 * MIN : 40 * MIN
    if (rnd() < 0.12) state = MACHINE_STATES[Math.floor(rnd() * MACHINE_STATES.length)] as string
    const q: Quality = rnd() < 0.03 ? 'bad' : rnd() < 0.05 ? 'uncertain' : 'good'
    const odd = point === 's1' || (point === 's3' && i > count / 5) ? 1 : rnd()
    if (odd < 0.01)
      out.push({ point, ts, value: 3, quality: q }) // no text
    else if (odd < 0.02) out.push({ point, ts, value: null, text: 'warming-up', quality: q })
    else out.push({ point, ts, value: null, text: state, quality: q })
  }
  return out
}

const sortRows = (d: StateDurations) =>
  [...d.rows].sort((a, b) =>
    a.point < b.point ? -1 : a.point > b.point ? 1 : a.bucket - b.bucket || (a.state < b.state ? -1 : 1),
  )

describe('state durations from state runs = samplesToIntervals', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`agrees on random data, part derived and part pending (seed ${seed})`, async () => {
      const rnd = prng(seed)
      const span = 900 * 1.6 * MIN
      const store = await createDuckdbSeriesStore({
        path: join(root, `s${seed}.duckdb`),
        threads: 1,
        memoryLimit: '256MB',
        compactAtRows: 1_000_000, // compactions only where the test asks for them
      })
      try {
        const all = new Map<TenantId, Sample[]>()
        for (const t of TENANTS)
          all.set(
            t,
            POINTS.flatMap((p) => randomSeries(rnd, p, 900)),
          )
        // four slices in time order, each compacted; a few samples of each held back and sent late;
        // the last slice stays hot (pending)
        const late: [TenantId, Sample][] = []
        for (let k = 0; k < 4; k++) {
          const lo = T0 + (k * span) / 4
          const hi = k === 3 ? Number.POSITIVE_INFINITY : T0 + ((k + 1) * span) / 4
          for (const [t, samples] of all) {
            const slice = samples.filter((x) => x.ts >= lo && x.ts < hi)
            const now = slice.filter((x) => {
              if (rnd() < 0.02) {
                late.push([t, x])
                return false
              }
              return true
            })
            await store.append(t, now.reverse()) // out of order inside the batch, too
          }
          if (k === 1 || k === 2) {
            // late data of earlier slices arrives after they were derived
            for (const [t, x] of late.splice(0)) await store.append(t, [x])
          }
          if (k < 3) await store.sizeOnDiskForPlatform() // compacts: derives the runs
        }
        // some late samples stay hot, inside ranges already derived
        for (const [t, x] of late.splice(0)) await store.append(t, [x])
        assert.ok(store.rollups)
        const ref = referenceRollups(store)
        let compared = 0
        for (const [H, B, O] of [
          [MIN, 10 * MIN, 0],
          [2 * MIN, 3_600_000, 17 * MIN],
          [5 * MIN, DAY, -8 * 3_600_000],
          [10 * MIN, DAY, 0],
          [45 * MIN, 45 * MIN, 0],
        ] as const) {
          for (const [f, t] of [
            [0, 1],
            [0.1, 0.37],
            [0.45, 0.9],
            [0.7, 1.05],
          ] as const) {
            const q: StateDurationQuery = {
              points: POINTS,
              from: Math.round(T0 + f * span),
              to: Math.round(T0 + t * span),
              maxHoldMs: H,
              states: MACHINE_STATES,
              bucketMs: B,
              originMs: O,
            }
            for (const tenant of TENANTS) {
              const a = await store.rollups.stateDurations(tenant, q)
              const b = await ref.stateDurations(tenant, q)
              assert.ok(b.rows.length > 0)
              assert.deepEqual(sortRows(a), sortRows(b), `H ${H} B ${B} O ${O} [${f}, ${t}) ${tenant}`)
              assert.deepEqual(new Map([...a.ignored].sort()), new Map([...b.ignored].sort()))
              compared++
            }
          }
        }
        assert.equal(compared, 40)
      } finally {
        await store.close()
      }
      // the runs were used: the same file, read directly, gives most series a cut for a 5-minute hold
      const db = await DuckDBInstance.create(join(root, `s${seed}.duckdb`))
      const c = await db.connect()
      const q = { from: T0 + span / 2, to: T0 + span, maxHoldMs: 5 * MIN, states: MACHINE_STATES }
      const cuts = (await c.runAndReadAll(stateRunCutSql({ ...q, sids: [1, 2, 3, 4, 5, 6] }))).getRows()
      c.closeSync()
      db.closeSync()
      assert.ok(cuts.length >= 3, `only ${cuts.length} series read runs`)
    })
  }
})
