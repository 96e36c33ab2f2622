import type { FastifyInstance } from 'fastify'
import type { AssetId, DeviceId, PointId } from '../../core/index.ts'
import type { NewAsset, NewPoint } from '../../store/meta/index.ts'
import { type ApiDeps, auditOf, noContent, tenantOf } from '../context.ts'
import { dataTypeEnum, idParam, levelEnum, pageQuery, pointKindEnum } from '../schemas.ts'

const attributes = {
  type: 'object',
  properties: {
    kind: { type: 'string', maxLength: 64 },
    numericallyControlled: { type: 'boolean' },
    keyProcess: { type: 'boolean' },
    networked: { type: 'boolean' },
  },
} as const

/** The ISA-95 asset tree and the points (tags). */
export function registerAssetRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/api/assets',
    {
      schema: {
        tags: ['assets'],
        summary: 'Assets; `parentId=root` lists the top level',
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 1000 },
            parentId: { type: 'string' },
            level: levelEnum,
          },
        },
      },
    },
    async (req) => {
      const q = req.query as { parentId?: string; level?: NewAsset['level'] }
      const parentId =
        q.parentId === undefined ? undefined : q.parentId === 'root' ? null : (q.parentId as AssetId)
      return deps.meta.listAssets(tenantOf(req, 'asset:read'), { ...(req.query as object), parentId })
    },
  )
  app.post(
    '/api/assets',
    {
      schema: {
        tags: ['assets'],
        body: {
          type: 'object',
          required: ['level', 'name'],
          additionalProperties: false,
          properties: {
            parentId: { type: ['string', 'null'] },
            level: levelEnum,
            name: { type: 'string', minLength: 1, maxLength: 200 },
            code: { type: ['string', 'null'], maxLength: 64 },
            attributes,
          },
        },
      },
    },
    async (req, reply) => {
      const a = await deps.registry.createAsset(
        auditOf(req, deps),
        tenantOf(req, 'asset:write'),
        req.body as NewAsset,
      )
      return reply.code(201).send(a)
    },
  )
  app.get('/api/assets/:id', { schema: { tags: ['assets'], params: idParam } }, async (req) =>
    deps.meta.getAsset(tenantOf(req, 'asset:read'), (req.params as { id: AssetId }).id),
  )
  app.patch(
    '/api/assets/:id',
    {
      schema: {
        tags: ['assets'],
        params: idParam,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            parentId: { type: ['string', 'null'] },
            name: { type: 'string', minLength: 1, maxLength: 200 },
            code: { type: ['string', 'null'] },
            attributes,
          },
        },
      },
    },
    async (req) =>
      deps.registry.updateAsset(
        auditOf(req, deps),
        tenantOf(req, 'asset:write'),
        (req.params as { id: AssetId }).id,
        req.body as never,
      ),
  )
  app.delete('/api/assets/:id', { schema: { tags: ['assets'], params: idParam } }, async (req, reply) => {
    await deps.registry.deleteAsset(
      auditOf(req, deps),
      tenantOf(req, 'asset:write'),
      (req.params as { id: AssetId }).id,
    )
    return noContent(reply)
  })

  app.get(
    '/api/points',
    {
      schema: {
        tags: ['points'],
        querystring: {
          type: 'object',
          properties: { ...pageQuery, deviceId: { type: 'string' }, assetId: { type: 'string' } },
        },
      },
    },
    async (req) => deps.meta.listPoints(tenantOf(req, 'point:read'), req.query as never),
  )
  app.post(
    '/api/points',
    {
      schema: {
        tags: ['points'],
        body: {
          type: 'object',
          required: ['deviceId', 'name', 'key', 'dataType', 'kind'],
          additionalProperties: false,
          properties: {
            deviceId: { type: 'string' },
            assetId: { type: ['string', 'null'] },
            name: { type: 'string', minLength: 1, maxLength: 200 },
            key: { type: 'string', minLength: 1, maxLength: 256 },
            unit: { type: ['string', 'null'], maxLength: 32 },
            dataType: dataTypeEnum,
            kind: pointKindEnum,
            description: { type: ['string', 'null'], maxLength: 1000 },
          },
        },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'point:write')
      const body = req.body as NewPoint
      await deps.meta.getDevice(tenant, body.deviceId as DeviceId)
      const p = await deps.registry.createPoint(auditOf(req, deps), tenant, body)
      return reply.code(201).send(p)
    },
  )
  app.get('/api/points/:id', { schema: { tags: ['points'], params: idParam } }, async (req) =>
    deps.meta.getPoint(tenantOf(req, 'point:read'), (req.params as { id: PointId }).id),
  )
  app.patch(
    '/api/points/:id',
    {
      schema: {
        tags: ['points'],
        params: idParam,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            assetId: { type: ['string', 'null'] },
            name: { type: 'string', minLength: 1, maxLength: 200 },
            unit: { type: ['string', 'null'], maxLength: 32 },
            dataType: dataTypeEnum,
            kind: pointKindEnum,
            description: { type: ['string', 'null'], maxLength: 1000 },
          },
        },
      },
    },
    async (req) =>
      deps.registry.updatePoint(
        auditOf(req, deps),
        tenantOf(req, 'point:write'),
        (req.params as { id: PointId }).id,
        req.body as never,
      ),
  )
  app.delete('/api/points/:id', { schema: { tags: ['points'], params: idParam } }, async (req, reply) => {
    await deps.registry.deletePoint(
      auditOf(req, deps),
      tenantOf(req, 'point:write'),
      (req.params as { id: PointId }).id,
    )
    return noContent(reply)
  })
}
