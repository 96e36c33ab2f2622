import { API_ROUTES, type RouteName, WS_ROUTES } from './routes.ts'
import type {
  Asset,
  AuditEntry,
  AuditQuery,
  BucketRows,
  Connection,
  Credential,
  Device,
  IssuedCredential,
  LoginResult,
  Me,
  NewDevice,
  Overview,
  Page,
  PageQuery,
  Point,
  Role,
  Sample,
  SeriesResult,
  Tenant,
  User,
} from './types.ts'

/** An error answered by the API (`{error: {code, message, details}}`) or by the network. */
export class ApiError extends Error {
  readonly code: string
  readonly status: number
  readonly details: unknown
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }
}

export interface Session {
  token: string | null
  tenant: string | null
}

type Query = Record<string, string | number | boolean | undefined | null>

/** Fills `{name}` segments of a route template and appends the query string. */
export function buildUrl(route: RouteName, params: Record<string, string> = {}, query: Query = {}): string {
  const [, template] = API_ROUTES[route]
  // `{*}` is a wildcard segment (handles, EPCIS event ids, traced identifiers): encoded as one component
  const path = template.replace(/\{(\w+|\*)\}/g, (_, k: string) => {
    const v = params[k]
    if (v === undefined) throw new Error(`missing path parameter ${k} for ${template}`)
    return encodeURIComponent(v)
  })
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v))
  const s = qs.toString()
  return s ? `${path}?${s}` : path
}

export interface ApiClient {
  readonly session: Session
  request<T>(
    route: RouteName,
    o?: { params?: Record<string, string>; query?: Query; body?: unknown; tenant?: boolean },
  ): Promise<T>
  login(username: string, password: string): Promise<LoginResult>
  logout(): Promise<void>
  me(): Promise<Me>
  tenants(q?: PageQuery): Promise<Page<Tenant>>
  overview(): Promise<Overview>
  assets(q?: PageQuery & { parentId?: string; level?: string }): Promise<Page<Asset>>
  points(q?: PageQuery & { deviceId?: string; assetId?: string }): Promise<Page<Point>>
  point(id: string): Promise<Point>
  series(id: string, q: { from: number; to: number; limit?: number }): Promise<SeriesResult>
  buckets(
    id: string,
    q: { from: number; to: number; targetPoints?: number; bucketMs?: number },
  ): Promise<BucketRows>
  seriesBuckets(body: {
    points: string[]
    from: number
    to: number
    targetPoints?: number
    bucketMs?: number
  }): Promise<BucketRows>
  latest(points: string[]): Promise<{ items: Sample[] }>
  exportCsv(id: string, q: { from: number; to: number }): Promise<Blob>
  devices(q?: PageQuery & { online?: boolean }): Promise<Page<Device>>
  createDevice(d: NewDevice): Promise<Device>
  device(id: string): Promise<Device>
  credentials(id: string): Promise<{ items: Credential[] }>
  issueCredential(id: string, kind: 'password' | 'token', rotate: boolean): Promise<IssuedCredential>
  revokeCredential(id: string, credentialId: string): Promise<void>
  connection(id: string): Promise<Connection>
  users(q?: PageQuery): Promise<Page<User>>
  createUser(u: { username: string; displayName?: string; role: Role; password: string }): Promise<User>
  updateUser(id: string, u: { displayName?: string; role?: Role; disabled?: boolean }): Promise<User>
  audit(q?: AuditQuery): Promise<Page<AuditEntry>>
  liveUrl(): string
}

/**
 * The typed API client. The session (token, chosen enterprise) is read on every call so the tenant
 * switcher takes effect at once.
 */
export function createApiClient(session: Session, onUnauthorized: () => void): ApiClient {
  async function send(
    route: RouteName,
    o: { params?: Record<string, string>; query?: Query; body?: unknown } = {},
  ): Promise<Response> {
    const [method] = API_ROUTES[route]
    const headers: Record<string, string> = {}
    if (session.token) headers.authorization = `Bearer ${session.token}`
    if (session.tenant) headers['x-ronghe-tenant'] = session.tenant
    if (o.body !== undefined) headers['content-type'] = 'application/json'
    let r: Response
    try {
      r = await fetch(buildUrl(route, o.params, o.query), {
        method,
        headers,
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
      })
    } catch (err) {
      throw new ApiError(0, 'NETWORK', (err as Error).message)
    }
    if (!r.ok) {
      let code = `HTTP_${r.status}`
      let message = r.statusText
      let details: unknown
      try {
        const b = (await r.json()) as { error?: { code: string; message: string; details?: unknown } }
        if (b.error) ({ code, message, details } = b.error)
      } catch {
        // not JSON
      }
      if (r.status === 401 && route !== 'login') onUnauthorized()
      throw new ApiError(r.status, code, message, details)
    }
    return r
  }
  async function request<T>(
    route: RouteName,
    o: { params?: Record<string, string>; query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const r = await send(route, o)
    if (r.status === 204) return undefined as T
    return (await r.json()) as T
  }
  const id = (v: string): { id: string } => ({ id: v })

  return {
    session,
    request,
    login: (username, password) => request('login', { body: { username, password } }),
    logout: () => request('logout'),
    me: () => request('me'),
    tenants: (q = {}) => request('tenants', { query: { ...q } }),
    overview: () => request('overview'),
    assets: (q = {}) => request('assets', { query: { ...q } }),
    points: (q = {}) => request('points', { query: { ...q } }),
    point: (v) => request('point', { params: id(v) }),
    series: (v, q) => request('pointSeries', { params: id(v), query: q }),
    buckets: (v, q) => request('pointBuckets', { params: id(v), query: q }),
    seriesBuckets: (body) => request('seriesBuckets', { body }),
    latest: (points) => request('seriesLatest', { body: { points } }),
    exportCsv: async (v, q) => (await send('pointExport', { params: id(v), query: q })).blob(),
    devices: (q = {}) => request('devices', { query: { ...q } }),
    createDevice: (d) => request('createDevice', { body: d }),
    device: (v) => request('device', { params: id(v) }),
    credentials: (v) => request('credentials', { params: id(v) }),
    issueCredential: (v, kind, rotate) =>
      request('issueCredential', { params: id(v), body: { kind, rotate } }),
    revokeCredential: (v, credentialId) => request('revokeCredential', { params: { id: v, credentialId } }),
    connection: (v) => request('connection', { params: id(v) }),
    users: (q = {}) => request('users', { query: { ...q } }),
    createUser: (u) => request('createUser', { body: u }),
    updateUser: (v, u) => request('updateUser', { params: id(v), body: u }),
    audit: (q = {}) => request('audit', { query: { ...q } }),
    liveUrl() {
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
      const qs = new URLSearchParams({ token: session.token ?? '' })
      if (session.tenant) qs.set('tenant', session.tenant)
      return `${proto}//${location.host}${WS_ROUTES.live}?${qs}`
    },
  }
}
