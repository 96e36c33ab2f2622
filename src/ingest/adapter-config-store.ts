import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import type { DeviceId, TenantId } from '../core/index.ts'
import { createPostgresPool, migrateUnderLock } from '../store/postgres-pool.ts'
import type { AdapterSettings } from './adapter-manager.ts'

/** One device's OPC UA / Modbus adapter configuration as stored. */
export interface StoredAdapter {
  readonly tenant: TenantId
  readonly device: DeviceId
  readonly settings: AdapterSettings
  /** epoch ms of the last change; a node running the adapter restarts it when this moves */
  readonly updatedAt: number
}

/** Where adapter configurations live: adapters.db on one node, or PostgreSQL shared by a cluster. */
export interface AdapterConfigStore {
  /** true when other nodes read and write the same configurations (the scale-out shape) */
  readonly capabilities: { readonly shared: boolean }
  /** every tenant's configurations: what the node starts (or competes for) */
  listForPlatform(): Promise<StoredAdapter[]>
  get(tenant: TenantId, device: DeviceId): Promise<StoredAdapter | null>
  put(a: StoredAdapter): Promise<void>
  /** false when there was nothing to remove */
  remove(tenant: TenantId, device: DeviceId): Promise<boolean>
  /**
   * Shared stores: the node running adapters records their health (JSON), so every node can answer
   * for them. Reports of adapters no longer configured are dropped.
   */
  reportHealth(reports: readonly HealthReport[]): Promise<void>
  /** the last report of the node running the adapter, or null */
  lastHealth(tenant: TenantId, device: DeviceId): Promise<HealthReport | null>
  close(): Promise<void>
}

export interface HealthReport {
  readonly tenant: TenantId
  readonly device: DeviceId
  /** the adapter's health as JSON */
  readonly health: string
  /** epoch ms */
  readonly reportedAt: number
}

interface Tables {
  adapters: { tenant: string; device: string; settings: string; updated_at: number }
  adapter_health: { tenant: string; device: string; health: string; reported_at: number }
}

async function migrate(db: Kysely<Tables>, engine: 'sqlite' | 'postgres'): Promise<void> {
  await db.schema
    .createTable('adapters')
    .ifNotExists()
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('device', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    // epoch ms: SQLite's integer is 64-bit, PostgreSQL's is not
    .addColumn('updated_at', engine === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('adapters_pk', ['tenant', 'device'])
    .execute()
  // only a shared store reports health: adapters.db keeps its one table
  if (engine === 'postgres')
    await db.schema
      .createTable('adapter_health')
      .ifNotExists()
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('health', 'text', (c) => c.notNull())
      .addColumn('reported_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('adapter_health_pk', ['tenant', 'device'])
      .execute()
}

function createKyselyAdapterConfigStore(db: Kysely<Tables>, shared: boolean): AdapterConfigStore {
  const toStored = (r: Tables['adapters']): StoredAdapter => ({
    tenant: r.tenant as TenantId,
    device: r.device as DeviceId,
    settings: JSON.parse(r.settings) as AdapterSettings,
    updatedAt: Number(r.updated_at),
  })
  return {
    capabilities: { shared },
    async listForPlatform() {
      const rows = await db.selectFrom('adapters').selectAll().orderBy('tenant').orderBy('device').execute()
      return rows.map(toStored)
    },
    async get(tenant, device) {
      const r = await db
        .selectFrom('adapters')
        .selectAll()
        .where('tenant', '=', tenant)
        .where('device', '=', device)
        .executeTakeFirst()
      return r === undefined ? null : toStored(r)
    },
    async put(a) {
      const settings = JSON.stringify(a.settings)
      await db
        .insertInto('adapters')
        .values({ tenant: a.tenant, device: a.device, settings, updated_at: a.updatedAt })
        .onConflict((oc) =>
          oc.columns(['tenant', 'device']).doUpdateSet({ settings, updated_at: a.updatedAt }),
        )
        .execute()
    },
    async remove(tenant, device) {
      if (shared)
        await db
          .deleteFrom('adapter_health')
          .where('tenant', '=', tenant)
          .where('device', '=', device)
          .execute()
      const r = await db
        .deleteFrom('adapters')
        .where('tenant', '=', tenant)
        .where('device', '=', device)
        .executeTakeFirst()
      return Number(r.numDeletedRows) > 0
    },
    async reportHealth(reports) {
      if (!shared) return
      for (const h of reports) {
        // only for an adapter still configured (a remove through another node may have just happened)
        const row = { tenant: h.tenant, device: h.device, health: h.health, reported_at: h.reportedAt }
        await db
          .insertInto('adapter_health')
          .columns(['tenant', 'device', 'health', 'reported_at'])
          .expression(
            db
              .selectFrom('adapters')
              .select([
                'tenant',
                'device',
                sql<string>`${row.health}::text`.as('health'),
                sql<number>`${row.reported_at}::bigint`.as('reported_at'),
              ])
              .where('tenant', '=', h.tenant)
              .where('device', '=', h.device),
          )
          .onConflict((oc) =>
            oc
              .columns(['tenant', 'device'])
              .doUpdateSet({ health: row.health, reported_at: row.reported_at }),
          )
          .execute()
      }
    },
    async lastHealth(tenant, device) {
      if (!shared) return null
      const r = await db
        .selectFrom('adapter_health')
        .selectAll()
        .where('tenant', '=', tenant)
        .where('device', '=', device)
        .executeTakeFirst()
      return r === undefined
        ? null
        : {
            tenant: r.tenant as TenantId,
            device: r.device as DeviceId,
            health: r.health,
            reportedAt: Number(r.reported_at),
          }
    },
    close: () => db.destroy(),
  }
}

/** adapters.db in the node's data directory (the embedded shape). */
export async function openSqliteAdapterConfigStore(path: string): Promise<AdapterConfigStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const sqlite = new Database(path)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('busy_timeout = 5000')
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: sqlite }) })
  await migrate(db, 'sqlite')
  return createKyselyAdapterConfigStore(db, false)
}

/**
 * The `adapters` table in the shared PostgreSQL database (scale-out shape): an adapter configured
 * through any node is listed by every node; which node runs it is decided by AdapterLeases.
 */
export async function openPostgresAdapterConfigStore(
  url: string,
  options: { maxConnections?: number } = {},
): Promise<AdapterConfigStore> {
  const db = new Kysely<Tables>({
    dialect: new PostgresDialect({ pool: createPostgresPool(url, options.maxConnections ?? 2) }),
  })
  await migrateUnderLock(db, 'ronghe_adapters_migrations', (trx) => migrate(trx, 'postgres'))
  return createKyselyAdapterConfigStore(db, true)
}
