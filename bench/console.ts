/**
 * bench:console — the web console's two figures (issue 4), printed as one JSON line:
 *  - loginInitialJsGzipBytes: the JavaScript the login page loads before anything else (the entry script and
 *    its modulepreloads in web/dist/index.html), gzip-compressed (level 6, as servers send it);
 *  - a history chart of 1,000,000 stored samples (1 Hz over 11.6 days): the server's bucket query the chart
 *    makes (median of 5), and, when Chromium is installed, the time from navigating to the point page until the
 *    chart has drawn (median of 3, browser already open and logged in): from the overview by a client-side
 *    route change, and by a cold page load of the point's URL.
 * Usage: npm run bench:console   (builds web/dist when stale)
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { PointId, Sample, TenantId } from '../src/core/index.ts'
import { ADMIN_PASSWORD, startTestPlatform } from '../test/support/platform.ts'

const root = new URL('..', import.meta.url).pathname
const dist = join(root, 'web', 'dist')
const SAMPLES = 1_000_000

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN
const gz = (file: string): number => gzipSync(readFileSync(file), { level: 6 }).length

const built = spawnSync(process.execPath, [join(root, 'web', 'ensure-built.mjs')], { stdio: 'inherit' })
if (built.status !== 0) throw new Error('web console build failed')

// 1. the login page's initial JavaScript
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const initial = [
  ...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="([^"]+\.js)"/g),
].map((m) => join(dist, m[1] as string))
const loginInitialJsGzipBytes = initial.reduce((n, f) => n + gz(f), 0)
const assets = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js'))
const allJsGzipBytes = assets.reduce((n, f) => n + gz(join(dist, 'assets', f)), 0)
const echartsFile = assets.find((f) => f.startsWith('echarts'))
const echartsChunkGzipBytes = echartsFile ? gz(join(dist, 'assets', echartsFile)) : null

// 2. a point with 1,000,000 stored samples
const dataDir = mkdtempSync(join(tmpdir(), 'ronghe-bench-console-'))
const p = await startTestPlatform({ dataDir })
const figures: Record<string, unknown> = {}
try {
  const ent = await p.enterprise('基准测试企业')
  const dev = await p.device(ent.token, 'bench-01')
  const end = Date.now() - 60_000
  const start = end - SAMPLES * 1000
  const r = await fetch(`${p.baseUrl}/api/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${dev.token}`, 'content-type': 'application/json' },
    body: JSON.stringify([{ key: 'temperature', ts: start, value: 60 }]),
  })
  if (r.status !== 200) throw new Error(`ingest: ${r.status}`)
  const points = await p.api<{ items: { id: string }[] }>('GET', `/api/points?deviceId=${dev.id}`, {
    token: ent.token,
  })
  const point = points.body.items[0]?.id as PointId
  const tenant = ent.tenant as TenantId
  const batch = Math.min(p.app.series.capabilities.maxBatch, 50_000)
  const loadStart = performance.now()
  for (let i = 1; i < SAMPLES; i += batch) {
    const rows: Sample[] = []
    for (let k = i; k < Math.min(SAMPLES, i + batch); k++)
      rows.push({ point, ts: start + k * 1000, value: 60 + 5 * Math.sin(k / 3600), quality: 'good' })
    await p.app.series.append(tenant, rows)
  }
  figures.loadSeconds = Math.round((performance.now() - loadStart) / 100) / 10
  const from = start - 1000
  const to = end + 1000

  // what the chart asks the server for when it opens on the whole range
  const serverMs: number[] = []
  let buckets = 0
  let counted = 0
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now()
    const b = await p.api<{ bucketMs: number; rows: { count: number }[] }>(
      'GET',
      `/api/points/${point}/buckets?from=${from}&to=${to}&targetPoints=800`,
      { token: ent.token },
    )
    serverMs.push(performance.now() - t0)
    buckets = b.body.rows.length
    counted = b.body.rows.reduce((n, x) => n + x.count, 0)
  }
  Object.assign(figures, {
    storedSamples: counted,
    buckets,
    historyServerMsMedian: Math.round(median(serverMs) * 10) / 10,
  })

  if (existsSync('/usr/bin/chromium')) {
    const { chromium } = await import('playwright-core')
    const profile = mkdtempSync(join(tmpdir(), 'ronghe-bench-chromium-'))
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      viewport: { width: 1440, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    try {
      const page = ctx.pages()[0] ?? (await ctx.newPage())
      // log in through the login page once, then open the history chart directly
      await page.goto(`${p.baseUrl}/login`)
      await page.locator('#username').fill('admin')
      await page.locator('#password').fill(ADMIN_PASSWORD)
      await page.locator('[data-testid=login-submit]').click()
      await page.waitForURL('**/overview')
      await page.evaluate(`localStorage.setItem('ronghe.tenant', ${JSON.stringify(ent.tenant)})`)
      const url = `/points/${point}?from=${from}&to=${to}`
      const drawn = async (): Promise<void> => {
        await page.locator('[data-testid=history-mode][data-mode=bucketed]').waitFor({ timeout: 30_000 })
        await page.locator('[data-testid=history-chart][data-loading=false] [data-chart=ready]').waitFor()
        await page.evaluate('new Promise((r) => requestAnimationFrame(() => r(null)))')
      }
      // in the running console: from the overview to the point's chart of the whole range (client-side route)
      const inApp: number[] = []
      for (let i = 0; i < 3; i++) {
        await page.goto(`${p.baseUrl}/overview`)
        await page.locator('[data-testid=overview-page]').waitFor()
        const t0 = performance.now()
        // the page's own router follows a popstate, as after a click on a link
        await page.evaluate(
          `history.pushState({}, '', ${JSON.stringify(url)}); dispatchEvent(new PopStateEvent('popstate'))`,
        )
        await drawn()
        inApp.push(performance.now() - t0)
      }
      // a cold page load of the same URL: HTML, JavaScript, session, point, buckets, chart
      const cold: number[] = []
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now()
        await page.goto(`${p.baseUrl}${url}`)
        await drawn()
        cold.push(performance.now() - t0)
      }
      figures.historyOpenInAppMsMedian = Math.round(median(inApp))
      figures.historyOpenPageLoadMsMedian = Math.round(median(cold))
    } finally {
      await ctx.close()
      rmSync(profile, { recursive: true, force: true })
    }
  } else {
    figures.historyOpenInAppMsMedian = null
    figures.historyOpenPageLoadMsMedian = null
  }
} finally {
  await p.stop()
  rmSync(dataDir, { recursive: true, force: true })
}

console.log(
  JSON.stringify({
    bench: 'console',
    loginInitialJsGzipBytes,
    loginInitialJsFiles: initial.length,
    allJsGzipBytes,
    echartsChunkGzipBytes,
    ...figures,
    loadAverage1m: Math.round(loadavg()[0]! * 10) / 10,
  }),
)
