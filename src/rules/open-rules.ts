/**
 * Opens the rules module's SQLite database (its own file beside meta.db, as the identifiers module
 * does: alarm bursts then never contend with the metadata store's writers) and migrates it.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
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
