import type { AssetId, DataType, DeviceId, PointId, PointKind, TenantId, UserId } from './index.ts'

/** Roles, from most to least powerful within a tenant. The platform admin stands outside every tenant. */
export const ROLES = [
  'platform_admin',
  'enterprise_admin',
  'engineer',
  'operator',
  'viewer',
  // a government energy authority: its user belongs to an authority tenant whose regionCode is its jurisdiction
  'regional_authority',
] as const
export type Role = (typeof ROLES)[number]

/** A tenant is an enterprise (企业). */
export interface Tenant {
  readonly id: TenantId
  readonly name: string
  /** 统一社会信用代码, GB 32100-2015 */
  readonly uscc: string
  /** GB/T 4754 industry classification */
  readonly industryCode: string
  /** GB/T 2260 administrative division, e.g. 440600 Foshan */
  readonly regionCode: string
  readonly retentionDays: number | null
  readonly createdAt: number
}

export interface User {
  readonly id: UserId
  /** null for the platform admin */
  readonly tenantId: TenantId | null
  readonly username: string
  readonly displayName: string
  readonly role: Role
  readonly disabled: boolean
  readonly createdAt: number
  readonly lastLoginAt: number | null
}

/** ISA-95 equipment hierarchy levels. */
export const ASSET_LEVELS = ['site', 'area', 'line', 'cell', 'equipment'] as const
export type AssetLevel = (typeof ASSET_LEVELS)[number]

export interface EquipmentAttributes {
  /** e.g. cnc, injection_moulding, robot, conveyor, compressor, meter */
  readonly kind?: string
  /** 数控 — numerically controlled */
  readonly numericallyControlled?: boolean
  /** 关键工序 — key process */
  readonly keyProcess?: boolean
  /** 联网 — networked */
  readonly networked?: boolean
  readonly [extra: string]: unknown
}

export interface Asset {
  readonly id: AssetId
  readonly tenantId: TenantId
  readonly parentId: AssetId | null
  readonly level: AssetLevel
  readonly name: string
  readonly code: string | null
  readonly attributes: EquipmentAttributes
  readonly createdAt: number
}

export const DEVICE_KINDS = ['gateway', 'machine'] as const
export type DeviceKind = (typeof DEVICE_KINDS)[number]
export const DEVICE_PROTOCOLS = ['mqtt', 'sparkplug', 'opcua', 'modbus', 'http'] as const
export type DeviceProtocol = (typeof DEVICE_PROTOCOLS)[number]

/** A device is a connection: a gateway or a machine that talks to Ronghe. */
export interface Device {
  readonly id: DeviceId
  readonly tenantId: TenantId
  readonly assetId: AssetId | null
  readonly name: string
  /** unique within the tenant; the MQTT topic segment and Sparkplug edge node id */
  readonly key: string
  readonly kind: DeviceKind
  readonly protocol: DeviceProtocol
  readonly online: boolean
  readonly lastSeenAt: number | null
  readonly createdAt: number
}

export interface Point {
  readonly id: PointId
  readonly tenantId: TenantId
  readonly deviceId: DeviceId
  readonly assetId: AssetId | null
  readonly name: string
  /** source binding within the device: Sparkplug metric name, JSON key, OPC UA NodeId, register name */
  readonly key: string
  readonly unit: string | null
  readonly dataType: DataType
  readonly kind: PointKind
  readonly description: string | null
  readonly createdAt: number
}

export type CredentialKind = 'password' | 'token'

export interface DeviceCredential {
  readonly id: string
  readonly tenantId: TenantId
  readonly deviceId: DeviceId
  readonly kind: CredentialKind
  /** MQTT username; for a token credential the token's public prefix */
  readonly username: string
  readonly createdAt: number
  readonly revokedAt: number | null
}

export interface AuditEntry {
  readonly seq: number
  readonly tenantId: TenantId | null
  readonly actor: string
  readonly action: string
  readonly target: string | null
  readonly at: number
  readonly ip: string | null
  readonly outcome: 'ok' | 'denied' | 'failed'
  readonly details: unknown
  /** SHA-256 over the previous entry's hash and this entry: tampering breaks the chain */
  readonly hash: string
}

export interface Page<T> {
  readonly items: readonly T[]
  readonly total: number
}

export interface PageQuery {
  readonly limit?: number
  readonly offset?: number
  readonly sort?: string
  readonly order?: 'asc' | 'desc'
  readonly q?: string
}
