import type { FastifyReply, FastifyRequest } from 'fastify'
import { CoreErrors, type TenantId } from '../core/index.ts'
import type { Bus } from '../bus/index.ts'
import type { DowntimeReasonStore } from '../analytics/index.ts'
import type { IdentifierService } from '../identifiers/index.ts'
import type { AdapterManager } from '../ingest/adapter-manager.ts'
import type { IngestPipeline } from '../ingest/ingest-pipeline.ts'
import type { RulesService } from '../rules/index.ts'
import type { PlanningService } from '../scheduling/planning-service.ts'
import type { ReportSubscriptions } from '../reports/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import type { SeriesStore } from '../store/series/series-store.ts'
import type { Actor, Principal, SecurityService } from '../security/security-service.ts'
import { assertCan, type Permission } from '../security/rbac.ts'
import { SecurityErrors } from '../security/security-errors.ts'
import type { LiveValues } from '../twin/index.ts'
import type { AuditFn, RegistryService } from '../twin/registry-service.ts'

/** What the API's routes are given: modules and ports, never adapters. */
export interface ApiDeps {
  readonly meta: MetaStore
  readonly series: SeriesStore
  readonly bus: Bus
  readonly security: SecurityService
  readonly registry: RegistryService
  readonly pipeline: IngestPipeline
  readonly live: LiveValues
  readonly clock: { now(): number }
  /** how devices reach this node, for the device connection panel */
  readonly connectInfo: () => { mqttHost: string; mqttPort: number; httpUrl: string }
  readonly bodyLimit: number
  /** the built console's folder, served at `/` if present */
  readonly webRoot?: string
  /** identifier registry, resolver, EPCIS and trace; routes are not registered without it */
  readonly identifiers?: IdentifierService
  /** rules, alarms, notifications and work orders; routes are not registered without it */
  readonly rules?: RulesService
  /** OPC UA / Modbus adapters configured through the API; routes are not registered without it */
  readonly adapters?: AdapterManager
  /** products, orders and schedules (APS); routes are not registered without it */
  readonly planning?: PlanningService
  /** downtime reason catalogues and assignments; routes are not registered without it */
  readonly downtime?: DowntimeReasonStore
  /** scheduled energy reports; routes are not registered without it */
  readonly reportSubscriptions?: ReportSubscriptions
  /**
   * the external-broker front door's counters for /api/health (sessions connected and subscribed,
   * messages stored, refusals by code), when it is on
   */
  readonly mqttUpstream?: () => {
    connected: number
    subscribed: number
    sessions: number
    stored: number
    refused: Readonly<Record<string, number>>
    retried: number
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
  interface FastifyInstance {
    rongheRoutes: readonly { method: string; url: string }[]
  }
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw SecurityErrors.invalidToken()
  return req.principal
}

export function actorOf(req: FastifyRequest): Actor & { principal: Principal } {
  return { principal: principalOf(req), ip: req.ip }
}

/**
 * The tenant a request acts on. Enterprise users act on their own; a platform admin names one with
 * the `X-Ronghe-Tenant` header (the console's tenant switcher). Checks the permission too.
 */
export function tenantOf(req: FastifyRequest, permission: Permission): TenantId {
  const p = principalOf(req)
  assertCan(p.role, permission)
  if (p.tenant) return p.tenant
  const chosen = req.headers['x-ronghe-tenant']
  if (typeof chosen === 'string' && chosen.length > 0) return chosen as TenantId
  throw SecurityErrors.tenantRequired()
}

/** For routes a platform admin may call without a tenant (users and API keys of the platform itself). */
export function tenantOrPlatform(req: FastifyRequest, permission: Permission): TenantId | null {
  const p = principalOf(req)
  assertCan(p.role, permission)
  if (p.tenant) return p.tenant
  const chosen = req.headers['x-ronghe-tenant']
  return typeof chosen === 'string' && chosen.length > 0 ? (chosen as TenantId) : null
}

export function auditOf(req: FastifyRequest, deps: ApiDeps): AuditFn {
  const actor = actorOf(req)
  return (tenant, action, target, outcome, details) =>
    deps.security.audit(actor, tenant, action, target, outcome, details)
}

export function requirePlatformAdmin(req: FastifyRequest): void {
  const p = principalOf(req)
  if (p.role !== 'platform_admin') throw CoreErrors.forbidden('only the platform admin may do this')
}

export function noContent(reply: FastifyReply): FastifyReply {
  return reply.code(204).send()
}
