import type { FastifyInstance, FastifyRequest } from 'fastify'
import { CoreErrors, type DeviceId, type PointId, type TenantId } from '../../core/index.ts'
import { IngestErrors } from '../../ingest/ingest-errors.ts'
import { valuesOf } from '../../ingest/json-format.ts'
import { SecurityErrors } from '../../security/security-errors.ts'
import { type ApiDeps, tenantOf } from '../context.ts'
import { idParam } from '../schemas.ts'

const DAY = 86_400_000

const rangeQuery = {
  type: 'object',
  properties: {
    from: { type: 'integer', description: 'epoch ms, inclusive; default: to − 1 hour' },
    to: { type: 'integer', description: 'epoch ms, exclusive; default: now' },
    limit: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
  },
} as const

const bucketQuery = {
  type: 'object',
  properties: {
    from: { type: 'integer' },
    to: { type: 'integer' },
    bucketMs: { type: 'integer', minimum: 1 },
    targetPoints: { type: 'integer', minimum: 1, maximum: 100_000, default: 500 },
  },
} as const

function window(
  deps: ApiDeps,
  q: { from?: number; to?: number },
  defaultSpan = 3_600_000,
): { from: number; to: number } {
  const to = q.to ?? deps.clock.now() + 1
  const from = q.from ?? to - defaultSpan
  if (from >= to) throw CoreErrors.validation('"from" must be before "to"')
  if (to - from > 3660 * DAY) throw CoreErrors.validation('a query may span at most ten years')
  return { from, to }
}

async function ownedPoints(deps: ApiDeps, tenant: TenantId, ids: readonly string[]): Promise<PointId[]> {
  const unique = [...new Set(ids)] as PointId[]
  const found = await deps.meta.pointsByIds(tenant, unique)
  if (found.length !== unique.length) {
    const have = new Set(found.map((p) => p.id))
    const missing = unique.find((id) => !have.has(id)) as string
    throw CoreErrors.notFound('point', missing)
  }
  return unique
}

/** Time-series queries, CSV export and the HTTP ingest endpoint. */
export function registerSeriesRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/api/points/:id/series',
    {
      schema: {
        tags: ['series'],
        summary: 'Raw samples of one point',
        params: idParam,
        querystring: rangeQuery,
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'series:read')
      const point = (req.params as { id: PointId }).id
      await deps.meta.getPoint(tenant, point)
      const q = req.query as { from?: number; to?: number; limit?: number; order?: 'asc' | 'desc' }
      return deps.series.range(tenant, { point, ...window(deps, q), limit: q.limit, order: q.order })
    },
  )

  app.get(
    '/api/points/:id/buckets',
    {
      schema: {
        tags: ['series'],
        summary: 'Time-bucket aggregates of one point (min, max, avg, sum, count, first, last)',
        params: idParam,
        querystring: bucketQuery,
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'series:read')
      const point = (req.params as { id: PointId }).id
      await deps.meta.getPoint(tenant, point)
      const q = req.query as { from?: number; to?: number; bucketMs?: number; targetPoints?: number }
      return deps.series.buckets(tenant, {
        points: [point],
        ...window(deps, q, DAY),
        bucketMs: q.bucketMs,
        targetPoints: q.targetPoints,
      })
    },
  )

  app.post(
    '/api/series/buckets',
    {
      schema: {
        tags: ['series'],
        summary: 'Time-bucket aggregates of many points at once',
        body: {
          type: 'object',
          required: ['points'],
          additionalProperties: false,
          properties: {
            points: { type: 'array', minItems: 1, maxItems: 5000, items: { type: 'string' } },
            ...bucketQuery.properties,
          },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'series:read')
      const body = req.body as {
        points: string[]
        from?: number
        to?: number
        bucketMs?: number
        targetPoints?: number
      }
      const points = await ownedPoints(deps, tenant, body.points)
      return deps.series.buckets(tenant, {
        points,
        ...window(deps, body, DAY),
        bucketMs: body.bucketMs,
        targetPoints: body.targetPoints,
      })
    },
  )

  app.post(
    '/api/series/latest',
    {
      schema: {
        tags: ['series'],
        summary: 'The newest sample of each point',
        body: {
          type: 'object',
          required: ['points'],
          additionalProperties: false,
          properties: { points: { type: 'array', minItems: 1, maxItems: 5000, items: { type: 'string' } } },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'series:read')
      const points = await ownedPoints(deps, tenant, (req.body as { points: string[] }).points)
      const live = deps.live.latest(tenant, points)
      const missing = points.filter((p) => !live.has(p))
      const stored = missing.length > 0 ? await deps.series.latest(tenant, missing) : new Map()
      return {
        items: points.flatMap((p) => ((live.get(p) ?? stored.get(p)) ? [live.get(p) ?? stored.get(p)] : [])),
      }
    },
  )

  app.get(
    '/api/points/:id/export.csv',
    {
      schema: {
        tags: ['series'],
        summary: 'Raw samples as CSV (UTF-8 with BOM so Excel reads Chinese names)',
        params: idParam,
        querystring: rangeQuery,
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'series:read')
      const id = (req.params as { id: PointId }).id
      const point = await deps.meta.getPoint(tenant, id)
      const q = req.query as { from?: number; to?: number; limit?: number }
      const r = await deps.series.range(tenant, {
        point: id,
        ...window(deps, q, DAY),
        limit: q.limit ?? deps.series.capabilities.maxRange,
      })
      const esc = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
      const lines = ['\ufefftime,epoch_ms,value,text,quality']
      for (const s of r.samples)
        lines.push(
          `${new Date(s.ts).toISOString()},${s.ts},${s.value ?? ''},${esc(s.text ?? '')},${s.quality}`,
        )
      const name = encodeURIComponent(`${point.name}.csv`)
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename*=UTF-8''${name}`)
        .header('x-ronghe-truncated', String(r.truncated))
        .send(`${lines.join('\n')}\n`)
    },
  )

  app.post(
    '/api/ingest',
    {
      schema: {
        tags: ['ingest'],
        summary:
          'Send values over HTTP; answered after they are durable. Authenticate with a device token, or as a user with ?device=<id>.',
        querystring: { type: 'object', properties: { device: { type: 'string' } } },
        body: {},
      },
    },
    async (req, reply) => {
      const { tenant, device } = await ingestCaller(deps, req)
      const values = valuesOf(req.body, deps.clock.now())
      if (values.length === 0) throw IngestErrors.malformedPayload('no values in the document')
      const r = await deps.pipeline.write(tenant, device, values)
      return reply.code(r.accepted > 0 || r.rejected.length === 0 ? 200 : 422).send(r)
    },
  )
}

async function ingestCaller(
  deps: ApiDeps,
  req: FastifyRequest,
): Promise<{ tenant: TenantId; device: DeviceId }> {
  const header = req.headers.authorization
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : ''
  if (token.startsWith('tok_')) {
    const d = await deps.security.authenticateDeviceToken(token)
    if (!d) throw SecurityErrors.invalidToken()
    return d
  }
  if (!token) throw SecurityErrors.invalidToken()
  req.principal = await deps.security.authenticate(token)
  const tenant = tenantOf(req, 'series:write')
  const deviceId = (req.query as { device?: string }).device
  if (!deviceId) throw CoreErrors.validation('say which device the values come from: ?device=<id>')
  const device = await deps.meta.getDevice(tenant, deviceId as DeviceId)
  return { tenant, device: device.id }
}
