import { existsSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize } from 'node:path'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import websocket from '@fastify/websocket'
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import { isRongheError } from '../core/index.ts'
import { createResolutionFastPath } from '../identifiers/index.ts'
import { SecurityErrors } from '../security/security-errors.ts'
import type { ApiDeps } from './context.ts'
import { registerAdapterRoutes } from './routes/adapter-routes.ts'
import { registerAdminRoutes } from './routes/admin-routes.ts'
import { registerAnalyticsRoutes } from './routes/analytics-routes.ts'
import { registerAssetRoutes } from './routes/asset-routes.ts'
import { registerAuthRoutes } from './routes/auth-routes.ts'
import { registerDowntimeRoutes } from './routes/downtime-routes.ts'
import { registerDeviceRoutes } from './routes/device-routes.ts'
import { registerIdentifierRoutes } from './routes/identifier-routes.ts'
import { registerLiveRoutes } from './routes/live-routes.ts'
import { registerPlanningRoutes } from './routes/planning-routes.ts'
import { registerReportSubscriptionRoutes } from './routes/report-subscription-routes.ts'
import { registerRulesRoutes } from './routes/rules-routes.ts'
import { registerSeriesRoutes } from './routes/series-routes.ts'

/** Routes that answer without a session. */
const PUBLIC = [
  /^\/api\/auth\/login$/,
  /^\/api\/health$/,
  /^\/api\/ingest$/,
  /^\/api\/live$/,
  /^\/api\/alarms\/live$/,
  /^\/docs/,
  // identifier resolution is public; writes on the same path authenticate in identifier-routes.ts
  /^\/api\/handles\/.+/,
]

/**
 * Builds the HTTP face: REST + WebSocket + OpenAPI, and the console's static files. Errors leave as
 * `{error: {code, message, details}}`; this is the only place that turns errors into HTTP responses.
 */
export async function createApiServer(
  deps: ApiDeps,
  options: { logger?: boolean } = {},
): Promise<FastifyInstance> {
  // the public resolution of a cached handle is answered before the framework (same bytes, a
  // fraction of the CPU); every other request, and every resolution it declines, goes to Fastify
  const fast = deps.identifiers ? createResolutionFastPath(deps.identifiers.resolver) : undefined
  const app = Fastify({
    ...(fast === undefined
      ? {}
      : {
          serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
            const server = createServer((req, res) => {
              if (!fast(req, res)) handler(req, res)
            })
            // Fastify's own default, which it does not apply to a server it did not make
            server.keepAliveTimeout = 72_000
            return server
          },
        }),
    logger: options.logger ?? false,
    bodyLimit: deps.bodyLimit,
    trustProxy: true,
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
  })
  app.decorateRequest('principal', null)
  // every route, so tests can prove each one that takes an id is tenant-scoped
  const routes: { method: string; url: string }[] = []
  app.decorate('rongheRoutes', routes)
  app.addHook('onRoute', (r) => {
    for (const m of ([] as string[]).concat(r.method))
      if (m !== 'HEAD') routes.push({ method: m, url: r.url })
  })

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Ronghe (融合) industrial internet platform API',
        version: '0.1.0',
        description:
          'Every route is scoped to the caller’s enterprise. Authenticate with `Authorization: Bearer <session token or API key>`. ' +
          'Platform admins choose an enterprise with the `X-Ronghe-Tenant` header.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearer: [] }],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })

  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    if (isRongheError(err)) {
      return reply.code(err.status).send({ error: err.toJSON() })
    }
    const fe = err as FastifyError
    if (fe.validation) {
      return reply.code(400).send({
        error: {
          code: 'VALIDATION_FAILED',
          message:
            `${fe.validationContext ?? 'request'} ${fe.validation[0]?.instancePath ?? ''} ${fe.validation[0]?.message ?? 'is invalid'}`
              .replace(/\s+/g, ' ')
              .trim(),
          details: fe.validation.map((v) => ({ path: v.instancePath, message: v.message, params: v.params })),
        },
      })
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({
        error: { code: 'REQUEST_TOO_LARGE', message: `the request body exceeds ${deps.bodyLimit} bytes` },
      })
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({
        error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send JSON with Content-Type: application/json' },
      })
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send({ error: { code: 'BAD_REQUEST', message: fe.message } })
    }
    req.log.error({ err }, 'unhandled error')
    return reply
      .code(500)
      .send({ error: { code: 'INTERNAL', message: 'an internal error occurred; it has been logged' } })
  })
  app.setNotFoundHandler((req, reply) => {
    if (!req.url.startsWith('/api/') && deps.webRoot) return serveConsole(deps.webRoot, req.url, reply)
    return reply.code(404).send({
      error: { code: 'ROUTE_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` },
    })
  })

  // Authentication: deny by default. Public routes are listed above; everything else under /api needs a principal.
  // a callback hook: public paths (resolution above all) pass without a promise and a microtask
  app.addHook('onRequest', (req, _reply, done) => {
    const path = req.url.split('?')[0] ?? ''
    if (!path.startsWith('/api/') || PUBLIC.some((re) => re.test(path))) return done()
    const header = req.headers.authorization
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined
    if (!token) return done(SecurityErrors.invalidToken())
    deps.security.authenticate(token).then(
      (p) => {
        req.principal = p
        done()
      },
      (err: Error) => done(err),
    )
  })

  app.get('/api/health', { schema: { tags: ['system'], security: [] } }, async () => {
    const rules = deps.rules?.stats()
    return {
      status: 'ok',
      ingest: deps.pipeline.stats(),
      ...(deps.mqttUpstream === undefined ? {} : { mqttUpstream: deps.mqttUpstream() }),
      // counts and partition numbers only (the route is public): which rule partitions this node
      // evaluates — in a cluster the nodes' lists are disjoint and together cover 0…total-1
      ...(rules === undefined
        ? {}
        : {
            rules: {
              samplesEvaluated: rules.samplesEvaluated,
              transitionConflicts: rules.transitionConflicts,
              partitions: rules.partitions,
            },
          }),
    }
  })

  registerAuthRoutes(app, deps)
  registerAdminRoutes(app, deps)
  registerAssetRoutes(app, deps)
  registerDeviceRoutes(app, deps)
  registerSeriesRoutes(app, deps)
  registerLiveRoutes(app, deps)
  registerIdentifierRoutes(app, deps)
  registerRulesRoutes(app, deps)
  registerAdapterRoutes(app, deps)
  registerAnalyticsRoutes(app, deps)
  if (deps.downtime) registerDowntimeRoutes(app, { ...deps, downtime: deps.downtime })
  if (deps.planning) registerPlanningRoutes(app, { ...deps, planning: deps.planning })
  if (deps.reportSubscriptions)
    registerReportSubscriptionRoutes(app, { ...deps, reportSubscriptions: deps.reportSubscriptions })
  return app
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
}

async function serveConsole(
  root: string,
  url: string,
  reply: import('fastify').FastifyReply,
): Promise<unknown> {
  const path = normalize(decodeURIComponent(url.split('?')[0] ?? '/')).replace(/^(\.\.[/\\])+/, '')
  let file = join(root, path)
  if (!file.startsWith(root) || !existsSync(file) || path.endsWith('/')) file = join(root, 'index.html')
  if (!existsSync(file)) {
    return reply
      .code(404)
      .type('text/plain; charset=utf-8')
      .send('The console has not been built: run npm run build.')
  }
  const body = await readFile(file)
  const immutable = file.includes(`${join(root, 'assets')}`)
  return reply
    .type(MIME[extname(file)] ?? 'application/octet-stream')
    .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .send(body)
}
