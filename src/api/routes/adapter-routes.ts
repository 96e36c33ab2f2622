import type { FastifyInstance } from 'fastify'
import type { DeviceId, TenantId } from '../../core/index.ts'
import { AdapterErrors } from '../../ingest/adapter-errors.ts'
import type { AdapterRecord, AdapterSettings } from '../../ingest/adapter-manager.ts'
import type { OpcuaIdentity } from '../../ingest/opcua/index.ts'
import { type ApiDeps, auditOf, noContent, tenantOf } from '../context.ts'

/** shown instead of a stored password; sending it back keeps the stored one */
const MASK = '********'

const deviceIdParam = {
  type: 'object',
  required: ['deviceId'],
  properties: { deviceId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const

const reconnect = {
  type: 'object',
  additionalProperties: false,
  properties: {
    initialMs: { type: 'integer', minimum: 10, maximum: 600_000 },
    maxMs: { type: 'integer', minimum: 10, maximum: 3_600_000 },
  },
} as const

const modbusSchema = {
  type: 'object',
  required: ['kind', 'host', 'groups'],
  additionalProperties: false,
  properties: {
    kind: { const: 'modbus' },
    host: { type: 'string', minLength: 1, maxLength: 253 },
    port: { type: 'integer', minimum: 1, maximum: 65_535 },
    unitId: { type: 'integer', minimum: 0, maximum: 255 },
    timeoutMs: { type: 'integer', minimum: 10, maximum: 60_000 },
    retries: { type: 'integer', minimum: 0, maximum: 10 },
    maxRegistersPerRequest: { type: 'integer', minimum: 1, maximum: 125 },
    maxGap: { type: 'integer', minimum: 0, maximum: 125 },
    reconnect,
    groups: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        required: ['name', 'intervalMs', 'points'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 100 },
          intervalMs: { type: 'integer', minimum: 10, maximum: 86_400_000 },
          points: {
            type: 'array',
            minItems: 1,
            maxItems: 5000,
            items: {
              type: 'object',
              required: ['key', 'table', 'address'],
              additionalProperties: false,
              properties: {
                key: { type: 'string', minLength: 1, maxLength: 200 },
                table: { type: 'string', enum: ['coil', 'discrete', 'holding', 'input'] },
                address: { type: 'integer', minimum: 0, maximum: 65_535 },
                type: {
                  type: 'string',
                  enum: ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'],
                },
                byteOrder: { type: 'string', enum: ['big', 'little'] },
                wordOrder: { type: 'string', enum: ['big', 'little'] },
                scale: { type: 'number' },
                offset: { type: 'number' },
              },
            },
          },
        },
      },
    },
  },
} as const

const connectionProps = {
  endpointUrl: { type: 'string', pattern: '^opc\\.tcp://[^\\s]+$', maxLength: 500 },
  securityMode: { type: 'string', enum: ['None', 'Sign', 'SignAndEncrypt'] },
  securityPolicy: { type: 'string', enum: ['None', 'Basic256Sha256'] },
  // a certificate identity through the API is the client's own application certificate: no server-side file paths
  identity: {
    type: 'object',
    required: ['type'],
    additionalProperties: false,
    properties: {
      type: { type: 'string', enum: ['anonymous', 'username', 'certificate'] },
      username: { type: 'string', minLength: 1, maxLength: 200 },
      password: { type: 'string', maxLength: 500 },
    },
  },
  trustUnknownServerCertificates: { type: 'boolean' },
  reconnect,
} as const

const opcuaSchema = {
  type: 'object',
  required: ['kind', 'endpointUrl', 'items'],
  additionalProperties: false,
  properties: {
    kind: { const: 'opcua' },
    ...connectionProps,
    samplingIntervalMs: { type: 'integer', minimum: 0, maximum: 3_600_000 },
    publishingIntervalMs: { type: 'integer', minimum: 10, maximum: 3_600_000 },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 5000,
      items: {
        type: 'object',
        required: ['nodeId'],
        additionalProperties: false,
        properties: {
          nodeId: { type: 'string', minLength: 1, maxLength: 500 },
          key: { type: 'string', minLength: 1, maxLength: 200 },
          samplingIntervalMs: { type: 'integer', minimum: 0, maximum: 3_600_000 },
          deadband: {
            type: 'object',
            required: ['type', 'value'],
            additionalProperties: false,
            properties: {
              type: { type: 'string', enum: ['absolute', 'percent'] },
              value: { type: 'number', minimum: 0 },
            },
          },
          queueSize: { type: 'integer', minimum: 1, maximum: 10_000 },
        },
      },
    },
  },
} as const

function identityOf(raw: unknown): OpcuaIdentity | undefined {
  if (raw === undefined) return undefined
  const i = raw as { type: string; username?: string; password?: string }
  if (i.type === 'username') {
    if (i.username === undefined) throw AdapterErrors.badConfig('identity.username is required')
    return { type: 'username', username: i.username, password: i.password ?? '' }
  }
  return i.type === 'certificate' ? { type: 'certificate' } : { type: 'anonymous' }
}

function masked(r: AdapterRecord): unknown {
  const s = r.settings
  const settings =
    s.kind === 'opcua' && s.identity?.type === 'username'
      ? { ...s, identity: { ...s.identity, password: MASK } }
      : s
  return { deviceId: r.device, settings, updatedAt: r.updatedAt }
}

/**
 * OPC UA and Modbus TCP adapters of a device, configured through the API; every route is scoped to the
 * caller's tenant (a device of another tenant is NOT_FOUND, as getDevice answers).
 */
export function registerAdapterRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const adapters = deps.adapters
  if (adapters === undefined) return

  async function deviceOf(tenant: TenantId, deviceId: string) {
    return deps.meta.getDevice(tenant, deviceId as DeviceId)
  }

  app.get(
    '/api/devices/:deviceId/adapter',
    { schema: { tags: ['adapters'], params: deviceIdParam } },
    async (req) => {
      const tenant = tenantOf(req, 'device:read')
      const d = await deviceOf(tenant, (req.params as { deviceId: string }).deviceId)
      const r = await adapters.get(tenant, d.id)
      if (r === null) throw AdapterErrors.notConfigured(d.key)
      return masked(r)
    },
  )
  app.put(
    '/api/devices/:deviceId/adapter',
    { schema: { tags: ['adapters'], params: deviceIdParam, body: { oneOf: [modbusSchema, opcuaSchema] } } },
    async (req) => {
      const tenant = tenantOf(req, 'device:write')
      const d = await deviceOf(tenant, (req.params as { deviceId: string }).deviceId)
      const body = req.body as AdapterSettings & { identity?: unknown }
      if (d.protocol !== body.kind) throw AdapterErrors.protocolMismatch(d.key, d.protocol, body.kind)
      let settings: AdapterSettings = body
      if (body.kind === 'opcua') {
        const identity = identityOf(body.identity)
        // the console shows the password masked; sending the mask back keeps the stored password
        const prev = (await adapters.get(tenant, d.id))?.settings
        const kept =
          identity?.type === 'username' &&
          identity.password === MASK &&
          prev?.kind === 'opcua' &&
          prev.identity?.type === 'username'
            ? { ...identity, password: prev.identity.password }
            : identity
        settings = { ...body, ...(kept === undefined ? {} : { identity: kept }) }
      }
      const r = await adapters.put(tenant, d.id, settings)
      await auditOf(req, deps)(tenant, 'adapter.configure', d.id, 'ok', { kind: settings.kind })
      return masked(r)
    },
  )
  app.delete(
    '/api/devices/:deviceId/adapter',
    { schema: { tags: ['adapters'], params: deviceIdParam } },
    async (req, reply) => {
      const tenant = tenantOf(req, 'device:write')
      const d = await deviceOf(tenant, (req.params as { deviceId: string }).deviceId)
      if (!(await adapters.remove(tenant, d.id))) throw AdapterErrors.notConfigured(d.key)
      await auditOf(req, deps)(tenant, 'adapter.remove', d.id, 'ok')
      return noContent(reply)
    },
  )
  app.get(
    '/api/devices/:deviceId/adapter/status',
    { schema: { tags: ['adapters'], params: deviceIdParam } },
    async (req) => {
      const tenant = tenantOf(req, 'device:read')
      const d = await deviceOf(tenant, (req.params as { deviceId: string }).deviceId)
      const h = await adapters.health(tenant, d.id)
      if (h === null) throw AdapterErrors.notConfigured(d.key)
      return { deviceId: d.id, ...h }
    },
  )
  app.post(
    '/api/adapters/opcua/browse',
    {
      schema: {
        tags: ['adapters'],
        body: {
          type: 'object',
          required: ['endpointUrl'],
          additionalProperties: false,
          properties: {
            ...connectionProps,
            root: { type: 'string', minLength: 1, maxLength: 500 },
            maxDepth: { type: 'integer', minimum: 1, maximum: 10 },
            maxNodes: { type: 'integer', minimum: 1, maximum: 20_000 },
          },
        },
      },
    },
    async (req) => {
      // browsing opens a connection from the platform: only those who may configure devices may do it
      tenantOf(req, 'device:write')
      const b = req.body as {
        endpointUrl: string
        securityMode?: 'None' | 'Sign' | 'SignAndEncrypt'
        securityPolicy?: 'None' | 'Basic256Sha256'
        identity?: unknown
        trustUnknownServerCertificates?: boolean
        root?: string
        maxDepth?: number
        maxNodes?: number
      }
      const identity = identityOf(b.identity)
      const tree = await adapters.browse(
        {
          endpointUrl: b.endpointUrl,
          ...(b.securityMode === undefined ? {} : { securityMode: b.securityMode }),
          ...(b.securityPolicy === undefined ? {} : { securityPolicy: b.securityPolicy }),
          ...(identity === undefined ? {} : { identity }),
          ...(b.trustUnknownServerCertificates === undefined
            ? {}
            : { trustUnknownServerCertificates: b.trustUnknownServerCertificates }),
          reconnect: { initialMs: 200, maxMs: 1000 },
        },
        {
          ...(b.root === undefined ? {} : { root: b.root }),
          maxDepth: b.maxDepth ?? 6,
          maxNodes: b.maxNodes ?? 5000,
        },
      )
      return { root: tree }
    },
  )
}
