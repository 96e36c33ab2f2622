import type { FastifyInstance } from 'fastify'
import type { ApiDeps } from '../context.ts'
import { actorOf, principalOf } from '../context.ts'

export function registerAuthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post(
    '/api/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in with username and password; returns a session token',
        security: [],
        body: {
          type: 'object',
          required: ['username', 'password'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 100 },
            password: { type: 'string', minLength: 1, maxLength: 256 },
          },
        },
      },
    },
    async (req) => {
      const { username, password } = req.body as { username: string; password: string }
      const r = await deps.security.login(username, password, req.ip)
      return { token: r.token, expiresAt: r.expiresAt, user: r.user }
    },
  )
  app.post('/api/auth/logout', { schema: { tags: ['auth'] } }, async (req, reply) => {
    const token = (req.headers.authorization ?? '').slice(7).trim()
    await deps.security.logout(token, actorOf(req))
    return reply.code(204).send()
  })
  app.get(
    '/api/auth/me',
    { schema: { tags: ['auth'], summary: 'The caller and their enterprise' } },
    async (req) => {
      const p = principalOf(req)
      const tenant = p.tenant ? await deps.meta.getTenant(p.tenant) : null
      return { principal: p, tenant }
    },
  )
}
