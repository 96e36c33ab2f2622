/**
 * In-process cost of identifier resolution: `npx tsx bench/identifiers-inject.ts [label]`.
 * Starts a platform, registers 20,000 handles, then drives Fastify's inject (no sockets, no client
 * process) sequentially and prints one JSON line: CPU time (user + system, µs) and wall time per request
 * for cache hits, misses read from the store (auth=true) and /api/health as the floor of any route.
 * CPU per request is far less disturbed by other load on a shared machine than requests per second, so
 * this is the figure to compare two versions of the code with (run them alternately).
 */
const { startRonghe } = await import('../src/app.ts')
const { loadConfig } = await import('../src/config.ts')
const { createLogger, usccCheckChar } = await import('../src/core/index.ts')
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
const dir = mkdtempSync(join(tmpdir(), 'inj-'))
const config = loadConfig({
  file: null,
  env: {
    RONGHE_DATA_DIR: join(dir, 'data'),
    RONGHE_HTTP_PORT: '0',
    RONGHE_HTTP_HOST: '127.0.0.1',
    RONGHE_MQTT_ENABLED: 'false',
    RONGHE_ADMIN_PASSWORD: 'Bench-Admin-Pass-1',
    RONGHE_DEMO: 'false',
    RONGHE_LOG_LEVEL: 'error',
    RONGHE_IDENT_PREFIX: '88.118',
  },
})
const app = await startRonghe(config, { log: createLogger('error') })
const inj = async (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) => {
  const r = await app.api.inject({ method: method as 'GET', url, payload: payload as object, headers })
  return r
}
const admin = (
  await inj('POST', '/api/auth/login', { username: 'admin', password: 'Bench-Admin-Pass-1' })
).json().token
const f = '91440606MA4WBENCH'
const t = (
  await inj(
    'POST',
    '/api/tenants',
    { name: 'B', uscc: f + usccCheckChar(f), industryCode: 'C3360', regionCode: '440600' },
    { authorization: `Bearer ${admin}` },
  )
).json()
const H = { authorization: `Bearer ${admin}`, 'x-ronghe-tenant': t.id }
await inj('POST', '/api/identifiers/prefixes', { prefix: '88.118.8' }, H)
// as many handles as the full HTTP run: misses read all of them, hits cycle over the first 1,000
const nHandles = 20_000
for (let b = 0; b < nHandles; b += 1000) {
  const items = Array.from({ length: 1000 }, (_, i) => ({
    handle: `88.118.8/P${b + i}`,
    values: [{ index: 1, type: 'URL', data: `https://a.example/p/${b + i}`, ttl: 3600 }],
  }))
  const r = await inj('POST', '/api/identifiers/bulk', { items }, H)
  if (r.statusCode !== 200) throw new Error(`bulk: ${r.statusCode} ${r.body.slice(0, 200)}`)
}
const measure = async (n: number, over: number, path: (i: number) => string) => {
  for (let i = 0; i < 1000; i++) await inj('GET', path(i))
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    const r = await inj('GET', path(i % over))
    if (r.statusCode !== 200) throw new Error(String(r.statusCode))
  }
  const c = process.cpuUsage(c0)
  return {
    cpuUs: +((c.user + c.system) / n).toFixed(1),
    wallUs: +(((performance.now() - t0) * 1000) / n).toFixed(1),
  }
}
const hits = await measure(20000, 1000, (i) => `/api/handles/88.118.8/P${i}`)
const misses = await measure(20000, nHandles, (i) => `/api/handles/88.118.8/P${i}?auth=true`)
const health = await measure(20000, 1, () => '/api/health')
console.log(JSON.stringify({ v: process.argv[2] ?? 'HEAD', hits, misses, health }))
await app.stop()
process.exit(0)
