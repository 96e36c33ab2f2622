import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { type IdentifiersTables, migrateIdentifiers } from './identifiers-migrations.ts'

/** An in-memory SQLite database with the identifiers schema (tests and benchmarks only). */
export async function openMemoryIdentifiersDb(): Promise<Kysely<IdentifiersTables>> {
  const db = new Kysely<IdentifiersTables>({
    dialect: new SqliteDialect({ database: new Database(':memory:') }),
  })
  await migrateIdentifiers(db)
  return db
}
