import { type Kysely, sql } from 'kysely'
import type { IdentifiersTables } from '../identifiers-migrations.ts'
import type { EpcisStore } from './epcis-store.ts'
import { createKyselyEpcisStore } from './sqlite-epcis-store.ts'

/** ident_sequences row (platform-level) that numbers EPCIS events on PostgreSQL */
const SEQ_TENANT = '__platform'
const SEQ_KEY = 'epcis:seq'

/**
 * EpcisStore on the shared PostgreSQL database (scale-out shape): the same Kysely queries as on
 * SQLite (tables from `migrateIdentifiers(db, 'postgres')`). Two things differ, because several nodes
 * capture at once where SQLite had one writer:
 * - a capture transaction first takes a transaction-level advisory lock, so the duplicate check by
 *   eventID and the insert are one step across the cluster (the unique index would otherwise turn a
 *   race into a raw constraint error instead of EPCIS_DUPLICATE_EVENT);
 * - sequence numbers come from a counter row instead of max(seq) + 1, which on a table keyed
 *   (tenant_id, seq) would scan every tenant's events.
 */
export function createPostgresEpcisStore(
  // biome-ignore lint/suspicious/noExplicitAny: accepts the platform's wider database type
  anyDb: Kysely<any>,
): EpcisStore {
  return createKyselyEpcisStore(anyDb as Kysely<IdentifiersTables>, {
    seqKeyedByTenant: true,
    async begin(trx) {
      await sql`SELECT pg_advisory_xact_lock(hashtext('ronghe_epcis_capture'))`.execute(trx)
    },
    async firstSeq(trx, count) {
      const r = await trx
        .insertInto('ident_sequences')
        .values({ tenant_id: SEQ_TENANT, key: SEQ_KEY, value: count })
        .onConflict((oc) =>
          oc
            .columns(['tenant_id', 'key'])
            .doUpdateSet((eb) => ({ value: eb('ident_sequences.value', '+', count) })),
        )
        .returning('value')
        .executeTakeFirstOrThrow()
      return r.value - count + 1
    },
  })
}
