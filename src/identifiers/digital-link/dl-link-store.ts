import { type Kysely, sql } from 'kysely'
import type { TenantId } from '../../core/index.ts'
import { IdentErrors } from '../identifiers-errors.ts'
import { keyPath, parseDigitalLink } from './digital-link.ts'
import type { DlLink, DlLinkSource } from './dl-resolver.ts'

/**
 * Digital Link links registered by enterprises, one row per key path (`/01/{gtin}[/10/{lot}…]`). A key
 * path belongs to the first enterprise that registers links for it on this node: GS1 company prefixes
 * are not verified here, so first come holds, and others get DL_LINKS_TAKEN.
 */
export interface DlLinkStore extends DlLinkSource {
  /** Replace the links of a key path (an empty list removes them). Returns the normalised key path. */
  put(tenant: TenantId, path: string, links: readonly DlLink[]): Promise<string>
  list(tenant: TenantId): Promise<readonly { keyPath: string; links: readonly DlLink[] }[]>
}

interface DlTables {
  ident_dl_links: { key_path: string; tenant_id: string; links_json: string; updated_at: number }
}

/**
 * The key path is the key, not (tenant, key path): a key path belongs to one enterprise on the
 * platform (first come). On PostgreSQL updated_at (epoch ms) is bigint and key paths compare bytewise
 * (collate "C"), as on SQLite.
 */
export async function migrateDlLinks(
  // biome-ignore lint/suspicious/noExplicitAny: the platform's database type is a superset of ours
  db: Kysely<any>,
  engine: 'sqlite' | 'postgres' = 'sqlite',
): Promise<void> {
  await db.schema
    .createTable('ident_dl_links')
    .ifNotExists()
    .addColumn('key_path', engine === 'postgres' ? sql`text collate "C"` : 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('links_json', 'text', (c) => c.notNull())
    .addColumn('updated_at', engine === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('ident_dl_links_tenant')
    .ifNotExists()
    .on('ident_dl_links')
    .columns(['tenant_id', 'key_path'])
    .execute()
}

/** The canonical key path of a path or full Digital Link URI (GTIN-14, qualifiers only). */
export function normalizeKeyPath(path: string): string {
  const uri = /^https?:\/\//.test(path) ? path : `https://dl.invalid${path.startsWith('/') ? '' : '/'}${path}`
  return keyPath(parseDigitalLink(uri))
}

const HTTP = /^https?:\/\/[^\s]+$/

/** Problems of a link list (empty when valid). */
export function linkProblems(links: readonly unknown[]): string[] {
  const out: string[] = []
  let defaults = 0
  links.forEach((l, i) => {
    if (l === null || typeof l !== 'object') {
      out.push(`[${i}] must be an object`)
      return
    }
    const o = l as Record<string, unknown>
    if (typeof o['linkType'] !== 'string' || !/^(gs1:[A-Za-z]+|https?:\/\/\S+)$/.test(o['linkType']))
      out.push(`[${i}].linkType must be gs1:{term} or a URI`)
    if (typeof o['href'] !== 'string' || !HTTP.test(o['href'])) out.push(`[${i}].href must be an http(s) URL`)
    if (typeof o['title'] !== 'string' || o['title'].length === 0 || o['title'].length > 200)
      out.push(`[${i}].title must be 1–200 characters`)
    if (
      o['hreflang'] !== undefined &&
      (!Array.isArray(o['hreflang']) || o['hreflang'].some((x) => typeof x !== 'string'))
    )
      out.push(`[${i}].hreflang must be a list of language tags`)
    if (o['isDefault'] === true) defaults++
  })
  if (defaults > 1) out.push('at most one link may be the default')
  return out
}

/**
 * The link store through Kysely, the same queries on SQLite and PostgreSQL (tables from
 * migrateDlLinks). The upsert only replaces a row the tenant holds, so two enterprises racing for a
 * new key path on two nodes cannot take it from each other: the loser gets DL_LINKS_TAKEN.
 */
// biome-ignore lint/suspicious/noExplicitAny: accepts the platform's wider database type
export function createDlLinkStore(anyDb: Kysely<any>, clock: { now(): number }): DlLinkStore {
  const db = anyDb as Kysely<DlTables>
  return {
    async linksFor(path) {
      const row = await db
        .selectFrom('ident_dl_links')
        .select('links_json')
        .where('key_path', '=', path)
        .executeTakeFirst()
      return row === undefined ? [] : (JSON.parse(row.links_json) as DlLink[])
    },
    async put(tenant, path, links) {
      const key = normalizeKeyPath(path)
      const problems = linkProblems(links)
      if (problems.length > 0)
        throw IdentErrors.dlInvalidLink(`invalid links: ${problems.join('; ')}`, { problems })
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('ident_dl_links')
          .select('tenant_id')
          .where('key_path', '=', key)
          .executeTakeFirst()
        if (row !== undefined && row.tenant_id !== tenant) throw IdentErrors.dlLinksTaken(key)
        if (links.length === 0) {
          await trx.deleteFrom('ident_dl_links').where('key_path', '=', key).execute()
          return key
        }
        const clean = links.map((l) => ({
          linkType: l.linkType,
          href: l.href,
          title: l.title,
          ...(l.type === undefined ? {} : { type: l.type }),
          ...(l.hreflang === undefined ? {} : { hreflang: [...l.hreflang] }),
          ...(l.isDefault === true ? { isDefault: true } : {}),
        }))
        const r = await trx
          .insertInto('ident_dl_links')
          .values({
            key_path: key,
            tenant_id: tenant,
            links_json: JSON.stringify(clean),
            updated_at: clock.now(),
          })
          .onConflict((oc) =>
            oc
              .column('key_path')
              .doUpdateSet({ links_json: JSON.stringify(clean), updated_at: clock.now() })
              .where('ident_dl_links.tenant_id', '=', tenant),
          )
          .executeTakeFirst()
        if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) throw IdentErrors.dlLinksTaken(key)
        return key
      })
    },
    async list(tenant) {
      const rows = await db
        .selectFrom('ident_dl_links')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .orderBy('key_path')
        .execute()
      return rows.map((r) => ({ keyPath: r.key_path, links: JSON.parse(r.links_json) as DlLink[] }))
    },
  }
}

/** The embedded shape's name for the same store. */
export const createSqliteDlLinkStore = createDlLinkStore
