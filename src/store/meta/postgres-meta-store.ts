import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Clock } from '../../core/index.ts'
import { createKyselyMetaStore, type MetaDatabase } from './kysely-meta-store.ts'
import type { MetaStore } from './meta-store.ts'
import { migrateToLatest } from './migrations.ts'

export interface PostgresMetaStoreConfig {
  /** postgres://user:password@host:5432/database */
  readonly url: string
  readonly clock?: Clock
  /** connections in the pool (default 10) */
  readonly maxConnections?: number
}

const INT8_OID = 20

/**
 * The scale-out metadata store: PostgreSQL through the same Kysely queries and migrations as SQLite.
 * Times are epoch ms in bigint columns; pg returns int8 as a string to be safe beyond 2^53, but every
 * int8 we store (epoch ms, counters) is a safe integer, so this pool parses them as numbers — the rows
 * then look exactly like SQLite's.
 */
export async function createPostgresMetaStore(config: PostgresMetaStoreConfig): Promise<MetaStore> {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.maxConnections ?? 10,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  })
  // An idle client that loses its server emits 'error' on the pool; without a listener it would crash
  // the process. The next query gets a fresh connection and reports the failure to its caller.
  pool.on('error', () => undefined)
  const db = new Kysely<MetaDatabase>({ dialect: new PostgresDialect({ pool }) })
  try {
    await migrateToLatest(db as Kysely<unknown>)
  } catch (err) {
    await db.destroy()
    throw err
  }
  return createKyselyMetaStore(db, 'postgres', config.clock)
}
