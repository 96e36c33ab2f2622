import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isRongheError, type TenantId } from '../../core/index.ts'
import {
  BUILTIN_TEMPLATES,
  type DlLink,
  type HandleRecord,
  type HandleValueInput,
  handleFromPath,
  HOPS_HEADER,
  HandleResponseCode,
  httpStatusFor,
  type IdentifierService,
  IdentErrors,
  MAX_BULK,
  type MetadataTemplate,
  parseHandle,
  parseResolveQuery,
  type RegisterInput,
  resolutionBody,
  toJsonValue,
  type ValueFilter,
} from '../../identifiers/index.ts'
import { can } from '../../security/rbac.ts'
import { type ApiDeps, auditOf, requirePlatformAdmin, tenantOf } from '../context.ts'
import { registerIdentifierEpcisRoutes } from './identifier-epcis-routes.ts'
import { registerIdentifierPublicRoutes } from './identifier-public-routes.ts'

/**
 * The identifier node's HTTP face: Handle.Net-shaped resolution and writes at /api/handles/{handle},
 * prefixes / delegations / templates / bulk / generated identifiers / Digital Link links under
 * /api/identifiers, EPCIS 2.0 under /api/epcis, trace and the public pages (identifier-*-routes.ts).
 * Resolution is public (server.ts lists /api/handles/… as public); writes on the same path
 * authenticate here, since the server's hook lets the path through without a principal.
 */
export function registerIdentifierRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const ident = deps.identifiers
  if (ident === undefined) return
  registerHandleRoutes(app, deps, ident)
  registerRegistryRoutes(app, deps, ident)
  registerIdentifierEpcisRoutes(app, deps, ident)
  registerIdentifierPublicRoutes(app, deps, ident)
}

/**
 * Authenticate when a bearer token is present, on paths the server lets through as public. A callback
 * hook, so the anonymous request (every public resolution) passes without a promise and a microtask.
 */
export function optionalAuth(
  deps: ApiDeps,
): (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void {
  return function authenticateIfPresent(req, _reply, done): void {
    const header = req.headers.authorization
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined
    if (req.principal || !token) {
      done()
      return
    }
    deps.security.authenticate(token).then(
      (p) => {
        req.principal = p
        done()
      },
      (err: Error) => done(err),
    )
  }
}

export function pathOf(req: FastifyRequest): string {
  return req.url.split('?')[0] ?? ''
}

export function searchOf(req: FastifyRequest): URLSearchParams {
  const q = req.url.indexOf('?')
  return new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1))
}

/** The tenant the caller acts for when it has one (a platform admin names one with X-Ronghe-Tenant). */
function callerTenant(req: FastifyRequest): TenantId | null {
  const p = req.principal
  if (!p) return null
  if (p.tenant) return p.tenant
  const chosen = req.headers['x-ronghe-tenant']
  return typeof chosen === 'string' && chosen.length > 0 ? (chosen as TenantId) : null
}

/** Handle response code for a platform error on a write. */
function responseCodeFor(code: string): number {
  switch (code) {
    case 'IDENT_HANDLE_EXISTS':
      return HandleResponseCode.handleAlreadyExists
    case 'IDENT_HANDLE_NOT_FOUND':
      return HandleResponseCode.handleNotFound
    case 'IDENT_INVALID_HANDLE':
    case 'IDENT_INVALID_PREFIX':
      return HandleResponseCode.invalidHandle
    case 'IDENT_INVALID_VALUE':
    case 'IDENT_TEMPLATE_VIOLATION':
    case 'IDENT_UNKNOWN_TEMPLATE':
    case 'VALIDATION_FAILED':
      return HandleResponseCode.invalidValue
    case 'IDENT_PREFIX_NOT_HELD':
    case 'AUTH_FORBIDDEN':
    case 'TENANT_REQUIRED':
      return HandleResponseCode.insufficientPermissions
    case 'AUTH_INVALID_TOKEN':
      return HandleResponseCode.authenticationNeeded
    default:
      return HandleResponseCode.error
  }
}

/** Writes answer in the Handle shape and the platform's error shape at once. */
async function handleWrite(
  reply: FastifyReply,
  handle: string,
  work: () => Promise<{ status: number; body: Record<string, unknown> }>,
): Promise<FastifyReply> {
  try {
    const out = await work()
    return reply.code(out.status).send({ responseCode: 1, handle, ...out.body })
  } catch (err) {
    if (!isRongheError(err)) throw err
    const responseCode = responseCodeFor(err.code)
    return reply.code(err.status).send({ responseCode, handle, message: err.message, error: err.toJSON() })
  }
}

/** Handle.Net JSON values as written by clients: `data` may be a plain string (format string). */
export function valuesFromBody(raw: unknown): HandleValueInput[] {
  const list = Array.isArray(raw)
    ? raw
    : raw !== null && typeof raw === 'object' && Array.isArray((raw as { values?: unknown }).values)
      ? (raw as { values: unknown[] }).values
      : []
  return list.map((v) => {
    if (v === null || typeof v !== 'object') return v as HandleValueInput
    const o = v as Record<string, unknown>
    const data =
      typeof o['data'] === 'string'
        ? { format: 'string', value: o['data'] }
        : (o['data'] as HandleValueInput['data'])
    return {
      index: o['index'] as number,
      type: o['type'] as string,
      data,
      ...(o['ttl'] === undefined ? {} : { ttl: o['ttl'] as number }),
      ...(o['permissions'] === undefined
        ? {}
        : { permissions: o['permissions'] as HandleValueInput['permissions'] }),
      ...(o['refs'] === undefined ? {} : { refs: o['refs'] as HandleValueInput['refs'] }),
    }
  })
}

function registerInputFrom(handle: string, body: unknown): RegisterInput {
  const o = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<
    string,
    unknown
  >
  const template = o['template'] as RegisterInput['template'] | string | undefined
  return {
    handle,
    values: valuesFromBody(body),
    ...(template === undefined
      ? {}
      : { template: typeof template === 'string' ? { id: template } : template }),
    ...(o['fields'] === undefined ? {} : { fields: o['fields'] as Record<string, unknown> }),
    ...(o['ttl'] === undefined ? {} : { ttl: o['ttl'] as number }),
  }
}

function indexesOf(params: URLSearchParams): number[] | { error: string } {
  const out: number[] = []
  for (const i of params.getAll('index'))
    for (const x of i.split(',')) {
      if (!/^\d{1,10}$/.test(x)) return { error: `index "${x}" is not a number` }
      out.push(Number(x))
    }
  return out
}

function recordJson(r: HandleRecord): Record<string, unknown> {
  return {
    handle: r.handle,
    prefix: r.prefix,
    values: r.values.map((v) => ({ ...toJsonValue(v), permissions: v.permissions })),
    ...(r.template === undefined ? {} : { template: r.template }),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  }
}

function isUnfiltered(f: ValueFilter): boolean {
  return (f.types?.length ?? 0) === 0 && (f.indexes?.length ?? 0) === 0
}

function registerHandleRoutes(app: FastifyInstance, deps: ApiDeps, ident: IdentifierService): void {
  const onRequest = optionalAuth(deps)
  const handleParam = {
    tags: ['identifiers'],
    params: { type: 'object', properties: { '*': { type: 'string' } } },
  }

  app.get(
    '/api/handles/*',
    {
      onRequest,
      schema: {
        ...handleParam,
        summary: 'Resolve a handle (Handle.Net JSON shape; public values unless the owner asks)',
        security: [],
      },
    },
    async (req, reply) => {
      const handle = handleFromPath(pathOf(req))
      if (handle === null)
        return reply
          .code(400)
          .send({ responseCode: HandleResponseCode.invalidHandle, message: 'no handle in the path' })
      const params = searchOf(req)
      const q = parseResolveQuery(params)
      if ('error' in q)
        return reply.code(400).send({ responseCode: HandleResponseCode.error, handle, message: q.error })
      // the owner (the tenant homing the prefix) reads every value unless it asks for publicOnly=true
      let owner = false
      const tenant = callerTenant(req)
      if (tenant !== null && req.principal && can(req.principal.role, 'identifier:read')) {
        try {
          const homed = await ident.store.findHomedPrefixForPlatform(parseHandle(handle).prefix)
          owner = homed !== null && homed.tenant === tenant
        } catch {
          owner = false
        }
      }
      const explicitPublic = params.has('publicOnly')
      if (explicitPublic && !q.publicOnly && !owner) {
        const authed = req.principal !== null
        return reply.code(authed ? 403 : 401).send({
          responseCode: authed
            ? HandleResponseCode.insufficientPermissions
            : HandleResponseCode.authenticationNeeded,
          handle,
          message: authed ? 'Insufficient Permissions' : 'Authentication Needed',
        })
      }
      const hopsRaw = req.headers[HOPS_HEADER]
      const hops = typeof hopsRaw === 'string' && /^\d{1,3}$/.test(hopsRaw) ? Number(hopsRaw) : 0
      const r = await ident.resolver.resolve(handle, {
        filter: q.filter,
        auth: q.auth,
        publicOnly: owner ? (explicitPublic ? q.publicOnly : false) : true,
        hops,
      })
      let status = httpStatusFor(r.responseCode, 'resolve')
      // an upstream that failed with nothing stale to give: the gateway's failure, not ours
      if (r.responseCode === HandleResponseCode.error && r.upstream !== undefined) status = 502
      if (r.source === 'stale') reply.header('warning', '110 - "Response is Stale"')
      reply.header('x-ronghe-resolution-source', r.source)
      if (r.upstream !== undefined) reply.header('x-ronghe-resolved-by', r.upstream)
      // the common public read of a cached handle: serialise its body once per cache entry
      if (r.cacheEntry !== undefined && status === 200 && !owner && isUnfiltered(q.filter)) {
        r.cacheEntry.publicJson ??= JSON.stringify(resolutionBody(r))
        return reply.code(200).type('application/json; charset=utf-8').send(r.cacheEntry.publicJson)
      }
      return reply.code(status).send(resolutionBody(r))
    },
  )

  app.put(
    '/api/handles/*',
    {
      onRequest,
      schema: { ...handleParam, summary: 'Create or replace a handle; `?index=` updates only those values' },
    },
    async (req, reply) => {
      const raw = handleFromPath(pathOf(req)) ?? ''
      return handleWrite(reply, raw, async () => {
        const tenant = tenantOf(req, 'identifier:write')
        const handle = parseHandle(raw).handle
        const params = searchOf(req)
        const audit = auditOf(req, deps)
        const indexes = indexesOf(params)
        if ('error' in indexes) throw IdentErrors.invalidValue(indexes.error)
        if (indexes.length > 0) {
          const values = valuesFromBody(req.body).filter((v) => indexes.includes(v.index))
          if (values.length === 0)
            throw IdentErrors.invalidValue('no values with the given index= in the body')
          await ident.registry.putValues(tenant, handle, values)
          await audit(tenant, 'handle.update', handle, 'ok', { indexes })
          return { status: 200, body: {} }
        }
        const existed = (await ident.registry.get(tenant, handle)) !== null
        const overwrite = params.get('overwrite') !== 'false'
        if (existed && !overwrite) throw IdentErrors.handleExists(handle)
        await ident.registry.register(tenant, registerInputFrom(handle, req.body), { overwrite: true })
        await audit(tenant, existed ? 'handle.replace' : 'handle.create', handle, 'ok')
        return { status: existed ? 200 : 201, body: {} }
      })
    },
  )

  app.delete(
    '/api/handles/*',
    { onRequest, schema: { ...handleParam, summary: 'Delete a handle, or only its values with `?index=`' } },
    async (req, reply) => {
      const raw = handleFromPath(pathOf(req)) ?? ''
      return handleWrite(reply, raw, async () => {
        const tenant = tenantOf(req, 'identifier:write')
        const handle = parseHandle(raw).handle
        const indexes = indexesOf(searchOf(req))
        if ('error' in indexes) throw IdentErrors.invalidValue(indexes.error)
        const audit = auditOf(req, deps)
        if (indexes.length > 0) {
          await ident.registry.removeValues(tenant, handle, indexes)
          await audit(tenant, 'handle.values.delete', handle, 'ok', { indexes })
          return { status: 200, body: {} }
        }
        if (!(await ident.registry.remove(tenant, handle))) throw IdentErrors.handleNotFound(handle)
        await audit(tenant, 'handle.delete', handle, 'ok')
        return { status: 200, body: {} }
      })
    },
  )

  app.post(
    '/api/handles',
    {
      schema: {
        tags: ['identifiers'],
        summary: 'Register a new handle (409 if it exists)',
        body: {
          type: 'object',
          required: ['handle'],
          properties: { handle: { type: 'string', maxLength: 600 } },
        },
      },
    },
    async (req, reply) => {
      const raw = (req.body as { handle: string }).handle
      return handleWrite(reply, raw, async () => {
        const tenant = tenantOf(req, 'identifier:write')
        const rec = await ident.registry.register(tenant, registerInputFrom(raw, req.body), {
          overwrite: false,
        })
        await auditOf(req, deps)(tenant, 'handle.create', rec.handle, 'ok')
        return { status: 201, body: { handle: rec.handle } }
      })
    },
  )

  app.get(
    '/api/handles',
    {
      schema: {
        tags: ['identifiers'],
        summary: 'Handles of this enterprise under a prefix (keyset pages by `after`)',
        querystring: {
          type: 'object',
          properties: {
            prefix: { type: 'string', maxLength: 300 },
            after: { type: 'string', maxLength: 600 },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'identifier:read')
      const q = req.query as { prefix?: string; after?: string; limit: number }
      const prefixes = await ident.store.listPrefixes(tenant)
      const prefix = q.prefix ?? prefixes[0]?.prefix
      if (prefix === undefined) return { items: [] }
      const rows = await ident.store.listHandles(tenant, {
        prefix: prefix.toLowerCase(),
        limit: q.limit,
        ...(q.after === undefined ? {} : { after: q.after }),
      })
      const last = rows[rows.length - 1]
      return {
        items: rows.map(recordJson),
        ...(rows.length === q.limit && last !== undefined ? { next: last.handle } : {}),
      }
    },
  )
}

function registerRegistryRoutes(app: FastifyInstance, deps: ApiDeps, ident: IdentifierService): void {
  const tags = ['identifiers']

  app.get('/api/identifiers/node', { schema: { tags, summary: 'This identifier node' } }, async (req) => {
    tenantOf(req, 'identifier:read')
    const n = ident.node
    return {
      role: n.role,
      prefix: n.prefix ?? null,
      upstreamUrl: n.upstreamUrl ?? null,
      publicBaseUrl: n.publicBaseUrl ?? null,
      recursive: n.recursive ?? true,
      resolver: ident.resolver.stats(),
    }
  })

  app.get('/api/identifiers/prefixes', { schema: { tags } }, async (req) => ({
    items: await ident.store.listPrefixes(tenantOf(req, 'identifier:read')),
  }))

  app.post(
    '/api/identifiers/prefixes',
    {
      schema: {
        tags,
        summary: 'Platform admin: give the enterprise (X-Ronghe-Tenant) a prefix under the node prefix',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { prefix: { type: 'string', minLength: 1, maxLength: 300 } },
        },
      },
    },
    async (req, reply) => {
      requirePlatformAdmin(req)
      const tenant = tenantOf(req, 'identifier:write')
      const rec = await ident.assignPrefix(tenant, (req.body as { prefix?: string } | undefined)?.prefix)
      await auditOf(req, deps)(tenant, 'prefix.assign', rec.prefix, 'ok')
      return reply.code(201).send(rec)
    },
  )

  app.delete(
    '/api/identifiers/prefixes/:prefix',
    { schema: { tags, params: { type: 'object', properties: { prefix: { type: 'string' } } } } },
    async (req, reply) => {
      requirePlatformAdmin(req)
      const tenant = tenantOf(req, 'identifier:write')
      const prefix = (req.params as { prefix: string }).prefix.toLowerCase()
      if (!(await ident.store.unhomePrefix(tenant, prefix))) throw IdentErrors.prefixNotHeld(prefix)
      await auditOf(req, deps)(tenant, 'prefix.unassign', prefix, 'ok')
      return reply.code(204).send()
    },
  )

  app.post(
    '/api/identifiers/delegations',
    {
      schema: {
        tags,
        summary: 'Point a child prefix of one you hold at the node that serves it (0.NA/{prefix})',
        body: {
          type: 'object',
          required: ['prefix', 'baseUrl'],
          additionalProperties: false,
          properties: {
            prefix: { type: 'string', minLength: 1, maxLength: 300 },
            baseUrl: { type: 'string', pattern: '^https?://', maxLength: 500 },
            ttl: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'identifier:write')
      const b = req.body as { prefix: string; baseUrl: string; ttl?: number }
      const rec = await ident.registry.delegatePrefix(tenant, b.prefix, {
        baseUrl: b.baseUrl.replace(/\/+$/, ''),
        ...(b.ttl === undefined ? {} : { ttl: b.ttl }),
      })
      await auditOf(req, deps)(tenant, 'prefix.delegate', rec.handle, 'ok', { baseUrl: b.baseUrl })
      return reply.code(201).send(recordJson(rec))
    },
  )

  app.get('/api/identifiers/templates', { schema: { tags } }, async (req) => {
    const own = await ident.store.listTemplates(tenantOf(req, 'identifier:read'))
    return { items: [...BUILTIN_TEMPLATES.map((t) => ({ ...t, builtin: true })), ...own] }
  })

  app.get(
    '/api/identifiers/templates/:template',
    {
      schema: {
        tags,
        params: { type: 'object', properties: { template: { type: 'string' } } },
        querystring: { type: 'object', properties: { version: { type: 'integer', minimum: 1 } } },
      },
    },
    async (req) => {
      // template ids are names within the tenant's own scope (plus the built-ins), not global ids
      const id = (req.params as { template: string }).template
      const { version } = req.query as { version?: number }
      const t = await ident.registry.getTemplate(tenantOf(req, 'identifier:read'), id, version)
      if (t === null) throw IdentErrors.unknownTemplate(id, version)
      return t
    },
  )

  app.put(
    '/api/identifiers/templates/:template',
    {
      schema: {
        tags,
        summary: 'Define a metadata template version (fields validated on every write)',
        params: { type: 'object', properties: { template: { type: 'string' } } },
        body: { type: 'object', required: ['version', 'category', 'fields'] },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'identifier:write')
      const t = { ...(req.body as MetadataTemplate), id: (req.params as { template: string }).template }
      await ident.registry.putTemplate(tenant, t)
      await auditOf(req, deps)(tenant, 'template.put', `${t.id}@${t.version}`, 'ok')
      return reply.code(201).send(t)
    },
  )

  app.post(
    '/api/identifiers/bulk',
    {
      schema: {
        tags,
        summary: `Register up to ${MAX_BULK} handles; per-item results`,
        body: {
          type: 'object',
          required: ['items'],
          properties: { items: { type: 'array', maxItems: MAX_BULK }, overwrite: { type: 'boolean' } },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'identifier:write')
      const b = req.body as { items: unknown[]; overwrite?: boolean }
      const inputs = b.items.map((it) => {
        const o = (it ?? {}) as Record<string, unknown>
        return registerInputFrom(typeof o['handle'] === 'string' ? o['handle'] : '', it)
      })
      const result = await ident.registry.registerBulk(tenant, inputs, { overwrite: b.overwrite ?? false })
      await auditOf(req, deps)(tenant, 'handle.bulk', null, 'ok', {
        accepted: result.accepted,
        rejected: result.rejected,
      })
      return result
    },
  )

  app.post(
    '/api/identifiers/generate',
    {
      schema: {
        tags,
        summary:
          'Identifiers for produced parts / batches from a pattern such as {prefix}/{line}-{yyyymmdd}-{seq:4}',
        body: {
          type: 'object',
          required: ['pattern'],
          properties: {
            pattern: { type: 'string', minLength: 3, maxLength: 300 },
            count: { type: 'integer', minimum: 1, maximum: MAX_BULK, default: 1 },
            vars: { type: 'object', additionalProperties: { type: 'string' } },
            register: { type: 'boolean', default: true },
          },
        },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'identifier:write')
      const b = req.body as {
        pattern: string
        count: number
        vars?: Record<string, string>
        register: boolean
      }
      const vars = { ...b.vars }
      if (vars['prefix'] === undefined && b.pattern.includes('{prefix}')) {
        const first = (await ident.store.listPrefixes(tenant))[0]
        if (first === undefined) throw IdentErrors.prefixNotHeld('(none)')
        vars['prefix'] = first.prefix
      }
      const handles = await ident.generator.next(tenant, b.pattern, vars, b.count)
      if (!b.register) return reply.code(200).send({ handles })
      const result = await ident.registry.registerBulk(
        tenant,
        handles.map((h) => registerInputFrom(h, req.body)),
      )
      await auditOf(req, deps)(tenant, 'handle.generate', b.pattern, 'ok', {
        count: handles.length,
        accepted: result.accepted,
      })
      return reply.code(201).send({ handles, result })
    },
  )

  app.get(
    '/api/identifiers/links',
    { schema: { tags, summary: 'Digital Link links of this enterprise' } },
    async (req) => ({
      items: await ident.links.list(tenantOf(req, 'identifier:read')),
    }),
  )

  app.put(
    '/api/identifiers/links',
    {
      schema: {
        tags,
        summary: 'Set the Digital Link links of a key path (/01/{gtin}[/10/{lot}…]); [] removes them',
        body: {
          type: 'object',
          required: ['keyPath', 'links'],
          properties: {
            keyPath: { type: 'string', maxLength: 300 },
            links: { type: 'array', maxItems: 100 },
          },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'identifier:write')
      const b = req.body as { keyPath: string; links: DlLink[] }
      const keyPath = await ident.links.put(tenant, b.keyPath, b.links)
      await auditOf(req, deps)(tenant, 'dl.links.put', keyPath, 'ok', { links: b.links.length })
      return { keyPath, links: await ident.links.linksFor(keyPath) }
    },
  )
}
