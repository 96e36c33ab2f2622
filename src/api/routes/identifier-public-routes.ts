import type { FastifyInstance, FastifyRequest } from 'fastify'
import {
  createDigitalLinkResolver,
  type HandleValue,
  type IdentifierService,
  PRIMARY_KEYS,
  qrSvg,
  renderTracePage,
  type TraceDirection,
  type TraceResult,
  traceProduct,
  tryParseHandle,
} from '../../identifiers/index.ts'
import { type ApiDeps, tenantOf } from '../context.ts'
import { pathOf } from './identifier-routes.ts'

/**
 * Faces of the identifiers that the public and partners reach: the GS1 Digital Link resolver at the
 * root (`/01/{gtin}…`, CORS, 307 or linkset), the authenticated trace at /api/trace/{id}, and the
 * no-login trace page at /t/{id} with its QR code at /t/{id}/qr.svg.
 */

/** Path segments of an identifier, encoded so a handle's `/` stays a separator and EPC colons stay readable. */
export function identifierPath(id: string): string {
  return id
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/%3A/gi, ':'))
    .join('/')
}

function decodePath(rest: string): string | null {
  try {
    return rest.split('/').map(decodeURIComponent).join('/')
  } catch {
    return null
  }
}

/**
 * Where a trace starts for an identifier: a URI (EPC URN, Digital Link, `hdl:`) as given; a handle
 * by the EPC its record names (a value of type EPC), else as `hdl:{handle}`. Handles are resolved
 * publicly, so a handle registered on another node works too.
 */
async function startOf(
  ident: IdentifierService,
  id: string,
): Promise<{ start: string; handle?: { handle: string; values: readonly HandleValue[] } }> {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(id) && tryParseHandle(id) === null) return { start: id }
  const parsed = tryParseHandle(id)
  if (parsed === null || id.includes(':')) return { start: id }
  const r = await ident.resolver.resolve(parsed.handle, { publicOnly: true })
  if (r.responseCode !== 1 || r.values === undefined) return { start: `hdl:${parsed.handle}` }
  const epc = r.values.find((v) => v.type.toUpperCase() === 'EPC' && typeof v.data.value === 'string')
  return {
    start: epc === undefined ? `hdl:${parsed.handle}` : (epc.data.value as string),
    handle: { handle: parsed.handle, values: r.values },
  }
}

export function registerIdentifierPublicRoutes(
  app: FastifyInstance,
  deps: ApiDeps,
  ident: IdentifierService,
): void {
  const publicBase = ident.node.publicBaseUrl?.replace(/\/+$/, '')
  const baseOf = (req: FastifyRequest): string =>
    publicBase ?? `${req.protocol}://${req.headers.host ?? 'localhost'}`
  const dl = createDigitalLinkResolver({
    links: ident.links,
    ...(publicBase === undefined ? {} : { canonicalBase: publicBase }),
  })

  for (const ai of Object.keys(PRIMARY_KEYS)) {
    const handler = async (req: FastifyRequest, reply: import('fastify').FastifyReply) => {
      const lang = req.headers['accept-language']
      const out = await dl({
        method: req.method,
        url: `${baseOf(req)}${req.url}`,
        headers: { 'accept-language': typeof lang === 'string' ? lang : undefined },
      })
      reply.code(out.status).headers(out.headers)
      return reply.send(out.body ?? '')
    }
    const schema = { tags: ['digital-link'], hide: ai !== '01', security: [] }
    app.get(
      `/${ai}/*`,
      {
        schema: {
          ...schema,
          summary: 'GS1 Digital Link resolver (307 to the default link; ?linkType=linkset)',
        },
      },
      handler,
    )
    app.options(`/${ai}/*`, { schema }, handler)
  }

  app.get(
    '/api/trace/*',
    {
      schema: {
        tags: ['trace'],
        summary: 'Trace an identifier across enterprises: what the asking enterprise may see',
        querystring: {
          type: 'object',
          properties: {
            direction: { type: 'string', enum: ['upstream', 'downstream', 'both'], default: 'upstream' },
            maxDepth: { type: 'integer', minimum: 1, maximum: 50, default: 12 },
          },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'identifier:read')
      const id = decodePath(pathOf(req).slice('/api/trace/'.length)) ?? ''
      const q = req.query as { direction: TraceDirection; maxDepth: number }
      const s = await startOf(ident, id)
      const trace = await traceProduct({
        source: ident.traceSource,
        viewer: { tenant },
        start: s.start,
        direction: q.direction,
        maxDepth: q.maxDepth,
      })
      // names of the enterprises whose events the asker may see, as the public page shows them
      return { identifier: id, ...trace, tenantNames: await tenantNames(trace) }
    },
  )

  async function tenantNames(trace: TraceResult): Promise<Record<string, string>> {
    const out: Record<string, string> = {}
    for (const t of new Set(trace.timeline.map((x) => x.tenant))) {
      try {
        out[t] = (await deps.meta.getTenant(t as Parameters<typeof deps.meta.getTenant>[0])).name
      } catch {
        // a tenant deleted since: its events still show, unnamed
      }
    }
    return out
  }

  app.get(
    '/t/*',
    {
      schema: {
        tags: ['trace'],
        summary: 'Public trace page (HTML, no login); /qr.svg for its QR code',
        security: [],
      },
    },
    async (req, reply) => {
      let rest = pathOf(req).slice('/t/'.length)
      const wantsQr = rest.endsWith('/qr.svg')
      if (wantsQr) rest = rest.slice(0, -'/qr.svg'.length)
      const id = decodePath(rest)
      if (id === null || id === '')
        return reply.code(400).type('text/plain; charset=utf-8').send('标识无效 · invalid identifier')
      const pageUrl = `${baseOf(req)}/t/${identifierPath(id)}`
      if (wantsQr)
        return reply
          .type('image/svg+xml')
          .header('cache-control', 'public, max-age=86400')
          .send(await qrSvg(pageUrl, { width: 256 }))
      const s = await startOf(ident, id)
      const trace = await traceProduct({
        source: ident.traceSource,
        viewer: {},
        start: s.start,
        direction: 'both',
      })
      const html = renderTracePage({
        identifier: id,
        trace,
        ...(s.handle === undefined ? {} : { handle: s.handle }),
        qrUrl: `${pageUrl}/qr.svg`,
        tenantNames: await tenantNames(trace),
      })
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html)
    },
  )
}
