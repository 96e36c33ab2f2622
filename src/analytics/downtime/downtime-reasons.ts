import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import { CoreErrors, type TenantId } from '../../core/index.ts'
import { createPostgresPool, migrateUnderLock } from '../../store/postgres-pool.ts'

/** A downtime reason code of an enterprise's catalogue (停机原因). */
export interface DowntimeReason {
  readonly code: string
  readonly label: { readonly 'zh-CN': string; readonly en: string }
  /** built in (every enterprise starts with these) or added by the enterprise */
  readonly builtIn: boolean
}

/** A reason an operator assigned to a stretch of an equipment's loss time. */
export interface DowntimeAssignment {
  readonly equipment: string
  /** epoch ms, [start, end) */
  readonly start: number
  readonly end: number
  readonly reason: string
  readonly assignedBy: string
  readonly assignedAt: number
}

/** The catalogue every enterprise starts with; it may add its own codes beside these. */
export const DEFAULT_DOWNTIME_REASONS: readonly DowntimeReason[] = [
  { code: 'setup', label: { 'zh-CN': '换模换线', en: 'Set-up / changeover' }, builtIn: true },
  { code: 'breakdown', label: { 'zh-CN': '设备故障', en: 'Breakdown' }, builtIn: true },
  { code: 'no-material', label: { 'zh-CN': '待料', en: 'No material' }, builtIn: true },
  { code: 'planned-stop', label: { 'zh-CN': '计划停机', en: 'Planned stop' }, builtIn: true },
  { code: 'quality', label: { 'zh-CN': '质量问题', en: 'Quality problem' }, builtIn: true },
  { code: 'no-operator', label: { 'zh-CN': '缺人', en: 'No operator' }, builtIn: true },
]

const CODE = /^[a-z0-9][a-z0-9-]{0,31}$/

export interface DowntimeReasonStore {
  /** the built-in reasons followed by the enterprise's own, by code */
  reasons(tenant: TenantId): Promise<DowntimeReason[]>
  addReason(tenant: TenantId, r: { code: string; label: DowntimeReason['label'] }): Promise<DowntimeReason>
  /**
   * Assign a reason to [start, end) of an equipment. An assignment with the same start replaces the
   * earlier one (an operator corrects a reason); the reason must be in the catalogue.
   */
  assign(tenant: TenantId, a: Omit<DowntimeAssignment, 'assignedAt'>, at: number): Promise<DowntimeAssignment>
  /** assignments of one equipment that overlap [from, to), by start */
  assignments(tenant: TenantId, equipment: string, from: number, to: number): Promise<DowntimeAssignment[]>
  close(): Promise<void>
}

interface Tables {
  analytics_downtime_reason: { tenant: string; code: string; label_zh: string; label_en: string }
  analytics_downtime_assignment: {
    tenant: string
    equipment: string
    start_ms: number
    end_ms: number
    reason: string
    assigned_by: string
    assigned_at: number
  }
}

async function migrate(db: Kysely<Tables>, engine: 'sqlite' | 'postgres' = 'sqlite'): Promise<void> {
  // epoch ms: SQLite's integer is 64-bit, PostgreSQL's is not
  const ms = engine === 'postgres' ? 'bigint' : 'integer'
  await db.schema
    .createTable('analytics_downtime_reason')
    .ifNotExists()
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('label_zh', 'text', (c) => c.notNull())
    .addColumn('label_en', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('analytics_downtime_reason_pk', ['tenant', 'code'])
    .execute()
  await db.schema
    .createTable('analytics_downtime_assignment')
    .ifNotExists()
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('equipment', 'text', (c) => c.notNull())
    .addColumn('start_ms', ms, (c) => c.notNull())
    .addColumn('end_ms', ms, (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('assigned_by', 'text', (c) => c.notNull())
    .addColumn('assigned_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('analytics_downtime_assignment_pk', ['tenant', 'equipment', 'start_ms'])
    .execute()
}

/**
 * Downtime reason catalogues and assignments in the analytics module's own SQLite file
 * (analytics.db beside meta.db, as rules.db and planning.db are). Every query carries the tenant.
 */
export async function openDowntimeReasonStore(path: string): Promise<DowntimeReasonStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const sqlite = new Database(path)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('busy_timeout = 5000')
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: sqlite }) })
  await migrate(db)
  return createDowntimeReasonStore(db)
}

/**
 * The same store on the shared PostgreSQL database (scale-out shape): a reason an operator assigns
 * through one node is seen through every node. Same tables and queries; tenant first in every key.
 */
export async function openPostgresDowntimeReasonStore(
  url: string,
  options: { maxConnections?: number } = {},
): Promise<DowntimeReasonStore> {
  const db = new Kysely<Tables>({
    dialect: new PostgresDialect({ pool: createPostgresPool(url, options.maxConnections ?? 3) }),
  })
  await migrateUnderLock(db, 'ronghe_downtime_migrations', (trx) => migrate(trx, 'postgres'))
  return createDowntimeReasonStore(db)
}

function createDowntimeReasonStore(db: Kysely<Tables>): DowntimeReasonStore {
  async function reasons(tenant: TenantId): Promise<DowntimeReason[]> {
    const own = await db
      .selectFrom('analytics_downtime_reason')
      .selectAll()
      .where('tenant', '=', tenant)
      .orderBy('code')
      .execute()
    return [
      ...DEFAULT_DOWNTIME_REASONS,
      ...own.map((r) => ({ code: r.code, label: { 'zh-CN': r.label_zh, en: r.label_en }, builtIn: false })),
    ]
  }

  return {
    reasons,
    async addReason(tenant, r) {
      if (!CODE.test(r.code))
        throw CoreErrors.validation('a reason code is 1–32 lower-case letters, digits or "-"', {
          code: r.code,
        })
      if ((await reasons(tenant)).some((x) => x.code === r.code))
        throw CoreErrors.conflict(`reason code ${r.code} exists`)
      try {
        await db
          .insertInto('analytics_downtime_reason')
          .values({ tenant, code: r.code, label_zh: r.label['zh-CN'], label_en: r.label.en })
          .execute()
      } catch (err) {
        // another node added the same code between our check and our insert (a unique violation)
        if ((await reasons(tenant)).some((x) => x.code === r.code))
          throw CoreErrors.conflict(`reason code ${r.code} exists`, undefined, err)
        throw err
      }
      return { code: r.code, label: r.label, builtIn: false }
    },
    async assign(tenant, a, at) {
      if (!(a.start < a.end)) throw CoreErrors.validation('"start" must be before "end"')
      if (!(await reasons(tenant)).some((x) => x.code === a.reason))
        throw CoreErrors.validation(`unknown downtime reason ${a.reason}`, { reason: a.reason })
      const row = {
        tenant,
        equipment: a.equipment,
        start_ms: a.start,
        end_ms: a.end,
        reason: a.reason,
        assigned_by: a.assignedBy,
        assigned_at: at,
      }
      await db
        .insertInto('analytics_downtime_assignment')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['tenant', 'equipment', 'start_ms']).doUpdateSet({
            end_ms: a.end,
            reason: a.reason,
            assigned_by: a.assignedBy,
            assigned_at: at,
          }),
        )
        .execute()
      return { ...a, assignedAt: at }
    },
    async assignments(tenant, equipment, from, to) {
      const rows = await db
        .selectFrom('analytics_downtime_assignment')
        .selectAll()
        .where('tenant', '=', tenant)
        .where('equipment', '=', equipment)
        .where('start_ms', '<', to)
        .where('end_ms', '>', from)
        .orderBy('start_ms')
        .execute()
      return rows.map((r) => ({
        equipment: r.equipment,
        start: r.start_ms,
        end: r.end_ms,
        reason: r.reason,
        assignedBy: r.assigned_by,
        assignedAt: r.assigned_at,
      }))
    },
    close: () => db.destroy(),
  }
}
