import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { systemClock, type TenantId } from '../core/index.ts'
import { createStoreDelegations } from './delegations.ts'
import { createEpcisCapture } from './epcis/epcis-capture.ts'
import type { EpcisStore } from './epcis/epcis-store.ts'
import { createSqliteEpcisStore } from './epcis/sqlite-epcis-store.ts'
import { createHandleRegistry, type HandleRegistry, type RegisterInput } from './handle-registry.ts'
import { createHandleResolver, type HandleResolver } from './handle-resolver.ts'
import type { HandleStore } from './handle-store.ts'
import { urlValue } from './handle-values.ts'
import { migrateIdentifiers } from './identifiers-migrations.ts'
import { createSqliteHandleStore } from './sqlite-handle-store.ts'

/**
 * In-process figures for `npm run bench:identifiers` (the bench/ entry adds the HTTP and nginx
 * comparison): resolutions/s and latency for cache hits and for misses served from the local store
 * (auth=true forces the store read), registrations/s in batches of 1000, EPCIS events captured/s.
 * SQLite in a file under `dir` with WAL, as the embedded platform runs it.
 */
export interface IdentifiersBenchFigures {
  hitsPerSec: number
  hitP50Ms: number
  hitP99Ms: number
  missesPerSec: number
  missP50Ms: number
  missP99Ms: number
  registrationsPerSec: number
  epcisEventsPerSec: number
}

export function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}

/**
 * A registry and a resolver on `store` with the prefix 88.118.8 homed for a bench tenant, and
 * `nHandles` handles 88.118.8/P{i} registered in batches of 1000 (timed): the setup every identifier
 * bench shares, whatever engine holds the store.
 */
export async function registerBenchHandles(
  store: HandleStore,
  nHandles: number,
): Promise<{
  tenant: TenantId
  resolver: HandleResolver
  registry: HandleRegistry
  registrationsPerSec: number
}> {
  const tenant = 'ten_bench' as TenantId
  const resolver = createHandleResolver({
    store,
    delegations: createStoreDelegations(store),
    clock: systemClock,
  })
  const registry = createHandleRegistry({
    store,
    clock: systemClock,
    onChange: (h) => resolver.invalidate(h),
  })
  await registry.homePrefix(tenant, '88.118.8')
  const t = performance.now()
  for (let b = 0; b < nHandles; b += 1000) {
    const batch: RegisterInput[] = []
    for (let i = b; i < Math.min(nHandles, b + 1000); i++)
      batch.push({ handle: `88.118.8/P${i}`, values: [urlValue(1, `https://acme.example/p/${i}`, 600)] })
    await registry.registerBulk(tenant, batch)
  }
  return { tenant, resolver, registry, registrationsPerSec: nHandles / ((performance.now() - t) / 1000) }
}

/** `nEvents` ObjectEvents captured in documents of 1000 on `store`, timed: events per second. */
export async function captureBenchEvents(
  store: EpcisStore,
  tenant: TenantId,
  nEvents: number,
): Promise<number> {
  const epcis = createEpcisCapture({ store, clock: systemClock })
  const t = performance.now()
  for (let b = 0; b < nEvents; b += 1000) {
    const list = []
    for (let i = b; i < Math.min(nEvents, b + 1000); i++)
      list.push({
        type: 'ObjectEvent',
        eventTime: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
        eventTimeZoneOffset: '+08:00',
        epcList: [`urn:epc:id:sgtin:6901234.056789.${i}`],
        action: 'OBSERVE',
        bizStep: 'inspecting',
        readPoint: { id: 'urn:epc:id:sgln:6901234.00001.L2' },
      })
    await epcis.capture(tenant, list)
  }
  return nEvents / ((performance.now() - t) / 1000)
}

export async function runIdentifiersBench(opts: {
  dir: string
  handles?: number
  lookups?: number
  events?: number
}): Promise<IdentifiersBenchFigures> {
  const nHandles = opts.handles ?? 10_000
  const nLookups = opts.lookups ?? 50_000
  const nEvents = opts.events ?? 10_000
  const sqlite = new Database(`${opts.dir}/identifiers-bench.db`)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) })
  await migrateIdentifiers(db)
  const store = createSqliteHandleStore(db)
  const { tenant, resolver, registrationsPerSec } = await registerBenchHandles(store, nHandles)

  const measure = async (auth: boolean): Promise<{ perSec: number; p50: number; p99: number }> => {
    const lat: number[] = new Array(nLookups)
    const start = performance.now()
    for (let i = 0; i < nLookups; i++) {
      const s = performance.now()
      await resolver.resolve(`88.118.8/P${(i * 7919) % nHandles}`, { auth })
      lat[i] = performance.now() - s
    }
    const secs = (performance.now() - start) / 1000
    lat.sort((a, b) => a - b)
    return { perSec: nLookups / secs, p50: pct(lat, 50), p99: pct(lat, 99) }
  }
  const misses = await measure(true)
  const hits = await measure(false)

  const epcisEventsPerSec = await captureBenchEvents(createSqliteEpcisStore(db), tenant, nEvents)
  await db.destroy()
  const r = (x: number): number => Math.round(x)
  const ms = (x: number): number => Math.round(x * 1000) / 1000
  return {
    hitsPerSec: r(hits.perSec),
    hitP50Ms: ms(hits.p50),
    hitP99Ms: ms(hits.p99),
    missesPerSec: r(misses.perSec),
    missP50Ms: ms(misses.p50),
    missP99Ms: ms(misses.p99),
    registrationsPerSec: r(registrationsPerSec),
    epcisEventsPerSec: r(epcisEventsPerSec),
  }
}
