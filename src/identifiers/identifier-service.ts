import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import { type Bus, Subjects } from '../bus/index.ts'
import type { Clock, TenantId } from '../core/index.ts'
import { createPostgresPool, migrateUnderLock } from '../store/postgres-pool.ts'
import {
  combineDelegations,
  createStaticDelegations,
  createStoreDelegations,
  type Delegation,
  type DelegationSource,
} from './delegations.ts'
import { createDlLinkStore, type DlLinkStore, migrateDlLinks } from './digital-link/dl-link-store.ts'
import { createEpcisCapture, type EpcisCapture } from './epcis/epcis-capture.ts'
import type { EpcisStore } from './epcis/epcis-store.ts'
import { createPostgresEpcisStore } from './epcis/postgres-epcis-store.ts'
import { createSqliteEpcisStore } from './epcis/sqlite-epcis-store.ts'
import { createHandleRegistry, type HandleRegistry } from './handle-registry.ts'
import {
  createHandleResolver,
  type FetchLike,
  type HandleResolver,
  type ResolverCacheOptions,
} from './handle-resolver.ts'
import type { HandleStore, PrefixRecord } from './handle-store.ts'
import { isUnderPrefix, normalizePrefix } from './handle-syntax.ts'
import { createIdentifierGenerator, type IdentifierGenerator } from './id-generator.ts'
import { IdentErrors } from './identifiers-errors.ts'
import { migrateIdentifiers } from './identifiers-migrations.ts'
import { createPostgresHandleStore } from './postgres-handle-store.ts'
import { createSqliteHandleStore } from './sqlite-handle-store.ts'
import type { TraceEventSource } from './trace/trace-graph.ts'

/**
 * The identifiers module as the platform runs it: one SQLite file (identifiers.db in the data
 * directory) holding handles, prefixes, templates, sequences, EPCIS events and Digital Link links,
 * and the registry, recursive resolver, generator, EPCIS capture and trace source over it. In the
 * scale-out shape (openPostgresIdentifierService) the same tables are in the shared PostgreSQL
 * database and every node serves every identifier.
 */
export type IdentifierNodeRole = 'secondary' | 'enterprise' | 'both' | 'top'

export interface IdentifierNodeConfig {
  /** what this deployment is in the hierarchy (default both: secondary node that also serves enterprises) */
  readonly role: IdentifierNodeRole
  /** the node's own prefix (`88` top-level, `88.118` secondary, `88.118.8` enterprise); enterprise prefixes go under it */
  readonly prefix?: string
  /** where prefixes that nothing local covers are asked (a higher node's base URL) */
  readonly upstreamUrl?: string
  /** fixed delegations: prefix → another node's base URL */
  readonly delegations?: readonly Delegation[]
  /** base URL of this node as the public sees it (QR codes, trace links); default the request's origin */
  readonly publicBaseUrl?: string
  /** follow delegations (default true) */
  readonly recursive?: boolean
  readonly cache?: ResolverCacheOptions
  /** per upstream request (default 5000 ms) */
  readonly timeoutMs?: number
  /** plant time zone for generated identifiers' dates, minutes east of UTC (default 480) */
  readonly utcOffsetMinutes?: number
}

export interface IdentifierService {
  readonly node: IdentifierNodeConfig
  readonly store: HandleStore
  readonly registry: HandleRegistry
  readonly resolver: HandleResolver
  readonly generator: IdentifierGenerator
  readonly epcis: EpcisStore
  readonly capture: EpcisCapture
  readonly links: DlLinkStore
  /** EPCIS events of every tenant on this node, for the trace walk (which filters by visibility) */
  readonly traceSource: TraceEventSource
  /**
   * A platform admin gives an enterprise its prefix: under the node's prefix (or the node's prefix
   * itself on an enterprise node). Without `prefix`, the next free `{node prefix}.{n}` is allocated.
   */
  assignPrefix(tenant: TenantId, prefix?: string): Promise<PrefixRecord>
  close(): Promise<void>
}

export interface IdentifierServiceDeps {
  /** SQLite file; `:memory:` for tests */
  readonly path: string
  readonly clock: Clock
  readonly node: IdentifierNodeConfig
  readonly fetch?: FetchLike
}

export interface PostgresIdentifierServiceDeps extends Omit<IdentifierServiceDeps, 'path'> {
  /** the shared database (RONGHE_DATABASE_URL) */
  readonly url: string
  readonly maxConnections?: number
  /**
   * The cluster's bus: a change of a handle through this node is published on it and every node
   * drops the handle from its resolver cache. Without it another node serves its cached answer until
   * the entry expires (the cache's TTL).
   */
  readonly bus?: Bus
}

/** The fallback route: a higher node answers for anything not covered more specifically. */
function upstreamDelegation(baseUrl: string): DelegationSource {
  const url = baseUrl.replace(/\/+$/, '')
  // prefix '' is the least specific: any homed prefix or recorded delegation wins over it
  return { find: async () => ({ prefix: '', baseUrl: url }) }
}

const PLATFORM = '__platform' as TenantId

export async function openIdentifierService(deps: IdentifierServiceDeps): Promise<IdentifierService> {
  const sqlite = new Database(deps.path)
  // This process is the file's only user (backups copy the data directory with the platform stopped):
  // holding the lock for the connection's life spares every statement the file and shared-memory
  // locking of a read transaction, which was most of a prepared read's cost (≈ 8 → 3 µs), and keeps the
  // WAL index in memory. A second process opening the same data directory gets SQLITE_BUSY.
  sqlite.pragma('locking_mode = EXCLUSIVE')
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('busy_timeout = 5000')
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) })
  await migrateIdentifiers(db)
  await migrateDlLinks(db)
  return wireIdentifierService(
    db,
    { store: createSqliteHandleStore(db, sqlite), epcis: createSqliteEpcisStore(db) },
    deps,
  )
}

/**
 * The scale-out shape: the identifier tables in the shared PostgreSQL database, so a prefix homed or
 * an identifier registered through one node resolves through every node. Migrates under an advisory
 * lock (several nodes may start at once).
 */
export async function openPostgresIdentifierService(
  deps: PostgresIdentifierServiceDeps,
): Promise<IdentifierService> {
  // biome-ignore lint/suspicious/noExplicitAny: the migrations take the platform's wider type
  const db = new Kysely<any>({
    dialect: new PostgresDialect({ pool: createPostgresPool(deps.url, deps.maxConnections) }),
  })
  await migrateUnderLock(db, 'ronghe_identifiers_migrations', async (trx) => {
    await migrateIdentifiers(trx, 'postgres')
    await migrateDlLinks(trx, 'postgres')
  })
  return wireIdentifierService(
    db,
    { store: createPostgresHandleStore(db), epcis: createPostgresEpcisStore(db) },
    deps,
  )
}

function wireIdentifierService(
  db: Kysely<unknown>,
  stores: { readonly store: HandleStore; readonly epcis: EpcisStore },
  deps: Omit<IdentifierServiceDeps, 'path'> & { readonly bus?: Bus },
): IdentifierService {
  const { clock, node } = deps
  const { store, epcis } = stores
  const sources: DelegationSource[] = [createStoreDelegations(store)]
  if (node.delegations !== undefined && node.delegations.length > 0)
    sources.push(createStaticDelegations(node.delegations))
  if (node.upstreamUrl !== undefined) sources.push(upstreamDelegation(node.upstreamUrl))
  const resolver = createHandleResolver({
    store,
    delegations: combineDelegations(...sources),
    clock,
    recursive: node.recursive ?? true,
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
    ...(node.cache === undefined ? {} : { cache: node.cache }),
    ...(node.timeoutMs === undefined ? {} : { timeoutMs: node.timeoutMs }),
  })
  const { bus } = deps
  // every node (this one included) drops a changed handle from its cache; this node at once
  const unsubscribe = bus?.subscribe<{ handle: string }>(Subjects.handleChanged, ({ data }) => {
    if (typeof data?.handle === 'string') resolver.invalidate(data.handle)
  })
  const onChange = (h: string): void => {
    resolver.invalidate(h)
    // best effort: a lost message leaves other nodes on their cached answer until it expires
    bus?.publish(Subjects.handleChanged, { handle: h }).catch(() => undefined)
  }
  const registry = createHandleRegistry({ store, clock, onChange })
  const generator = createIdentifierGenerator({
    store,
    clock,
    ...(node.utcOffsetMinutes === undefined ? {} : { utcOffsetMinutes: node.utcOffsetMinutes }),
  })
  const nodePrefix = node.prefix === undefined ? undefined : normalizePrefix(node.prefix)

  return {
    node,
    store,
    registry,
    resolver,
    generator,
    epcis,
    capture: createEpcisCapture({ store: epcis, clock }),
    links: createDlLinkStore(db, clock),
    traceSource: { findByIdentifiers: (ids) => epcis.findByIdentifiersForPlatform(ids) },

    async assignPrefix(tenant, prefix) {
      if (prefix === undefined) {
        if (nodePrefix === undefined)
          throw IdentErrors.invalidPrefix('', 'this node has no prefix of its own: name the prefix to assign')
        // allocate the next free child; numbers are never reused, even after an unhome
        for (;;) {
          const n = await store.nextSequence(PLATFORM, `prefix:${nodePrefix}`, 1)
          const candidate = `${nodePrefix}.${n}`
          const taken = await store.findHomedPrefixForPlatform(candidate)
          if (taken === null || taken.prefix !== candidate) return registry.homePrefix(tenant, candidate)
        }
      }
      const p = normalizePrefix(prefix)
      if (nodePrefix !== undefined) {
        // the node's own prefix goes to the tenant that runs the node (it records the delegations)
        if (p !== nodePrefix && !isUnderPrefix(p, nodePrefix))
          throw IdentErrors.prefixOutsideNode(p, nodePrefix)
      }
      return registry.homePrefix(tenant, p)
    },

    async close() {
      unsubscribe?.()
      await db.destroy()
    },
  }
}

/** `88.118=http://sec:8080,86=http://gh` → delegations (configuration text); throws on a malformed entry. */
export function parseDelegationList(text: string | undefined): Delegation[] {
  if (text === undefined || text.trim() === '') return []
  return text
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')
    .map((entry) => {
      const eq = entry.indexOf('=')
      const prefix = eq < 0 ? '' : entry.slice(0, eq).trim()
      const baseUrl = eq < 0 ? '' : entry.slice(eq + 1).trim()
      if (prefix === '' || !/^https?:\/\/\S+$/.test(baseUrl))
        throw IdentErrors.invalidPrefix(entry, 'a delegation is written prefix=http(s)://host:port')
      return { prefix: normalizePrefix(prefix), baseUrl: baseUrl.replace(/\/+$/, '') }
    })
}
