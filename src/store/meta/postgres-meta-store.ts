import { Kysely, PostgresDialect } from 'kysely'
import type { Clock } from '../../core/index.ts'
import { createPostgresPool } from '../postgres-pool.ts'
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

/**
 * The scale-out metadata store: PostgreSQL through the same Kysely queries and migrations as SQLite.
 * Times are epoch ms in bigint columns; pg returns int8 as a string to be safe beyond 2^53, but every
 * int8 we store (epoch ms, counters) is a safe integer, so this pool parses them as numbers — the rows
 * then look exactly like SQLite's.
 */
export async function createPostgresMetaStore(config: PostgresMetaStoreConfig): Promise<MetaStore> {
  const pool = createPostgresPool(config.url, config.maxConnections ?? 10)
  const db = new Kysely<MetaDatabase>({ dialect: new PostgresDialect({ pool }) })
  try {
    await migrateToLatest(db as Kysely<unknown>)
  } catch (err) {
    await db.destroy()
    throw err
  }
  return createKyselyMetaStore(db, 'postgres', config.clock)
}
