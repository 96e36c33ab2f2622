import type { FastifyInstance } from 'fastify'
import type { DowntimeReasonStore } from '../../analytics/index.ts'
import type { AssetId } from '../../core/index.ts'
import { type ApiDeps, auditOf, principalOf, tenantOf } from '../context.ts'

const tags = ['analytics']
const label = {
  type: 'object',
  required: ['zh-CN', 'en'],
  additionalProperties: false,
  properties: {
    'zh-CN': { type: 'string', minLength: 1, maxLength: 50 },
    en: { type: 'string', minLength: 1, maxLength: 80 },
  },
}

/**
 * Downtime reason codes (停机原因): each enterprise's catalogue (built-in codes plus its own) and the
 * reasons operators assign to stretches of an equipment's loss time, which the OEE loss Pareto uses.
 */
export function registerDowntimeRoutes(
  app: FastifyInstance,
  deps: ApiDeps & { downtime: DowntimeReasonStore },
): void {
  const { downtime } = deps

  app.get(
    '/api/downtime-reasons',
    {
      schema: { tags, summary: 'The enterprise’s downtime reason catalogue (built-in codes, then its own)' },
    },
    async (req) => {
      const tenant = tenantOf(req, 'series:read')
      return { items: await downtime.reasons(tenant) }
    },
  )

  app.post(
    '/api/downtime-reasons',
    {
      schema: {
        tags,
        summary: 'Add a reason code to the enterprise’s catalogue',
        body: {
          type: 'object',
          required: ['code', 'label'],
          additionalProperties: false,
          properties: { code: { type: 'string', minLength: 1, maxLength: 32 }, label },
        },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'downtime:write')
      const body = req.body as { code: string; label: { 'zh-CN': string; en: string } }
      const r = await downtime.addReason(tenant, body)
      await auditOf(req, deps)(tenant, 'downtime.reason.create', r.code, 'ok', { label: r.label })
      return reply.code(201).send(r)
    },
  )

  app.get(
    '/api/downtime-assignments',
    {
      schema: {
        tags,
        summary: 'Reasons assigned to an equipment’s loss time that overlap [from, to)',
        querystring: {
          type: 'object',
          required: ['equipment', 'from', 'to'],
          properties: {
            equipment: { type: 'string', minLength: 1, maxLength: 64 },
            from: { type: 'integer' },
            to: { type: 'integer' },
          },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'series:read')
      const q = req.query as { equipment: string; from: number; to: number }
      await deps.meta.getAsset(tenant, q.equipment as AssetId)
      return { items: await downtime.assignments(tenant, q.equipment, q.from, q.to) }
    },
  )

  app.post(
    '/api/downtime-assignments',
    {
      schema: {
        tags,
        summary:
          'Assign a reason code to [start, end) of an equipment’s loss time (the same start replaces an earlier assignment)',
        body: {
          type: 'object',
          required: ['equipment', 'start', 'end', 'reason'],
          additionalProperties: false,
          properties: {
            equipment: { type: 'string', minLength: 1, maxLength: 64 },
            start: { type: 'integer' },
            end: { type: 'integer' },
            reason: { type: 'string', minLength: 1, maxLength: 32 },
          },
        },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'downtime:assign')
      const body = req.body as { equipment: string; start: number; end: number; reason: string }
      // 404 for an asset of another tenant, before anything is written
      await deps.meta.getAsset(tenant, body.equipment as AssetId)
      const a = await downtime.assign(
        tenant,
        { ...body, assignedBy: principalOf(req).username },
        deps.clock.now(),
      )
      await auditOf(req, deps)(tenant, 'downtime.assign', body.equipment, 'ok', {
        start: a.start,
        end: a.end,
        reason: a.reason,
      })
      return reply.code(201).send(a)
    },
  )
}
