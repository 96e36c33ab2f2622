import { type Kysely, sql } from 'kysely'

/**
 * Tables of the identifiers module (handles, prefixes, templates, sequences, EPCIS events).
 * One function so the platform's migrator can run it; idempotent (IF NOT EXISTS), for SQLite (the
 * embedded shape) or PostgreSQL (the scale-out shape, run under `migrateUnderLock`).
 * Every key starts with tenant_id so the schema can be distributed later, except the two that are
 * global by rule: a prefix is homed by one tenant on the platform (ident_prefixes.prefix), and on
 * PostgreSQL the EPCIS sequence number is unique across tenants (the trace walk reads across them).
 * On PostgreSQL epoch-ms columns and counters are bigint (parsed back to numbers by
 * `createPostgresPool`); SQLite's integer already holds 64 bits.
 */
export type IdentifiersEngine = 'sqlite' | 'postgres'

export interface IdentifiersTables {
  ident_prefixes: { prefix: string; tenant_id: string; created_at: number }
  ident_handles: {
    tenant_id: string
    handle: string
    prefix: string
    values_json: string
    template_id: string | null
    template_version: number | null
    created_at: number
    updated_at: number
  }
  ident_templates: { tenant_id: string; id: string; version: number; body_json: string }
  ident_sequences: { tenant_id: string; key: string; value: number }
  epcis_events: {
    seq: number | null
    tenant_id: string
    event_id: string
    event_type: string
    event_time: number
    record_time: number
    action: string | null
    biz_step: string | null
    disposition: string | null
    read_point: string | null
    biz_location: string | null
    body_json: string
    visibility_json: string | null
  }
  epcis_event_ids: { tenant_id: string; seq: number; role: string; id: string }
}

export async function migrateIdentifiers(
  // biome-ignore lint/suspicious/noExplicitAny: the platform's database type is a superset of ours
  db: Kysely<any>,
  engine: IdentifiersEngine = 'sqlite',
): Promise<void> {
  const pg = engine === 'postgres'
  const int64 = pg ? 'bigint' : 'integer'
  // keys that are listed in order and paged by `>`: byte order on PostgreSQL whatever the database's
  // locale, as SQLite compares them, so both engines list and page alike
  const key = pg ? sql`text collate "C"` : 'text'
  await db.schema
    .createTable('ident_prefixes')
    .ifNotExists()
    .addColumn('prefix', key, (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('created_at', int64, (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('ident_prefixes_tenant')
    .ifNotExists()
    .on('ident_prefixes')
    .columns(['tenant_id', 'prefix'])
    .execute()
  await db.schema
    .createTable('ident_handles')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('handle', key, (c) => c.notNull())
    .addColumn('prefix', key, (c) => c.notNull())
    .addColumn('values_json', 'text', (c) => c.notNull())
    .addColumn('template_id', 'text')
    .addColumn('template_version', 'integer')
    .addColumn('created_at', int64, (c) => c.notNull())
    .addColumn('updated_at', int64, (c) => c.notNull())
    .addPrimaryKeyConstraint('ident_handles_pk', ['tenant_id', 'handle'])
    .execute()
  await db.schema
    .createTable('ident_templates')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', key, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('body_json', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ident_templates_pk', ['tenant_id', 'id', 'version'])
    .execute()
  await db.schema
    .createTable('ident_sequences')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', int64, (c) => c.notNull())
    .addPrimaryKeyConstraint('ident_sequences_pk', ['tenant_id', 'key'])
    .execute()
  // SQLite: seq is the rowid. PostgreSQL: tenant first in the key; seq is drawn from a platform
  // counter in ident_sequences by the capture transaction (see createPostgresEpcisStore)
  await db.schema
    .createTable('epcis_events')
    .ifNotExists()
    .addColumn('seq', int64, (c) => (pg ? c.notNull() : c.primaryKey().autoIncrement()))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event_time', int64, (c) => c.notNull())
    .addColumn('record_time', int64, (c) => c.notNull())
    .addColumn('action', 'text')
    .addColumn('biz_step', 'text')
    .addColumn('disposition', 'text')
    .addColumn('read_point', 'text')
    .addColumn('biz_location', 'text')
    .addColumn('body_json', 'text', (c) => c.notNull())
    .addColumn('visibility_json', 'text')
    .$call((b) => (pg ? b.addPrimaryKeyConstraint('epcis_events_pk', ['tenant_id', 'seq']) : b))
    .execute()
  await db.schema
    .createIndex('epcis_events_tenant_event_id')
    .ifNotExists()
    .unique()
    .on('epcis_events')
    .columns(['tenant_id', 'event_id'])
    .execute()
  await db.schema
    .createIndex('epcis_events_tenant_time')
    .ifNotExists()
    .on('epcis_events')
    .columns(['tenant_id', 'event_time', 'seq'])
    .execute()
  await db.schema
    .createTable('epcis_event_ids')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('seq', int64, (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('epcis_event_ids_id')
    .ifNotExists()
    .on('epcis_event_ids')
    .columns(['id', 'tenant_id', 'seq'])
    .execute()
  await db.schema
    .createIndex('epcis_event_ids_seq')
    .ifNotExists()
    .on('epcis_event_ids')
    .columns(pg ? ['tenant_id', 'seq'] : ['seq'])
    .execute()
}
