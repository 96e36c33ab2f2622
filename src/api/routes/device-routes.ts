import type { FastifyInstance } from 'fastify'
import type { DeviceId } from '../../core/index.ts'
import { topicsFor } from '../../ingest/device-gateway.ts'
import type { NewDevice } from '../../store/meta/index.ts'
import { type ApiDeps, actorOf, auditOf, noContent, tenantOf } from '../context.ts'
import { idParam, pageQuery } from '../schemas.ts'

const deviceProps = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  key: { type: 'string', minLength: 1, maxLength: 64 },
  kind: { type: 'string', enum: ['gateway', 'machine'] },
  protocol: { type: 'string', enum: ['mqtt', 'sparkplug', 'opcua', 'modbus', 'http'] },
  assetId: { type: ['string', 'null'] },
} as const

/** Devices, their credentials, and the ready-to-copy connection settings. */
export function registerDeviceRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/api/devices',
    {
      schema: {
        tags: ['devices'],
        querystring: { type: 'object', properties: { ...pageQuery, online: { type: 'boolean' } } },
      },
    },
    async (req) => deps.meta.listDevices(tenantOf(req, 'device:read'), req.query as never),
  )
  app.post(
    '/api/devices',
    {
      schema: {
        tags: ['devices'],
        body: {
          type: 'object',
          required: ['name', 'key', 'kind', 'protocol'],
          additionalProperties: false,
          properties: deviceProps,
        },
      },
    },
    async (req, reply) => {
      const d = await deps.registry.createDevice(
        auditOf(req, deps),
        tenantOf(req, 'device:write'),
        req.body as NewDevice,
      )
      return reply.code(201).send(d)
    },
  )
  app.get('/api/devices/:id', { schema: { tags: ['devices'], params: idParam } }, async (req) =>
    deps.meta.getDevice(tenantOf(req, 'device:read'), (req.params as { id: DeviceId }).id),
  )
  app.patch(
    '/api/devices/:id',
    {
      schema: {
        tags: ['devices'],
        params: idParam,
        body: { type: 'object', additionalProperties: false, properties: deviceProps },
      },
    },
    async (req) =>
      deps.registry.updateDevice(
        auditOf(req, deps),
        tenantOf(req, 'device:write'),
        (req.params as { id: DeviceId }).id,
        req.body as never,
      ),
  )
  app.delete('/api/devices/:id', { schema: { tags: ['devices'], params: idParam } }, async (req, reply) => {
    const tenant = tenantOf(req, 'device:write')
    const id = (req.params as { id: DeviceId }).id
    await deps.registry.deleteDevice(auditOf(req, deps), tenant, id)
    deps.pipeline.invalidate(tenant, id)
    return noContent(reply)
  })

  app.get(
    '/api/devices/:id/credentials',
    { schema: { tags: ['devices'], params: idParam } },
    async (req) => ({
      items: await deps.meta.listCredentials(
        tenantOf(req, 'device:read'),
        (req.params as { id: DeviceId }).id,
      ),
    }),
  )
  app.post(
    '/api/devices/:id/credentials',
    {
      schema: {
        tags: ['devices'],
        summary:
          'Issue a credential (username + password, or a token); the secret is shown once. `rotate: true` revokes the others.',
        params: idParam,
        body: {
          type: 'object',
          required: ['kind'],
          additionalProperties: false,
          properties: {
            kind: { type: 'string', enum: ['password', 'token'] },
            rotate: { type: 'boolean', default: false },
          },
        },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'credential:write')
      const id = (req.params as { id: DeviceId }).id
      const body = req.body as { kind: 'password' | 'token'; rotate: boolean }
      const before = body.rotate ? await deps.meta.listCredentials(tenant, id) : []
      const issued = await deps.security.issueCredential(actorOf(req), tenant, id, body.kind)
      for (const c of before)
        if (c.revokedAt === null) await deps.security.revokeCredential(actorOf(req), tenant, c.id)
      return reply.code(201).send(issued)
    },
  )
  app.delete(
    '/api/devices/:id/credentials/:credentialId',
    {
      schema: {
        tags: ['devices'],
        params: {
          type: 'object',
          required: ['id', 'credentialId'],
          properties: { id: { type: 'string' }, credentialId: { type: 'string' } },
        },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'credential:write')
      const { id, credentialId } = req.params as { id: DeviceId; credentialId: string }
      const creds = await deps.meta.listCredentials(tenant, id)
      if (!creds.some((c) => c.id === credentialId)) {
        return reply
          .code(404)
          .send({ error: { code: 'NOT_FOUND', message: `credential ${credentialId} does not exist` } })
      }
      await deps.security.revokeCredential(actorOf(req), tenant, credentialId)
      return noContent(reply)
    },
  )

  app.get(
    '/api/devices/:id/connection',
    {
      schema: {
        tags: ['devices'],
        summary: 'How this device connects: MQTT and Sparkplug B settings and a mosquitto_pub example',
        params: idParam,
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'device:read')
      const d = await deps.meta.getDevice(tenant, (req.params as { id: DeviceId }).id)
      const c = deps.connectInfo()
      const t = topicsFor(tenant, d.key)
      return {
        mqtt: {
          host: c.mqttHost,
          port: c.mqttPort,
          protocolVersions: ['3.1.1', '5'],
          clientId: d.key,
          usernameHint: 'the username of a password credential, or any text with a token credential',
          dataTopic: t.data,
          statusTopic: t.status,
          errorsTopic: t.errors,
          commandTopic: t.cmd,
          payloadExample: { ts: deps.clock.now(), values: { temperature: 21.5, running: true } },
        },
        sparkplug: {
          groupId: t.sparkplugGroup,
          edgeNodeId: d.key,
          nbirthTopic: `spBv1.0/${t.sparkplugGroup}/NBIRTH/${d.key}`,
          ddataTopic: `spBv1.0/${t.sparkplugGroup}/DDATA/${d.key}/<device>`,
          ncmdTopic: `spBv1.0/${t.sparkplugGroup}/NCMD/${d.key}`,
          primaryHostId: 'ronghe',
        },
        http: { url: `${c.httpUrl}/api/ingest`, auth: 'Authorization: Bearer <device token>' },
        examples: {
          mosquittoPub: `mosquitto_pub -h ${c.mqttHost} -p ${c.mqttPort} -V mqttv5 -q 1 -i ${d.key} -u <username> -P <password> -t '${t.data}' -m '{"values":{"temperature":21.5}}'`,
          curl: `curl -X POST ${c.httpUrl}/api/ingest -H 'Authorization: Bearer <device token>' -H 'Content-Type: application/json' -d '{"values":{"temperature":21.5}}'`,
        },
      }
    },
  )
}
