import type { Kysely } from 'kysely'
import type { TenantId } from '../core/index.ts'
import type { HandleRecord, HandleStore, PrefixRecord } from './handle-store.ts'
import { prefixAncestry } from './handle-syntax.ts'
import type { HandleValue } from './handle-values.ts'
import type { IdentifiersTables } from './identifiers-migrations.ts'
import { createSqliteHandleStore } from './sqlite-handle-store.ts'

/** PostgreSQL's unique_violation */
const UNIQUE_VIOLATION = '23505'

const isUniqueViolation = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === UNIQUE_VIOLATION

/**
 * HandleStore on the shared PostgreSQL database (scale-out shape; tables from
 * `migrateIdentifiers(db, 'postgres')`). It is the SQLite store's Kysely code — without a
 * better-sqlite3 connection that store never takes its prepared-statement path, so every query is
 * portable — with what several concurrent writers need:
 * - a write that loses a race to another node (both saw no row, both inserted) meets the primary key;
 *   the write is tried once more, which now sees the row and answers as on one node
 *   (IDENT_HANDLE_EXISTS, or an overwrite; homing a prefix is already one statement);
 * - the resolution read (homed prefix + handle) is one statement, one round trip to the server.
 */
export function createPostgresHandleStore(
  // biome-ignore lint/suspicious/noExplicitAny: accepts the platform's wider database type
  anyDb: Kysely<any>,
): HandleStore {
  const db = anyDb as Kysely<IdentifiersTables>
  const base = createSqliteHandleStore(db)

  async function retryOnRace<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write()
    } catch (err) {
      if (!isUniqueViolation(err)) throw err
      return write()
    }
  }

  return {
    ...base,
    putHandle: (tenant, record, opts) => retryOnRace(() => base.putHandle(tenant, record, opts)),
    putHandles: (tenant, records, opts) => retryOnRace(() => base.putHandles(tenant, records, opts)),
    async findHandleForPlatform(prefix, handle) {
      const candidates = prefixAncestry(prefix)
      if (candidates.length === 0) return { homed: null, record: null }
      // every homed candidate with the handle under its tenant, if present; the longest prefix wins
      const rows = await db
        .selectFrom('ident_prefixes as p')
        .leftJoin('ident_handles as h', (j) =>
          j.onRef('h.tenant_id', '=', 'p.tenant_id').on('h.handle', '=', handle),
        )
        .select([
          'p.prefix',
          'p.tenant_id',
          'p.created_at',
          'h.prefix as handle_prefix',
          'h.values_json',
          'h.template_id',
          'h.template_version',
          'h.created_at as handle_created_at',
          'h.updated_at',
        ])
        .where('p.prefix', 'in', candidates)
        .execute()
      let best: (typeof rows)[number] | undefined
      for (const r of rows) if (best === undefined || r.prefix.length > best.prefix.length) best = r
      if (best === undefined) return { homed: null, record: null }
      const homed: PrefixRecord = {
        prefix: best.prefix,
        tenant: best.tenant_id as TenantId,
        createdAt: best.created_at,
      }
      if (best.values_json === null) return { homed, record: null }
      const record: HandleRecord = {
        handle,
        prefix: best.handle_prefix ?? best.prefix,
        values: JSON.parse(best.values_json) as HandleValue[],
        ...(best.template_id !== null && best.template_version !== null
          ? { template: { id: best.template_id, version: best.template_version } }
          : {}),
        createdAt: best.handle_created_at ?? 0,
        updatedAt: best.updated_at ?? 0,
      }
      return { homed, record }
    },
  }
}
