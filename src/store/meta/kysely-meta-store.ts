import { createHash } from 'node:crypto'
import { type Kysely, type SelectQueryBuilder, type SqlBool, sql } from 'kysely'
import {
  type Asset,
  type AssetId,
  type AuditEntry,
  CoreErrors,
  type Device,
  type DeviceCredential,
  type DeviceId,
  newId,
  type Page,
  type PageQuery,
  type Point,
  type PointId,
  type Tenant,
  type TenantId,
  type User,
  type UserId,
} from '../../core/index.ts'
import type {
  ApiKeyRow,
  AuditQuery,
  CredentialMatch,
  MetaStore,
  NewAsset,
  NewAudit,
  NewCredential,
  NewDevice,
  NewPoint,
  NewTenant,
  NewUser,
  SessionRow,
} from './meta-store.ts'
import { kyselyReportSubscriptions, type ReportTables } from './kysely-report-subscriptions.ts'

/** Row shapes as stored. Column names are snake_case; the port speaks camelCase. */
export interface MetaDatabase extends ReportTables {
  tenants: {
    id: string
    name: string
    uscc: string
    industry_code: string
    region_code: string
    retention_days: number | null
    created_at: number
  }
  users: {
    id: string
    tenant_id: string | null
    username: string
    display_name: string
    role: string
    password_hash: string
    disabled: number
    created_at: number
    last_login_at: number | null
  }
  sessions: {
    token_hash: string
    user_id: string
    tenant_id: string | null
    created_at: number
    expires_at: number
  }
  api_keys: {
    id: string
    tenant_id: string | null
    name: string
    prefix: string
    key_hash: string
    role: string
    created_by: string
    created_at: number
    last_used_at: number | null
    revoked_at: number | null
  }
  assets: {
    id: string
    tenant_id: string
    parent_id: string | null
    level: string
    name: string
    code: string | null
    attributes: string
    created_at: number
  }
  devices: {
    id: string
    tenant_id: string
    asset_id: string | null
    name: string
    key: string
    kind: string
    protocol: string
    online: number
    last_seen_at: number | null
    created_at: number
  }
  device_credentials: {
    id: string
    tenant_id: string
    device_id: string
    kind: string
    username: string
    secret_hash: string
    created_at: number
    revoked_at: number | null
  }
  points: {
    id: string
    tenant_id: string
    device_id: string
    asset_id: string | null
    name: string
    key: string
    unit: string | null
    data_type: string
    kind: string
    description: string | null
    created_at: number
  }
  audit_log: {
    seq: number
    tenant_id: string | null
    actor: string
    action: string
    target: string | null
    at: number
    ip: string | null
    outcome: string
    details: string | null
    hash: string
  }
}

type Row<T extends keyof MetaDatabase> = MetaDatabase[T]

// better-sqlite3 may hand back bigint; pg returns int8/numeric as strings unless the pool parses them.
const num = (v: unknown): number =>
  typeof v === 'bigint' || typeof v === 'string' ? Number(v) : (v as number)
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v))

const toTenant = (r: Row<'tenants'>): Tenant => ({
  id: r.id as TenantId,
  name: r.name,
  uscc: r.uscc,
  industryCode: r.industry_code,
  regionCode: r.region_code,
  retentionDays: numOrNull(r.retention_days),
  createdAt: num(r.created_at),
})
const toUser = (r: Omit<Row<'users'>, 'password_hash'>): User => ({
  id: r.id as UserId,
  tenantId: r.tenant_id as TenantId | null,
  username: r.username,
  displayName: r.display_name,
  role: r.role as User['role'],
  disabled: num(r.disabled) === 1,
  createdAt: num(r.created_at),
  lastLoginAt: numOrNull(r.last_login_at),
})
const toAsset = (r: Row<'assets'>): Asset => ({
  id: r.id as AssetId,
  tenantId: r.tenant_id as TenantId,
  parentId: r.parent_id as AssetId | null,
  level: r.level as Asset['level'],
  name: r.name,
  code: r.code,
  attributes: JSON.parse(r.attributes) as Asset['attributes'],
  createdAt: num(r.created_at),
})
const toDevice = (r: Row<'devices'>): Device => ({
  id: r.id as DeviceId,
  tenantId: r.tenant_id as TenantId,
  assetId: r.asset_id as AssetId | null,
  name: r.name,
  key: r.key,
  kind: r.kind as Device['kind'],
  protocol: r.protocol as Device['protocol'],
  online: num(r.online) === 1,
  lastSeenAt: numOrNull(r.last_seen_at),
  createdAt: num(r.created_at),
})
const toCredential = (r: Row<'device_credentials'>): DeviceCredential => ({
  id: r.id,
  tenantId: r.tenant_id as TenantId,
  deviceId: r.device_id as DeviceId,
  kind: r.kind as DeviceCredential['kind'],
  username: r.username,
  createdAt: num(r.created_at),
  revokedAt: numOrNull(r.revoked_at),
})
const toPoint = (r: Row<'points'>): Point => ({
  id: r.id as PointId,
  tenantId: r.tenant_id as TenantId,
  deviceId: r.device_id as DeviceId,
  assetId: r.asset_id as AssetId | null,
  name: r.name,
  key: r.key,
  unit: r.unit,
  dataType: r.data_type as Point['dataType'],
  kind: r.kind as Point['kind'],
  description: r.description,
  createdAt: num(r.created_at),
})
const toApiKey = (r: Row<'api_keys'>): ApiKeyRow => ({
  id: r.id,
  tenantId: r.tenant_id as TenantId | null,
  name: r.name,
  prefix: r.prefix,
  role: r.role as ApiKeyRow['role'],
  createdBy: r.created_by as UserId,
  createdAt: num(r.created_at),
  lastUsedAt: numOrNull(r.last_used_at),
  revokedAt: numOrNull(r.revoked_at),
})
const toAudit = (r: Row<'audit_log'>): AuditEntry => ({
  seq: num(r.seq),
  tenantId: r.tenant_id as TenantId | null,
  actor: r.actor,
  action: r.action,
  target: r.target,
  at: num(r.at),
  ip: r.ip,
  outcome: r.outcome as AuditEntry['outcome'],
  details: r.details === null ? null : JSON.parse(r.details),
  hash: r.hash,
})

function auditHash(prev: string, e: Omit<Row<'audit_log'>, 'hash'>): string {
  const canonical = JSON.stringify([
    num(e.seq),
    e.tenant_id,
    e.actor,
    e.action,
    e.target,
    num(e.at),
    e.ip,
    e.outcome,
    e.details,
  ])
  return createHash('sha256').update(prev).update(canonical).digest('hex')
}

const MAX_PAGE = 1000

/** Translate engine errors into RongheError at the boundary, keeping the cause. */
function translate(err: unknown, what: string): never {
  const msg = String((err as Error)?.message ?? err)
  const code = (err as { code?: string })?.code ?? ''
  if (/UNIQUE|unique|duplicate key/.test(msg) || code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    throw CoreErrors.conflict(`${what} already exists`, undefined, err)
  }
  if (/FOREIGN KEY|foreign key/.test(msg) || code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    throw CoreErrors.conflict(
      `${what} refers to something that does not exist or is still in use`,
      undefined,
      err,
    )
  }
  throw err
}

/**
 * The metadata store over any Kysely dialect. SQLite and PostgreSQL differ only in the dialect and in
 * `capabilities`; queries stay within what both engines support.
 */
export function createKyselyMetaStore(
  db: Kysely<MetaDatabase>,
  engine: 'sqlite' | 'postgres',
  clock: { now(): number } = { now: Date.now },
): MetaStore {
  // Audit appends are serialised so the hash chain has one order.
  let auditTail: Promise<unknown> = Promise.resolve()

  function page<T extends keyof MetaDatabase, O>(
    base: SelectQueryBuilder<MetaDatabase, T, O>,
    q: PageQuery | undefined,
    sortable: readonly string[],
    defaultSort: string,
    tiebreak = 'id',
  ): Promise<{ rows: O[]; total: number }> {
    const limit = Math.min(Math.max(q?.limit ?? 100, 1), MAX_PAGE)
    const offset = Math.max(q?.offset ?? 0, 0)
    const sort = q?.sort && sortable.includes(q.sort) ? q.sort : defaultSort
    const order = q?.order === 'desc' ? 'desc' : 'asc'
    return Promise.all([
      base
        .orderBy(sql.ref(sort), order)
        .orderBy(sql.ref(tiebreak), 'asc')
        .limit(limit)
        .offset(offset)
        .execute() as Promise<O[]>,
      base
        .clearSelect()
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst()
        .then((r) => num((r as { n: number } | undefined)?.n ?? 0)),
    ]).then(([rows, total]) => ({ rows, total }))
  }

  const escapeLike = (q: string): string => q.replace(/[\\%_]/g, (m) => `\\${m}`)
  /**
   * A substring search that means the same on both engines: SQLite's LIKE ignores ASCII case and has
   * no escape character unless told (so `50%` searched for `50\` + anything); PostgreSQL's LIKE is
   * case-sensitive and escapes with a backslash. ILIKE on PostgreSQL plus an explicit ESCAPE on both
   * gives one behaviour.
   */
  const likeMatch = (column: string, pattern: string) =>
    sql<SqlBool>`${sql.ref(column)} ${sql.raw(engine === 'postgres' ? 'ilike' : 'like')} ${pattern} escape '\\'`
  const contains = (column: string, q: string) => likeMatch(column, `%${escapeLike(q)}%`)

  const store: MetaStore = {
    capabilities: { engine },
    // the same connection, seen through only the two tables it owns
    ...kyselyReportSubscriptions(db as unknown as Kysely<ReportTables>, clock),

    async createTenantForPlatform(t: NewTenant): Promise<Tenant> {
      const row: Row<'tenants'> = {
        id: newId('ten'),
        name: t.name,
        uscc: t.uscc,
        industry_code: t.industryCode,
        region_code: t.regionCode,
        retention_days: t.retentionDays ?? null,
        created_at: clock.now(),
      }
      await db
        .insertInto('tenants')
        .values(row)
        .execute()
        .catch((e) => translate(e, `an enterprise with credit code ${t.uscc}`))
      return toTenant(row)
    },
    async listTenantsForPlatform(q?: PageQuery): Promise<Page<Tenant>> {
      let base = db.selectFrom('tenants').selectAll()
      if (q?.q) base = base.where((eb) => eb.or([contains('name', q.q ?? ''), eb('uscc', '=', q.q ?? '')]))
      const { rows, total } = await page(base, q, ['name', 'created_at', 'region_code'], 'name')
      return { items: rows.map(toTenant), total }
    },
    async getTenant(tenant: TenantId): Promise<Tenant> {
      const r = await db.selectFrom('tenants').selectAll().where('id', '=', tenant).executeTakeFirst()
      if (!r) throw CoreErrors.notFound('enterprise', tenant)
      return toTenant(r)
    },
    async updateTenant(tenant: TenantId, patch: Partial<NewTenant>): Promise<Tenant> {
      const values: Partial<Row<'tenants'>> = {}
      if (patch.name !== undefined) values.name = patch.name
      if (patch.uscc !== undefined) values.uscc = patch.uscc
      if (patch.industryCode !== undefined) values.industry_code = patch.industryCode
      if (patch.regionCode !== undefined) values.region_code = patch.regionCode
      if (patch.retentionDays !== undefined) values.retention_days = patch.retentionDays
      if (Object.keys(values).length > 0) {
        await db
          .updateTable('tenants')
          .set(values)
          .where('id', '=', tenant)
          .execute()
          .catch((e) => translate(e, 'an enterprise with that credit code'))
      }
      return store.getTenant(tenant)
    },

    async createUser(tenant: TenantId | null, u: NewUser): Promise<User> {
      const row: Row<'users'> = {
        id: newId('usr'),
        tenant_id: tenant,
        username: u.username,
        display_name: u.displayName ?? u.username,
        role: u.role,
        password_hash: u.passwordHash,
        disabled: 0,
        created_at: clock.now(),
        last_login_at: null,
      }
      await db
        .insertInto('users')
        .values(row)
        .execute()
        .catch((e) => translate(e, `user ${u.username}`))
      return toUser(row)
    },
    async findUserForLoginForPlatform(username: string) {
      const r = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst()
      return r ? { user: toUser(r), passwordHash: r.password_hash } : null
    },
    async getUser(tenant: TenantId | null, id: UserId): Promise<User> {
      let q = db.selectFrom('users').selectAll().where('id', '=', id)
      q = tenant === null ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', tenant)
      const r = await q.executeTakeFirst()
      if (!r) throw CoreErrors.notFound('user', id)
      return toUser(r)
    },
    async listUsers(tenant: TenantId | null, q?: PageQuery): Promise<Page<User>> {
      let base = db
        .selectFrom('users')
        .select([
          'id',
          'tenant_id',
          'username',
          'display_name',
          'role',
          'disabled',
          'created_at',
          'last_login_at',
        ])
      base = tenant === null ? base.where('tenant_id', 'is', null) : base.where('tenant_id', '=', tenant)
      if (q?.q)
        base = base.where((eb) =>
          eb.or([contains('username', q.q ?? ''), contains('display_name', q.q ?? '')]),
        )
      const { rows, total } = await page(
        base,
        q,
        ['username', 'role', 'created_at', 'last_login_at'],
        'username',
      )
      return { items: rows.map(toUser), total }
    },
    async updateUser(tenant, id, patch): Promise<User> {
      await store.getUser(tenant, id)
      const values: Partial<Row<'users'>> = {}
      if (patch.displayName !== undefined) values.display_name = patch.displayName
      if (patch.role !== undefined) values.role = patch.role
      if (patch.disabled !== undefined) values.disabled = patch.disabled ? 1 : 0
      if (patch.passwordHash !== undefined) values.password_hash = patch.passwordHash
      if (patch.lastLoginAt !== undefined) values.last_login_at = patch.lastLoginAt
      if (Object.keys(values).length > 0)
        await db.updateTable('users').set(values).where('id', '=', id).execute()
      return store.getUser(tenant, id)
    },
    async deleteUser(tenant, id): Promise<void> {
      await store.getUser(tenant, id)
      await db.deleteFrom('sessions').where('user_id', '=', id).execute()
      await db.deleteFrom('users').where('id', '=', id).execute()
    },

    async createSession(s: SessionRow): Promise<void> {
      await db
        .insertInto('sessions')
        .values({
          token_hash: s.tokenHash,
          user_id: s.userId,
          tenant_id: s.tenantId,
          created_at: s.createdAt,
          expires_at: s.expiresAt,
        })
        .execute()
    },
    async findSessionForPlatform(tokenHash: string): Promise<SessionRow | null> {
      const r = await db
        .selectFrom('sessions')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst()
      return r
        ? {
            tokenHash: r.token_hash,
            userId: r.user_id as UserId,
            tenantId: r.tenant_id as TenantId | null,
            createdAt: num(r.created_at),
            expiresAt: num(r.expires_at),
          }
        : null
    },
    async deleteSessionForPlatform(tokenHash: string): Promise<void> {
      await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute()
    },
    async deleteExpiredSessionsForPlatform(now: number): Promise<number> {
      const r = await db.deleteFrom('sessions').where('expires_at', '<', now).executeTakeFirst()
      return Number(r.numDeletedRows)
    },

    async createApiKey(tenant, k, keyHash): Promise<ApiKeyRow> {
      const row: Row<'api_keys'> = {
        id: k.id,
        tenant_id: tenant,
        name: k.name,
        prefix: k.prefix,
        key_hash: keyHash,
        role: k.role,
        created_by: k.createdBy,
        created_at: k.createdAt,
        last_used_at: null,
        revoked_at: null,
      }
      await db.insertInto('api_keys').values(row).execute()
      return toApiKey(row)
    },
    async findApiKeyForPlatform(keyHash: string): Promise<ApiKeyRow | null> {
      const r = await db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst()
      return r ? toApiKey(r) : null
    },
    async listApiKeys(tenant): Promise<readonly ApiKeyRow[]> {
      let q = db.selectFrom('api_keys').selectAll()
      q = tenant === null ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', tenant)
      return (await q.orderBy('created_at', 'desc').execute()).map(toApiKey)
    },
    async revokeApiKey(tenant, id, at): Promise<void> {
      let q = db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id)
      q = tenant === null ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', tenant)
      const r = await q.executeTakeFirst()
      if (Number(r.numUpdatedRows) === 0) throw CoreErrors.notFound('API key', id)
    },

    async createAsset(tenant, a: NewAsset): Promise<Asset> {
      if (a.parentId) await store.getAsset(tenant, a.parentId)
      const row: Row<'assets'> = {
        id: newId('ast'),
        tenant_id: tenant,
        parent_id: a.parentId ?? null,
        level: a.level,
        name: a.name,
        code: a.code ?? null,
        attributes: JSON.stringify(a.attributes ?? {}),
        created_at: clock.now(),
      }
      await db.insertInto('assets').values(row).execute()
      return toAsset(row)
    },
    async getAsset(tenant, id): Promise<Asset> {
      const r = await db
        .selectFrom('assets')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('id', '=', id)
        .executeTakeFirst()
      if (!r) throw CoreErrors.notFound('asset', id)
      return toAsset(r)
    },
    async listAssets(tenant, q): Promise<Page<Asset>> {
      let base = db.selectFrom('assets').selectAll().where('tenant_id', '=', tenant)
      if (q?.parentId !== undefined) {
        base =
          q.parentId === null ? base.where('parent_id', 'is', null) : base.where('parent_id', '=', q.parentId)
      }
      if (q?.level) base = base.where('level', '=', q.level)
      if (q?.q) base = base.where(contains('name', q.q))
      const { rows, total } = await page(
        base,
        { ...q, limit: q?.limit ?? MAX_PAGE },
        ['name', 'level', 'created_at'],
        'name',
      )
      return { items: rows.map(toAsset), total }
    },
    async updateAsset(tenant, id, patch): Promise<Asset> {
      await store.getAsset(tenant, id)
      if (patch.parentId) {
        if (patch.parentId === id) throw CoreErrors.validation('an asset cannot be its own parent')
        await store.getAsset(tenant, patch.parentId)
      }
      const values: Partial<Row<'assets'>> = {}
      if (patch.name !== undefined) values.name = patch.name
      if (patch.code !== undefined) values.code = patch.code
      if (patch.parentId !== undefined) values.parent_id = patch.parentId
      if (patch.attributes !== undefined) values.attributes = JSON.stringify(patch.attributes)
      if (Object.keys(values).length > 0) {
        await db
          .updateTable('assets')
          .set(values)
          .where('tenant_id', '=', tenant)
          .where('id', '=', id)
          .execute()
      }
      return store.getAsset(tenant, id)
    },
    async deleteAsset(tenant, id): Promise<void> {
      await store.getAsset(tenant, id)
      const child = await db
        .selectFrom('assets')
        .select('id')
        .where('tenant_id', '=', tenant)
        .where('parent_id', '=', id)
        .executeTakeFirst()
      if (child) throw CoreErrors.conflict(`asset ${id} still has child assets; delete or move them first`)
      await db.deleteFrom('assets').where('tenant_id', '=', tenant).where('id', '=', id).execute()
    },

    async createDevice(tenant, d: NewDevice): Promise<Device> {
      if (d.assetId) await store.getAsset(tenant, d.assetId)
      const row: Row<'devices'> = {
        id: newId('dev'),
        tenant_id: tenant,
        asset_id: d.assetId ?? null,
        name: d.name,
        key: d.key,
        kind: d.kind,
        protocol: d.protocol,
        online: 0,
        last_seen_at: null,
        created_at: clock.now(),
      }
      await db
        .insertInto('devices')
        .values(row)
        .execute()
        .catch((e) => translate(e, `a device with key ${d.key}`))
      return toDevice(row)
    },
    async getDevice(tenant, id): Promise<Device> {
      const r = await db
        .selectFrom('devices')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('id', '=', id)
        .executeTakeFirst()
      if (!r) throw CoreErrors.notFound('device', id)
      return toDevice(r)
    },
    async findDeviceByKey(tenant, key): Promise<Device | null> {
      const r = await db
        .selectFrom('devices')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('key', '=', key)
        .executeTakeFirst()
      return r ? toDevice(r) : null
    },
    async listDevices(tenant, q): Promise<Page<Device>> {
      let base = db.selectFrom('devices').selectAll().where('tenant_id', '=', tenant)
      if (q?.online !== undefined) base = base.where('online', '=', q.online ? 1 : 0)
      if (q?.q) base = base.where((eb) => eb.or([contains('name', q.q ?? ''), contains('key', q.q ?? '')]))
      const { rows, total } = await page(
        base,
        q,
        ['name', 'key', 'online', 'last_seen_at', 'created_at', 'protocol'],
        'name',
      )
      return { items: rows.map(toDevice), total }
    },
    async updateDevice(tenant, id, patch): Promise<Device> {
      await store.getDevice(tenant, id)
      if (patch.assetId) await store.getAsset(tenant, patch.assetId)
      const values: Partial<Row<'devices'>> = {}
      if (patch.name !== undefined) values.name = patch.name
      if (patch.key !== undefined) values.key = patch.key
      if (patch.kind !== undefined) values.kind = patch.kind
      if (patch.protocol !== undefined) values.protocol = patch.protocol
      if (patch.assetId !== undefined) values.asset_id = patch.assetId
      if (Object.keys(values).length > 0) {
        await db
          .updateTable('devices')
          .set(values)
          .where('tenant_id', '=', tenant)
          .where('id', '=', id)
          .execute()
          .catch((e) => translate(e, `a device with key ${patch.key}`))
      }
      return store.getDevice(tenant, id)
    },
    async deleteDevice(tenant, id): Promise<void> {
      await store.getDevice(tenant, id)
      await db.deleteFrom('points').where('tenant_id', '=', tenant).where('device_id', '=', id).execute()
      await db
        .deleteFrom('device_credentials')
        .where('tenant_id', '=', tenant)
        .where('device_id', '=', id)
        .execute()
      await db.deleteFrom('devices').where('tenant_id', '=', tenant).where('id', '=', id).execute()
    },
    async setDeviceOnline(tenant, id, online, at): Promise<void> {
      await db
        .updateTable('devices')
        .set({ online: online ? 1 : 0, last_seen_at: at })
        .where('tenant_id', '=', tenant)
        .where('id', '=', id)
        .execute()
    },
    async countDevices(tenant) {
      const r = await db
        .selectFrom('devices')
        .select((eb) => [eb.fn.countAll<number>().as('total'), eb.fn.sum<number>('online').as('online')])
        .where('tenant_id', '=', tenant)
        .executeTakeFirst()
      return { total: num(r?.total ?? 0), online: num(r?.online ?? 0) }
    },

    async createCredential(tenant, c: NewCredential): Promise<DeviceCredential> {
      await store.getDevice(tenant, c.deviceId)
      const row: Row<'device_credentials'> = {
        id: newId('crd'),
        tenant_id: tenant,
        device_id: c.deviceId,
        kind: c.kind,
        username: c.username,
        secret_hash: c.secretHash,
        created_at: clock.now(),
        revoked_at: null,
      }
      await db
        .insertInto('device_credentials')
        .values(row)
        .execute()
        .catch((e) => translate(e, `a credential with username ${c.username}`))
      return toCredential(row)
    },
    async listCredentials(tenant, deviceId): Promise<readonly DeviceCredential[]> {
      await store.getDevice(tenant, deviceId)
      const rows = await db
        .selectFrom('device_credentials')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('device_id', '=', deviceId)
        .orderBy('created_at', 'desc')
        .execute()
      return rows.map(toCredential)
    },
    async revokeCredential(tenant, id, at): Promise<void> {
      const r = await db
        .updateTable('device_credentials')
        .set({ revoked_at: at })
        .where('tenant_id', '=', tenant)
        .where('id', '=', id)
        .executeTakeFirst()
      if (Number(r.numUpdatedRows) === 0) throw CoreErrors.notFound('credential', id)
    },
    async findCredentialForPlatform(username): Promise<CredentialMatch | null> {
      const c = await db
        .selectFrom('device_credentials')
        .selectAll()
        .where('username', '=', username)
        .executeTakeFirst()
      if (!c) return null
      const d = await db.selectFrom('devices').selectAll().where('id', '=', c.device_id).executeTakeFirst()
      if (!d) return null
      return { credential: toCredential(c), secretHash: c.secret_hash, device: toDevice(d) }
    },

    async createPoints(tenant, points): Promise<readonly Point[]> {
      if (points.length === 0) return []
      const deviceIds = [...new Set(points.map((p) => p.deviceId))]
      for (const d of deviceIds) await store.getDevice(tenant, d)
      const now = clock.now()
      const rows: Row<'points'>[] = points.map((p: NewPoint) => ({
        id: newId('pt'),
        tenant_id: tenant,
        device_id: p.deviceId,
        asset_id: p.assetId ?? null,
        name: p.name,
        key: p.key,
        unit: p.unit ?? null,
        data_type: p.dataType,
        kind: p.kind,
        description: p.description ?? null,
        created_at: now,
      }))
      await db
        .transaction()
        .execute(async (tx) => {
          for (let i = 0; i < rows.length; i += 200) {
            await tx
              .insertInto('points')
              .values(rows.slice(i, i + 200))
              .execute()
          }
        })
        .catch((e) => translate(e, 'a point with that key on that device'))
      return rows.map(toPoint)
    },
    async getPoint(tenant, id): Promise<Point> {
      const r = await db
        .selectFrom('points')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('id', '=', id)
        .executeTakeFirst()
      if (!r) throw CoreErrors.notFound('point', id)
      return toPoint(r)
    },
    async pointsByIds(tenant, ids): Promise<readonly Point[]> {
      const out: Point[] = []
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500)
        if (chunk.length === 0) continue
        const rows = await db
          .selectFrom('points')
          .selectAll()
          .where('tenant_id', '=', tenant)
          .where('id', 'in', chunk)
          .execute()
        for (const r of rows) out.push(toPoint(r))
      }
      return out
    },
    async listPoints(tenant, q): Promise<Page<Point>> {
      let base = db.selectFrom('points').selectAll().where('tenant_id', '=', tenant)
      if (q?.deviceId) base = base.where('device_id', '=', q.deviceId)
      if (q?.assetId) base = base.where('asset_id', '=', q.assetId)
      if (q?.q) base = base.where((eb) => eb.or([contains('name', q.q ?? ''), contains('key', q.q ?? '')]))
      const { rows, total } = await page(base, q, ['name', 'key', 'kind', 'created_at'], 'name')
      return { items: rows.map(toPoint), total }
    },
    async pointsOfDevice(tenant, deviceId): Promise<readonly Point[]> {
      const rows = await db
        .selectFrom('points')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('device_id', '=', deviceId)
        .execute()
      return rows.map(toPoint)
    },
    async updatePoint(tenant, id, patch): Promise<Point> {
      await store.getPoint(tenant, id)
      if (patch.assetId) await store.getAsset(tenant, patch.assetId)
      const values: Partial<Row<'points'>> = {}
      if (patch.name !== undefined) values.name = patch.name
      if (patch.unit !== undefined) values.unit = patch.unit
      if (patch.dataType !== undefined) values.data_type = patch.dataType
      if (patch.kind !== undefined) values.kind = patch.kind
      if (patch.description !== undefined) values.description = patch.description
      if (patch.assetId !== undefined) values.asset_id = patch.assetId
      if (Object.keys(values).length > 0) {
        await db
          .updateTable('points')
          .set(values)
          .where('tenant_id', '=', tenant)
          .where('id', '=', id)
          .execute()
      }
      return store.getPoint(tenant, id)
    },
    async deletePoint(tenant, id): Promise<void> {
      await store.getPoint(tenant, id)
      await db.deleteFrom('points').where('tenant_id', '=', tenant).where('id', '=', id).execute()
    },
    async countPoints(tenant): Promise<number> {
      const r = await db
        .selectFrom('points')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', tenant)
        .executeTakeFirst()
      return num(r?.n ?? 0)
    },

    appendAudit(e: NewAudit, at: number): Promise<AuditEntry> {
      const run = async (): Promise<AuditEntry> =>
        db.transaction().execute(async (tx) => {
          const last = await tx
            .selectFrom('audit_log')
            .select(['seq', 'hash'])
            .orderBy('seq', 'desc')
            .limit(1)
            .executeTakeFirst()
          const base: Omit<Row<'audit_log'>, 'hash'> = {
            seq: (last ? num(last.seq) : 0) + 1,
            tenant_id: e.tenantId,
            actor: e.actor,
            action: e.action,
            target: e.target ?? null,
            at,
            ip: e.ip ?? null,
            outcome: e.outcome,
            details: e.details === undefined ? null : JSON.stringify(e.details),
          }
          const row = { ...base, hash: auditHash(last?.hash ?? '', base) }
          await tx.insertInto('audit_log').values(row).execute()
          return toAudit(row)
        })
      const next = auditTail.then(run, run)
      auditTail = next.catch(() => undefined)
      return next
    },
    async listAudit(tenant, q?: AuditQuery): Promise<Page<AuditEntry>> {
      let base = db.selectFrom('audit_log').selectAll()
      base = tenant === null ? base : base.where('tenant_id', '=', tenant)
      if (q?.actor) base = base.where('actor', '=', q.actor)
      if (q?.action)
        base = base.where(sql<SqlBool>`${sql.ref('action')} like ${`${escapeLike(q.action)}%`} escape '\\'`)
      if (q?.outcome) base = base.where('outcome', '=', q.outcome)
      if (q?.from !== undefined) base = base.where('at', '>=', q.from)
      if (q?.to !== undefined) base = base.where('at', '<', q.to)
      const { rows, total } = await page(
        base,
        { ...q, order: q?.order ?? 'desc' },
        ['at', 'seq', 'actor', 'action'],
        'seq',
        'seq',
      )
      return { items: rows.map(toAudit), total }
    },
    async verifyAuditChainForPlatform(): Promise<number | null> {
      let prev = ''
      let after = 0
      for (;;) {
        const rows = await db
          .selectFrom('audit_log')
          .selectAll()
          .where('seq', '>', after)
          .orderBy('seq')
          .limit(5000)
          .execute()
        if (rows.length === 0) return null
        for (const r of rows) {
          const { hash, ...rest } = r
          if (auditHash(prev, rest) !== hash) return num(r.seq)
          prev = hash
          after = num(r.seq)
        }
      }
    },

    async close(): Promise<void> {
      await db.destroy()
    },
  }
  return store
}
