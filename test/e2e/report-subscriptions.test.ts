import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { ManualClock } from '../../src/core/index.ts'
import { startTestPlatform, type TestPlatform, testUscc } from '../support/platform.ts'

const HOUR = 3_600_000
/** Asia/Shanghai wall-clock time as an instant (UTC+8) */
const cst = (y: number, mo: number, d: number, h: number, mi = 0): number => Date.UTC(y, mo - 1, d, h - 8, mi)

interface Hit {
  path: string
  headers: IncomingHttpHeaders
  raw: string
  body: {
    type: string
    tenant: string
    subscription: { id: string; name: string; scope: string; regionCode: string | null; period: string }
    period: string
    files: { name: string; contentType: string; base64: string }[]
  }
}

/** A webhook receiver: /ok answers 200, /fail 500, /flaky 503 until `flaky.ok` is set. */
async function receiver(): Promise<{ server: Server; url: string; hits: Hit[]; flaky: { ok: boolean } }> {
  const hits: Hit[] = []
  const flaky = { ok: false }
  const server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (c) => {
      raw += c
    })
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      hits.push({ path, headers: req.headers, raw, body: JSON.parse(raw) })
      const status = path === '/ok' || (path === '/flaky' && flaky.ok) ? 200 : path === '/flaky' ? 503 : 500
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, flaky }
}

interface Delivery {
  subscriptionId: string
  periodKey: string
  status: string
  attempts: number
  lastError: string | null
  sentAt: number | null
}
interface Subscription {
  id: string
  scope: string
  regionCode: string | null
  period: string
  formats: string[]
  enabled: boolean
  lastDelivery: Delivery | null
}

describe('scheduled energy reports (report subscriptions)', () => {
  let p: TestPlatform
  let rx: Awaited<ReturnType<typeof receiver>>
  // 02:00 on 5 December in China: the day report of 4 December is due
  const clock = new ManualClock(cst(2026, 12, 5, 2, 0))
  let a: { tenant: string; token: string }
  let b: { tenant: string; token: string }
  let bureau: string
  let bureauTenant: string

  async function login(username: string, password: string): Promise<string> {
    const l = await p.api<{ token: string }>('POST', '/api/auth/login', { body: { username, password } })
    assert.equal(l.status, 200, JSON.stringify(l.body))
    return l.body.token
  }
  async function channel(token: string, id: string, body: unknown, tenant?: string): Promise<void> {
    const r = await p.api('PUT', `/api/notification-channels/${id}`, {
      token,
      body,
      ...(tenant ? { tenant } : {}),
    })
    assert.equal(r.status, 200, JSON.stringify(r.body))
  }
  async function subscribe(token: string, body: Record<string, unknown>): Promise<Subscription> {
    const r = await p.api<Subscription>('POST', '/api/report-subscriptions', { token, body })
    assert.equal(r.status, 201, JSON.stringify(r.body))
    return r.body
  }
  /** one hour later, every periodic job looked at (twice: a second look in the hour must do nothing) */
  async function nextHour(hours = 1): Promise<void> {
    for (let i = 0; i < hours; i++) {
      clock.advance(HOUR)
      await p.app.periodic.tick()
      await p.app.periodic.tick()
    }
  }
  const hitsFor = (id: string): Hit[] => rx.hits.filter((h) => h.body.subscription.id === id)

  before(async () => {
    rx = await receiver()
    p = await startTestPlatform({ start: { clock, periodicTickMs: 0 } })
    a = await p.enterprise('Nanhai Aluminium', '440605')
    b = await p.enterprise('Chancheng Ceramics', '440604')
    const t = await p.api<{ id: string }>('POST', '/api/tenants', {
      token: p.adminToken,
      body: { name: '佛山市能源管理中心', uscc: testUscc('440600'), industryCode: 'S', regionCode: '440600' },
    })
    assert.equal(t.status, 201, JSON.stringify(t.body))
    bureauTenant = t.body.id
    const u = await p.api('POST', '/api/users', {
      token: p.adminToken,
      tenant: bureauTenant,
      body: { username: 'foshan-energy-rs', role: 'regional_authority', password: 'Authority-Pass-1' },
    })
    assert.equal(u.status, 201, JSON.stringify(u.body))
    bureau = await login('foshan-energy-rs', 'Authority-Pass-1')
    await channel(a.token, 'hook', {
      kind: 'webhook',
      config: { url: `${rx.url}/ok`, secret: 'hook-secret-1' },
    })
    await channel(a.token, 'bad', {
      kind: 'webhook',
      config: { url: `${rx.url}/fail?access_token=TOKEN-NOT-TO-LEAK` },
    })
    await channel(a.token, 'flaky', { kind: 'webhook', config: { url: `${rx.url}/flaky` } })
    await channel(a.token, 'robot', { kind: 'dingtalk', config: { url: `${rx.url}/ok` } })
    // an authority cannot manage channels itself; the platform admin sets one up for it
    await channel(
      p.adminToken,
      'bureau-hook',
      { kind: 'webhook', config: { url: `${rx.url}/ok` } },
      bureauTenant,
    )
  })
  after(async () => {
    await p?.stop()
    rx?.server.close()
  })

  it('refuses bad subscriptions with stable codes', async () => {
    const base = { name: '日报', scope: 'enterprise', period: 'day', formats: ['xlsx'], channelId: 'hook' }
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...base, formats: ['docx'] }, 400, 'REPORT_SUBSCRIPTION_INVALID'],
      [{ ...base, formats: [] }, 400, 'REPORT_SUBSCRIPTION_INVALID'],
      [{ ...base, period: 'week' }, 400, 'REPORT_SUBSCRIPTION_INVALID'],
      [{ ...base, name: '  ' }, 400, 'REPORT_SUBSCRIPTION_INVALID'],
      [{ ...base, channelId: 'nope' }, 422, 'REPORT_CHANNEL_UNKNOWN'],
      [{ ...base, channelId: 'robot' }, 422, 'REPORT_CHANNEL_UNSUPPORTED'],
      [{ ...base, scope: 'region' }, 403, 'REPORT_SCOPE_FORBIDDEN'],
      [{ ...base, extra: 1 }, 400, 'VALIDATION_FAILED'],
    ]
    for (const [body, status, code] of cases) {
      const r = await p.api<{ error: { code: string } }>('POST', '/api/report-subscriptions', {
        token: a.token,
        body,
      })
      assert.equal(r.status, status, JSON.stringify(body))
      assert.equal(r.body.error.code, code, JSON.stringify(body))
    }
    const anonymous = await p.api('GET', '/api/report-subscriptions')
    assert.equal(anonymous.status, 401)
    // deny by default: a viewer reads subscriptions but may not create them
    const v = await p.api('POST', '/api/users', {
      token: a.token,
      body: { username: `viewer-${a.tenant}`, role: 'viewer', password: 'Viewer-Pass-123' },
    })
    assert.equal(v.status, 201, JSON.stringify(v.body))
    const viewer = await login(`viewer-${a.tenant}`, 'Viewer-Pass-123')
    assert.equal((await p.api('GET', '/api/report-subscriptions', { token: viewer })).status, 200)
    const denied = await p.api<{ error: { code: string } }>('POST', '/api/report-subscriptions', {
      token: viewer,
      body: base,
    })
    assert.equal(denied.status, 403)
    assert.equal(denied.body.error.code, 'AUTH_FORBIDDEN')
  })

  it('sends a day report to a webhook once for its period however often the job looks', async () => {
    const s = await subscribe(a.token, {
      name: '南海铝业能源日报',
      scope: 'enterprise',
      period: 'day',
      formats: ['pdf', 'xlsx'],
      channelId: 'hook',
    })
    assert.deepEqual(s.formats, ['xlsx', 'pdf'])
    await nextHour(3) // 03:00–05:00 on 5 December
    const hits = hitsFor(s.id)
    assert.equal(hits.length, 1)
    const h = hits[0] as Hit
    assert.equal(h.body.period, '2026-12-04')
    assert.equal(h.body.type, 'report.delivery')
    assert.equal(h.headers['x-ronghe-delivery'], `${s.id}/2026-12-04`)
    const sig = createHmac('sha256', 'hook-secret-1')
      .update(`${h.headers['x-ronghe-timestamp']}.${h.raw}`)
      .digest('hex')
    assert.equal(h.headers['x-ronghe-signature'], `sha256=${sig}`)
    assert.deepEqual(
      h.body.files.map((f) => [f.name, f.contentType]),
      [
        [
          'energy-day-enterprise-2026-12-04.xlsx',
          'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        ],
        ['energy-day-enterprise-2026-12-04.pdf', 'application/pdf'],
      ],
    )
    const [xlsx, pdf] = h.body.files.map((f) => Buffer.from(f.base64, 'base64'))
    assert.equal(xlsx?.subarray(0, 2).toString('latin1'), 'PK')
    assert.equal(pdf?.subarray(0, 5).toString('latin1'), '%PDF-')

    // the next day's report is due from 01:00 on the 6th: not at 00:00, then exactly once
    await nextHour(19) // 00:00 on 6 December
    assert.equal(hitsFor(s.id).length, 1)
    await nextHour(3)
    assert.deepEqual(
      hitsFor(s.id).map((x) => x.body.period),
      ['2026-12-04', '2026-12-05'],
    )
    const token = await login(`admin-${a.tenant}`, 'Enterprise-Pass-1')
    const d = await p.api<{ items: Delivery[] }>('GET', `/api/report-subscriptions/${s.id}/deliveries`, {
      token,
    })
    assert.deepEqual(
      d.body.items.map((x) => [x.periodKey, x.status, x.attempts, x.lastError]),
      [
        ['2026-12-05', 'sent', 1, null],
        ['2026-12-04', 'sent', 1, null],
      ],
    )
    // disabled: nothing more
    const off = await p.api<Subscription>('PATCH', `/api/report-subscriptions/${s.id}`, {
      token,
      body: { enabled: false },
    })
    assert.equal(off.status, 200, JSON.stringify(off.body))
    assert.equal(off.body.enabled, false)
    assert.equal(off.body.lastDelivery?.periodKey, '2026-12-05')
    await nextHour(24)
    assert.equal(hitsFor(s.id).length, 2)
    a.token = await login(`admin-${a.tenant}`, 'Enterprise-Pass-1')
  })

  it('records a failing webhook, retries it each hour, and gives up after five attempts', async () => {
    const bad = await subscribe(a.token, {
      name: '失败的订阅',
      scope: 'enterprise',
      period: 'day',
      formats: ['xlsx'],
      channelId: 'bad',
    })
    const flaky = await subscribe(a.token, {
      name: '时好时坏',
      scope: 'enterprise',
      period: 'month',
      formats: ['pdf'],
      channelId: 'flaky',
    })
    await nextHour(2)
    const token = a.token
    const deliveries = async (id: string): Promise<Delivery[]> =>
      (
        await p.api<{ items: Delivery[] }>('GET', `/api/report-subscriptions/${id}/deliveries`, {
          token,
        })
      ).body.items
    const [first] = await deliveries(bad.id)
    assert.equal(first?.status, 'failed')
    assert.equal(first?.attempts, 2)
    assert.match(first?.lastError ?? '', /^HTTP 500 from 127\.0\.0\.1:\d+$/)
    assert.doesNotMatch(JSON.stringify(first), /TOKEN-NOT-TO-LEAK/)
    assert.equal(hitsFor(flaky.id).length, 2)
    assert.equal((await deliveries(flaky.id))[0]?.status, 'failed')
    rx.flaky.ok = true
    await nextHour(1)
    const [ok] = await deliveries(flaky.id)
    assert.deepEqual([ok?.periodKey, ok?.status, ok?.attempts, ok?.lastError], ['2026-11', 'sent', 3, null])
    await nextHour(6)
    assert.equal(hitsFor(flaky.id).length, 3, 'a sent month is not sent again')
    const key = (await deliveries(bad.id))[0]?.periodKey as string
    assert.equal(
      hitsFor(bad.id).filter((h) => h.body.period === key).length,
      5,
      'five attempts, then no more',
    )
    const [gaveUp] = await deliveries(bad.id)
    assert.deepEqual([gaveUp?.status, gaveUp?.attempts], ['failed', 5])
  })

  it('sends now for a chosen period, and checks the period', async () => {
    const s = await subscribe(a.token, {
      name: '月报测试',
      scope: 'enterprise',
      period: 'month',
      formats: ['xlsx'],
      channelId: 'hook',
    })
    const r = await p.api<{ outcome: string; delivery: Delivery }>(
      'POST',
      `/api/report-subscriptions/${s.id}/send`,
      { token: a.token, body: { period: '2026-10' } },
    )
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.outcome, 'sent')
    assert.deepEqual([r.body.delivery.periodKey, r.body.delivery.attempts], ['2026-10', 1])
    assert.equal(hitsFor(s.id).at(-1)?.body.files[0]?.name, 'energy-month-enterprise-2026-10.xlsx')
    for (const [period, status, code] of [
      ['2026-13', 400, 'REPORT_PERIOD_INVALID'],
      ['2026-10-01', 400, 'REPORT_PERIOD_INVALID'],
      ['2027-01', 409, 'REPORT_PERIOD_NOT_ENDED'],
    ] as const) {
      const x = await p.api<{ error: { code: string } }>('POST', `/api/report-subscriptions/${s.id}/send`, {
        token: a.token,
        body: { period },
      })
      assert.equal(x.status, status, period)
      assert.equal(x.body.error.code, code, period)
    }
    const del = await p.api('DELETE', `/api/report-subscriptions/${s.id}`, { token: a.token })
    assert.equal(del.status, 204)
    assert.equal((await p.api('GET', `/api/report-subscriptions/${s.id}`, { token: a.token })).status, 404)
  })

  it('hides one enterprise’s subscriptions from another (404)', async () => {
    b.token = await login(`admin-${b.tenant}`, 'Enterprise-Pass-1')
    const s = await subscribe(a.token, {
      name: '只属于南海',
      scope: 'enterprise',
      period: 'day',
      formats: ['pdf'],
      channelId: 'hook',
    })
    for (const [method, path, body] of [
      ['GET', `/api/report-subscriptions/${s.id}`, undefined],
      ['PATCH', `/api/report-subscriptions/${s.id}`, { enabled: false }],
      ['DELETE', `/api/report-subscriptions/${s.id}`, undefined],
      ['GET', `/api/report-subscriptions/${s.id}/deliveries`, undefined],
      ['POST', `/api/report-subscriptions/${s.id}/send`, {}],
    ] as const) {
      const r = await p.api<{ error: { code: string } }>(method, path, { token: b.token, body })
      assert.equal(r.status, 404, `${method} ${path}`)
      assert.equal(r.body.error.code, 'NOT_FOUND')
    }
    const list = await p.api<{ items: Subscription[] }>('GET', '/api/report-subscriptions', {
      token: b.token,
    })
    assert.deepEqual(list.body.items, [])
    // B's channel of the same name does not make A's channel B's
    const r = await p.api<{ error: { code: string } }>('POST', '/api/report-subscriptions', {
      token: b.token,
      body: { name: 'x', scope: 'enterprise', period: 'day', formats: ['pdf'], channelId: 'hook' },
    })
    assert.equal(r.body.error.code, 'REPORT_CHANNEL_UNKNOWN')
    assert.equal((await p.api('GET', `/api/report-subscriptions/${s.id}`, { token: a.token })).status, 200)
  })

  it('lets a regional authority subscribe to its own region’s report only', async () => {
    bureau = await login('foshan-energy-rs', 'Authority-Pass-1')
    const base = {
      name: '佛山市能源日报',
      scope: 'region',
      period: 'day',
      formats: ['xlsx'],
      channelId: 'bureau-hook',
    }
    const other = await p.api<{ error: { code: string } }>('POST', '/api/report-subscriptions', {
      token: bureau,
      body: { ...base, regionCode: '440100' },
    })
    assert.equal(other.status, 403)
    assert.equal(other.body.error.code, 'REPORT_REGION_FORBIDDEN')
    const enterprise = await p.api<{ error: { code: string } }>('POST', '/api/report-subscriptions', {
      token: bureau,
      body: { ...base, scope: 'enterprise' },
    })
    assert.equal(enterprise.status, 403)
    assert.equal(enterprise.body.error.code, 'REPORT_SCOPE_FORBIDDEN')
    const s = await subscribe(bureau, { ...base, regionCode: '440600' })
    assert.equal(s.regionCode, '440600')
    const r = await p.api<{ outcome: string }>('POST', `/api/report-subscriptions/${s.id}/send`, {
      token: bureau,
      body: {},
    })
    assert.equal(r.body.outcome, 'sent', JSON.stringify(r.body))
    const h = hitsFor(s.id).at(-1) as Hit
    assert.equal(h.body.tenant, bureauTenant)
    assert.equal(h.body.subscription.regionCode, '440600')
    assert.match(h.body.files[0]?.name ?? '', /^energy-day-region-440600-\d{4}-\d{2}-\d{2}\.xlsx$/)
    // the enterprise cannot see it, and the authority cannot see the enterprise's
    assert.equal((await p.api('GET', `/api/report-subscriptions/${s.id}`, { token: a.token })).status, 404)
    const mine = await p.api<{ items: Subscription[] }>('GET', '/api/report-subscriptions', { token: bureau })
    assert.deepEqual(
      mine.body.items.map((x) => x.id),
      [s.id],
    )
  })
})
