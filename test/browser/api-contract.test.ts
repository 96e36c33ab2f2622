import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { after, before, describe, it } from 'node:test'
import WebSocket from 'ws'
import { API_ROUTES, DOWNLOAD_ROUTES, WS_ROUTES } from '../../web/src/api/routes.ts'
import { startTestPlatform, type TestPlatform } from '../support/platform.ts'

const webSrc = new URL('../../web/src', import.meta.url).pathname

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) files(p, out)
    else if (/\.(ts|tsx)$/.test(name)) out.push(p)
  }
  return out
}

describe("the console's API client matches the server's OpenAPI document", () => {
  let p: TestPlatform
  let doc: { paths: Record<string, Record<string, unknown>> }
  before(async () => {
    p = await startTestPlatform()
    const r = await p.api<typeof doc>('GET', '/docs/json')
    assert.equal(r.status, 200)
    doc = r.body
  })
  after(async () => p.stop())

  it('finds every route the client calls, with its method, in /docs/json', () => {
    const missing = Object.entries(API_ROUTES)
      .filter(([, [method, path]]) => !doc.paths[path]?.[method.toLowerCase()])
      .map(([name, [method, path]]) => `${name}: ${method} ${path}`)
    assert.deepEqual(missing, [])
    // the check itself can fail: a route the server does not have is reported
    assert.equal(doc.paths['/api/no-such-route'], undefined)
    assert.ok(Object.keys(API_ROUTES).length >= 20)
  })

  it('finds the report downloads the console links to, once the server documents them', (t) => {
    for (const [name, [method, path]] of Object.entries(DOWNLOAD_ROUTES)) {
      const op = doc.paths[path]
      if (!op) {
        t.skip(`${name}: ${path} is not served by this build yet`)
        continue
      }
      assert.ok(op[method.toLowerCase()], `${name}: ${method} ${path}`)
      // the console sets these query parameters (scope, period, date, format)
      const params = JSON.stringify(op[method.toLowerCase()])
      for (const q of ['scope', 'period', 'date', 'format'])
        assert.ok(params.includes(`"${q}"`), `${path} takes ${q}`)
    }
  })

  it('reaches the WebSocket routes the client opens (they are not in the OpenAPI document)', async () => {
    for (const path of Object.values(WS_ROUTES)) {
      const ws = new WebSocket(`${p.baseUrl.replace('http', 'ws')}${path}?token=${p.adminToken}`)
      const first = await new Promise<{ type: string }>((resolve, reject) => {
        ws.once('message', (m) => resolve(JSON.parse(String(m))))
        ws.once('error', reject)
      })
      ws.close()
      // the platform admin without an enterprise is told so by the live route itself, not a 404
      assert.ok(first.type === 'ready' || first.type === 'error', JSON.stringify(first))
      assert.equal(JSON.stringify(first).includes('ROUTE_NOT_FOUND'), false)
    }
  })

  it('has no URL under /api written anywhere in the console but the route table', () => {
    const stray: string[] = []
    for (const f of files(webSrc)) {
      if (f.endsWith(join('api', 'routes.ts'))) continue
      const text = readFileSync(f, 'utf8')
      for (const m of text.matchAll(/['"`]\/api\/[^'"`]*/g)) stray.push(`${relative(webSrc, f)}: ${m[0]}`)
    }
    assert.deepEqual(stray, [])
  })
})
