import type {
  Asset,
  AssetId,
  AssetLevel,
  AuditEntry,
  CredentialKind,
  DataType,
  Device,
  DeviceCredential,
  DeviceId,
  DeviceKind,
  DeviceProtocol,
  EquipmentAttributes,
  Page,
  PageQuery,
  Point,
  PointId,
  PointKind,
  Role,
  Tenant,
  TenantId,
  User,
  UserId,
} from '../../core/index.ts'

export interface NewTenant {
  readonly name: string
  readonly uscc: string
  readonly industryCode: string
  readonly regionCode: string
  readonly retentionDays?: number | null
}
export interface NewUser {
  readonly username: string
  readonly displayName?: string
  readonly role: Role
  readonly passwordHash: string
}
export interface NewAsset {
  readonly parentId?: AssetId | null
  readonly level: AssetLevel
  readonly name: string
  readonly code?: string | null
  readonly attributes?: EquipmentAttributes
}
export interface NewDevice {
  readonly name: string
  readonly key: string
  readonly kind: DeviceKind
  readonly protocol: DeviceProtocol
  readonly assetId?: AssetId | null
}
export interface NewPoint {
  readonly deviceId: DeviceId
  readonly assetId?: AssetId | null
  readonly name: string
  readonly key: string
  readonly unit?: string | null
  readonly dataType: DataType
  readonly kind: PointKind
  readonly description?: string | null
}
export interface NewCredential {
  readonly deviceId: DeviceId
  readonly kind: CredentialKind
  readonly username: string
  readonly secretHash: string
}
export interface NewAudit {
  readonly tenantId: TenantId | null
  readonly actor: string
  readonly action: string
  readonly target?: string | null
  readonly ip?: string | null
  readonly outcome: AuditEntry['outcome']
  readonly details?: unknown
}
export interface AuditQuery extends PageQuery {
  readonly actor?: string
  readonly action?: string
  readonly outcome?: AuditEntry['outcome']
  readonly from?: number
  readonly to?: number
}
export interface SessionRow {
  readonly tokenHash: string
  readonly userId: UserId
  readonly tenantId: TenantId | null
  readonly createdAt: number
  readonly expiresAt: number
}
export interface ApiKeyRow {
  readonly id: string
  readonly tenantId: TenantId | null
  readonly name: string
  readonly prefix: string
  readonly role: Role
  readonly createdBy: UserId
  readonly createdAt: number
  readonly lastUsedAt: number | null
  readonly revokedAt: number | null
}
export interface CredentialMatch {
  readonly credential: DeviceCredential
  readonly secretHash: string
  readonly device: Device
}

/** A scheduled energy report (report subscription): what is sent, how often and over which channel. */
export interface ReportSubscription {
  readonly id: string
  readonly tenantId: TenantId
  readonly name: string
  /** enterprise: the tenant's own report; region: a regional authority's report for `regionCode` */
  readonly scope: 'enterprise' | 'region'
  /** the GB/T 2260 region of a region report (the authority's own); null for enterprise reports */
  readonly regionCode: string | null
  readonly period: 'day' | 'month'
  readonly formats: readonly ('xlsx' | 'pdf')[]
  /** one of the tenant's notification channels (e-mail or webhook) */
  readonly channelId: string
  readonly enabled: boolean
  readonly createdBy: string
  readonly createdAt: number
  readonly updatedAt: number
}
export type NewReportSubscription = Omit<ReportSubscription, 'id' | 'tenantId' | 'createdAt' | 'updatedAt'>
export type ReportSubscriptionPatch = Partial<
  Pick<ReportSubscription, 'name' | 'enabled' | 'formats' | 'channelId'>
>

/**
 * One report of one period for one subscription. `sending` is held by the node that claimed the
 * attempt; a `sending` row that is not finished within the claim's lease counts as a failed attempt.
 */
export interface ReportDelivery {
  readonly subscriptionId: string
  /** 'YYYY-MM-DD' (day) or 'YYYY-MM' (month), Asia/Shanghai */
  readonly periodKey: string
  readonly status: 'sending' | 'sent' | 'failed'
  readonly attempts: number
  /** what went wrong last, without secrets (no URL query, no password) */
  readonly lastError: string | null
  readonly sentAt: number | null
  readonly updatedAt: number
}

/**
 * Metadata: tenants, users, sessions, API keys, ISA-95 assets, devices, credentials, points, audit.
 * Every method takes the tenant; methods that do not are platform-level and named `…ForPlatform`.
 * Ids not in the caller's tenant behave exactly like ids that do not exist (NOT_FOUND).
 */
export interface MetaStore {
  readonly capabilities: { readonly engine: 'sqlite' | 'postgres' }

  createTenantForPlatform(t: NewTenant): Promise<Tenant>
  listTenantsForPlatform(q?: PageQuery): Promise<Page<Tenant>>
  getTenant(tenant: TenantId): Promise<Tenant>
  updateTenant(tenant: TenantId, patch: Partial<NewTenant>): Promise<Tenant>

  createUser(tenant: TenantId | null, u: NewUser): Promise<User>
  /** login needs the hash; never returned by any other method */
  findUserForLoginForPlatform(username: string): Promise<{ user: User; passwordHash: string } | null>
  getUser(tenant: TenantId | null, id: UserId): Promise<User>
  listUsers(tenant: TenantId | null, q?: PageQuery): Promise<Page<User>>
  updateUser(
    tenant: TenantId | null,
    id: UserId,
    patch: {
      displayName?: string
      role?: Role
      disabled?: boolean
      passwordHash?: string
      lastLoginAt?: number
    },
  ): Promise<User>
  deleteUser(tenant: TenantId | null, id: UserId): Promise<void>

  createSession(s: SessionRow): Promise<void>
  findSessionForPlatform(tokenHash: string): Promise<SessionRow | null>
  deleteSessionForPlatform(tokenHash: string): Promise<void>
  deleteExpiredSessionsForPlatform(now: number): Promise<number>

  createApiKey(
    tenant: TenantId | null,
    k: Omit<ApiKeyRow, 'tenantId' | 'lastUsedAt' | 'revokedAt'>,
    keyHash: string,
  ): Promise<ApiKeyRow>
  findApiKeyForPlatform(keyHash: string): Promise<ApiKeyRow | null>
  listApiKeys(tenant: TenantId | null): Promise<readonly ApiKeyRow[]>
  revokeApiKey(tenant: TenantId | null, id: string, at: number): Promise<void>

  createAsset(tenant: TenantId, a: NewAsset): Promise<Asset>
  getAsset(tenant: TenantId, id: AssetId): Promise<Asset>
  listAssets(
    tenant: TenantId,
    q?: PageQuery & { parentId?: AssetId | null; level?: AssetLevel },
  ): Promise<Page<Asset>>
  updateAsset(tenant: TenantId, id: AssetId, patch: Partial<Omit<NewAsset, 'level'>>): Promise<Asset>
  deleteAsset(tenant: TenantId, id: AssetId): Promise<void>

  createDevice(tenant: TenantId, d: NewDevice): Promise<Device>
  getDevice(tenant: TenantId, id: DeviceId): Promise<Device>
  findDeviceByKey(tenant: TenantId, key: string): Promise<Device | null>
  listDevices(tenant: TenantId, q?: PageQuery & { online?: boolean }): Promise<Page<Device>>
  updateDevice(tenant: TenantId, id: DeviceId, patch: Partial<NewDevice>): Promise<Device>
  deleteDevice(tenant: TenantId, id: DeviceId): Promise<void>
  setDeviceOnline(tenant: TenantId, id: DeviceId, online: boolean, at: number): Promise<void>
  countDevices(tenant: TenantId): Promise<{ total: number; online: number }>

  createCredential(tenant: TenantId, c: NewCredential): Promise<DeviceCredential>
  listCredentials(tenant: TenantId, deviceId: DeviceId): Promise<readonly DeviceCredential[]>
  revokeCredential(tenant: TenantId, id: string, at: number): Promise<void>
  /** the MQTT front door looks a connecting device up by its username */
  findCredentialForPlatform(username: string): Promise<CredentialMatch | null>

  createPoints(tenant: TenantId, points: readonly NewPoint[]): Promise<readonly Point[]>
  getPoint(tenant: TenantId, id: PointId): Promise<Point>
  /** the points among `ids` that belong to the tenant (others are silently absent) */
  pointsByIds(tenant: TenantId, ids: readonly PointId[]): Promise<readonly Point[]>
  listPoints(
    tenant: TenantId,
    q?: PageQuery & { deviceId?: DeviceId; assetId?: AssetId },
  ): Promise<Page<Point>>
  /** every point of a device, keyed by its source binding (the ingest path caches this) */
  pointsOfDevice(tenant: TenantId, deviceId: DeviceId): Promise<readonly Point[]>
  updatePoint(
    tenant: TenantId,
    id: PointId,
    patch: Partial<Omit<NewPoint, 'deviceId' | 'key'>>,
  ): Promise<Point>
  deletePoint(tenant: TenantId, id: PointId): Promise<void>
  countPoints(tenant: TenantId): Promise<number>

  appendAudit(e: NewAudit, at: number): Promise<AuditEntry>
  listAudit(tenant: TenantId | null, q?: AuditQuery): Promise<Page<AuditEntry>>
  /** recomputes the hash chain; returns the first broken seq, or null when intact */
  verifyAuditChainForPlatform(): Promise<number | null>

  createReportSubscription(tenant: TenantId, s: NewReportSubscription): Promise<ReportSubscription>
  getReportSubscription(tenant: TenantId, id: string): Promise<ReportSubscription>
  listReportSubscriptions(tenant: TenantId): Promise<readonly ReportSubscription[]>
  updateReportSubscription(
    tenant: TenantId,
    id: string,
    patch: ReportSubscriptionPatch,
  ): Promise<ReportSubscription>
  /** also removes its deliveries */
  deleteReportSubscription(tenant: TenantId, id: string): Promise<void>
  /** the enabled subscriptions of every tenant: what the scheduler looks at */
  listEnabledReportSubscriptionsForPlatform(): Promise<readonly ReportSubscription[]>
  getReportDelivery(
    tenant: TenantId,
    subscriptionId: string,
    periodKey: string,
  ): Promise<ReportDelivery | null>
  /** newest first (by last change) */
  listReportDeliveries(
    tenant: TenantId,
    subscriptionId: string,
    limit?: number,
  ): Promise<readonly ReportDelivery[]>
  /** inserts or replaces the delivery of (subscription, period); NOT_FOUND for another tenant's subscription */
  putReportDelivery(tenant: TenantId, d: ReportDelivery): Promise<void>

  close(): Promise<void>
}
