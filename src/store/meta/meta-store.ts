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

  close(): Promise<void>
}
