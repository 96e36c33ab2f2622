import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import type { Clock } from '../../core/index.ts'
import { createKyselyMetaStore, type MetaDatabase } from './kysely-meta-store.ts'
import type { MetaStore } from './meta-store.ts'
import { migrateToLatest } from './migrations.ts'

/** The embedded metadata store: one SQLite file in WAL mode, migrated to the newest schema on open. */
export async function createSqliteMetaStore(config: { path: string; clock?: Clock }): Promise<MetaStore> {
  if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true })
  const sqlite = new Database(config.path)
  sqlite.pragma('journal_mode = WAL')
  // NORMAL in WAL mode survives a process crash (kill -9); only an OS crash can lose the last commits.
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  const db = new Kysely<MetaDatabase>({ dialect: new SqliteDialect({ database: sqlite }) })
  await migrateToLatest(db as Kysely<unknown>)
  return createKyselyMetaStore(db, 'sqlite', config.clock)
}
