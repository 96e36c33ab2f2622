import { Kysely, PostgresDialect } from 'kysely'
import { createPostgresEpcisStore } from '../src/identifiers/epcis/postgres-epcis-store.ts'
import { captureBenchEvents, pct, registerBenchHandles } from '../src/identifiers/identifiers-bench.ts'
import { migrateIdentifiers } from '../src/identifiers/identifiers-migrations.ts'
import { createPostgresHandleStore } from '../src/identifiers/postgres-handle-store.ts'
import { createPostgresPool, migrateUnderLock } from '../src/store/postgres-pool.ts'
import { createScratchDatabase } from '../src/store/series/postgres-scratch.ts'

/**
 * The identifier stores on PostgreSQL (scale-out shape), in process, on a scratch database of
 * RONGHE_TEST_DATABASE_URL's server: registrations/s (batches of 1000, as bench:identifiers),
 * resolutions served from the store (auth=true skips the cache) one at a time and 32 in flight, and
 * EPCIS events captured/s (documents of 1000). Prints one JSON line.
 */
const nHandles = Number(process.env.RONGHE_BENCH_HANDLES ?? 10_000)
const nLookups = Number(process.env.RONGHE_BENCH_LOOKUPS ?? 10_000)
const nEvents = Number(process.env.RONGHE_BENCH_EVENTS ?? 10_000)

const scratch = await createScratchDatabase('identbench')
try {
  // biome-ignore lint/suspicious/noExplicitAny: the migrations take the platform's wider type
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: createPostgresPool(scratch.url) }) })
  await migrateUnderLock(db, 'ronghe_identifiers_migrations', (trx) => migrateIdentifiers(trx, 'postgres'))
  const store = createPostgresHandleStore(db)
  const { tenant, resolver, registrationsPerSec } = await registerBenchHandles(store, nHandles)

  const misses = async (inFlight: number): Promise<{ perSec: number; p50: number; p99: number }> => {
    const lat: number[] = []
    let next = 0
    const start = performance.now()
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        for (let i = next++; i < nLookups; i = next++) {
          const s = performance.now()
          const r = await resolver.resolve(`88.118.8/P${(i * 7919) % nHandles}`, { auth: true })
          if (r.responseCode !== 1) throw new Error(`resolution ${i}: ${r.responseCode}`)
          lat.push(performance.now() - s)
        }
      }),
    )
    const secs = (performance.now() - start) / 1000
    lat.sort((a, b) => a - b)
    return { perSec: nLookups / secs, p50: pct(lat, 50), p99: pct(lat, 99) }
  }
  const sequential = await misses(1)
  const concurrent = await misses(32)

  const epcisEventsPerSec = await captureBenchEvents(createPostgresEpcisStore(db), tenant, nEvents)
  await db.destroy()
  const r = (x: number): number => Math.round(x)
  const ms = (x: number): number => Math.round(x * 1000) / 1000
  console.log(
    JSON.stringify({
      bench: 'identifiers-postgres',
      handles: nHandles,
      lookups: nLookups,
      events: nEvents,
      registrationsPerSec: r(registrationsPerSec),
      storeReadsPerSec: r(sequential.perSec),
      storeReadP50Ms: ms(sequential.p50),
      storeReadP99Ms: ms(sequential.p99),
      storeReads32PerSec: r(concurrent.perSec),
      storeRead32P50Ms: ms(concurrent.p50),
      storeRead32P99Ms: ms(concurrent.p99),
      epcisEventsPerSec: r(epcisEventsPerSec),
    }),
  )
} finally {
  await scratch.drop()
}
