import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type RongheApp, startRonghe } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { createLogger, ManualClock } from '../../src/core/index.ts'
import { ADMIN_PASSWORD, testUscc } from '../support/platform.ts'

/**
 * Three Ronghe platforms on loopback, each with its own data directory, ports and clock: a top-level
 * node (88), a secondary node (88.118) and an enterprise node (88.118.8). An identifier registered at
 * the enterprise resolves through the top-level node by following 0.NA delegations over HTTP.
 */
interface Node {
  app: RongheApp
  url: string
  clock: ManualClock
  admin: string
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    o?: { token?: string; tenant?: string; body?: unknown },
  ): Promise<{ status: number; body: T; headers: Headers }>
}

async function startNode(env: Record<string, string>): Promise<Node> {
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 2, 0, 0))
  const config = loadConfig({
    file: null,
    env: {
      RONGHE_DATA_DIR: mkdtempSync(join(tmpdir(), 'ronghe-ident-')),
      RONGHE_HTTP_PORT: '0',
      RONGHE_HTTP_HOST: '127.0.0.1',
      RONGHE_MQTT_ENABLED: 'false',
      RONGHE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      RONGHE_DEMO: 'false',
      RONGHE_LOG_LEVEL: 'error',
      RONGHE_IDENT_STALE_MAX_S: '300',
      RONGHE_IDENT_NEGATIVE_TTL_S: '30',
      RONGHE_IDENT_TIMEOUT_MS: '2000',
      ...env,
    },
  })
  const app = await startRonghe(config, { clock, log: createLogger('error') })
  const url = `http://127.0.0.1:${app.httpPort}`
  const call: Node['call'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = {}
    if (o.token) headers.authorization = `Bearer ${o.token}`
    if (o.tenant) headers['x-ronghe-tenant'] = o.tenant
    if (o.body !== undefined) headers['content-type'] = 'application/json'
    const r = await fetch(url + path, {
      method,
      headers,
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    })
    const text = await r.text()
    return { status: r.status, body: (text ? JSON.parse(text) : null) as never, headers: r.headers }
  }
  const login = await call<{ token: string }>('POST', '/api/auth/login', {
    body: { username: 'admin', password: ADMIN_PASSWORD },
  })
  return { app, url, clock, admin: login.body.token, call }
}

/** An enterprise (tenant) with an enterprise admin on a node; its id and token. */
async function enterprise(n: Node, name: string): Promise<{ tenant: string; token: string }> {
  const t = await n.call<{ id: string }>('POST', '/api/tenants', {
    token: n.admin,
    body: { name, uscc: testUscc(), industryCode: 'C3360', regionCode: '440600' },
  })
  assert.equal(t.status, 201, JSON.stringify(t.body))
  const username = `u-${t.body.id}`
  await n.call('POST', '/api/users', {
    token: n.admin,
    tenant: t.body.id,
    body: { username, role: 'enterprise_admin', password: 'Enterprise-Pass-1' },
  })
  const l = await n.call<{ token: string }>('POST', '/api/auth/login', {
    body: { username, password: 'Enterprise-Pass-1' },
  })
  return { tenant: t.body.id, token: l.body.token }
}

describe('three identifier nodes: top-level, secondary, enterprise', () => {
  let top: Node
  let sec: Node
  let ent: Node
  let acme: { tenant: string; token: string }
  let other: { tenant: string; token: string }
  const H = '88.118.8/P-0001'
  const advanceAll = (ms: number): void => {
    for (const n of [top, sec, ent]) n.clock.advance(ms)
  }

  before(async () => {
    top = await startNode({ RONGHE_IDENT_ROLE: 'top', RONGHE_IDENT_PREFIX: '88' })
    sec = await startNode({
      RONGHE_IDENT_ROLE: 'secondary',
      RONGHE_IDENT_PREFIX: '88.118',
      RONGHE_IDENT_UPSTREAM_URL: top.url,
    })
    ent = await startNode({
      RONGHE_IDENT_ROLE: 'enterprise',
      RONGHE_IDENT_PREFIX: '88.118.8',
      RONGHE_IDENT_UPSTREAM_URL: sec.url,
    })
    // top-level: the national registry holds 88 and delegates 88.118 to the secondary node
    const national = await enterprise(top, '国家顶级节点')
    assert.equal(
      (
        await top.call('POST', '/api/identifiers/prefixes', {
          token: top.admin,
          tenant: national.tenant,
          body: { prefix: '88' },
        })
      ).status,
      201,
    )
    const d1 = await top.call('POST', '/api/identifiers/delegations', {
      token: national.token,
      body: { prefix: '88.118', baseUrl: sec.url, ttl: 600 },
    })
    assert.equal(d1.status, 201, JSON.stringify(d1.body))
    // secondary: the industry node holds 88.118 and delegates the enterprise prefix 88.118.8
    const industry = await enterprise(sec, '行业二级节点')
    await sec.call('POST', '/api/identifiers/prefixes', {
      token: sec.admin,
      tenant: industry.tenant,
      body: { prefix: '88.118' },
    })
    const d2 = await sec.call('POST', '/api/identifiers/delegations', {
      token: industry.token,
      body: { prefix: '88.118.8', baseUrl: ent.url },
    })
    assert.equal(d2.status, 201, JSON.stringify(d2.body))
    // enterprise node: the platform admin assigns the node's prefix to the enterprise
    acme = await enterprise(ent, '佛山融合压铸')
    other = await enterprise(ent, '另一家企业')
    const p = await ent.call<{ prefix: string }>('POST', '/api/identifiers/prefixes', {
      token: ent.admin,
      tenant: acme.tenant,
      body: { prefix: '88.118.8' },
    })
    assert.equal(p.status, 201)
    assert.equal(p.body.prefix, '88.118.8')
    const created = await ent.call('PUT', `/api/handles/${H}`, {
      token: acme.token,
      body: {
        values: [
          { index: 1, type: 'URL', data: { format: 'string', value: 'https://acme.example/p/1' }, ttl: 60 },
          {
            index: 2,
            type: 'EMAIL',
            data: { format: 'string', value: 'qa@acme.example' },
            ttl: 60,
            permissions: { publicRead: false },
          },
        ],
      },
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    assert.deepEqual(created.body, { responseCode: 1, handle: H })
  })

  after(async () => {
    for (const n of [top, sec, ent]) await n?.app.stop()
  })

  it('refuses a prefix outside the node prefix, and writes by the wrong enterprise or without login', async () => {
    const r = await ent.call<{ error: { code: string } }>('POST', '/api/identifiers/prefixes', {
      token: ent.admin,
      tenant: other.tenant,
      body: { prefix: '88.119' },
    })
    assert.equal(r.status, 400)
    assert.equal(r.body.error.code, 'IDENT_PREFIX_OUTSIDE_NODE')
    const notAdmin = await ent.call('POST', '/api/identifiers/prefixes', { token: acme.token, body: {} })
    assert.equal(notAdmin.status, 403)
    const wrong = await ent.call<{ responseCode: number; error: { code: string } }>(
      'PUT',
      `/api/handles/${H}`,
      {
        token: other.token,
        body: { values: [{ index: 1, type: 'URL', data: 'https://evil.example' }] },
      },
    )
    assert.equal(wrong.status, 403)
    assert.equal(wrong.body.responseCode, 401)
    assert.equal(wrong.body.error.code, 'IDENT_PREFIX_NOT_HELD')
    const anon = await ent.call<{ responseCode: number }>('DELETE', `/api/handles/${H}`)
    assert.equal(anon.status, 401)
    assert.equal(anon.body.responseCode, 402)
  })

  it('answers Handle.Net response codes with their HTTP status on writes', async () => {
    const exists = await ent.call<{ responseCode: number; handle: string }>(
      'PUT',
      `/api/handles/${H}?overwrite=false`,
      {
        token: acme.token,
        body: { values: [{ index: 1, type: 'URL', data: 'https://x.example' }] },
      },
    )
    assert.equal(exists.status, 409)
    assert.equal(exists.body.responseCode, 101)
    assert.equal(exists.body.handle, H)
    const post = await ent.call('POST', '/api/handles', {
      token: acme.token,
      body: { handle: '88.118.8/P-0001', values: [{ index: 1, type: 'URL', data: 'https://x.example' }] },
    })
    assert.equal(post.status, 409)
    const bad = await ent.call<{ responseCode: number }>('PUT', '/api/handles/88.118.8/BAD', {
      token: acme.token,
      body: { values: [{ index: 0, type: 'URL', data: 'https://x.example' }] },
    })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.responseCode, 202)
    const gone = await ent.call<{ responseCode: number }>('DELETE', '/api/handles/88.118.8/NEVER', {
      token: acme.token,
    })
    assert.equal(gone.status, 404)
    assert.equal(gone.body.responseCode, 100)
  })

  it('resolves at the enterprise node: public values for the public, all values for the owner', async () => {
    const pub = await ent.call<{ responseCode: number; handle: string; values: Record<string, unknown>[] }>(
      'GET',
      `/api/handles/${H}`,
    )
    assert.equal(pub.status, 200)
    assert.equal(pub.body.responseCode, 1)
    assert.equal(pub.body.handle, H)
    assert.deepEqual(
      pub.body.values.map((v) => v.index),
      [1, 100],
    )
    const url = pub.body.values[0]!
    assert.deepEqual(Object.keys(url).sort(), ['data', 'index', 'timestamp', 'ttl', 'type'])
    assert.equal(url.type, 'URL')
    assert.deepEqual(url.data, { format: 'string', value: 'https://acme.example/p/1' })
    assert.equal(url.ttl, 60)
    assert.equal(url.timestamp, '2026-03-01T02:00:00Z')
    const admin = pub.body.values[1]!
    assert.equal(admin.type, 'HS_ADMIN')
    assert.deepEqual(admin.data, {
      format: 'admin',
      value: { handle: '0.NA/88.118.8', index: 200, permissions: '011111111111' },
    })
    const own = await ent.call<{ values: { index: number; type: string }[] }>('GET', `/api/handles/${H}`, {
      token: acme.token,
    })
    assert.deepEqual(
      own.body.values.map((v) => `${v.index}:${v.type}`),
      ['1:URL', '2:EMAIL', '100:HS_ADMIN'],
    )
    const stranger = await ent.call<{ values: { index: number }[] }>('GET', `/api/handles/${H}`, {
      token: other.token,
    })
    assert.deepEqual(
      stranger.body.values.map((v) => v.index),
      [1, 100],
    )
    const demand = await ent.call<{ responseCode: number }>('GET', `/api/handles/${H}?publicOnly=false`)
    assert.equal(demand.status, 401)
    assert.equal(demand.body.responseCode, 402)
    const typed = await ent.call<{ values: { type: string }[] }>('GET', `/api/handles/${H}?type=URL`)
    assert.deepEqual(
      typed.body.values.map((v) => v.type),
      ['URL'],
    )
    const none = await ent.call('GET', `/api/handles/${H}?index=7`)
    assert.equal(none.status, 200)
    assert.deepEqual(none.body, { responseCode: 200, handle: H, message: 'Values Not Found' })
    const invalid = await ent.call('GET', '/api/handles/no-slash')
    assert.equal(invalid.status, 400)
    assert.equal((invalid.body as { responseCode: number }).responseCode, 102)

    // the public body of a cached answer is serialised once per cache entry: the owner still reads
    // every value after it, and a write replaces it with the entry
    const ownAgain = await ent.call<{ values: { index: number }[] }>('GET', `/api/handles/${H}`, {
      token: acme.token,
    })
    assert.deepEqual(
      ownAgain.body.values.map((v) => v.index),
      [1, 2, 100],
    )
    const put = await ent.call('PUT', `/api/handles/${H}?index=1`, {
      token: acme.token,
      body: { values: [{ index: 1, type: 'URL', data: 'https://acme.example/p/1-v2', ttl: 60 }] },
    })
    assert.equal(put.status, 200, JSON.stringify(put.body))
    for (let i = 0; i < 2; i++) {
      const after = await ent.call<{ values: { index: number; data: { value: unknown } }[] }>(
        'GET',
        `/api/handles/${H}`,
      )
      assert.equal(after.body.values[0]!.data.value, 'https://acme.example/p/1-v2')
    }
    // put the value back for the tests that follow
    await ent.call('PUT', `/api/handles/${H}?index=1`, {
      token: acme.token,
      body: { values: [{ index: 1, type: 'URL', data: 'https://acme.example/p/1', ttl: 60 }] },
    })
  })

  it('answers an anonymous read of a cached handle before the framework, byte for byte as the route does', async () => {
    const resolver = ent.app.identifiers.resolver
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const r = await fetch(ent.url + path, { headers })
      return { status: r.status, headers: r.headers, text: await r.text() }
    }
    resolver.invalidate(H)
    const fast = () => resolver.stats().fastHits
    const f0 = fast()
    // a miss goes the full way: read from the store, cached, its public body serialised
    const first = await get(`/api/handles/${H}`)
    assert.equal(first.headers.get('x-ronghe-resolution-source'), 'local')
    assert.equal(fast(), f0)
    // the same read again: the fast path, the same bytes
    const second = await get(`/api/handles/${H}`)
    assert.equal(fast(), f0 + 1)
    assert.equal(second.status, 200)
    assert.equal(second.text, first.text)
    assert.equal(second.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(second.headers.get('content-length'), String(Buffer.byteLength(first.text)))
    assert.equal(second.headers.get('x-ronghe-resolution-source'), 'cache')
    // the route's own answer from the same cache entry is what the fast path sent
    const routed = await get(`/api/handles/${H}`, { 'x-ronghe-resolution-hops': '0' })
    assert.equal(routed.text, second.text)
    assert.equal(routed.headers.get('x-ronghe-resolution-source'), 'cache')
    // declined, answered by the route: a query, a token (the owner sees every value)
    const typed = await get(`/api/handles/${H}?type=URL`)
    assert.equal((JSON.parse(typed.text) as { values: unknown[] }).values.length, 1)
    const own = await get(`/api/handles/${H}`, { authorization: `Bearer ${acme.token}` })
    assert.equal((JSON.parse(own.text) as { values: unknown[] }).values.length, 3)
    assert.equal(fast(), f0 + 1)
    // a write drops the entry: the next anonymous read is the route's, with the new value, then fast again
    const put = await ent.call('PUT', `/api/handles/${H}?index=1`, {
      token: acme.token,
      body: { values: [{ index: 1, type: 'URL', data: 'https://acme.example/p/1-fast', ttl: 60 }] },
    })
    assert.equal(put.status, 200, JSON.stringify(put.body))
    const fresh = await get(`/api/handles/${H}`)
    assert.match(fresh.text, /1-fast/)
    assert.equal(fresh.headers.get('x-ronghe-resolution-source'), 'local')
    assert.equal((await get(`/api/handles/${H}`)).text, fresh.text)
    assert.equal(fast(), f0 + 2)
    await ent.call('PUT', `/api/handles/${H}?index=1`, {
      token: acme.token,
      body: { values: [{ index: 1, type: 'URL', data: 'https://acme.example/p/1', ttl: 60 }] },
    })
  })

  it('resolves through the top-level node, caches by TTL, serves stale within the bound, then fails clearly', async () => {
    const first = await top.call<{
      responseCode: number
      values: { index: number; data: { value: unknown } }[]
    }>('GET', `/api/handles/${H}`)
    assert.equal(first.status, 200)
    assert.equal(first.headers.get('x-ronghe-resolution-source'), 'remote')
    assert.equal(first.headers.get('x-ronghe-resolved-by'), sec.url)
    assert.equal(first.body.responseCode, 1)
    assert.deepEqual(
      first.body.values.map((v) => v.index),
      [1, 100],
    )
    assert.equal(first.body.values[0]!.data.value, 'https://acme.example/p/1')

    const again = await top.call('GET', `/api/handles/${H}`)
    assert.equal(again.headers.get('x-ronghe-resolution-source'), 'cache')
    assert.deepEqual(again.body, first.body)

    // the owner changes the URL; the top node keeps its cached answer until the 60 s TTL runs out
    const upd = await ent.call('PUT', `/api/handles/${H}?index=1`, {
      token: acme.token,
      body: { values: [{ index: 1, type: 'URL', data: 'https://acme.example/p/1-v2', ttl: 60 }] },
    })
    assert.equal(upd.status, 200, JSON.stringify(upd.body))
    advanceAll(59_000)
    const cached = await top.call<{ values: { data: { value: unknown } }[] }>('GET', `/api/handles/${H}`)
    assert.equal(cached.headers.get('x-ronghe-resolution-source'), 'cache')
    assert.equal(cached.body.values[0]!.data.value, 'https://acme.example/p/1')
    advanceAll(2_000)
    const fresh = await top.call<{ values: { data: { value: unknown } }[] }>('GET', `/api/handles/${H}`)
    assert.equal(fresh.headers.get('x-ronghe-resolution-source'), 'remote')
    assert.equal(fresh.body.values[0]!.data.value, 'https://acme.example/p/1-v2')

    // not found: 404 / 100 through the chain, then from the negative cache
    const missing = await top.call('GET', '/api/handles/88.118.8/NOPE')
    assert.equal(missing.status, 404)
    assert.deepEqual(missing.body, {
      responseCode: 100,
      handle: '88.118.8/NOPE',
      message: 'Handle Not Found',
    })
    const missingAgain = await top.call('GET', '/api/handles/88.118.8/NOPE')
    assert.equal(missingAgain.headers.get('x-ronghe-resolution-source'), 'negative-cache')

    // the enterprise node goes away: within the stale bound the last answer is served, marked stale
    await ent.app.stop()
    advanceAll(61_000)
    const stale = await top.call<{ responseCode: number; values: { data: { value: unknown } }[] }>(
      'GET',
      `/api/handles/${H}`,
    )
    assert.equal(stale.status, 200)
    assert.equal(stale.headers.get('warning'), '110 - "Response is Stale"')
    assert.equal(stale.headers.get('x-ronghe-resolution-source'), 'stale')
    assert.equal(stale.body.values[0]!.data.value, 'https://acme.example/p/1-v2')

    // past the bound (60 s TTL + 300 s stale): a clear error naming the failing node
    advanceAll(300_000)
    const failed = await top.call<{ responseCode: number; message: string }>('GET', `/api/handles/${H}`)
    assert.equal(failed.status, 502)
    assert.equal(failed.body.responseCode, 2)
    assert.match(
      failed.body.message,
      new RegExp(`upstream ${sec.url.replace(/[.]/g, '\\.')} answered responseCode 2`),
    )
    assert.match(failed.body.message, new RegExp(`upstream ${ent.url.replace(/[.]/g, '\\.')} unreachable`))
    // auth=true bypasses the cache: even the still-cached negative answer is asked again
    const auth = await top.call('GET', '/api/handles/88.118.8/NOPE?auth=true')
    assert.equal(auth.status, 502)
  })
})
