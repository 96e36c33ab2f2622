import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import {
  errorBody,
  handleFromPath,
  httpStatusFor,
  parseResolveQuery,
  successBody,
  type HandleBody,
} from './handle-http.ts'
import { HOPS_HEADER, type HandleResolver, type Resolution } from './handle-resolver.ts'

/**
 * The read side of a node's Handle.Net-compatible interface, framework-free: `GET /api/handles/{handle}`
 * answered by a resolver. The platform's API routes wrap the same function; tests and the benchmark
 * serve it with node:http. Writes (authenticated PUT/DELETE) belong to the API face.
 */
export interface HandleHttpRequest {
  readonly method: string
  /** path + query, as in IncomingMessage.url */
  readonly url: string
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>
  /** whether the face authenticated the caller as an admin of the handle (allows publicOnly=false) */
  readonly authenticated?: boolean
}

export interface HandleHttpResponse {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: HandleBody
  /** how it was answered (for logs and tests; not sent) */
  readonly resolution?: Resolution
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' }

export function resolutionBody(r: Resolution): HandleBody {
  if (r.responseCode === 1) return successBody(r.handle, r.values ?? [])
  return errorBody(r.responseCode, r.handle, r.message)
}

export function createHandleHttpHandler(deps: {
  readonly resolver: HandleResolver
}): (req: HandleHttpRequest) => Promise<HandleHttpResponse> {
  return async function handleHttp(req: HandleHttpRequest): Promise<HandleHttpResponse> {
    const url = new URL(req.url, 'http://node.invalid')
    const handle = handleFromPath(url.pathname)
    if (handle === null)
      return {
        status: 404,
        headers: JSON_HEADERS,
        body: errorBody(2, undefined, `no such resource ${url.pathname}`),
      }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return {
        status: 405,
        headers: { ...JSON_HEADERS, allow: 'GET, HEAD' },
        body: errorBody(2, handle, 'method not allowed here'),
      }
    const q = parseResolveQuery(url.searchParams)
    if ('error' in q) return { status: 400, headers: JSON_HEADERS, body: errorBody(2, handle, q.error) }
    if (!q.publicOnly && !req.authenticated)
      return { status: 401, headers: JSON_HEADERS, body: errorBody(402, handle) }
    const hopsRaw = req.headers?.[HOPS_HEADER]
    const hops = typeof hopsRaw === 'string' && /^\d{1,3}$/.test(hopsRaw) ? Number(hopsRaw) : 0
    const r = await deps.resolver.resolve(handle, {
      filter: q.filter,
      auth: q.auth,
      publicOnly: q.publicOnly,
      hops,
    })
    const headers: Record<string, string> = { ...JSON_HEADERS }
    if (r.source === 'stale') headers['warning'] = '110 - "Response is Stale"'
    return {
      status: httpStatusFor(r.responseCode, 'resolve'),
      headers,
      body: resolutionBody(r),
      resolution: r,
    }
  }
}

/** Adapt to node:http. Errors become a 500 Handle body; the process never crashes on a request. */
export function toNodeListener(
  handler: (req: HandleHttpRequest) => Promise<HandleHttpResponse>,
): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    handler({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers })
      .then((out) => {
        const text = JSON.stringify(out.body)
        res.writeHead(out.status, { ...out.headers, 'content-length': Buffer.byteLength(text) })
        res.end(req.method === 'HEAD' ? undefined : text)
      })
      .catch((err: unknown) => {
        const text = JSON.stringify(errorBody(2, undefined, err instanceof Error ? err.message : 'error'))
        if (!res.headersSent) res.writeHead(500, JSON_HEADERS)
        res.end(text)
      })
  }
}
