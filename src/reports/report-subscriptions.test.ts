import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { startSmtpSink } from '../../test/support/smtp-sink.ts'
import { needService, tcpReachable } from '../../test/support/services.ts'
import { createEnergyReports, referenceRollups } from '../analytics/index.ts'
import { createLocalJobClaims } from '../bus/job-claims.ts'
import { createNatsJobClaims, type NatsJobClaims } from '../bus/nats-job-claims.ts'
import { createPeriodicJobs, type PeriodicJobs } from '../bus/periodic-jobs.ts'
import { ManualClock, type TenantId } from '../core/index.ts'
import type { NotificationChannel } from '../rules/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import { createPostgresMetaStore } from '../store/meta/postgres-meta-store.ts'
import { createSqliteMetaStore } from '../store/meta/sqlite-meta-store.ts'
import { createDuckdbSeriesStore } from '../store/series/duckdb-series-store.ts'
import {
  createScratchDatabase,
  needPostgres,
  type ScratchDatabase,
} from '../store/series/postgres-scratch.ts'
import type { SeriesStore } from '../store/series/series-store.ts'
import {
  createReportSender,
  createReportSubscriptions,
  publicError,
  type ReportParcel,
  type ReportSubscriptions,
  renderReportFiles,
} from './report-subscriptions.ts'

const url = process.env.RONGHE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'
const u = new URL(url)
const natsSkip = await needService(
  `NATS with JetStream at ${u.hostname}:${u.port || 4222}`,
  tcpReachable(u.hostname, Number(u.port || 4222)),
)
const run = randomBytes(4).toString('hex')
const HOUR = 3_600_000
const quiet = { warn: () => undefined, error: () => undefined }
const cst = (y: number, mo: number, d: number, h: number): number => Date.UTC(y, mo - 1, d, h - 8)

function webhook(id: string, target: string): NotificationChannel {
  return {
    id,
    kind: 'webhook',
    name: id,
    enabled: true,
    minPriority: 'low',
    escalateAfterMs: null,
    notifyOn: ['raised'],
    dedupeWindowMs: 600_000,
    equipment: [],
    config: { url: target },
  }
}

/** Receives report webhooks; /fail answers 500. Each hit: subscription id and period. */
async function receiver(): Promise<{ server: Server; url: string; hits: { sub: string; period: string }[] }> {
  const hits: { sub: string; period: string }[] = []
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (c) => {
      raw += c
    })
    req.on('end', () => {
      const b = JSON.parse(raw) as { subscription: { id: string }; period: string }
      hits.push({ sub: b.subscription.id, period: b.period })
      // a little latency, so that nodes running at once overlap while a report is in flight
      setTimeout(() => res.writeHead(req.url === '/fail' ? 500 : 200).end(), 20)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits }
}

/**
 * Two nodes, each with its own connection to one metadata database and its own NATS connection, on
 * one claims stream. Run on SQLite (a shared file) and on PostgreSQL (the scale-out shape).
 */
function twoNodes(
  engine: string,
  skip: string | undefined,
  openMeta: (dir: string, clock: ManualClock) => Promise<MetaStore>,
): void {
  describe(`scheduled reports delivered once across two nodes (NATS job claims, ${engine})`, { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ronghe-report-subs-'))
    const clock = new ManualClock(cst(2026, 11, 30, 2))
    const claimsOpened: NatsJobClaims[] = []
    const metas: MetaStore[] = []
    let series: SeriesStore
    let rx: Awaited<ReturnType<typeof receiver>>
    let tenant: TenantId
    const nodes: { svc: ReportSubscriptions; jobs: PeriodicJobs; claims: NatsJobClaims; holder: string }[] =
      []
    const subs: string[] = []

    before(async () => {
      rx = await receiver()
      series = await createDuckdbSeriesStore({ path: join(dir, 'series.duckdb') })
      for (let n = 0; n < 2; n++) {
        // two nodes: each its own connection to the shared metadata and its own NATS connection
        const meta = await openMeta(dir, clock)
        metas.push(meta)
        const claims = await createNatsJobClaims({
          url,
          stream: `T${run}_${engine}_REPORTS`,
          subjectPrefix: `t${run}.${engine}.reports.jobs`,
        })
        claimsOpened.push(claims)
        const svc = createReportSubscriptions({
          meta,
          clock,
          reports: createEnergyReports({ meta, rollups: series.rollups ?? referenceRollups(series) }),
          channelsOf: async () => [webhook('hook', `${rx.url}/ok`), webhook('bad', `${rx.url}/fail`)],
          log: quiet,
        })
        const holder = `node-${n}`
        const jobs = createPeriodicJobs({ claims, clock, holder, log: quiet, tickMs: 0 })
        jobs.add({
          name: 'report-subscriptions',
          periodMs: HOUR,
          run: () => svc.runDue({ claims, holder }).then(() => undefined),
        })
        nodes.push({ svc, jobs, claims, holder })
      }
      const meta = metas[0] as MetaStore
      tenant = (
        await meta.createTenantForPlatform({
          name: '南海铝业',
          uscc: `91440605RS${engine}${run}`,
          industryCode: 'C3216',
          regionCode: '440605',
        })
      ).id
      for (const [period, formats, channelId] of [
        ['day', ['xlsx'], 'hook'],
        ['day', ['pdf'], 'hook'],
        ['month', ['xlsx', 'pdf'], 'hook'],
      ] as const) {
        const s = await nodes[0]?.svc.create(
          tenant,
          { name: `${period}-${formats.join('+')}`, scope: 'enterprise', period, formats, channelId },
          'test',
        )
        subs.push(s?.id as string)
      }
    })
    after(async () => {
      for (const n of nodes) await n.jobs.stop()
      for (const c of claimsOpened) await c.close()
      for (const m of metas) await m.close()
      await series?.close()
      rx?.server.close()
      const nc = await connect({ servers: url })
      const jsm = await jetstreamManager(nc)
      await jsm.streams.delete(`T${run}_${engine}_REPORTS`).catch(() => false)
      await nc.close()
    })

    it('sends each (subscription, period) once when both nodes tick every hour for three days', async () => {
      for (let h = 0; h < 72; h++) {
        await Promise.all(nodes.flatMap((n) => [n.jobs.tick(), n.jobs.tick()]))
        clock.advance(HOUR)
      }
      const seen = rx.hits.map((x) => `${x.sub} ${x.period}`)
      assert.equal(new Set(seen).size, seen.length, `a report sent twice: ${seen.join(', ')}`)
      const [day1, day2, month] = subs as [string, string, string]
      const days = ['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']
      for (const s of [day1, day2])
        assert.deepEqual(
          rx.hits.filter((x) => x.sub === s).map((x) => x.period),
          days,
        )
      // October was due at the start (before 1 December 01:00), November from then on
      assert.deepEqual(
        rx.hits.filter((x) => x.sub === month).map((x) => x.period),
        ['2026-10', '2026-11'],
      )
    })

    it('sends once even when both nodes run the job at the same moment (the per-attempt claim)', async () => {
      // bypass the hourly claim: a slow node still at work when the next hour's run starts elsewhere
      clock.advance(24 * HOUR)
      const before = rx.hits.length
      for (let i = 0; i < 3; i++)
        await Promise.all(nodes.map((n) => n.svc.runDue({ claims: n.claims, holder: n.holder })))
      const fresh = rx.hits.slice(before).map((x) => `${x.sub} ${x.period}`)
      assert.deepEqual(fresh.sort(), [`${subs[0]} 2026-12-03`, `${subs[1]} 2026-12-03`].sort())
    })

    it('counts one attempt per claim across the nodes and stops after five', async () => {
      const s = await nodes[0]?.svc.create(
        tenant,
        { name: 'failing', scope: 'enterprise', period: 'day', formats: ['xlsx'], channelId: 'bad' },
        'test',
      )
      const id = s?.id as string
      for (let i = 0; i < 8; i++) {
        await Promise.all(nodes.map((n) => n.svc.runDue({ claims: n.claims, holder: n.holder })))
      }
      assert.equal(rx.hits.filter((x) => x.sub === id).length, 5)
      const [d] = await (metas[1] as MetaStore).listReportDeliveries(tenant, id)
      assert.deepEqual(
        [d?.status, d?.attempts, d?.lastError?.startsWith('HTTP 500 from 127.0.0.1:')],
        ['failed', 5, true],
      )
    })
  })
}

twoNodes('sqlite', natsSkip, (dir, clock) => createSqliteMetaStore({ path: join(dir, 'meta.db'), clock }))
const pgSkip = natsSkip ?? (await needPostgres())
let scratch: ScratchDatabase | undefined
if (pgSkip === undefined) {
  before(async () => {
    scratch = await createScratchDatabase('reports')
  })
  after(async () => scratch?.drop())
}
twoNodes('postgres', pgSkip, (_, clock) =>
  createPostgresMetaStore({ url: (scratch as ScratchDatabase).url, clock }),
)

describe('delivery errors as they are stored', () => {
  it('keeps a URL’s host and drops its path and query, where robot tokens and keys live', () => {
    assert.equal(
      publicError(new Error('POST https://oapi.dingtalk.com/robot/send?access_token=SECRET123 refused')),
      'POST https://oapi.dingtalk.com/… refused',
    )
  })
  it('says why fetch failed', async () => {
    // a port nobody listens on: one that was just closed
    const s = createServer()
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    const port = (s.address() as AddressInfo).port
    await new Promise((r) => s.close(r))
    const err = await fetch(`http://127.0.0.1:${port}/hook?key=SECRET`).catch((e: unknown) => e)
    assert.match(publicError(err), new RegExp(`^fetch failed: .*ECONNREFUSED 127\\.0\\.0\\.1:${port}$`))
    assert.doesNotMatch(publicError(err), /SECRET/)
  })
})

describe('a delivery left "sending" by a node that stopped', () => {
  it('waits for the lease, then counts it as an attempt and sends again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ronghe-report-lease-'))
    const rx = await receiver()
    const clock = new ManualClock(cst(2026, 12, 5, 3))
    const meta = await createSqliteMetaStore({ path: join(dir, 'meta.db'), clock })
    const series = await createDuckdbSeriesStore({ path: join(dir, 'series.duckdb') })
    try {
      const svc = createReportSubscriptions({
        meta,
        clock,
        reports: createEnergyReports({ meta, rollups: series.rollups ?? referenceRollups(series) }),
        channelsOf: async () => [webhook('hook', `${rx.url}/ok`)],
        log: quiet,
        leaseMs: 30 * 60_000,
      })
      const cluster = { claims: createLocalJobClaims(), holder: 'me' }
      const tenant = (
        await meta.createTenantForPlatform({
          name: 't',
          uscc: `91440600LS${run}`,
          industryCode: 'C',
          regionCode: '440600',
        })
      ).id
      const s = await svc.create(
        tenant,
        { name: 'd', scope: 'enterprise', period: 'day', formats: ['xlsx'], channelId: 'hook' },
        'test',
      )
      // what a node leaves behind when it dies between its claim of attempt 1 and the send
      await meta.putReportDelivery(tenant, {
        subscriptionId: s.id,
        periodKey: '2026-12-04',
        status: 'sending',
        attempts: 1,
        lastError: null,
        sentAt: null,
        updatedAt: clock.now(),
      })
      assert.deepEqual(await svc.runDue(cluster), { sent: 0, failed: 0, skipped: 1 })
      clock.advance(29 * 60_000)
      assert.deepEqual(await svc.runDue(cluster), { sent: 0, failed: 0, skipped: 1 })
      assert.equal(rx.hits.length, 0)
      clock.advance(2 * 60_000)
      assert.deepEqual(await svc.runDue(cluster), { sent: 1, failed: 0, skipped: 0 })
      const d = await meta.getReportDelivery(tenant, s.id, '2026-12-04')
      assert.deepEqual([d?.status, d?.attempts], ['sent', 2])
      assert.deepEqual(rx.hits, [{ sub: s.id, period: '2026-12-04' }])
    } finally {
      await meta.close()
      await series.close()
      rx.server.close()
    }
  })
})

describe('report e-mail with the files attached, to a real SMTP peer', () => {
  let sink: Awaited<ReturnType<typeof startSmtpSink>>
  let meta: MetaStore
  let series: SeriesStore
  before(async () => {
    sink = await startSmtpSink()
    const dir = mkdtempSync(join(tmpdir(), 'ronghe-report-mail-'))
    meta = await createSqliteMetaStore({ path: join(dir, 'meta.db') })
    series = await createDuckdbSeriesStore({ path: join(dir, 'series.duckdb') })
  })
  after(async () => {
    if (sink.skip === undefined) sink.stop()
    await meta.close()
    await series.close()
  })

  it('attaches the xlsx and pdf so that they decode to the same bytes', async (t) => {
    if (sink.skip !== undefined) return t.skip(sink.skip)
    const port = sink.port
    const tenant = (
      await meta.createTenantForPlatform({
        name: '佛山压铸',
        uscc: `91440600RM${run}`,
        industryCode: 'C3391',
        regionCode: '440600',
      })
    ).id
    const report = await createEnergyReports({
      meta,
      rollups: series.rollups ?? referenceRollups(series),
    }).enterprise(tenant, 'day', '2026-12-04')
    const files = renderReportFiles(report, ['xlsx', 'pdf'])
    const s = await meta.createReportSubscription(tenant, {
      name: '压铸车间日报',
      scope: 'enterprise',
      regionCode: null,
      period: 'day',
      formats: ['xlsx', 'pdf'],
      channelId: 'mail',
      enabled: true,
      createdBy: 'test',
    })
    const parcel: ReportParcel = {
      tenant,
      subscription: s,
      periodKey: '2026-12-04',
      title: '企业能源日报',
      files,
    }
    const channel: NotificationChannel = {
      ...webhook('mail', ''),
      kind: 'email',
      config: {
        host: '127.0.0.1',
        port,
        from: 'Ronghe 报表 <reports@ronghe.local>',
        to: ['energy@factory.local'],
      },
    }
    await createReportSender({ timeoutMs: 5000 })(channel, parcel, Date.UTC(2026, 11, 4, 17, 5))
    const until = Date.now() + 5000
    while (sink.mails().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 25))
    const mail = sink.mails()[0]
    assert.ok(mail, 'no mail arrived')
    assert.equal(mail.subject, '[Ronghe 报表] 企业能源日报 2026-12-04 · 压铸车间日报')
    assert.match(mail.text, /^您订阅的报表「压铸车间日报」已生成/)
    assert.deepEqual(
      mail.attachments.map((a) => [a.filename, a.contentType]),
      [
        [
          'energy-day-enterprise-2026-12-04.xlsx',
          'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        ],
        ['energy-day-enterprise-2026-12-04.pdf', 'application/pdf'],
      ],
    )
    const [xlsx, pdf] = mail.attachments.map((a) => Buffer.from(a.base64, 'base64')) as [Buffer, Buffer]
    assert.deepEqual(xlsx, files[0]?.content)
    assert.deepEqual(pdf, files[1]?.content)
    assert.equal(xlsx.subarray(0, 2).toString('latin1'), 'PK')
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-')
  })
})
