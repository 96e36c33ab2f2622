import { type Kysely, sql } from 'kysely'
import pg from 'pg'

const INT8_OID = 20

/**
 * A pg pool for a module's tables in the shared PostgreSQL database (scale-out shape). int8 columns
 * (epoch ms, counters — all safe integers) are parsed as numbers, so rows look exactly like SQLite's
 * and the same Kysely store code serves both engines.
 */
export function createPostgresPool(url: string, maxConnections = 5): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  })
  // an idle client losing its server must not crash the process; the next query reports it
  pool.on('error', () => undefined)
  return pool
}

/**
 * Runs a module's idempotent migration in one transaction under a transaction-level advisory lock
 * named after the module: several nodes may start at once, one migrates and the others wait for it.
 * On failure the Kysely instance is destroyed and the error rethrown.
 */
export async function migrateUnderLock<DB>(
  db: Kysely<DB>,
  lockName: string,
  migrate: (trx: Kysely<DB>) => Promise<void>,
): Promise<void> {
  try {
    await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${lockName}))`.execute(trx)
      await migrate(trx)
    })
  } catch (err) {
    await db.destroy()
    throw err
  }
}
