/**
 * Scheduled energy reports (report subscriptions): a tenant asks for its daily or monthly report — or a
 * regional authority for its region's — to be sent over one of its notification channels (e-mail with
 * the files attached, or a webhook with them in the JSON body). An hourly job sends each report due and
 * not yet sent; in a cluster each (subscription, period, attempt) is claimed through `JobClaims` so
 * exactly one node builds and sends it.
 */
import type { EnergyReport } from '../analytics/index.ts'
import type { JobClaims } from '../bus/index.ts'
import type { Clock, TenantId } from '../core/index.ts'
import {
  type MailAttachment,
  type NotificationChannel,
  sendMail,
  smtpOptionsOf,
  type WebhookConfig,
  webhookSignature,
} from '../rules/index.ts'
import type {
  MetaStore,
  ReportDelivery,
  ReportSubscription,
  ReportSubscriptionPatch,
} from '../store/meta/index.ts'
import { energyReportPdf, energyReportXlsx, reportFileName, reportTitle } from './energy-report-files.ts'
import {
  duePeriodKey,
  isPeriodKey,
  periodBounds,
  reportDateOf,
  type SubscriptionPeriod,
} from './report-periods.ts'
import { ReportErrors } from './report-errors.ts'

export type ReportFormat = 'xlsx' | 'pdf'
export const REPORT_FORMATS: readonly ReportFormat[] = ['xlsx', 'pdf']
/** channel kinds that can carry files */
export const REPORT_CHANNEL_KINDS = ['email', 'webhook'] as const

export interface ReportFile {
  readonly name: string
  readonly contentType: string
  readonly content: Buffer
}

/** What is handed to a channel: the subscription, the period and the rendered files. */
export interface ReportParcel {
  readonly tenant: TenantId
  readonly subscription: ReportSubscription
  readonly periodKey: string
  /** 企业能源日报 etc. */
  readonly title: string
  readonly files: readonly ReportFile[]
}

/** Sends a parcel over a channel; throws when the service did not accept it. */
export type SendReport = (channel: NotificationChannel, parcel: ReportParcel, now: number) => Promise<void>

export interface EnergyReportSource {
  enterprise(tenant: TenantId, period: SubscriptionPeriod, date: string): Promise<EnergyReport>
  region(authority: TenantId, period: SubscriptionPeriod, date: string): Promise<EnergyReport>
}

export interface ReportSubscriptionsDeps {
  readonly meta: MetaStore
  readonly clock: Clock
  readonly reports: EnergyReportSource
  /** the tenant's notification channels (the rules module owns them) */
  readonly channelsOf: (tenant: TenantId) => Promise<readonly NotificationChannel[]>
  readonly log: { warn(msg: string, extra?: unknown): void; error(msg: string, extra?: unknown): void }
  readonly send?: SendReport
  /** attempts per (subscription, period) before giving up (default 5: one an hour) */
  readonly maxAttempts?: number
  /** a `sending` delivery not finished within this long is taken as a failed attempt (default 30 min) */
  readonly leaseMs?: number
}

export interface NewSubscriptionInput {
  readonly name: string
  readonly scope: 'enterprise' | 'region'
  readonly period: SubscriptionPeriod
  readonly formats: readonly string[]
  readonly channelId: string
  readonly enabled?: boolean
  /** region subscriptions: must be the authority's own region (default: it) */
  readonly regionCode?: string
}

/** What "send now" did this time, and the delivery record as it now stands. */
export interface SendNowResult {
  readonly outcome: 'sent' | 'failed'
  readonly error: string | null
  readonly delivery: ReportDelivery
}

export type SubscriptionView = ReportSubscription & { readonly lastDelivery: ReportDelivery | null }

export interface ReportSubscriptions {
  list(tenant: TenantId): Promise<SubscriptionView[]>
  get(tenant: TenantId, id: string): Promise<SubscriptionView>
  create(tenant: TenantId, input: NewSubscriptionInput, createdBy: string): Promise<SubscriptionView>
  update(tenant: TenantId, id: string, patch: ReportSubscriptionPatch): Promise<SubscriptionView>
  remove(tenant: TenantId, id: string): Promise<void>
  deliveries(tenant: TenantId, id: string, limit?: number): Promise<readonly ReportDelivery[]>
  /** builds and sends the report of `periodKey` (default: the most recent one due) now, and records it */
  sendNow(tenant: TenantId, id: string, periodKey?: string): Promise<SendNowResult>
  /**
   * The periodic job: every enabled subscription's due report, unless sent or given up. `claims` are
   * the cluster's (the periodic jobs' own); `holder` names this node in them.
   */
  runDue(cluster: {
    claims: JobClaims
    holder: string
  }): Promise<{ sent: number; failed: number; skipped: number }>
}

const ERROR_MAX = 300

/** An error as it may be stored and shown: no URL paths or queries (robot tokens live there), short. */
export function publicError(err: unknown): string {
  // fetch says only "fetch failed"; what failed (ECONNREFUSED, a TLS error) is in its cause
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : ''
  const raw = (err instanceof Error ? err.message : String(err)) + cause
  return raw
    .replace(/\b(https?):\/\/([^/\s?#]+)[^\s]*/g, '$1://$2/…')
    .replace(/\s+/g, ' ')
    .slice(0, ERROR_MAX)
}

function contentTypeOf(f: ReportFormat): string {
  return f === 'xlsx'
    ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
    : 'application/pdf'
}

export function renderReportFiles(report: EnergyReport, formats: readonly ReportFormat[]): ReportFile[] {
  return formats.map((f) => ({
    name: reportFileName(report, f),
    contentType: contentTypeOf(f),
    content: f === 'xlsx' ? energyReportXlsx(report) : energyReportPdf(report),
  }))
}

/** Subject and text of a report e-mail, Chinese first. */
export function reportMailText(p: ReportParcel): { subject: string; text: string } {
  const s = p.subscription
  const kindEn = s.period === 'day' ? 'daily' : 'monthly'
  const scopeEn = s.scope === 'enterprise' ? 'enterprise' : `region ${s.regionCode ?? ''}`.trim()
  return {
    subject: `[Ronghe 报表] ${p.title} ${p.periodKey} · ${s.name}`,
    text: [
      `您订阅的报表「${s.name}」已生成，请查收附件。`,
      `报表: ${p.title}`,
      `报告期: ${p.periodKey} (北京时间 UTC+8)`,
      `附件: ${p.files.map((f) => f.name).join(', ')}`,
      '',
      `Your scheduled ${kindEn} energy report "${s.name}" (${scopeEn}) for ${p.periodKey} is attached.`,
      '',
      '此邮件由融合工业互联网平台按报表订阅自动发送。',
      'Sent by Ronghe according to a report subscription; manage it on the energy report page.',
    ].join('\n'),
  }
}

/**
 * The webhook body: JSON `{type, tenant, subscription, period, files: [{name, contentType, base64}]}`,
 * signed like alarm webhooks (`X-Ronghe-Signature`, HMAC-SHA256 of "timestamp.body"), with a stable
 * `X-Ronghe-Delivery` of "<subscription>/<period>" so a receiver can drop a repeat.
 */
export function reportWebhookRequest(
  config: WebhookConfig,
  p: ReportParcel,
  now: number,
): { url: string; headers: Record<string, string>; body: string } {
  const s = p.subscription
  const body = JSON.stringify({
    type: 'report.delivery',
    tenant: p.tenant,
    subscription: { id: s.id, name: s.name, scope: s.scope, regionCode: s.regionCode, period: s.period },
    period: p.periodKey,
    title: p.title,
    files: p.files.map((f) => ({
      name: f.name,
      contentType: f.contentType,
      base64: f.content.toString('base64'),
    })),
  })
  const timestamp = String(now)
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-ronghe-event': 'report.delivered',
    'x-ronghe-delivery': `${s.id}/${p.periodKey}`,
    'x-ronghe-timestamp': timestamp,
  }
  if (config.secret !== undefined && config.secret !== '')
    headers['x-ronghe-signature'] = webhookSignature(config.secret, timestamp, body)
  return { url: config.url, headers, body }
}

/** The real transport: SMTP with attachments, or an HTTP POST. */
export function createReportSender(options: { timeoutMs?: number } = {}): SendReport {
  const timeoutMs = options.timeoutMs ?? 30_000
  return async function sendReport(channel, parcel, now) {
    if (channel.kind === 'email') {
      const { subject, text } = reportMailText(parcel)
      const attachments: MailAttachment[] = parcel.files.map((f) => ({
        filename: f.name,
        contentType: f.contentType,
        content: f.content,
      }))
      await sendMail(smtpOptionsOf(channel.config, timeoutMs), {
        from: channel.config.from,
        to: channel.config.to,
        subject,
        text,
        date: now,
        attachments,
      })
      return
    }
    if (channel.kind === 'webhook') {
      const req = reportWebhookRequest(channel.config, parcel, now)
      const r = await fetch(req.url, {
        method: 'POST',
        headers: req.headers,
        body: req.body,
        signal: AbortSignal.timeout(timeoutMs),
      })
      await r.arrayBuffer()
      if (r.status < 200 || r.status >= 300) throw new Error(`HTTP ${r.status} from ${new URL(req.url).host}`)
      return
    }
    throw new Error(`a ${channel.kind} channel cannot carry report files`)
  }
}

function checkFormats(formats: readonly string[]): ReportFormat[] {
  const out: ReportFormat[] = []
  for (const f of formats) {
    if (!REPORT_FORMATS.includes(f as ReportFormat))
      throw ReportErrors.subscriptionInvalid('formats', `format "${f}" must be xlsx or pdf`)
    if (!out.includes(f as ReportFormat)) out.push(f as ReportFormat)
  }
  if (out.length === 0)
    throw ReportErrors.subscriptionInvalid('formats', 'choose at least one format: xlsx, pdf')
  // one order whatever the caller sent: xlsx before pdf
  return REPORT_FORMATS.filter((f) => out.includes(f))
}

function checkName(name: unknown): string {
  const n = typeof name === 'string' ? name.trim() : ''
  if (n.length < 1 || n.length > 100)
    throw ReportErrors.subscriptionInvalid('name', 'a name is 1–100 characters')
  return n
}

export function createReportSubscriptions(deps: ReportSubscriptionsDeps): ReportSubscriptions {
  const { meta, clock, log } = deps
  const send = deps.send ?? createReportSender()
  const maxAttempts = deps.maxAttempts ?? 5
  const leaseMs = deps.leaseMs ?? 30 * 60_000

  async function channelFor(tenant: TenantId, id: string): Promise<NotificationChannel> {
    const c = (await deps.channelsOf(tenant)).find((x) => x.id === id)
    if (c === undefined) throw ReportErrors.channelUnknown(id)
    if (c.kind !== 'email' && c.kind !== 'webhook') throw ReportErrors.channelUnsupported(id, c.kind)
    return c
  }

  async function view(tenant: TenantId, s: ReportSubscription): Promise<SubscriptionView> {
    const [last] = await meta.listReportDeliveries(tenant, s.id, 1)
    return { ...s, lastDelivery: last ?? null }
  }

  /** Builds the files and hands them to the channel; throws what went wrong. */
  async function buildAndSend(s: ReportSubscription, periodKey: string): Promise<void> {
    const tenant = s.tenantId
    const channel = await channelFor(tenant, s.channelId)
    // a channel switched off is off for reports too: the operator stopped it for a reason
    if (!channel.enabled) throw new Error(`notification channel ${channel.id} is disabled`)
    const date = reportDateOf(s.period, periodKey)
    const report =
      s.scope === 'region'
        ? await deps.reports.region(tenant, s.period, date)
        : await deps.reports.enterprise(tenant, s.period, date)
    if (report.scope === 'region' && s.regionCode !== null && report.regionCode !== s.regionCode)
      throw new Error(`the authority's region is now ${report.regionCode}, not ${s.regionCode}`)
    const parcel: ReportParcel = {
      tenant,
      subscription: s,
      periodKey,
      title: reportTitle(report),
      files: renderReportFiles(report, s.formats),
    }
    await send(channel, parcel, clock.now())
  }

  /** One try at a due report, claimed so that one node of the cluster makes it. */
  async function attemptDue(
    s: ReportSubscription,
    now: number,
    cluster: { claims: JobClaims; holder: string },
  ): Promise<'sent' | 'failed' | 'skipped'> {
    const tenant = s.tenantId
    const key = duePeriodKey(s.period, now)
    const d = await meta.getReportDelivery(tenant, s.id, key)
    if (d?.status === 'sent') return 'skipped'
    if (d?.status === 'sending' && now - d.updatedAt < leaseMs) return 'skipped' // another node is on it
    if (d !== null && d.attempts >= maxAttempts) {
      if (d.status === 'sending') {
        // the last node to try stopped before finishing and there is no attempt left: say so
        await meta.putReportDelivery(tenant, {
          ...d,
          status: 'failed',
          lastError: 'the node sending it stopped before it finished',
          updatedAt: now,
        })
      }
      return 'skipped'
    }
    // The claim is per attempt: (subscription, period, attempt n). Exactly one node wins attempt n; a
    // node that lost, or reads the delivery after the winner recorded it, never sends n again. A
    // failed (or abandoned) attempt moves the count on, so the next tick can claim n + 1 — a claim
    // never blocks a retry, and the claims stream's expiry has nothing to do with when we retry.
    const attempt = (d?.attempts ?? 0) + 1
    if (!(await cluster.claims.claim(`report-${s.id}-${key}`, attempt, cluster.holder))) return 'skipped'
    await meta.putReportDelivery(tenant, {
      subscriptionId: s.id,
      periodKey: key,
      status: 'sending',
      attempts: attempt,
      lastError: d?.lastError ?? null,
      sentAt: null,
      updatedAt: now,
    })
    try {
      await buildAndSend(s, key)
    } catch (err) {
      const lastError = publicError(err)
      log.warn('scheduled report not delivered; it is tried again at the next tick', {
        tenant,
        subscription: s.id,
        period: key,
        attempt,
        error: lastError,
      })
      await meta.putReportDelivery(tenant, {
        subscriptionId: s.id,
        periodKey: key,
        status: 'failed',
        attempts: attempt,
        lastError,
        sentAt: null,
        updatedAt: clock.now(),
      })
      return 'failed'
    }
    const at = clock.now()
    await meta.putReportDelivery(tenant, {
      subscriptionId: s.id,
      periodKey: key,
      status: 'sent',
      attempts: attempt,
      lastError: null,
      sentAt: at,
      updatedAt: at,
    })
    return 'sent'
  }

  return {
    async list(tenant) {
      const subs = await meta.listReportSubscriptions(tenant)
      return Promise.all(subs.map((s) => view(tenant, s)))
    },
    async get(tenant, id) {
      return view(tenant, await meta.getReportSubscription(tenant, id))
    },
    async create(tenant, input, createdBy) {
      const name = checkName(input.name)
      if (input.scope !== 'enterprise' && input.scope !== 'region')
        throw ReportErrors.subscriptionInvalid('scope', 'scope must be enterprise or region')
      if (input.period !== 'day' && input.period !== 'month')
        throw ReportErrors.subscriptionInvalid('period', 'period must be day or month')
      const formats = checkFormats(input.formats)
      let regionCode: string | null = null
      if (input.scope === 'region') {
        // an authority's region report is of its own jurisdiction: the region its tenant names
        const own = (await meta.getTenant(tenant)).regionCode
        if (input.regionCode !== undefined && input.regionCode !== own)
          throw ReportErrors.regionForbidden(input.regionCode, own)
        regionCode = own
      } else if (input.regionCode !== undefined) {
        throw ReportErrors.subscriptionInvalid('regionCode', 'only a region subscription names a region')
      }
      await channelFor(tenant, input.channelId)
      const s = await meta.createReportSubscription(tenant, {
        name,
        scope: input.scope,
        regionCode,
        period: input.period,
        formats,
        channelId: input.channelId,
        enabled: input.enabled ?? true,
        createdBy,
      })
      return { ...s, lastDelivery: null }
    },
    async update(tenant, id, patch) {
      await meta.getReportSubscription(tenant, id)
      const clean: { -readonly [K in keyof ReportSubscriptionPatch]: ReportSubscriptionPatch[K] } = {}
      if (patch.name !== undefined) clean.name = checkName(patch.name)
      if (patch.enabled !== undefined) clean.enabled = patch.enabled
      if (patch.formats !== undefined) clean.formats = checkFormats(patch.formats)
      if (patch.channelId !== undefined) {
        await channelFor(tenant, patch.channelId)
        clean.channelId = patch.channelId
      }
      return view(tenant, await meta.updateReportSubscription(tenant, id, clean))
    },
    async remove(tenant, id) {
      await meta.deleteReportSubscription(tenant, id)
    },
    async deliveries(tenant, id, limit) {
      await meta.getReportSubscription(tenant, id)
      return meta.listReportDeliveries(tenant, id, limit)
    },
    async sendNow(tenant, id, periodKey) {
      const s = await meta.getReportSubscription(tenant, id)
      const now = clock.now()
      const key = periodKey ?? duePeriodKey(s.period, now)
      if (!isPeriodKey(s.period, key)) throw ReportErrors.periodInvalid(s.period, key)
      if (periodBounds(s.period, key).to > now) throw ReportErrors.periodNotEnded(key)
      // an explicit request: sent even when the period was sent already (it is how a subscription is
      // tested), and recorded like any attempt, so the scheduler does not send a period sent here again
      const d = await meta.getReportDelivery(tenant, id, key)
      const attempts = (d?.attempts ?? 0) + 1
      let error: string | null = null
      try {
        await buildAndSend(s, key)
      } catch (err) {
        error = publicError(err)
      }
      const at = clock.now()
      const delivery: ReportDelivery =
        error === null
          ? {
              subscriptionId: id,
              periodKey: key,
              status: 'sent',
              attempts,
              lastError: null,
              sentAt: at,
              updatedAt: at,
            }
          : {
              subscriptionId: id,
              periodKey: key,
              // a period delivered before stays delivered: a failed test must not make the scheduler send it again
              status: d?.status === 'sent' ? 'sent' : 'failed',
              attempts,
              lastError: error,
              sentAt: d?.sentAt ?? null,
              updatedAt: at,
            }
      await meta.putReportDelivery(tenant, delivery)
      return { outcome: error === null ? 'sent' : 'failed', error, delivery }
    },
    async runDue(cluster) {
      const counts = { sent: 0, failed: 0, skipped: 0 }
      const now = clock.now()
      for (const s of await meta.listEnabledReportSubscriptionsForPlatform()) {
        try {
          counts[await attemptDue(s, now, cluster)]++
        } catch (err) {
          // one subscription's trouble (claims unreachable, store error) does not hold up the others
          counts.skipped++
          log.error('scheduled report could not be looked at', {
            tenant: s.tenantId,
            subscription: s.id,
            error: publicError(err),
          })
        }
      }
      return counts
    },
  }
}
