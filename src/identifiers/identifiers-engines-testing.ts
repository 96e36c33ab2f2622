import { Kysely, PostgresDialect, sql } from 'kysely'
import {
  createScratchDatabase,
  needPostgres,
  type ScratchDatabase,
} from '../store/series/postgres-scratch.ts'
import { createPostgresPool, migrateUnderLock } from '../store/postgres-pool.ts'
import { createDlLinkStore, type DlLinkStore, migrateDlLinks } from './digital-link/dl-link-store.ts'
import type { EpcisStore } from './epcis/epcis-store.ts'
import { createPostgresEpcisStore } from './epcis/postgres-epcis-store.ts'
import { createSqliteEpcisStore } from './epcis/sqlite-epcis-store.ts'
import type { HandleStore } from './handle-store.ts'
import { type IdentifiersTables, migrateIdentifiers } from './identifiers-migrations.ts'
import { createPostgresHandleStore } from './postgres-handle-store.ts'
import { createSqliteHandleStore } from './sqlite-handle-store.ts'
import { openMemoryIdentifiersDb } from './sqlite-testing.ts'

/** Fresh, empty stores of the identifiers module on one engine (tests only). */
export interface IdentifierStores {
  readonly db: Kysely<IdentifiersTables>
  readonly handles: HandleStore
  readonly epcis: EpcisStore
  readonly links: (clock: { now(): number }) => DlLinkStore
  /** the same database through other connections: a second node (SQLite: the same connection) */
  another(): IdentifierStores
}

export interface IdentifierStoreEngine {
  readonly name: 'SQLite' | 'PostgreSQL'
  /** why the engine's tests are skipped (its server is missing), else undefined */
  readonly skip: string | undefined
  /** empty stores: a new in-memory SQLite database, or a new schema in the run's scratch PostgreSQL database */
  open(): Promise<IdentifierStores>
  /** closes what open() opened and drops the scratch database */
  close(): Promise<void>
}

/**
 * The engines every identifier store test runs against (house rule: one suite, every engine).
 * PostgreSQL gets one scratch database per test file and one schema per open(), so tests stay
 * independent without paying for a database each.
 */
export async function identifierStoreEngines(): Promise<readonly IdentifierStoreEngine[]> {
  const sqlite: IdentifierStoreEngine = {
    name: 'SQLite',
    skip: undefined,
    async open() {
      const db = await openMemoryIdentifiersDb()
      await migrateDlLinks(db)
      const stores = (): IdentifierStores => ({
        db,
        handles: createSqliteHandleStore(db),
        epcis: createSqliteEpcisStore(db),
        links: (clock) => createDlLinkStore(db, clock),
        another: stores,
      })
      return stores()
    },
    close: async () => undefined,
  }
  const skip = await needPostgres()
  let scratch: Promise<ScratchDatabase> | null = null
  const opened: Kysely<IdentifiersTables>[] = []
  let schemas = 0
  const postgres: IdentifierStoreEngine = {
    name: 'PostgreSQL',
    skip,
    async open() {
      scratch ??= createScratchDatabase('identifiers')
      const base = await scratch
      const schema = `t${++schemas}`
      const admin = new Kysely<unknown>({
        dialect: new PostgresDialect({ pool: createPostgresPool(base.url, 1) }),
      })
      await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(admin)
      await admin.destroy()
      const url = new URL(base.url)
      url.searchParams.set('options', `-c search_path=${schema}`)
      const connect = (): Kysely<IdentifiersTables> => {
        const db = new Kysely<IdentifiersTables>({
          dialect: new PostgresDialect({ pool: createPostgresPool(url.toString(), 3) }),
        })
        opened.push(db)
        return db
      }
      const stores = (db: Kysely<IdentifiersTables>): IdentifierStores => ({
        db,
        handles: createPostgresHandleStore(db),
        epcis: createPostgresEpcisStore(db),
        links: (clock) => createDlLinkStore(db, clock),
        another: () => stores(connect()),
      })
      const db = connect()
      await migrateUnderLock(db, 'ronghe_identifiers_migrations', async (trx) => {
        await migrateIdentifiers(trx, 'postgres')
        await migrateDlLinks(trx, 'postgres')
      })
      return stores(db)
    },
    async close() {
      for (const db of opened.splice(0)) await db.destroy()
      if (scratch !== null) await (await scratch).drop()
      scratch = null
    },
  }
  return [sqlite, postgres]
}
