/** Wire types of the Ronghe API, as the server's routes return them (src/core/model.ts, src/api/routes). */
export type Role =
  | 'platform_admin'
  | 'enterprise_admin'
  | 'engineer'
  | 'operator'
  | 'viewer'
  /** an authority user: sees regional rollups only (granted by the platform admin) */
  | 'regional_authority'
export const ROLES: readonly Role[] = ['platform_admin', 'enterprise_admin', 'engineer', 'operator', 'viewer']
export type Quality = 'good' | 'uncertain' | 'bad'
export type AssetLevel = 'site' | 'area' | 'line' | 'cell' | 'equipment'
export const ASSET_LEVELS: readonly AssetLevel[] = ['site', 'area', 'line', 'cell', 'equipment']
export type DeviceProtocol = 'mqtt' | 'sparkplug' | 'opcua' | 'modbus' | 'http'
export const DEVICE_PROTOCOLS: readonly DeviceProtocol[] = ['mqtt', 'sparkplug', 'opcua', 'modbus', 'http']
export type DeviceKind = 'gateway' | 'machine'

export interface Page<T> {
  readonly items: T[]
  readonly total: number
}
export interface PageQuery {
  limit?: number
  offset?: number
  sort?: string
  order?: 'asc' | 'desc'
  q?: string
}

export interface Tenant {
  id: string
  name: string
  uscc: string
  industryCode: string
  regionCode: string
  retentionDays: number | null
  createdAt: number
}
export interface User {
  id: string
  tenantId: string | null
  username: string
  displayName: string
  role: Role
  disabled: boolean
  createdAt: number
  lastLoginAt: number | null
}
export interface Principal {
  kind?: string
  userId?: string
  username?: string
  role: Role
  tenant: string | null
  [extra: string]: unknown
}
export interface LoginResult {
  token: string
  expiresAt: number
  user: User
}
export interface Me {
  principal: Principal
  tenant: Tenant | null
}
export interface Asset {
  id: string
  tenantId: string
  parentId: string | null
  level: AssetLevel
  name: string
  code: string | null
  attributes: Record<string, unknown>
  createdAt: number
}
export interface Device {
  id: string
  tenantId: string
  assetId: string | null
  name: string
  key: string
  kind: DeviceKind
  protocol: DeviceProtocol
  online: boolean
  lastSeenAt: number | null
  createdAt: number
}
export interface NewDevice {
  name: string
  key: string
  kind: DeviceKind
  protocol: DeviceProtocol
  assetId?: string | null
}
export interface Point {
  id: string
  tenantId: string
  deviceId: string
  assetId: string | null
  name: string
  key: string
  unit: string | null
  dataType: string
  kind: 'analog' | 'counter' | 'state' | 'text'
  description: string | null
  createdAt: number
}
export interface Credential {
  id: string
  deviceId: string
  kind: 'password' | 'token'
  username: string
  createdAt: number
  revokedAt: number | null
}
/** A freshly issued credential: the secret is shown once. */
export interface IssuedCredential {
  id?: string
  kind?: 'password' | 'token'
  username?: string
  password?: string
  token?: string
  [extra: string]: unknown
}
export interface Connection {
  mqtt: {
    host: string
    port: number
    protocolVersions: string[]
    clientId: string
    usernameHint: string
    dataTopic: string
    statusTopic: string
    errorsTopic: string
    commandTopic: string
    payloadExample: unknown
  }
  sparkplug: {
    groupId: string
    edgeNodeId: string
    nbirthTopic: string
    ddataTopic: string
    ncmdTopic: string
    primaryHostId: string
  }
  http: { url: string; auth: string }
  examples: { mosquittoPub: string; curl: string }
}
export interface Sample {
  point: string
  ts: number
  value: number | null
  text?: string | null
  quality: Quality
}
export interface SeriesResult {
  samples: Sample[]
  truncated: boolean
}
export interface BucketRow {
  point: string
  ts: number
  count: number
  min: number | null
  max: number | null
  avg: number | null
  sum: number | null
  first: number | null
  last: number | null
}
export interface BucketRows {
  bucketMs: number
  rows: BucketRow[]
}
export interface AuditEntry {
  seq: number
  tenantId: string | null
  actor: string
  action: string
  target: string | null
  at: number
  ip: string | null
  outcome: 'ok' | 'denied' | 'failed'
  details: unknown
  hash: string
}
export interface AuditQuery extends PageQuery {
  actor?: string
  action?: string
  outcome?: 'ok' | 'denied' | 'failed'
  from?: number
  to?: number
}
export interface Overview {
  devices: { total: number; online: number }
  points: number
  samplesToday: number
  activeAlarms: number | null
  energyTodayKwh: number | null
  at: number
}
