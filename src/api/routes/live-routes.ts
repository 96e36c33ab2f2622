import type { FastifyInstance } from 'fastify'
import type { PointId, Sample, TenantId } from '../../core/index.ts'
import { isRongheError } from '../../core/index.ts'
import { SecurityErrors } from '../../security/security-errors.ts'
import { type ApiDeps, tenantOf } from '../context.ts'

/**
 * `GET /api/live?token=…` (WebSocket). The client sends `{"subscribe": ["pt_…", …]}` (replacing its
 * set); the server answers with the latest values, then streams `{"type":"samples","samples":[…]}`.
 * Browsers cannot set headers on a WebSocket, hence the token in the query (or `?tenant=` for a
 * platform admin).
 */
export function registerLiveRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/api/live', { websocket: true, schema: { tags: ['live'], hide: false } }, (socket, req) => {
    const q = req.query as { token?: string; tenant?: string }
    let tenant: TenantId | null = null
    let stopWatch: (() => void) | null = null
    let closed = false
    const send = (msg: unknown): void => {
      if (!closed && socket.readyState === 1) socket.send(JSON.stringify(msg))
    }
    const fail = (code: string, message: string): void => send({ type: 'error', error: { code, message } })

    const ready = (async () => {
      if (!q.token) throw SecurityErrors.invalidToken()
      req.principal = await deps.security.authenticate(q.token)
      if (q.tenant && !req.headers['x-ronghe-tenant']) req.headers['x-ronghe-tenant'] = q.tenant
      tenant = tenantOf(req, 'series:read')
      send({ type: 'ready' })
    })().catch((err) => {
      fail(
        isRongheError(err) ? err.code : 'INTERNAL',
        isRongheError(err) ? err.message : 'could not start the live stream',
      )
      socket.close(4401, 'unauthenticated')
    })

    socket.on('message', (raw: Buffer) => {
      void ready.then(async () => {
        if (!tenant || closed) return
        let msg: { subscribe?: unknown }
        try {
          msg = JSON.parse(raw.toString('utf8'))
        } catch {
          return fail('LIVE_BAD_MESSAGE', 'send JSON like {"subscribe": ["pt_…"]}')
        }
        if (
          !Array.isArray(msg.subscribe) ||
          msg.subscribe.length > 5000 ||
          !msg.subscribe.every((x) => typeof x === 'string')
        ) {
          return fail('LIVE_BAD_MESSAGE', '"subscribe" must be an array of at most 5000 point ids')
        }
        const ids = [...new Set(msg.subscribe as string[])] as PointId[]
        const owned = await deps.meta.pointsByIds(tenant, ids)
        if (owned.length !== ids.length) {
          const have = new Set(owned.map((p) => p.id))
          return fail('NOT_FOUND', `point ${ids.find((i) => !have.has(i))} does not exist`)
        }
        stopWatch?.()
        const set = new Set(ids)
        const t = tenant
        stopWatch = deps.live.watch(t, set, (samples: readonly Sample[]) =>
          send({ type: 'samples', samples }),
        )
        const live = deps.live.latest(t, ids)
        const missing = ids.filter((i) => !live.has(i))
        const stored = missing.length > 0 ? await deps.series.latest(t, missing) : new Map<PointId, Sample>()
        send({ type: 'samples', initial: true, samples: [...live.values(), ...stored.values()] })
      })
    })
    socket.on('close', () => {
      closed = true
      stopWatch?.()
    })
  })
}
