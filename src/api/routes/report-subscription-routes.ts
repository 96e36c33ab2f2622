import type { FastifyInstance } from 'fastify'
import { type NewSubscriptionInput, ReportErrors, type ReportSubscriptions } from '../../reports/index.ts'
import { type ApiDeps, auditOf, noContent, principalOf, tenantOf } from '../context.ts'

const tags = ['reports']
const idParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 80 } },
} as const

// Types only: allowed values are checked by the module, which answers with REPORT_* codes naming the field.
const createBody = {
  type: 'object',
  required: ['name', 'scope', 'period', 'formats', 'channelId'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 200 },
    scope: { type: 'string', description: 'enterprise | region (regional authorities only)' },
    period: { type: 'string', description: 'day | month' },
    formats: { type: 'array', items: { type: 'string' }, maxItems: 4, description: 'xlsx and/or pdf' },
    channelId: { type: 'string', maxLength: 80, description: 'an e-mail or webhook notification channel' },
    enabled: { type: 'boolean' },
    regionCode: {
      type: 'string',
      maxLength: 12,
      description: 'scope=region: the authority’s own GB/T 2260 region (the default)',
    },
  },
} as const
const patchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: { type: 'string', maxLength: 200 },
    enabled: { type: 'boolean' },
    formats: { type: 'array', items: { type: 'string' }, maxItems: 4 },
    channelId: { type: 'string', maxLength: 80 },
  },
} as const
const sendBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    period: {
      type: 'string',
      maxLength: 10,
      description: 'YYYY-MM-DD or YYYY-MM; default: the latest period due',
    },
  },
} as const

/**
 * Scheduled energy reports: `/api/report-subscriptions`. Scope follows the download route: a regional
 * authority has only region reports, everyone else only their enterprise's. Another tenant's
 * subscription is 404 (the store only looks inside the caller's tenant).
 */
export function registerReportSubscriptionRoutes(
  app: FastifyInstance,
  deps: ApiDeps & { reportSubscriptions: ReportSubscriptions },
): void {
  const svc = deps.reportSubscriptions

  app.get(
    '/api/report-subscriptions',
    {
      schema: {
        tags,
        summary: 'Scheduled energy reports of the caller’s tenant, each with its last delivery',
      },
    },
    async (req) => ({ items: await svc.list(tenantOf(req, 'report:read')) }),
  )
  app.get('/api/report-subscriptions/:id', { schema: { tags, params: idParam } }, async (req) =>
    svc.get(tenantOf(req, 'report:read'), (req.params as { id: string }).id),
  )
  app.post(
    '/api/report-subscriptions',
    {
      schema: {
        tags,
        summary:
          'Subscribe to the daily or monthly energy report (xlsx, pdf) over an e-mail or webhook notification channel',
        body: createBody,
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'report:write')
      const p = principalOf(req)
      const body = req.body as NewSubscriptionInput
      // the same rule as GET /api/reports/energy: who may read a report may subscribe to it
      if (body.scope === 'region' && p.role !== 'regional_authority')
        throw ReportErrors.scopeForbidden('region', p.role)
      if (body.scope === 'enterprise' && p.role === 'regional_authority')
        throw ReportErrors.scopeForbidden('enterprise', p.role)
      const s = await svc.create(tenant, body, p.username)
      await auditOf(req, deps)(tenant, 'report-subscription.create', s.id, 'ok', {
        scope: s.scope,
        period: s.period,
        channelId: s.channelId,
      })
      return reply.code(201).send(s)
    },
  )
  app.patch(
    '/api/report-subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'Enable, disable, rename, or change formats or channel',
        params: idParam,
        body: patchBody,
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'report:write')
      const id = (req.params as { id: string }).id
      const s = await svc.update(tenant, id, req.body as Parameters<ReportSubscriptions['update']>[2])
      await auditOf(req, deps)(tenant, 'report-subscription.update', id, 'ok', req.body)
      return s
    },
  )
  app.delete('/api/report-subscriptions/:id', { schema: { tags, params: idParam } }, async (req, reply) => {
    const tenant = tenantOf(req, 'report:write')
    const id = (req.params as { id: string }).id
    await svc.remove(tenant, id)
    await auditOf(req, deps)(tenant, 'report-subscription.delete', id, 'ok', undefined)
    return noContent(reply)
  })
  app.get(
    '/api/report-subscriptions/:id/deliveries',
    {
      schema: {
        tags,
        summary: 'What was sent for each period: status (sending, sent, failed), attempts, last error',
        params: idParam,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        },
      },
    },
    async (req) => ({
      items: await svc.deliveries(
        tenantOf(req, 'report:read'),
        (req.params as { id: string }).id,
        (req.query as { limit?: number }).limit,
      ),
    }),
  )
  app.post(
    '/api/report-subscriptions/:id/send',
    {
      schema: {
        tags,
        summary:
          'Send now: build and send the report of a period (default the latest due) — to test a subscription; recorded like a scheduled delivery',
        params: idParam,
        body: sendBody,
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'report:write')
      const id = (req.params as { id: string }).id
      const period = (req.body as { period?: string } | null)?.period
      const r = await svc.sendNow(tenant, id, period)
      await auditOf(req, deps)(
        tenant,
        'report-subscription.send',
        id,
        r.outcome === 'sent' ? 'ok' : 'failed',
        {
          period: r.delivery.periodKey,
        },
      )
      return r
    },
  )
}
