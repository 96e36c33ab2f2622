/**
 * Identifier benchmark: `npm run bench:identifiers` (RONGHE_BENCH_QUICK=1 for a short run).
 * Starts a real Ronghe platform (SQLite identifiers.db, Fastify) on loopback and prints one JSON line:
 * - registrations/s over HTTP, POST /api/identifiers/bulk in batches of 1000;
 * - EPCIS events captured/s over HTTP, POST /api/epcis/capture with documents of 1000 events;
 * - resolutions/s and p50/p99 for cache hits, for cold misses (each handle asked for the first time:
 *   not in the cache, read from the local store, then cached) and for authoritative reads (auth=true
 *   bypasses the cache every time), GET /api/handles/{handle} from the load client of bench/http-load-client.ts
 *   (raw keep-alive sockets, pre-encoded requests, answers delimited by Content-Length) in a SEPARATE
 *   process, with its own CPU per request reported so that its share of the cores is visible;
 * - the server's CPU time per resolution (µs, user + system of the server process), which other load on a
 *   shared machine disturbs far less than the rates;
 * - the same client against nginx serving the identical JSON as a static file, in the same run, and the ratio.
 * Client, server and nginx share this machine's cores (2 here): the figures are for the pair, not a server alone.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoadJob, LoadResult } from './http-load-client.ts'

/** the fields this bench reads from the API's answers */
interface ApiAnswer {
  readonly token: string
  readonly id: string
  readonly prefix: string
  readonly accepted: number
}

/** The load client (bench/http-load-client.ts) in its own process; its one JSON line back. */
function clientInChild(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const script = fileURLToPath(new URL('./http-load-client.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`client exited with ${code}`))
      else resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as LoadResult)
    })
  })
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a ? a.port : 0
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

async function startNginx(
  dir: string,
  json: string,
): Promise<{ url: string; port: number; proc: ChildProcess }> {
  const port = await freePort()
  const root = join(dir, 'www')
  mkdirSync(join(root, 'h'), { recursive: true })
  writeFileSync(join(root, 'handle.json'), json)
  const conf = join(dir, 'nginx.conf')
  const t = (x: string): string => join(dir, x)
  writeFileSync(
    conf,
    `daemon off; worker_processes 1; pid ${t('nginx.pid')}; error_log ${t('error.log')} error;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 60;
  client_body_temp_path ${t('cb')}; proxy_temp_path ${t('px')}; fastcgi_temp_path ${t('fc')}; uwsgi_temp_path ${t('uw')}; scgi_temp_path ${t('sc')};
  server { listen 127.0.0.1:${port}; root ${root};
    location / { default_type application/json; try_files /handle.json =404; } } }
`,
  )
  const proc = spawn('/usr/sbin/nginx', ['-p', dir, '-c', conf], { stdio: 'ignore' })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/h/x`)).status === 200) return { url, port, proc }
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  proc.kill()
  throw new Error('nginx did not start')
}

async function main(): Promise<void> {
  const quick = process.env['RONGHE_BENCH_QUICK'] === '1'
  // enough handles that the cold-miss phase never asks for one twice (its share of true misses is printed)
  const nHandles = quick ? 20_000 : 80_000
  const nEvents = quick ? 5_000 : 20_000
  const durationMs = quick ? 2_000 : 6_000
  const concurrency = 32
  const dir = mkdtempSync(join(tmpdir(), 'ronghe-bench-ident-'))
  // nginx's worker runs as an unprivileged user when started as root: it must be able to read the file
  chmodSync(dir, 0o755)
  const { startRonghe } = await import('../src/app.ts')
  const { loadConfig } = await import('../src/config.ts')
  const { createLogger, usccCheckChar } = await import('../src/core/index.ts')
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
  const base = `http://127.0.0.1:${app.httpPort}`
  let nginx: { url: string; port: number; proc: ChildProcess } | null = null
  try {
    const call = async (
      method: string,
      path: string,
      body?: unknown,
      token?: string,
      tenant?: string,
    ): Promise<ApiAnswer> => {
      const headers: Record<string, string> = {}
      if (token) headers.authorization = `Bearer ${token}`
      if (tenant) headers['x-ronghe-tenant'] = tenant
      if (body !== undefined) headers['content-type'] = 'application/json'
      const r = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await r.text()
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`)
      return (text ? JSON.parse(text) : {}) as ApiAnswer
    }
    const admin = (
      await call('POST', '/api/auth/login', { username: 'admin', password: 'Bench-Admin-Pass-1' })
    ).token
    const first17 = '91440606MA4WBENCH'
    const t = await call(
      'POST',
      '/api/tenants',
      {
        name: 'Bench Enterprise',
        uscc: first17 + usccCheckChar(first17),
        industryCode: 'C3360',
        regionCode: '440600',
      },
      admin,
    )
    await call(
      'POST',
      '/api/users',
      { username: 'bench', role: 'enterprise_admin', password: 'Bench-User-Pass-1' },
      admin,
      t.id,
    )
    const token = (
      await call('POST', '/api/auth/login', { username: 'bench', password: 'Bench-User-Pass-1' })
    ).token
    const prefix = (await call('POST', '/api/identifiers/prefixes', { prefix: '88.118.8' }, admin, t.id))
      .prefix as string

    // registrations over HTTP in batches of 1000
    let t0 = performance.now()
    for (let b = 0; b < nHandles; b += 1000) {
      const items = []
      for (let i = b; i < Math.min(nHandles, b + 1000); i++)
        items.push({
          handle: `${prefix}/P${i}`,
          values: [
            {
              index: 1,
              type: 'URL',
              data: { format: 'string', value: `https://acme.example/p/${i}` },
              ttl: 3600,
            },
          ],
        })
      const r = await call('POST', '/api/identifiers/bulk', { items }, token)
      if (r.accepted !== items.length) throw new Error(`bulk accepted ${r.accepted} of ${items.length}`)
    }
    const registrationsPerSec = Math.round(nHandles / ((performance.now() - t0) / 1000))

    // EPCIS capture over HTTP, documents of 1000 events
    t0 = performance.now()
    for (let b = 0; b < nEvents; b += 1000) {
      const eventList = []
      for (let i = b; i < Math.min(nEvents, b + 1000); i++)
        eventList.push({
          type: 'ObjectEvent',
          eventTime: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
          eventTimeZoneOffset: '+08:00',
          epcList: [`urn:epc:id:sgtin:6901234.056789.${i}`],
          action: 'OBSERVE',
          bizStep: 'inspecting',
          readPoint: { id: 'urn:epc:id:sgln:6901234.00001.L2' },
        })
      await call(
        'POST',
        '/api/epcis/capture',
        {
          type: 'EPCISDocument',
          schemaVersion: '2.0',
          creationDate: '2026-01-01T00:00:00Z',
          epcisBody: { eventList },
        },
        token,
      )
    }
    const epcisEventsPerSec = Math.round(nEvents / ((performance.now() - t0) / 1000))

    // the server's own CPU per request (this process: the client runs in another): far less sensitive to
    // other load on the machine than requests per second
    const cpuPerRequest = async (job: LoadJob): Promise<{ r: LoadResult; cpuUs: number }> => {
      const before = process.cpuUsage()
      const r = await clientInChild(job)
      const used = process.cpuUsage(before)
      // the warm-up requests of the client count too
      return { r, cpuUs: Math.round((used.user + used.system) / (r.requests + job.concurrency)) }
    }
    // resolution: hits over a warm set of 1000 handles (P0…P999)
    const hot = 1000
    for (let i = 0; i < hot; i++) await fetch(`${base}/api/handles/${prefix}/P${i}`).then((r) => r.text())
    const sample = await fetch(`${base}/api/handles/${prefix}/P0`).then((r) => r.text())
    const hitsRun = await cpuPerRequest({
      host: '127.0.0.1',
      port: app.httpPort,
      path: `/api/handles/${prefix}/P{i}`,
      n: hot,
      concurrency,
      durationMs,
    })
    const hits = hitsRun.r
    // cold misses: handles above the hot set, never asked for, each read from the store and cached
    const before = app.identifiers.resolver.stats()
    const coldRun = await cpuPerRequest({
      host: '127.0.0.1',
      port: app.httpPort,
      path: `/api/handles/${prefix}/P{i}`,
      first: hot,
      n: nHandles - hot,
      concurrency,
      durationMs,
    })
    const cold = coldRun.r
    const afterCold = app.identifiers.resolver.stats()
    const coldMisses = afterCold.misses - before.misses
    const coldAnswers = coldMisses + (afterCold.hits - before.hits)
    // authoritative reads: every handle with auth=true, the cache bypassed every time
    const missesRun = await cpuPerRequest({
      host: '127.0.0.1',
      port: app.httpPort,
      path: `/api/handles/${prefix}/P{i}?auth=true`,
      n: nHandles,
      concurrency,
      durationMs,
    })
    const misses = missesRun.r
    const stats = app.identifiers.resolver.stats()
    await app.stop()
    nginx = await startNginx(join(dir, 'nginx'), sample)
    const ng = await clientInChild({
      host: '127.0.0.1',
      port: nginx.port,
      path: '/h/P{i}',
      n: hot,
      concurrency,
      durationMs,
    })

    console.log(
      JSON.stringify({
        bench: 'identifiers',
        quick,
        cores: cpus().length,
        concurrency,
        durationMs,
        handles: nHandles,
        registrationsPerSec,
        epcisEventsPerSec,
        hitsPerSec: hits.perSec,
        hitP50Ms: hits.p50Ms,
        hitP99Ms: hits.p99Ms,
        coldMissesPerSec: cold.perSec,
        coldMissP50Ms: cold.p50Ms,
        coldMissP99Ms: cold.p99Ms,
        coldMissServerCpuUs: coldRun.cpuUs,
        // answers of the cold phase that were true cache misses (1 = no handle was asked for twice)
        coldMissShare: Math.round((coldMisses / Math.max(1, coldAnswers)) * 1000) / 1000,
        coldMissesToNginx: Math.round((cold.perSec / Math.max(1, ng.perSec)) * 1000) / 1000,
        // authoritative reads: ?auth=true, the cache bypassed every time
        missesPerSec: misses.perSec,
        missP50Ms: misses.p50Ms,
        missP99Ms: misses.p99Ms,
        hitServerCpuUs: hitsRun.cpuUs,
        missServerCpuUs: missesRun.cpuUs,
        nginxPerSec: ng.perSec,
        nginxP50Ms: ng.p50Ms,
        nginxP99Ms: ng.p99Ms,
        hitsToNginx: Math.round((hits.perSec / Math.max(1, ng.perSec)) * 1000) / 1000,
        missesToNginx: Math.round((misses.perSec / Math.max(1, ng.perSec)) * 1000) / 1000,
        clientCpuUs: {
          hits: hits.clientCpuUs,
          coldMisses: cold.clientCpuUs,
          misses: misses.clientCpuUs,
          nginx: ng.clientCpuUs,
        },
        errors: hits.errors + cold.errors + misses.errors + ng.errors,
        resolver: {
          hits: stats.hits,
          fastHits: stats.fastHits,
          misses: stats.misses,
          localReads: stats.localReads,
        },
        bodyBytes: Buffer.byteLength(sample),
        note: 'client (separate process), server and nginx (1 worker, run after the server stopped) share the machine',
      }),
    )
  } finally {
    nginx?.proc.kill()
    await app.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
