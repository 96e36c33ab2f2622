import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { ManualClock, type TenantId } from '../core/index.ts'
import { createStoreDelegations } from './delegations.ts'
import { errorBody, httpStatusFor, successBody } from './handle-http.ts'
import { createHandleHttpHandler, toNodeListener } from './handle-node.ts'
import { createHandleRegistry, type HandleRegistry } from './handle-registry.ts'
import { createHandleResolver, type HandleResolver } from './handle-resolver.ts'
import { emailValue, normalizeValues, urlValue } from './handle-values.ts'
import { createSqliteHandleStore } from './sqlite-handle-store.ts'
import { openMemoryIdentifiersDb } from './sqlite-testing.ts'

describe('Handle.Net JSON shape', () => {
  it('maps response codes to HTTP status as the reference table says', () => {
    const table: [number, 'resolve' | 'create' | 'modify', number][] = [
      [1, 'resolve', 200],
      [2, 'resolve', 500],
      [100, 'resolve', 404],
      [101, 'create', 409],
      [102, 'resolve', 400],
      [200, 'resolve', 200],
      [200, 'modify', 400],
      [201, 'modify', 409],
      [202, 'modify', 400],
      [301, 'resolve', 400],
      [402, 'resolve', 401],
      [401, 'modify', 403],
      [403, 'modify', 403],
    ]
    for (const [code, op, status] of table)
      assert.equal(httpStatusFor(code, op), status, `code ${code} ${op}`)
    assert.equal(httpStatusFor(1, 'create', true), 201)
  })

  it('builds success and error bodies field by field', () => {
    const values = normalizeValues(
      [urlValue(1, 'https://acme.cn/p/1', 600)],
      Date.UTC(2026, 2, 1, 8, 30, 15, 250),
    )
    assert.deepEqual(successBody('88.118.8/P1', values), {
      responseCode: 1,
      handle: '88.118.8/P1',
      values: [
        {
          index: 1,
          type: 'URL',
          data: { format: 'string', value: 'https://acme.cn/p/1' },
          ttl: 600,
          timestamp: '2026-03-01T08:30:15Z',
        },
      ],
    })
    assert.deepEqual(errorBody(100, '88.118.8/none'), {
      responseCode: 100,
      handle: '88.118.8/none',
      message: 'Handle Not Found',
    })
    assert.deepEqual(errorBody(2, undefined, 'boom'), { responseCode: 2, message: 'boom' })
  })
})

interface TestNode {
  name: string
  server: Server
  url: string
  registry: HandleRegistry
  resolver: HandleResolver
  requests: number
}

async function startNode(name: string, clock: ManualClock, recursive = true): Promise<TestNode> {
  const db = await openMemoryIdentifiersDb()
  const store = createSqliteHandleStore(db)
  const resolver = createHandleResolver({
    store,
    delegations: createStoreDelegations(store),
    clock,
    recursive,
    cache: { negTtlS: 60, staleMaxS: 300 },
    timeoutMs: 2000,
  })
  const registry = createHandleRegistry({ store, clock, onChange: (h) => resolver.invalidate(h) })
  const listener = toNodeListener(createHandleHttpHandler({ resolver }))
  const node = { name, registry, resolver, requests: 0 } as TestNode
  node.server = createServer((req, res) => {
    node.requests++
    listener(req, res)
  })
  await new Promise<void>((ok) => node.server.listen(0, '127.0.0.1', ok))
  node.url = `http://127.0.0.1:${(node.server.address() as AddressInfo).port}`
  return node
}

async function stop(node: TestNode): Promise<void> {
  node.server.closeAllConnections()
  await new Promise<void>((ok) => node.server.close(() => ok()))
}

async function get(
  base: string,
  path: string,
): Promise<{ status: number; warning: string | null; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`)
  return {
    status: res.status,
    warning: res.headers.get('warning'),
    body: (await res.json()) as Record<string, unknown>,
  }
}

describe('three nodes: top-level → secondary → enterprise over HTTP', () => {
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 0, 0, 0))
  const t0 = clock.now()
  let top: TestNode
  let sec: TestNode
  let ent: TestNode
  const topTenant = 'ten_caict' as TenantId
  const secTenant = 'ten_machinery' as TenantId
  const acme = 'ten_acme' as TenantId

  before(async () => {
    top = await startNode('top', clock)
    sec = await startNode('secondary', clock)
    ent = await startNode('enterprise', clock, false)
    await top.registry.homePrefix(topTenant, '88')
    await top.registry.delegatePrefix(topTenant, '88.118', { baseUrl: sec.url })
    await sec.registry.homePrefix(secTenant, '88.118')
    await sec.registry.delegatePrefix(secTenant, '88.118.8', {
      site: { host: '127.0.0.1', httpPort: Number(new URL(ent.url).port) },
    })
    await ent.registry.homePrefix(acme, '88.118.8')
    await ent.registry.register(acme, {
      handle: '88.118.8/Pump-0001',
      values: [
        urlValue(1, 'https://acme.cn/p/0001', 600),
        emailValue(2, 'qa@acme.cn', 3600),
        {
          index: 3,
          type: 'COST',
          data: { format: 'string', value: '1234.50' },
          ttl: 3600,
          permissions: { publicRead: false },
        },
      ],
    })
  })

  after(async () => {
    await Promise.all([top, sec, ent].filter((n) => n.server.listening).map(stop))
  })

  it('resolves an enterprise identifier through the top-level node, public values only', async () => {
    const r = await get(top.url, '/api/handles/88.118.8/Pump-0001')
    assert.equal(r.status, 200)
    assert.deepEqual(r.body, {
      responseCode: 1,
      handle: '88.118.8/Pump-0001',
      values: [
        {
          index: 1,
          type: 'URL',
          data: { format: 'string', value: 'https://acme.cn/p/0001' },
          ttl: 600,
          timestamp: '2026-03-01T00:00:00Z',
        },
        {
          index: 2,
          type: 'EMAIL',
          data: { format: 'string', value: 'qa@acme.cn' },
          ttl: 3600,
          timestamp: '2026-03-01T00:00:00Z',
        },
        {
          index: 100,
          type: 'HS_ADMIN',
          data: {
            format: 'admin',
            value: { handle: '0.NA/88.118.8', index: 200, permissions: '011111111111' },
          },
          ttl: 86400,
          timestamp: '2026-03-01T00:00:00Z',
        },
      ],
    })
    assert.equal(ent.requests, 1)
    assert.equal(sec.requests, 1)
  })

  it('resolves prefix handles (0.NA/…) where the parent prefix is homed, through delegation', async () => {
    const site = await get(top.url, '/api/handles/0.NA/88.118.8?type=HS_SITE')
    assert.equal(site.status, 200)
    assert.deepEqual(
      (site.body['values'] as { data: unknown }[]).map((v) => v.data),
      [{ format: 'site', value: { host: '127.0.0.1', httpPort: Number(new URL(ent.url).port) } }],
    )
    const node = await get(top.url, '/api/handles/0.na/88.118?type=RONGHE_NODE')
    assert.deepEqual(
      (node.body['values'] as { data: unknown }[]).map((v) => v.data),
      [{ format: 'string', value: sec.url }],
    )
    assert.equal((await get(top.url, '/api/handles/0.NA/88.119')).status, 404)
  })

  it('applies type= and index= filters and reports values not found as 200', async () => {
    const byType = await get(top.url, '/api/handles/88.118.8/Pump-0001?type=EMAIL')
    assert.deepEqual(
      (byType.body['values'] as { index: number }[]).map((v) => v.index),
      [2],
    )
    const union = await get(top.url, '/api/handles/88.118.8/Pump-0001?index=1&type=HS_ADMIN')
    assert.deepEqual(
      (union.body['values'] as { index: number }[]).map((v) => v.index),
      [1, 100],
    )
    const none = await get(top.url, '/api/handles/88.118.8/Pump-0001?type=HS_SITE')
    assert.equal(none.status, 200)
    assert.deepEqual(none.body, {
      responseCode: 200,
      handle: '88.118.8/Pump-0001',
      message: 'Values Not Found',
    })
    const hidden = await get(ent.url, '/api/handles/88.118.8/Pump-0001?index=3')
    assert.equal(hidden.body['responseCode'], 200)
    const unauth = await get(ent.url, '/api/handles/88.118.8/Pump-0001?publicOnly=false')
    assert.equal(unauth.status, 401)
    assert.deepEqual(unauth.body, {
      responseCode: 402,
      handle: '88.118.8/Pump-0001',
      message: 'Authentication Needed',
    })
    // all of these came from the top node's cache
    assert.equal(ent.requests, 3)
  })

  it('honours the smallest value TTL (600 s) in the cache', async () => {
    const before = ent.requests
    clock.set(t0 + 599_000)
    await get(top.url, '/api/handles/88.118.8/Pump-0001')
    assert.equal(ent.requests, before)
    clock.set(t0 + 601_000)
    const r = await get(top.url, '/api/handles/88.118.8/Pump-0001')
    assert.equal(r.body['responseCode'], 1)
    assert.equal(ent.requests, before + 1)
  })

  it('answers unknown handles with 100, caches that briefly, and auth=true bypasses caches', async () => {
    const miss = await get(top.url, '/api/handles/88.118.8/Pump-0002')
    assert.equal(miss.status, 404)
    assert.deepEqual(miss.body, {
      responseCode: 100,
      handle: '88.118.8/Pump-0002',
      message: 'Handle Not Found',
    })
    await ent.registry.register(acme, {
      handle: '88.118.8/Pump-0002',
      values: [urlValue(1, 'https://acme.cn/p/0002', 600)],
    })
    const cachedMiss = await get(top.url, '/api/handles/88.118.8/Pump-0002')
    assert.equal(cachedMiss.body['responseCode'], 100)
    const authoritative = await get(top.url, '/api/handles/88.118.8/Pump-0002?auth=true')
    assert.equal(authoritative.body['responseCode'], 1)
    // the authoritative answer refreshed the cache
    assert.equal((await get(top.url, '/api/handles/88.118.8/Pump-0002')).body['responseCode'], 1)
    assert.equal(top.resolver.stats().negativeHits, 1)
  })

  it('sees local writes at once on the node that holds the prefix', async () => {
    const first = await ent.resolver.resolve('88.118.8/Pump-0001', { filter: { indexes: [1] } })
    assert.equal(first.values?.[0]?.data.value, 'https://acme.cn/p/0001')
    await ent.registry.putValues(acme, '88.118.8/Pump-0001', [
      urlValue(4, 'https://acme.cn/p/0001/manual', 600),
    ])
    const after = await ent.resolver.resolve('88.118.8/Pump-0001', { filter: { indexes: [4] } })
    assert.equal(after.source, 'local')
    assert.equal(after.values?.[0]?.data.value, 'https://acme.cn/p/0001/manual')
  })

  it('shares one upstream request among concurrent misses', async () => {
    await ent.registry.register(acme, {
      handle: '88.118.8/Pump-0003',
      values: [urlValue(1, 'https://acme.cn/p/0003', 600)],
    })
    const before = ent.requests
    const all = await Promise.all(
      Array.from({ length: 20 }, () => get(top.url, '/api/handles/88.118.8/Pump-0003')),
    )
    assert.deepEqual(new Set(all.map((r) => r.body['responseCode'])), new Set([1]))
    assert.equal(ent.requests, before + 1)
  })

  it('serves stale answers within the bound when the enterprise node stops, then a clear error', async () => {
    await stop(ent)
    // cached at t0+601 s with ttl 600: expired at t0+1201 s, stale until t0+1501 s
    clock.set(t0 + 1300_000)
    const stale = await get(top.url, '/api/handles/88.118.8/Pump-0001?type=URL')
    assert.equal(stale.status, 200)
    assert.equal(stale.warning, '110 - "Response is Stale"')
    assert.deepEqual(
      (stale.body['values'] as { data: { value: string } }[]).map((v) => v.data.value),
      ['https://acme.cn/p/0001'],
    )
    clock.set(t0 + 1502_000)
    const gone = await get(top.url, '/api/handles/88.118.8/Pump-0001')
    assert.equal(gone.status, 500)
    assert.equal(gone.body['responseCode'], 2)
    assert.equal(gone.body['handle'], '88.118.8/Pump-0001')
    assert.match(
      String(gone.body['message']),
      new RegExp(`upstream ${sec.url} answered responseCode 2 .*unreachable`),
    )
    assert.ok(top.resolver.stats().staleServed >= 1)
  })

  it('stops a delegation loop after maxHops with a clear error', async () => {
    const store = createSqliteHandleStore(await openMemoryIdentifiersDb())
    let selfUrl = ''
    const resolver = createHandleResolver({
      store,
      delegations: { find: async (p) => (p.startsWith('66') ? { prefix: '66', baseUrl: selfUrl } : null) },
      clock,
      maxHops: 3,
    })
    let calls = 0
    const listener = toNodeListener(createHandleHttpHandler({ resolver }))
    const server = createServer((req, res) => {
      calls++
      listener(req, res)
    })
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
    selfUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const r = await get(selfUrl, '/api/handles/66.1/x')
      assert.equal(r.status, 500)
      assert.equal(r.body['responseCode'], 2)
      assert.match(String(r.body['message']), /longer than 3 hops/)
      assert.equal(calls, 4)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((ok) => server.close(() => ok()))
    }
  })

  it('a non-recursive node answers 301 for prefixes it does not hold; a recursive one 100 when no route exists', async () => {
    const store = createSqliteHandleStore(await openMemoryIdentifiersDb())
    const lone = createHandleResolver({
      store,
      delegations: createStoreDelegations(store),
      clock,
      recursive: false,
    })
    const r = await lone.resolve('88.999/x')
    assert.equal(r.responseCode, 301)
    assert.equal(httpStatusFor(r.responseCode), 400)
    const unknown = await get(top.url, '/api/handles/99.1/x')
    assert.equal(unknown.status, 404)
    const invalid = await get(top.url, '/api/handles/88..1/x')
    assert.equal(invalid.status, 400)
    assert.equal(invalid.body['responseCode'], 102)
  })

  it('gives the hits after a miss the entry the miss stored, and a new one after a write', async () => {
    const store = createSqliteHandleStore(await openMemoryIdentifiersDb())
    const resolver = createHandleResolver({ store, delegations: createStoreDelegations(store), clock })
    const registry = createHandleRegistry({ store, clock, onChange: (h) => resolver.invalidate(h) })
    const tenant = 'ten_memo' as TenantId
    await registry.homePrefix(tenant, '88.118.77')
    await registry.register(tenant, { handle: '88.118.77/A', values: [urlValue(1, 'https://a.cn/1')] })
    const miss = await resolver.resolve('88.118.77/A', { auth: true })
    assert.equal(miss.source, 'local')
    assert.ok(miss.cacheEntry)
    const hit = await resolver.resolve('88.118.77/A')
    assert.equal(hit.source, 'cache')
    assert.equal(hit.cacheEntry, miss.cacheEntry)
    // a memo kept on the entry goes with it: the write replaces the entry
    miss.cacheEntry.publicJson = 'memo of the first version'
    await registry.register(
      tenant,
      { handle: '88.118.77/A', values: [urlValue(1, 'https://a.cn/2')] },
      { overwrite: true },
    )
    const after = await resolver.resolve('88.118.77/A')
    assert.equal(after.source, 'local')
    assert.notEqual(after.cacheEntry, miss.cacheEntry)
    assert.equal(after.cacheEntry?.publicJson, undefined)
    assert.equal(after.values?.[0]?.data.value, 'https://a.cn/2')
    // nothing is memoised for an unknown handle
    assert.equal((await resolver.resolve('88.118.77/none')).cacheEntry, undefined)
  })
})
