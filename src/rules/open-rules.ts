/**
 * Opens the rules module's SQLite database (its own file beside meta.db, as the identifiers module
 * does: alarm bursts then never contend with the metadata store's writers) and migrates it.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import { createPostgresPool, migrateUnderLock } from '../store/postgres-pool.ts'
import type { AlarmStore } from './alarm-store.ts'
import { migrateRules, type RulesTables } from './rules-migrations.ts'
import { createSqliteAlarmStore } from './sqlite-alarm-store.ts'

export async function openSqliteAlarmStore(
  path: string,
): Promise<{ store: AlarmStore; close(): Promise<void> }> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const sqlite = new Database(path)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('busy_timeout = 5000')
  const db = new Kysely<RulesTables>({ dialect: new SqliteDialect({ database: sqlite }) })
  await migrateRules(db)
  return { store: createSqliteAlarmStore(db), close: () => db.destroy() }
}

/**
 * Opens the rules module's tables on PostgreSQL (the scale-out shape: every node shares them, in the
 * same database as the metadata; every key starts with tenant_id). int8 columns (epoch ms, sequence
 * numbers) are parsed as numbers, so rows look exactly like SQLite's.
 */
export async function openPostgresAlarmStore(
  url: string,
  options: { maxConnections?: number } = {},
): Promise<{ store: AlarmStore; close(): Promise<void> }> {
  const pool = createPostgresPool(url, options.maxConnections ?? 5)
  const db = new Kysely<RulesTables>({ dialect: new PostgresDialect({ pool }) })
  // several nodes may start at once: one migrates, the others wait for its lock
  await migrateUnderLock(db, 'ronghe_rules_migrations', (trx) => migrateRules(trx, 'postgres'))
  return { store: createSqliteAlarmStore(db), close: () => db.destroy() }
}
