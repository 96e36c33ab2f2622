import { CoreErrors, type Role } from '../core/index.ts'

/**
 * What each role may do. A permission is `area:verb`. Deny by default: anything not listed is refused.
 * Roles are cumulative: each includes the one below it.
 */
export type Permission =
  | 'tenant:read'
  | 'tenant:write'
  | 'tenant:create'
  | 'user:read'
  | 'user:write'
  | 'apikey:write'
  | 'asset:read'
  | 'asset:write'
  | 'device:read'
  | 'device:write'
  | 'credential:write'
  | 'point:read'
  | 'point:write'
  | 'series:read'
  | 'series:write'
  | 'audit:read'
  | 'identifier:read'
  | 'identifier:write'
  | 'rule:read'
  | 'rule:write'
  | 'alarm:read'
  | 'alarm:ack'
  | 'workorder:read'
  | 'workorder:write'
  | 'plan:read'
  | 'plan:write'
  | 'downtime:assign'
  | 'downtime:write'
  | 'report:read'
  | 'report:write'

const VIEWER: readonly Permission[] = [
  'tenant:read',
  'asset:read',
  'device:read',
  'point:read',
  'series:read',
  'identifier:read',
  'rule:read',
  'alarm:read',
  'workorder:read',
  'plan:read',
  'report:read',
]
// operators handle alarms (acknowledge, shelve) and maintenance work orders
// and give the stretches of loss time their downtime reasons
const OPERATOR: readonly Permission[] = [...VIEWER, 'alarm:ack', 'workorder:write', 'downtime:assign']
const ENGINEER: readonly Permission[] = [
  ...OPERATOR,
  'asset:write',
  'device:write',
  'point:write',
  'series:write',
  'credential:write',
  'identifier:write',
  'rule:write',
  'plan:write',
  'downtime:write',
  // report subscriptions send the enterprise's figures out over its notification channels
  'report:write',
]
const ENTERPRISE_ADMIN: readonly Permission[] = [
  ...ENGINEER,
  'tenant:write',
  'user:read',
  'user:write',
  'apikey:write',
  'audit:read',
]
const PLATFORM_ADMIN: readonly Permission[] = [...ENTERPRISE_ADMIN, 'tenant:create']

const GRANTS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(VIEWER),
  operator: new Set(OPERATOR),
  engineer: new Set(ENGINEER),
  enterprise_admin: new Set(ENTERPRISE_ADMIN),
  platform_admin: new Set(PLATFORM_ADMIN),
  // reads only its own (authority) tenant, which holds no plant data; enterprises' figures reach it
  // solely as rollups through /api/region/*, so their raw series and assets stay 404 to it
  regional_authority: new Set<Permission>([
    'tenant:read',
    'asset:read',
    'device:read',
    'point:read',
    'series:read',
    // its own region's scheduled reports (scope=region only; the routes refuse enterprise scope)
    'report:read',
    'report:write',
  ]),
}

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role]?.has(permission) ?? false
}

export function assertCan(role: Role, permission: Permission): void {
  if (!can(role, permission))
    throw CoreErrors.forbidden(`the ${role} role may not ${permission.replace(':', ' ')}`)
}

const RANK: Readonly<Record<Role, number>> = {
  viewer: 0,
  operator: 1,
  engineer: 2,
  enterprise_admin: 3,
  platform_admin: 4,
  regional_authority: 4,
}

/** A user may hand out only roles at or below their own, and only a platform admin makes platform admins. */
export function mayGrant(granter: Role, role: Role): boolean {
  return (
    RANK[role] <= RANK[granter] &&
    // an enterprise admin must not mint a user that sees its neighbours' rollups
    ((role !== 'platform_admin' && role !== 'regional_authority') || granter === 'platform_admin')
  )
}
