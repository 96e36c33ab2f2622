import type BetterSqlite3 from 'better-sqlite3'
import type { Kysely } from 'kysely'
import type { TenantId } from '../core/index.ts'
import type { HandleRecord, HandleStore, PrefixRecord, PutResult } from './handle-store.ts'
import { prefixAncestry } from './handle-syntax.ts'
import type { HandleValue } from './handle-values.ts'
import type { IdentifiersTables } from './identifiers-migrations.ts'
import { IdentErrors } from './identifiers-errors.ts'
import type { MetadataTemplate } from './templates.ts'

/**
 * HandleStore on SQLite through Kysely. The caller owns the Kysely instance and runs
 * `migrateIdentifiers(db)` first; this factory does no I/O.
 * Values are stored as one JSON column: a resolution is then one primary-key read.
 *
 * `sqlite`, the connection under `db`, lets the two reads on the resolution path (prefix lookup and
 * handle read) run as statements prepared once: Kysely's driver prepares every query anew, which was
 * most of the cost of a resolution served from the store. While a Kysely transaction holds the
 * connection they go through Kysely, which waits for it, so they never see uncommitted writes.
 */
export function createSqliteHandleStore(
  // biome-ignore lint/suspicious/noExplicitAny: accepts the platform's wider database type
  anyDb: Kysely<any>,
  sqlite?: BetterSqlite3.Database,
): HandleStore {
  const db = anyDb as Kysely<IdentifiersTables>
  const fast = sqlite === undefined ? null : preparedReads(sqlite)

  const toRecord = (r: IdentifiersTables['ident_handles']): HandleRecord => ({
    handle: r.handle,
    prefix: r.prefix,
    values: JSON.parse(r.values_json) as HandleValue[],
    ...(r.template_id !== null && r.template_version !== null
      ? { template: { id: r.template_id, version: r.template_version } }
      : {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  })

  const toPrefix = (r: IdentifiersTables['ident_prefixes']): PrefixRecord => ({
    prefix: r.prefix,
    tenant: r.tenant_id as TenantId,
    createdAt: r.created_at,
  })

  async function homedPrefix(prefix: string): Promise<PrefixRecord | null> {
    const candidates = prefixAncestry(prefix)
    const rows = fast?.usable()
      ? fast.prefixes(candidates)
      : await db.selectFrom('ident_prefixes').selectAll().where('prefix', 'in', candidates).execute()
    if (rows.length === 0) return null
    rows.sort((a, b) => b.prefix.length - a.prefix.length)
    return toPrefix(rows[0]!)
  }

  async function readHandle(tenant: TenantId, handle: string): Promise<HandleRecord | null> {
    const r = fast?.usable()
      ? fast.handle(tenant, handle)
      : await db
          .selectFrom('ident_handles')
          .selectAll()
          .where('tenant_id', '=', tenant)
          .where('handle', '=', handle)
          .executeTakeFirst()
    return r === undefined ? null : toRecord(r)
  }

  async function putOne(
    trx: Kysely<IdentifiersTables>,
    tenant: TenantId,
    rec: HandleRecord,
    overwrite: boolean,
  ): Promise<PutResult> {
    const existing = await trx
      .selectFrom('ident_handles')
      .select(['created_at'])
      .where('tenant_id', '=', tenant)
      .where('handle', '=', rec.handle)
      .executeTakeFirst()
    const row = {
      tenant_id: tenant as string,
      handle: rec.handle,
      prefix: rec.prefix,
      values_json: JSON.stringify(rec.values),
      template_id: rec.template?.id ?? null,
      template_version: rec.template?.version ?? null,
      created_at: existing?.created_at ?? rec.createdAt,
      updated_at: rec.updatedAt,
    }
    if (existing !== undefined) {
      if (!overwrite) throw IdentErrors.handleExists(rec.handle)
      await trx
        .updateTable('ident_handles')
        .set({
          values_json: row.values_json,
          template_id: row.template_id,
          template_version: row.template_version,
          updated_at: row.updated_at,
        })
        .where('tenant_id', '=', tenant)
        .where('handle', '=', rec.handle)
        .execute()
      return { handle: rec.handle, created: false }
    }
    await trx.insertInto('ident_handles').values(row).execute()
    return { handle: rec.handle, created: true }
  }

  return {
    async homePrefix(tenant, prefix, now) {
      // one statement: two requests homing the same prefix at once get one winner, not a constraint error
      const r = await db
        .insertInto('ident_prefixes')
        .values({ prefix, tenant_id: tenant, created_at: now })
        .onConflict((oc) => oc.column('prefix').doNothing())
        .executeTakeFirst()
      if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) throw IdentErrors.prefixExists(prefix)
      return { prefix, tenant, createdAt: now }
    },
    async unhomePrefix(tenant, prefix) {
      const r = await db
        .deleteFrom('ident_prefixes')
        .where('prefix', '=', prefix)
        .where('tenant_id', '=', tenant)
        .executeTakeFirst()
      return Number(r.numDeletedRows) > 0
    },
    async listPrefixes(tenant) {
      const rows = await db
        .selectFrom('ident_prefixes')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .orderBy('prefix')
        .execute()
      return rows.map(toPrefix)
    },
    findHomedPrefixForPlatform: homedPrefix,
    async findHandleForPlatform(prefix, handle) {
      const candidates = prefixAncestry(prefix)
      if (fast?.usable()) {
        // one statement: every homed candidate with the handle under its tenant, if present
        let best: ResolutionRow | undefined
        for (const row of fast.resolution(candidates, handle))
          if (best === undefined || row.prefix.length > best.prefix.length) best = row
        if (best === undefined) return { homed: null, record: null }
        const homed = toPrefix(best)
        if (best.values_json === null) return { homed, record: null }
        return {
          homed,
          record: toRecord({
            tenant_id: best.tenant_id,
            handle,
            prefix: best.handle_prefix ?? best.prefix,
            values_json: best.values_json,
            template_id: best.template_id,
            template_version: best.template_version,
            created_at: best.handle_created_at ?? 0,
            updated_at: best.updated_at ?? 0,
          }),
        }
      }
      const homed = await homedPrefix(prefix)
      return { homed, record: homed === null ? null : await readHandle(homed.tenant, handle) }
    },
    getHandle: readHandle,
    async putHandle(tenant, record, opts) {
      return db.transaction().execute((trx) => putOne(trx, tenant, record, opts.overwrite))
    },
    async putHandles(tenant, records, opts) {
      return db.transaction().execute(async (trx) => {
        // one existence query and multi-row inserts per chunk: bulk registration is the hot path
        const existing = new Map<string, number>()
        const handles = records.map((r) => r.handle)
        for (let i = 0; i < handles.length; i += 500) {
          const rows = await trx
            .selectFrom('ident_handles')
            .select(['handle', 'created_at'])
            .where('tenant_id', '=', tenant)
            .where('handle', 'in', handles.slice(i, i + 500))
            .execute()
          for (const r of rows) existing.set(r.handle, r.created_at)
        }
        const out: ({ ok: true; result: PutResult } | { ok: false; handle: string; code: string })[] = []
        const inserts: IdentifiersTables['ident_handles'][] = []
        const seen = new Set<string>()
        for (const rec of records) {
          if (seen.has(rec.handle)) {
            out.push({ ok: false, handle: rec.handle, code: 'IDENT_HANDLE_EXISTS' })
            continue
          }
          seen.add(rec.handle)
          if (existing.has(rec.handle)) {
            if (!opts.overwrite) out.push({ ok: false, handle: rec.handle, code: 'IDENT_HANDLE_EXISTS' })
            else out.push({ ok: true, result: await putOne(trx, tenant, rec, true) })
            continue
          }
          inserts.push({
            tenant_id: tenant,
            handle: rec.handle,
            prefix: rec.prefix,
            values_json: JSON.stringify(rec.values),
            template_id: rec.template?.id ?? null,
            template_version: rec.template?.version ?? null,
            created_at: rec.createdAt,
            updated_at: rec.updatedAt,
          })
          out.push({ ok: true, result: { handle: rec.handle, created: true } })
        }
        for (let i = 0; i < inserts.length; i += 500)
          await trx
            .insertInto('ident_handles')
            .values(inserts.slice(i, i + 500))
            .execute()
        return out
      })
    },
    async deleteHandle(tenant, handle) {
      const r = await db
        .deleteFrom('ident_handles')
        .where('tenant_id', '=', tenant)
        .where('handle', '=', handle)
        .executeTakeFirst()
      return Number(r.numDeletedRows) > 0
    },
    async listHandles(tenant, q) {
      let query = db
        .selectFrom('ident_handles')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('prefix', '=', q.prefix)
        .orderBy('handle')
        .limit(q.limit)
      if (q.after !== undefined) query = query.where('handle', '>', q.after)
      return (await query.execute()).map(toRecord)
    },
    async putTemplate(tenant, template) {
      await db
        .insertInto('ident_templates')
        .values({
          tenant_id: tenant,
          id: template.id,
          version: template.version,
          body_json: JSON.stringify(template),
        })
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'id', 'version']).doUpdateSet({ body_json: JSON.stringify(template) }),
        )
        .execute()
    },
    async getTemplate(tenant, id, version) {
      let q = db
        .selectFrom('ident_templates')
        .select(['body_json'])
        .where('tenant_id', '=', tenant)
        .where('id', '=', id)
      q = version === undefined ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version)
      const r = await q.executeTakeFirst()
      return r === undefined ? null : (JSON.parse(r.body_json) as MetadataTemplate)
    },
    async listTemplates(tenant) {
      const rows = await db
        .selectFrom('ident_templates')
        .select(['body_json'])
        .where('tenant_id', '=', tenant)
        .orderBy('id')
        .orderBy('version')
        .execute()
      return rows.map((r) => JSON.parse(r.body_json) as MetadataTemplate)
    },
    async nextSequence(tenant, key, count) {
      return db.transaction().execute(async (trx) => {
        const r = await trx
          .insertInto('ident_sequences')
          .values({ tenant_id: tenant, key, value: count })
          .onConflict((oc) =>
            oc
              .columns(['tenant_id', 'key'])
              .doUpdateSet((eb) => ({ value: eb('ident_sequences.value', '+', count) })),
          )
          .returning('value')
          .executeTakeFirstOrThrow()
        return r.value - count + 1
      })
    },
  }
}

/** A homed prefix joined with the handle read under its tenant (handle columns null when absent). */
interface ResolutionRow {
  readonly prefix: string
  readonly tenant_id: string
  readonly created_at: number
  readonly handle_prefix: string | null
  readonly values_json: string | null
  readonly template_id: string | null
  readonly template_version: number | null
  readonly handle_created_at: number | null
  readonly updated_at: number | null
}

/** Statements prepared once for the resolution path (see createSqliteHandleStore). */
function preparedReads(sqlite: BetterSqlite3.Database): {
  usable(): boolean
  prefixes(candidates: readonly string[]): IdentifiersTables['ident_prefixes'][]
  handle(tenant: TenantId, handle: string): IdentifiersTables['ident_handles'] | undefined
  resolution(candidates: readonly string[], handle: string): ResolutionRow[]
} {
  // lazily: the tables exist only once the caller has migrated
  let byHandle: BetterSqlite3.Statement | null = null
  const byPrefixCount = new Map<number, BetterSqlite3.Statement>()
  const resolutionByCount = new Map<number, BetterSqlite3.Statement>()
  return {
    resolution(candidates, handle) {
      if (candidates.length === 0) return []
      let st = resolutionByCount.get(candidates.length)
      if (st === undefined) {
        // the primary key (tenant_id, handle) serves the join: one index search per homed candidate
        st = sqlite.prepare(
          `select p.prefix, p.tenant_id, p.created_at, h.prefix as handle_prefix, h.values_json,
             h.template_id, h.template_version, h.created_at as handle_created_at, h.updated_at
           from ident_prefixes p
           left join ident_handles h on h.tenant_id = p.tenant_id and h.handle = ?
           where p.prefix in (${candidates.map(() => '?').join(', ')})`,
        )
        resolutionByCount.set(candidates.length, st)
      }
      return st.all(handle, ...candidates) as ResolutionRow[]
    },
    usable: () => !sqlite.inTransaction,
    prefixes(candidates) {
      if (candidates.length === 0) return []
      let st = byPrefixCount.get(candidates.length)
      if (st === undefined) {
        st = sqlite.prepare(
          `select * from ident_prefixes where prefix in (${candidates.map(() => '?').join(', ')})`,
        )
        byPrefixCount.set(candidates.length, st)
      }
      return st.all(...candidates) as IdentifiersTables['ident_prefixes'][]
    },
    handle(tenant, handle) {
      byHandle ??= sqlite.prepare('select * from ident_handles where tenant_id = ? and handle = ?')
      return byHandle.get(tenant, handle) as IdentifiersTables['ident_handles'] | undefined
    },
  }
}
