/**
 * Measures the PostgreSQL series store against the server of RONGHE_DATABASE_URL (default: the local
 * trust-auth server); prints one JSON line. Not a test: run it by hand.
 *   npx tsx src/store/series/measure-postgres.ts
 * `measurePostgresSeriesStore` is also phase 2 and 3 of `npm run bench:cluster`.
 *
 * Works in a throw-away database (created and dropped here).
 * - storePointsPerSec: appendForPlatform of 10,000-row batches, 1,000,000 rows (1,000 points of two
 *   tenants at 1 Hz, real-shaped ids), batches built before the clock starts. Includes COPY into the
 *   staging table, the dedupe insert, the rollup upsert and partition creation.
 * - rawCopyPointsPerSec: the same rows sent with COPY into a plain unindexed table with the same
 *   columns, one COPY + COMMIT per 10,000 rows, in the same run.
 * - bytesPerPoint: 100 points x 1 day at 1 Hz, analog with two decimals, pg_total_relation_size of the
 *   sample partitions (heap + primary key + BRIN + TOAST) / 8,640,000; the rollup is given apart.
 */
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { newId, type PointId, type TenantId, type TenantSample } from '../../core/index.ts'
import { createPostgresSeriesStore } from './postgres-series-store.ts'

const adminUrl =
  process.env.RONGHE_DATABASE_URL ??
  process.env.RONGHE_TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres'
const T0 = Date.UTC(2025, 0, 1)
const BATCH = 10_000

function analog(point: number, i: number, seed: { s: number }): number {
  seed.s ^= seed.s << 13
  seed.s ^= seed.s >>> 17
  seed.s ^= seed.s << 5
  const noise = ((seed.s >>> 0) / 4294967296 - 0.5) * 0.4
  const v = 50 + (point % 7) * 3 + 10 * Math.sin((2 * Math.PI * i) / 3600) + noise
  return Math.round(v * 100) / 100
}

function rows(points: number, seconds: number, startSec = 0): TenantSample[][] {
  const tenants = [newId('ten') as TenantId, newId('ten') as TenantId]
  const ids = Array.from({ length: points }, () => newId('pt') as PointId)
  const seed = { s: 12345 }
  const batches: TenantSample[][] = []
  let batch: TenantSample[] = []
  for (let sec = startSec; sec < startSec + seconds; sec++) {
    for (let p = 0; p < points; p++) {
      batch.push({
        tenant: tenants[p % 2]!,
        point: ids[p]!,
        ts: T0 + sec * 1000,
        value: analog(p, sec, seed),
        quality: 'good',
      })
      if (batch.length === BATCH) {
        batches.push(batch)
        batch = []
      }
    }
  }
  if (batch.length > 0) batches.push(batch)
  return batches
}

function copyText(batch: TenantSample[]): string {
  let out = ''
  for (const r of batch) out += `${r.tenant}\t${r.point}\t${r.ts}\t${r.value}\t\\N\t0\n`
  return out
}

export interface PostgresStoreFigures {
  readonly rows: number
  readonly batch: number
  readonly storePointsPerSec: number
  readonly rawCopyPointsPerSec: number
  readonly storeToRawCopyRatio: number
  readonly bytesPerPoint: number
  readonly rollupBytesPerPoint: number
  readonly sizeRows: number
}

/**
 * In the database of `url` (schemas `<prefix>_append`, `<prefix>_size` and a table `<prefix>_raw_copy`
 * are created): the store's appendForPlatform against a raw COPY of the same rows, and bytes per point
 * of `sizePoints` × `sizeSeconds` at 1 Hz.
 */
export async function measurePostgresSeriesStore(
  url: string,
  o: { prefix: string; appendRows: number; sizePoints: number; sizeSeconds: number },
): Promise<PostgresStoreFigures> {
  const batches = rows(1000, Math.ceil(o.appendRows / 1000))
  const total = batches.reduce((n, b) => n + b.length, 0)
  const store = await createPostgresSeriesStore({ url, schema: `${o.prefix}_append` })
  let t = performance.now()
  for (const b of batches) await store.appendForPlatform(b)
  const storeSec = (performance.now() - t) / 1000
  await store.close()

  const raw = new pg.Client({ connectionString: url })
  await raw.connect()
  try {
    await raw.query(`CREATE TABLE ${o.prefix}_raw_copy (tenant_id text, point_id text, ts bigint, value float8,
                     text text, quality smallint)`)
    const texts = batches.map(copyText)
    t = performance.now()
    for (const text of texts) {
      await raw.query('BEGIN')
      await pipeline(Readable.from([text]), raw.query(copyFrom(`COPY ${o.prefix}_raw_copy FROM STDIN`)))
      await raw.query('COMMIT')
    }
    const rawSec = (performance.now() - t) / 1000

    const schema = `${o.prefix}_size`
    const day = await createPostgresSeriesStore({ url, schema, partitionsAhead: 0 })
    const dayBatches = rows(o.sizePoints, o.sizeSeconds)
    const sizeRows = dayBatches.reduce((n, b) => n + b.length, 0)
    for (const b of dayBatches) await day.appendForPlatform(b)
    await day.close()
    await raw.query(`VACUUM ANALYZE ${schema}.samples`)
    const size = await raw.query<{ samples: string; rollup: string }>(
      `SELECT (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent = '${schema}.samples'::regclass) AS samples,
              pg_total_relation_size('${schema}.samples_hourly') AS rollup`,
    )
    const storePps = Math.round(total / storeSec)
    const rawPps = Math.round(total / rawSec)
    return {
      rows: total,
      batch: BATCH,
      storePointsPerSec: storePps,
      rawCopyPointsPerSec: rawPps,
      storeToRawCopyRatio: Math.round((storePps / rawPps) * 100) / 100,
      bytesPerPoint: Math.round((Number(size.rows[0]?.samples) / sizeRows) * 10) / 10,
      rollupBytesPerPoint: Math.round((Number(size.rows[0]?.rollup) / sizeRows) * 100) / 100,
      sizeRows,
    }
  } finally {
    await raw.end()
  }
}

async function main(): Promise<void> {
  const dbName = `ronghe_measure_${Date.now().toString(36)}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${dbName}`)
  const u = new URL(adminUrl)
  u.pathname = `/${dbName}`
  const url = u.toString()
  try {
    const figures = await measurePostgresSeriesStore(url, {
      prefix: 'measure',
      appendRows: 1_000_000,
      sizePoints: 100,
      sizeSeconds: 86_400,
    })
    console.log(
      JSON.stringify({ engine: 'postgres', server: (await serverVersion(url)) ?? 'unknown', ...figures }),
    )
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
    await admin.end()
  }
}

async function serverVersion(url: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? null
  } finally {
    await c.end()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
