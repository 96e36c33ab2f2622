import type { FastifyInstance } from 'fastify'
import { createEnergyReports, localDate, referenceRollups } from '../../analytics/index.ts'
import type { Role, TenantId, UserId } from '../../core/index.ts'
import type { AuditQuery, NewTenant } from '../../store/meta/index.ts'
import {
  type ApiDeps,
  actorOf,
  auditOf,
  noContent,
  principalOf,
  requirePlatformAdmin,
  tenantOf,
  tenantOrPlatform,
} from '../context.ts'
import { idParam, pageQuery, roleEnum } from '../schemas.ts'

const tenantBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    uscc: { type: 'string', minLength: 18, maxLength: 18 },
    industryCode: { type: 'string', minLength: 1, maxLength: 5 },
    regionCode: { type: 'string', minLength: 6, maxLength: 6 },
    retentionDays: { type: ['integer', 'null'], minimum: 1, maximum: 36500 },
  },
} as const

/** Enterprises (tenants), users, API keys, the audit log and the overview. */
export function registerAdminRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const energy = createEnergyReports({
    meta: deps.meta,
    rollups: deps.series.rollups ?? referenceRollups(deps.series),
  })
  app.post(
    '/api/tenants',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Create an enterprise (platform admin)',
        body: { ...tenantBody, required: ['name', 'uscc', 'industryCode', 'regionCode'] },
      },
    },
    async (req, reply) => {
      requirePlatformAdmin(req)
      const t = await deps.registry.createTenant(auditOf(req, deps), req.body as NewTenant)
      return reply.code(201).send(t)
    },
  )
  app.get(
    '/api/tenants',
    { schema: { tags: ['tenants'], querystring: { type: 'object', properties: pageQuery } } },
    async (req) => {
      const p = principalOf(req)
      if (p.role === 'platform_admin') return deps.meta.listTenantsForPlatform(req.query as object)
      const t = await deps.meta.getTenant(p.tenant as TenantId)
      return { items: [t], total: 1 }
    },
  )
  app.get(
    '/api/tenant',
    { schema: { tags: ['tenants'], summary: 'The enterprise this request acts on' } },
    async (req) => deps.meta.getTenant(tenantOf(req, 'tenant:read')),
  )
  app.patch('/api/tenant', { schema: { tags: ['tenants'], body: tenantBody } }, async (req) => {
    const tenant = tenantOf(req, 'tenant:write')
    return deps.registry.updateTenant(auditOf(req, deps), tenant, req.body as Partial<NewTenant>)
  })

  app.get(
    '/api/users',
    { schema: { tags: ['users'], querystring: { type: 'object', properties: pageQuery } } },
    async (req) => deps.meta.listUsers(tenantOrPlatform(req, 'user:read'), req.query as object),
  )
  app.post(
    '/api/users',
    {
      schema: {
        tags: ['users'],
        body: {
          type: 'object',
          required: ['username', 'role', 'password'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', pattern: '^[A-Za-z0-9_.@-]{3,64}$' },
            displayName: { type: 'string', maxLength: 100 },
            role: roleEnum,
            password: { type: 'string', minLength: 1, maxLength: 256 },
          },
        },
      },
    },
    async (req, reply) => {
      const u = await deps.security.createUser(
        actorOf(req),
        tenantOrPlatform(req, 'user:write'),
        req.body as never,
      )
      return reply.code(201).send(u)
    },
  )
  app.get('/api/users/:id', { schema: { tags: ['users'], params: idParam } }, async (req) =>
    deps.meta.getUser(tenantOrPlatform(req, 'user:read'), (req.params as { id: UserId }).id),
  )
  app.patch(
    '/api/users/:id',
    {
      schema: {
        tags: ['users'],
        params: idParam,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            displayName: { type: 'string', maxLength: 100 },
            role: roleEnum,
            disabled: { type: 'boolean' },
            password: { type: 'string', maxLength: 256 },
          },
        },
      },
    },
    async (req) =>
      deps.security.updateUser(
        actorOf(req),
        tenantOrPlatform(req, 'user:write'),
        (req.params as { id: UserId }).id,
        req.body as never,
      ),
  )
  app.delete('/api/users/:id', { schema: { tags: ['users'], params: idParam } }, async (req, reply) => {
    await deps.security.deleteUser(
      actorOf(req),
      tenantOrPlatform(req, 'user:write'),
      (req.params as { id: UserId }).id,
    )
    return noContent(reply)
  })

  app.get('/api/api-keys', { schema: { tags: ['users'] } }, async (req) => ({
    items: await deps.meta.listApiKeys(tenantOrPlatform(req, 'apikey:write')),
  }))
  app.post(
    '/api/api-keys',
    {
      schema: {
        tags: ['users'],
        summary: 'Create an API key; the key is shown once',
        body: {
          type: 'object',
          required: ['name', 'role'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, role: roleEnum },
        },
      },
    },
    async (req, reply) => {
      const k = await deps.security.createApiKey(
        actorOf(req),
        tenantOrPlatform(req, 'apikey:write'),
        req.body as { name: string; role: Role },
      )
      return reply.code(201).send(k)
    },
  )
  app.delete('/api/api-keys/:id', { schema: { tags: ['users'], params: idParam } }, async (req, reply) => {
    await deps.security.revokeApiKey(
      actorOf(req),
      tenantOrPlatform(req, 'apikey:write'),
      (req.params as { id: string }).id,
    )
    return noContent(reply)
  })

  app.get(
    '/api/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'The append-only audit log: who did what, when, from where, with what outcome',
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            actor: { type: 'string', maxLength: 100 },
            action: { type: 'string', maxLength: 100 },
            outcome: { type: 'string', enum: ['ok', 'denied', 'failed'] },
            from: { type: 'integer' },
            to: { type: 'integer' },
          },
        },
      },
    },
    async (req) => deps.meta.listAudit(tenantOrPlatform(req, 'audit:read'), req.query as AuditQuery),
  )

  app.get(
    '/api/overview',
    { schema: { tags: ['overview'], summary: 'Figures for the enterprise overview page' } },
    async (req) => {
      const tenant = tenantOf(req, 'tenant:read')
      const now = deps.clock.now()
      const CST = 8 * 3_600_000 // China Standard Time, UTC+8
      const dayStart = Math.floor((now + CST) / 86_400_000) * 86_400_000 - CST
      const [devices, points, stats, today] = await Promise.all([
        deps.meta.countDevices(tenant),
        deps.meta.countPoints(tenant),
        deps.series.stats(tenant, { from: dayStart, to: now + 86_400_000 }),
        energy.enterprise(tenant, 'day', localDate(now)),
      ])
      return {
        devices,
        points,
        samplesToday: stats.samples,
        activeAlarms: deps.rules === undefined ? null : await deps.rules.activeAlarmCount(tenant),
        // electricity of today's report (China Standard Time); null when the enterprise has no meter
        energyTodayKwh: today.completeness === null ? null : today.total.electricityKWh,
        at: now,
      }
    },
  )
}
