/**
 * Analytics benchmark (issue 7): prints one JSON line.
 *
 * 1. OEE of 1,000 machines over 90 production days of 1-minute state samples (129.6 M samples) plus
 *    good / scrap part counters every 10 minutes, through the analytics module's store path
 *    (fleetOee: set-based queries of the DuckDB series store's rollups, then the ISO 22400 time model
 *    and KPIs per machine and day in this process).
 * 2. A monthly energy rollup of 10,000 enterprises, one kWh meter each read every 15 minutes: per
 *    enterprise and local day consumption, complete intervals and register difference (meterDays),
 *    summed to the month with standard coal in this process. It reads the store's meter pieces
 *    (src/store/series/duckdb-meter-pieces.ts), derived once by deriveMeterPiecesForPlatform
 *    (meterPiecesDeriveSeconds); energyFromSamplesSeconds is the same month from samples alone.
 * Each is timed end to end, then the very same SQL statements are run on a bare DuckDB connection to
 * the same file (the floor) and the ratio path / floor is given; the OEE floor's two parts (state
 * durations, counter increases) are also timed alone.
 *
 * State durations read the store's state runs (src/store/series/duckdb-state-runs.ts). The samples
 * written here with SQL bypass compaction, which derives runs on ingest, so the store's catch-up
 * (deriveStateRunsForPlatform) derives them once; its time is stateRunsDeriveSeconds. Counter
 * increases read the store's counter pieces (src/store/series/duckdb-counter-pieces.ts), derived the
 * same way once by deriveCounterPiecesForPlatform (counterPiecesDeriveSeconds; the good / scrap
 * counters are integers and get pieces; so do the quarter of the kWh registers that step by whole
 * kWh, the others have decimals and do not).
 *
 * The data set is written straight into the series store's tables with SQL (an append of 160 M rows
 * through the store's API would take far longer than the queries under test) and kept in --dir for
 * the next run; --fresh rebuilds it.
 *
 * Usage: npm run bench:analytics [-- --machines 1000 --days 90 --enterprises 10000 --fresh
 *   --generate-only --derive-only --dir /tmp/ronghe-bench-analytics]
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { toStandardCoal } from '../src/analytics/energy/standard-coal.ts'
import { oeeKpis, sumElements } from '../src/analytics/oee/oee-elements.ts'
import { fleetOee, meterDays } from '../src/analytics/store-analytics.ts'
import type { PointId, TenantId } from '../src/core/index.ts'
import {
  counterIncreaseColumns,
  meterBucketSql,
  meterPieceColumns,
  meterRegisterSql,
  stateDurationColumns,
} from '../src/store/series/duckdb-series-rollups.ts'
import { createDuckdbSeriesStore } from '../src/store/series/duckdb-series-store.ts'

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : dflt
}
const argS = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? String(process.argv[i + 1]) : dflt
}
const MACHINES = arg('machines', 1000)
const DAYS = arg('days', 90)
const ENTERPRISES = arg('enterprises', 10_000)
const DIR = argS('dir', '/tmp/ronghe-bench-analytics')
const MIN = 60_000
const DAY = 86_400_000
const OFFSET = 8 * 3_600_000 // Asia/Shanghai
// production days from 2026-09-01 00:00 local; the energy month is November 2026
const OEE_FROM = Date.UTC(2026, 8, 1) - OFFSET
const OEE_TO = OEE_FROM + DAYS * DAY
const MONTH_FROM = Date.UTC(2026, 10, 1) - OFFSET
const MONTH_TO = Date.UTC(2026, 11, 1) - OFFSET
const FACTORY = 'bench-factory' as TenantId
const HOLD = 5 * MIN
const STATES = ['running', 'idle', 'setup', 'down', 'planned-stop']

const loadavg = (): number[] =>
  readFileSync('/proc/loadavg', 'utf8')
    .split(' ')
    .slice(0, 3)
    .map((x) => Number(x))
const seconds = (t0: number): number => Math.round((performance.now() - t0) / 10) / 100

const key = `m${MACHINES}-d${DAYS}-e${ENTERPRISES}-v1`
const path = join(DIR, `${key}.duckdb`)

async function generate(): Promise<number> {
  rmSync(DIR, { recursive: true, force: true })
  mkdirSync(DIR, { recursive: true })
  const t0 = performance.now()
  // the store creates its schema; then its tables are filled with SQL
  await (await createDuckdbSeriesStore({ path })).close()
  const db = await DuckDBInstance.create(path)
  const c = await db.connect()
  const M = MACHINES
  const N = DAYS * 1440
  const E = ENTERPRISES
  await c.run(`INSERT INTO series
    SELECT 1 + m, '${FACTORY}', 'state-' || m, ${OEE_TO - MIN} FROM range(${M}) r(m)
    UNION ALL SELECT 1 + ${M} + m, '${FACTORY}', 'good-' || m, ${OEE_TO - 10 * MIN} FROM range(${M}) r(m)
    UNION ALL SELECT 1 + ${2 * M} + m, '${FACTORY}', 'scrap-' || m, ${OEE_TO - 10 * MIN} FROM range(${M}) r(m)
    UNION ALL SELECT 1 + ${3 * M} + e, 'ent-' || e, 'kwh', ${MONTH_TO + 15 * MIN} FROM range(${E}) r(e)`)
  // states in runs of 37 minutes: 7 in 11 running, then idle, setup, down, planned-stop
  await c.run(`INSERT INTO samples_cold (sid, ts, value, text, quality)
    SELECT (1 + m)::UINTEGER, ${OEE_FROM} + i * ${MIN}, NULL,
      CASE (i // 37 * 7 + m * 13) % 11 WHEN 7 THEN 'idle' WHEN 8 THEN 'setup' WHEN 9 THEN 'down'
        WHEN 10 THEN 'planned-stop' ELSE 'running' END, 0
    FROM range(${M}) r1(m), range(${N}) r2(i)`)
  // part counters every 10 minutes: 18 good and 1 scrap, the good counter resets each day
  await c.run(`INSERT INTO samples_cold (sid, ts, value, text, quality)
    SELECT (1 + ${M} + m)::UINTEGER, ${OEE_FROM} + j * ${10 * MIN}, (j % 144) * 18.0, NULL, 0
    FROM range(${M}) r1(m), range(${N / 10}) r2(j)
    UNION ALL
    SELECT (1 + ${2 * M} + m)::UINTEGER, ${OEE_FROM} + j * ${10 * MIN}, j * 1.0, NULL, 0
    FROM range(${M}) r1(m), range(${N / 10}) r2(j)`)
  // kWh registers every 15 minutes from 23:45 the day before to 00:15 the day after the month
  const readings = (MONTH_TO - MONTH_FROM) / (15 * MIN) + 3
  await c.run(`INSERT INTO samples_cold (sid, ts, value, text, quality)
    SELECT (1 + ${3 * M} + e)::UINTEGER, ${MONTH_FROM - 15 * MIN} + k * ${15 * MIN},
      10000.0 + k * (5 + e % 200) * 0.25, NULL, 0
    FROM range(${E}) r1(e), range(${readings}) r2(k)`)
  await c.run('CHECKPOINT')
  c.closeSync()
  db.closeSync()
  writeFileSync(`${path}.done`, '')
  return seconds(t0)
}

async function main(): Promise<void> {
  const loadStart = loadavg()
  // the marker is written last, so an interrupted generation is not taken for a complete data set
  const fresh = process.argv.includes('--fresh') || !existsSync(`${path}.done`)
  const generatedSeconds = fresh ? await generate() : null
  if (process.argv.includes('--generate-only')) {
    console.log(JSON.stringify({ generatedSeconds, path, loadavgStart: loadStart, loadavgEnd: loadavg() }))
    return
  }

  const equipment = Array.from({ length: MACHINES }, (_, m) => ({
    equipment: `m${m}`,
    state: `state-${m}` as PointId,
    good: `good-${m}` as PointId,
    scrap: `scrap-${m}` as PointId,
  }))
  const meters = Array.from({ length: ENTERPRISES }, (_, e) => ({
    tenant: `ent-${e}` as TenantId,
    point: 'kwh' as PointId,
  }))

  // ---- the analytics module's path --------------------------------------------------------------
  const store = await createDuckdbSeriesStore({ path })
  const rollups = store.rollups
  if (!rollups) throw new Error('the DuckDB store has no rollups')
  // The state samples were written with SQL, past the store's compaction, so their state runs are
  // derived here by the store's catch-up (the same derivation compaction runs on ingest): a one-off
  // ingest cost, timed on its own. A later run on the same file finds them derived (null).
  let t0 = performance.now()
  const derived = await store.deriveStateRunsForPlatform()
  const stateRunsDeriveSeconds = derived.series > 0 ? seconds(t0) : null
  t0 = performance.now()
  const derivedPieces = await store.deriveCounterPiecesForPlatform()
  const counterPiecesDeriveSeconds = derivedPieces.series > 0 ? seconds(t0) : null
  // the kWh registers become meter series with meter pieces (what a first meter query over them
  // starts in the background), derived here in the foreground and timed on their own
  t0 = performance.now()
  const derivedMeters = await store.deriveMeterPiecesForPlatform(meters)
  const meterPiecesDeriveSeconds = derivedMeters.series > 0 ? seconds(t0) : null
  if (process.argv.includes('--derive-only')) {
    console.log(
      JSON.stringify({
        ...derived,
        stateRunsDeriveSeconds,
        counterPieceSeries: derivedPieces.series,
        counterPieces: derivedPieces.pieces,
        counterPiecesDeriveSeconds,
        meterPieceSeries: derivedMeters.series,
        meterPieces: derivedMeters.pieces,
        meterPiecesDeriveSeconds,
        loadavgStart: loadStart,
        loadavgEnd: loadavg(),
      }),
    )
    await store.close()
    return
  }
  t0 = performance.now()
  const oee = await fleetOee(rollups, FACTORY, {
    equipment,
    from: OEE_FROM,
    to: OEE_TO,
    idealCycleMs: 30_000,
    maxHoldMs: HOLD,
  })
  const byMachine = new Map<string, ReturnType<typeof sumElements>[]>()
  for (const r of oee.rows) {
    const list = byMachine.get(r.equipment) ?? []
    list.push(r.elements)
    byMachine.set(r.equipment, list)
  }
  const kpis = [...byMachine.values()].map((list) => oeeKpis(sumElements(list)))
  const fleet = oeeKpis(sumElements(oee.rows.map((r) => r.elements)))
  const oeeSeconds = seconds(t0)

  t0 = performance.now()
  const energy = await meterDays(rollups, meters, { from: MONTH_FROM, to: MONTH_TO })
  const perEnterprise = new Map<string, { kWh: number; complete: number }>()
  for (const r of energy.rows) {
    const x = perEnterprise.get(r.tenant) ?? { kWh: 0, complete: 0 }
    x.kWh += r.consumption
    x.complete += r.completeIntervals
    perEnterprise.set(r.tenant, x)
  }
  const intervals = (MONTH_TO - MONTH_FROM) / (15 * MIN)
  const monthly = [...perEnterprise.entries()].map(([tenant, x]) => ({
    tenant,
    kWh: x.kWh,
    tce: toStandardCoal([{ carrier: 'electricity', amount: x.kWh }], { date: '2026-11-01' }).totalTce,
    completeness: x.complete / intervals,
  }))
  const energySeconds = seconds(t0)
  await store.close()

  // sanity: every machine has 90 rows, the fleet ran, every enterprise is complete
  if (oee.rows.length !== MACHINES * DAYS || kpis.length !== MACHINES) throw new Error('OEE rows missing')
  if (monthly.length !== ENTERPRISES || monthly.some((x) => x.completeness !== 1)) {
    throw new Error('energy rollup incomplete')
  }

  // ---- the floor: the same statements on a bare connection ---------------------------------------
  const db = await DuckDBInstance.create(path)
  const run = async (sql: string): Promise<number> => {
    const c = await db.connect()
    const cols = (await c.runAndReadAll(sql)).getColumns()
    c.closeSync()
    return cols[0]?.length ?? 0
  }
  const sids = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i)
  const days = { bucketMs: DAY, originMs: -OFFSET }
  const stateQ = {
    sids: sids(1, MACHINES),
    from: OEE_FROM,
    to: OEE_TO,
    maxHoldMs: HOLD,
    states: STATES,
    ...days,
  }
  const stateFloor = async (): Promise<number> => {
    const c = await db.connect()
    const cols = await stateDurationColumns(c, stateQ)
    c.closeSync()
    return cols[0]?.length ?? 0
  }
  const counterFloor = async (): Promise<number> => {
    const c = await db.connect()
    const cols = await counterIncreaseColumns(c, {
      sids: sids(1 + MACHINES, 2 * MACHINES),
      from: OEE_FROM,
      to: OEE_TO,
      lookbackMs: HOLD,
      ...days,
    })
    c.closeSync()
    return cols[0]?.length ?? 0
  }
  t0 = performance.now()
  await Promise.all([stateFloor(), counterFloor()])
  const oeeFloorSeconds = seconds(t0)
  // where the OEE time goes: each part alone (the path runs them side by side)
  t0 = performance.now()
  await stateFloor()
  const oeeFloorStateSeconds = seconds(t0)
  t0 = performance.now()
  await counterFloor()
  const oeeFloorCounterSeconds = seconds(t0)
  const meterQ = {
    sids: sids(1 + 3 * MACHINES, ENTERPRISES),
    from: MONTH_FROM,
    to: MONTH_TO,
    intervalMs: 15 * MIN,
    ...days,
  }
  t0 = performance.now()
  {
    const c = await db.connect()
    await meterPieceColumns(c, meterQ)
    c.closeSync()
  }
  const energyFloorSeconds = seconds(t0)
  // what the same month costs read from samples alone (the statements used without meter pieces)
  t0 = performance.now()
  await Promise.all([run(meterBucketSql(meterQ)), run(meterRegisterSql(meterQ))])
  const energyFromSamplesSeconds = seconds(t0)
  db.closeSync()

  const round = (x: number | null, d = 3): number | null =>
    x === null ? null : Math.round(x * 10 ** d) / 10 ** d
  console.log(
    JSON.stringify({
      oeeMachines: MACHINES,
      oeeDays: DAYS,
      stateSamples: MACHINES * DAYS * 1440,
      stateRuns: derived.runs > 0 ? derived.runs : null,
      stateRunsDeriveSeconds,
      counterPieces: derivedPieces.pieces > 0 ? derivedPieces.pieces : null,
      counterPiecesDeriveSeconds,
      counterSamples: 2 * MACHINES * DAYS * 144,
      oeeSeconds,
      oeeFloorSeconds,
      oeeRatio: round(oeeSeconds / oeeFloorSeconds, 2),
      oeeFloorStateSeconds,
      oeeFloorCounterSeconds,
      fleetOee: round(fleet.oee, 4),
      fleetAvailability: round(fleet.availability, 4),
      energyEnterprises: ENTERPRISES,
      energyReadings: ENTERPRISES * ((MONTH_TO - MONTH_FROM) / (15 * MIN) + 3),
      energySeconds,
      energyFloorSeconds,
      energyRatio: round(energySeconds / energyFloorSeconds, 2),
      energyFromSamplesSeconds,
      meterPieces: derivedMeters.pieces > 0 ? derivedMeters.pieces : null,
      meterPiecesDeriveSeconds,
      regionTce: round(
        monthly.reduce((s, x) => s + x.tce, 0),
        1,
      ),
      generatedSeconds,
      loadavgStart: loadStart,
      loadavgEnd: loadavg(),
    }),
  )
}

await main()
