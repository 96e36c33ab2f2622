import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { AssetId, PointId, Quality, Sample, TenantId } from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import { createDuckdbSeriesStore } from '../store/series/duckdb-series-store.ts'
import type { SeriesStore } from '../store/series/series-store.ts'
import { createAnalyticsService, type OeeReport } from './analytics-service.ts'
import { referenceRollups } from './reference-rollups.ts'
import { fleetOee, meterDays } from './store-analytics.ts'

/**
 * The DuckDB store's set-based rollups against the pure reference functions, on one hand-checked
 * case each: OEE (computeOee over samplesToIntervals) and meter consumption (counterDeltas).
 */
const T = 'tenant-a' as TenantId
const MIN = 60_000
// 2026-11-24 00:00 in Shanghai (UTC+8)
const MIDNIGHT = Date.UTC(2026, 10, 23, 16)
const FROM = MIDNIGHT - 120 * MIN
const TO = MIDNIGHT + 120 * MIN
const at = (m: number): number => FROM + m * MIN
const close = (a: number | null | undefined, b: number, eps = 1e-9): void =>
  assert.ok(typeof a === 'number' && Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} ≠ ${b}`)

function text(point: string, ts: number, t: string, quality: Quality = 'good'): Sample {
  return { point: point as PointId, ts, value: null, text: t, quality }
}
function num(point: string, ts: number, v: number, quality: Quality = 'good'): Sample {
  return { point: point as PointId, ts, value: v, quality }
}

// The same data (a) all still hot, so every state is read from samples; (b) compacted up to
// midnight, so the store's state runs cover the first day and samples the rest; (c) all compacted.
// m2's state point is m1's without the unknown state, so its runs are usable in every window.
for (const layout of ['hot', 'compacted up to midnight', 'compacted'] as const) {
  describe(`store rollups = pure reference functions (${layout})`, () => {
    let store: SeriesStore
    before(async () => {
      store = await createDuckdbSeriesStore({ path: ':memory:', threads: 1, compactAtRows: 1_000_000 })
      const states: Sample[] = [
        text('st', at(-5), 'running'), // holds into the window: a run that starts before it
        text('st', at(5), 'running'),
        text('st', at(10), 'down'),
        text('st', at(20), 'down'), // holds 10 min (maxHold), then no data until 65
        text('st', at(30), 'running', 'bad'), // bad: left out
        text('st', at(60), 'warming-up'), // not a machine state: left out, counted
        text('st', at(65), 'idle'),
        text('st', at(75), 'setup'),
      ]
      for (let m = 85; m <= 165; m += 10) states.push(text('st', at(m), 'running')) // crosses midnight
      states.push(
        text('st', at(175), 'planned-stop'),
        text('st', at(185), 'planned-stop'),
        text('st', at(195), 'down'),
        text('st', at(205), 'down'),
        text('st', at(215), 'running'),
        text('st', at(225), 'running'),
        text('st', at(235), 'running'), // clipped at the window's end
      )
      const counters = [
        num('good', at(-8), 1000), // inside the 10-min look-back: the first reading's predecessor
        num('good', at(60), 1060), // +60 on day 1
        num('good', at(130), 1100), // +40 on day 2
        num('good', at(200), 5), // a reset: +5
        num('good', at(239), 25), // +20
        num('scrap', at(-30), 50), // before the look-back: not read
        num('scrap', at(50), 52),
        num('scrap', at(150), 56), // +4 on day 2
      ]
      const states2 = states
        .filter((x) => x.text !== 'warming-up')
        .map((x) => ({ ...x, point: 'st2' as PointId }))
      const all = [...states, ...states2, ...counters]
      if (layout === 'compacted up to midnight') {
        await store.append(
          T,
          all.filter((x) => x.ts < MIDNIGHT),
        )
        await store.sizeOnDiskForPlatform() // compacts: derives the state runs
        await store.append(
          T,
          all.filter((x) => x.ts >= MIDNIGHT),
        )
      } else {
        await store.append(T, all)
        if (layout === 'compacted') await store.sizeOnDiskForPlatform()
      }
    })
    after(async () => store.close())

    const query = {
      equipment: [
        { equipment: 'm1', state: 'st' as PointId, good: 'good' as PointId, scrap: 'scrap' as PointId },
      ],
      from: FROM,
      to: TO,
      idealCycleMs: 30_000,
      maxHoldMs: 10 * MIN,
    }

    it('gives the hand-computed OEE time model per production day', async () => {
      assert.ok(store.rollups)
      const r = await fleetOee(store.rollups, T, query)
      const [d1, d2] = r.rows
      assert.equal(r.rows.length, 2)
      assert.equal(d1?.productionDay, '2026-11-23')
      assert.deepEqual(
        { ...d1?.elements },
        {
          pot: 120 * MIN,
          pdot: 0,
          pbt: 120 * MIN,
          apt: 45 * MIN, // 0–10 and 85–120
          aust: 10 * MIN,
          adet: 20 * MIN,
          adot: 10 * MIN,
          noData: 35 * MIN, // 30–65
          pq: 60,
          gq: 60,
          sq: 0,
          rq: 0,
          ip: 60,
          gp: 60,
          idealTime: 60 * 30_000,
          fe: 1,
          ttr: 20 * MIN,
          tbf: 45 * MIN,
        },
      )
      assert.equal(d2?.productionDay, '2026-11-24')
      assert.deepEqual(
        { ...d2?.elements },
        {
          pot: 120 * MIN,
          pdot: 20 * MIN, // planned-stop 175–195
          pbt: 100 * MIN,
          apt: 80 * MIN, // 120–175 (the run from day 1 goes on) and 215–240
          aust: 0,
          adet: 20 * MIN,
          adot: 0,
          noData: 0,
          pq: 69,
          gq: 65,
          sq: 4,
          rq: 0,
          ip: 69,
          gp: 65,
          idealTime: 69 * 30_000,
          fe: 1,
          ttr: 20 * MIN,
          tbf: 80 * MIN,
        },
      )
      assert.equal(r.unknownStates.get('m1'), 1)
    })

    it('equals the pure computeOee path of the API, report for report', async () => {
      const meta = {
        getAsset: async () => ({}),
        listPoints: async () => ({
          items: [
            { id: 'st', key: 'state' },
            { id: 'good', key: 'good' },
            { id: 'scrap', key: 'scrap' },
          ],
        }),
      } as unknown as MetaStore
      const q = { equipment: 'm1' as AssetId, from: FROM, to: TO, idealCycleMs: 30_000, maxHoldMs: 10 * MIN }
      const fast = await createAnalyticsService({ meta, series: store }).oee(T, q)
      const pure = await createAnalyticsService({ meta, series: { ...store, rollups: undefined } }).oee(T, q)
      const strip = (r: OeeReport) => JSON.parse(JSON.stringify(r))
      assert.deepEqual(strip(fast), strip(pure))
      // m2 (read from state runs where they are derived), in several windows and holds
      const meta2 = {
        getAsset: async () => ({}),
        listPoints: async () => ({
          items: [
            { id: 'st2', key: 'state' },
            { id: 'good', key: 'good' },
            { id: 'scrap', key: 'scrap' },
          ],
        }),
      } as unknown as MetaStore
      for (const [from, to, maxHoldMs] of [
        [FROM, TO, 10 * MIN],
        [FROM + 7 * MIN, TO - 3 * MIN, 5 * MIN],
        [FROM + 90 * MIN, TO, 15 * MIN],
      ] as const) {
        const q2 = { equipment: 'm2' as AssetId, from, to, idealCycleMs: 30_000, maxHoldMs }
        const a = await createAnalyticsService({ meta: meta2, series: store }).oee(T, q2)
        const b = await createAnalyticsService({ meta: meta2, series: { ...store, rollups: undefined } }).oee(
          T,
          q2,
        )
        assert.deepEqual(strip(a), strip(b), `[${from}, ${to}) hold ${maxHoldMs}`)
        assert.ok((a.kpis.availability ?? 0) > 0)
      }
      // A = 125/220, P = 129 × 30 s / 125 min, Q = 125/129
      close(fast.kpis.availability, 125 / 220)
      close(fast.kpis.effectiveness, (129 * 0.5) / 125)
      close(fast.kpis.qualityRate, 125 / 129)
      close(fast.kpis.oee, (125 / 220) * ((129 * 0.5) / 125) * (125 / 129))
      close(fast.kpis.mtbf, 62.5 * MIN)
      assert.deepEqual(
        fast.pareto.map((x) => [x.state, x.duration, x.events]),
        [
          ['down', 40 * MIN, 2],
          ['idle', 10 * MIN, 1],
          ['setup', 10 * MIN, 1],
        ],
      )
      assert.equal(fast.unknownStates, 1)
    })

    it('matches the reference rollups on arbitrary buckets', async () => {
      assert.ok(store.rollups)
      const ref = referenceRollups(store)
      for (const [bucketMs, maxHoldMs] of [
        [10 * MIN, 10 * MIN],
        [10 * MIN, 5 * MIN],
        [45 * MIN, 10 * MIN],
        [86_400_000, 10 * MIN],
        [86_400_000, 3 * MIN],
      ] as const) {
        const q = {
          points: ['st' as PointId, 'st2' as PointId],
          from: FROM + 3 * MIN,
          to: TO - 7 * MIN,
          maxHoldMs,
          states: ['running', 'idle', 'setup', 'down', 'planned-stop'],
          bucketMs,
          originMs: 17 * MIN,
        }
        const sort = (rows: readonly { point: string; bucket: number; state: string }[]) =>
          [...rows].sort(
            (a, b) =>
              (a.point < b.point ? -1 : a.point > b.point ? 1 : 0) ||
              a.bucket - b.bucket ||
              (a.state < b.state ? -1 : 1),
          )
        const a = await store.rollups.stateDurations(T, q)
        const b = await ref.stateDurations(T, q)
        assert.deepEqual(sort(a.rows), sort(b.rows), `bucket ${bucketMs} hold ${maxHoldMs}`)
        assert.deepEqual([...a.ignored], [...b.ignored])
        const c = {
          points: ['good', 'scrap'] as PointId[],
          from: q.from,
          to: q.to,
          lookbackMs: 10 * MIN,
          bucketMs,
          originMs: 17 * MIN,
        }
        const byKey = (rows: readonly { point: string; bucket: number }[]) =>
          [...rows].sort((x, y) => (x.point < y.point ? -1 : x.point > y.point ? 1 : x.bucket - y.bucket))
        assert.deepEqual(
          byKey(await store.rollups.counterIncreases(T, c)),
          byKey(await ref.counterIncreases(T, c)),
        )
      }
    })
  })
}

describe('meter consumption rollup = counterDeltas', () => {
  let store: SeriesStore
  const D = MIDNIGHT
  const m = (x: number): number => D + x * MIN
  before(async () => {
    store = await createDuckdbSeriesStore({ path: ':memory:', threads: 1 })
    await store.append(T, [
      num('kwh', m(-15), 100),
      num('kwh', m(0), 110), // the pair before the window is not counted
      num('kwh', m(15), 120),
      num('kwh', m(30), 130),
      num('kwh', m(30) + 1000, 999, 'bad'),
      num('kwh', m(45), 140),
      num('kwh', m(60), 150),
      num('kwh', m(65), 152),
      num('kwh', m(80), 160), // 8 kWh over 65–80: 16/3 to 60–75, 8/3 to 75–90
      num('kwh', m(120), 200), // 40 min apart: a gap, 40 kWh not spread
      num('kwh', m(135), 1), // reset: +1
      num('kwh', m(1440 + 15), 4), // a long gap across midnight: +3, not spread
      num('kwh', m(1440 + 30), 14),
      num('kwh', m(1440 + 45), 23),
    ])
  })
  after(async () => store.close())

  it('gives the hand-computed daily consumption, completeness and register difference', async () => {
    assert.ok(store.rollups)
    const q = { from: D, to: D + 2 * 86_400_000 }
    const meters = [{ tenant: T, point: 'kwh' as PointId }]
    const fast = await meterDays(store.rollups, meters, q)
    const ref = await meterDays(referenceRollups(store), meters, q)
    const rows = [...fast.rows].sort((a, b) => a.bucket - b.bucket)
    assert.equal(rows.length, 2)
    assert.equal(rows[0]?.bucket, D)
    close(rows[0]?.consumption, 51)
    assert.equal(rows[0]?.completeIntervals, 6) // 0–60 (4), 60–75, 120–135
    assert.equal(rows[0]?.coveredIntervals, 7) // and 75–90, partial
    close(rows[1]?.consumption, 19)
    assert.equal(rows[1]?.completeIntervals, 2)
    close(fast.registers[0]?.registerDelta, 51 + 19 + 40 + 3)
    const refRows = [...ref.rows].sort((a, b) => a.bucket - b.bucket)
    assert.equal(refRows.length, rows.length)
    rows.forEach((r, i) => {
      const x = refRows[i]
      assert.equal(r.bucket, x?.bucket)
      close(r.consumption, x?.consumption ?? Number.NaN)
      assert.equal(r.completeIntervals, x?.completeIntervals)
      assert.equal(r.coveredIntervals, x?.coveredIntervals)
    })
    close(fast.registers[0]?.registerDelta, ref.registers[0]?.registerDelta ?? Number.NaN)
    // 15-minute buckets: interval for interval what counterDeltas reports
    const q15 = { ...q, bucketMs: 15 * MIN }
    const a = [...(await meterDays(store.rollups, meters, q15)).rows].sort((x, y) => x.bucket - y.bucket)
    const b = [...(await meterDays(referenceRollups(store), meters, q15)).rows].sort(
      (x, y) => x.bucket - y.bucket,
    )
    assert.deepEqual(
      a.map((x) => [x.bucket, x.completeIntervals, x.coveredIntervals]),
      b.map((x) => [x.bucket, x.completeIntervals, x.coveredIntervals]),
    )
    a.forEach((x, i) => {
      close(x.consumption, b[i]?.consumption ?? Number.NaN)
    })
  })
})
