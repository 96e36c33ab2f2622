/**
 * Wire formats of each notification service, as pure functions so tests can check the exact JSON.
 *
 * - Webhook (ours): JSON body; `X-Ronghe-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
 *   with `X-Ronghe-Timestamp` in epoch ms, so a receiver can reject replays and forgeries.
 * - DingTalk (钉钉) group robot: `{"msgtype":"text","text":{"content"},"at":{"atMobiles","isAtAll"}}`;
 *   signed robots ("加签") append `&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256(secret, "<ms>\n<secret>")>`.
 * - WeCom (企业微信) group robot: `{"msgtype":"text","text":{"content","mentioned_mobile_list"}}`; the key
 *   in the URL is the only credential.
 * - Feishu (飞书) custom bot: `{"timestamp":"<s>","sign":"…","msg_type":"text","content":{"text"}}` where,
 *   unusually, the sign is base64 HMAC-SHA256 keyed with "<s>\n<secret>" over an empty message.
 */
import { createHmac, randomUUID } from 'node:crypto'
import type { AlarmNotice, RobotConfig, WebhookConfig } from './notification-types.ts'

export interface HttpRequestSpec {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

const PRIORITY_ZH: Readonly<Record<string, string>> = {
  critical: '紧急',
  high: '高',
  medium: '中',
  low: '低',
}
const REASON_ZH: Readonly<Record<string, string>> = {
  raised: '告警',
  escalated: '告警升级',
  acknowledged: '告警已确认',
  cleared: '告警恢复',
}

/** China Standard Time (UTC+8), the time operators read on their phones. */
export function cstTime(ms: number): string {
  return `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ')} (UTC+8)`
}

/** The plain-text message the robots and e-mail carry: Chinese labels, the rule's own message. */
export function noticeText(n: AlarmNotice): string {
  const lines = [
    `【${REASON_ZH[n.reason] ?? n.reason}·${PRIORITY_ZH[n.priority] ?? n.priority}】${n.message}`,
    `设备 Equipment: ${n.equipmentName ?? n.equipment ?? '—'}`,
    `报警 Alarm: ${n.alarmId}`,
    `状态 State: ${n.state}`,
  ]
  if (n.value !== null) lines.push(`数值 Value: ${n.value}`)
  if (n.activeSince !== null) lines.push(`发生时间 Since: ${cstTime(n.activeSince)}`)
  if (n.reason === 'escalated' && n.activeSince !== null)
    lines.push(`未确认 Unacknowledged for: ${Math.round((n.at - n.activeSince) / 60_000)} min`)
  if (n.link !== null) lines.push(n.link)
  return lines.join('\n')
}

export function noticeSubject(n: AlarmNotice): string {
  return `[Ronghe ${REASON_ZH[n.reason] ?? n.reason}/${n.priority}] ${n.equipmentName ?? n.equipment ?? ''} ${n.message}`.trim()
}

export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

export function webhookRequest(config: WebhookConfig, n: AlarmNotice, now: number): HttpRequestSpec {
  const body = JSON.stringify({
    type: 'alarm.notification',
    reason: n.reason,
    tenant: n.tenant,
    at: n.at,
    alarm: {
      id: n.alarmId,
      ruleId: n.ruleId,
      equipment: n.equipment,
      equipmentName: n.equipmentName,
      priority: n.priority,
      state: n.state,
      message: n.message,
      value: n.value,
      activeSince: n.activeSince,
      link: n.link,
    },
  })
  const timestamp = String(now)
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-ronghe-event': `alarm.${n.reason}`,
    'x-ronghe-delivery': randomUUID(),
    'x-ronghe-timestamp': timestamp,
  }
  if (config.secret !== undefined && config.secret !== '')
    headers['x-ronghe-signature'] = webhookSignature(config.secret, timestamp, body)
  return { url: config.url, headers, body }
}

export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64')
}

export function dingtalkRequest(config: RobotConfig, n: AlarmNotice, now: number): HttpRequestSpec {
  const mobiles = config.mentionMobiles ?? []
  // DingTalk only turns "@<mobile>" into a mention when the number also appears in the text
  const mention = mobiles.length > 0 ? `\n${mobiles.map((m) => `@${m}`).join(' ')}` : ''
  const body = JSON.stringify({
    msgtype: 'text',
    text: { content: noticeText(n) + mention },
    at: { atMobiles: mobiles, isAtAll: false },
  })
  let url = config.url
  if (config.secret !== undefined && config.secret !== '') {
    const sep = url.includes('?') ? '&' : '?'
    url = `${url}${sep}timestamp=${now}&sign=${encodeURIComponent(dingtalkSign(config.secret, now))}`
  }
  return { url, headers: { 'content-type': 'application/json' }, body }
}

export function wecomRequest(config: RobotConfig, n: AlarmNotice): HttpRequestSpec {
  const text: Record<string, unknown> = { content: noticeText(n) }
  if ((config.mentionMobiles ?? []).length > 0) text.mentioned_mobile_list = config.mentionMobiles
  return {
    url: config.url,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ msgtype: 'text', text }),
  }
}

export function feishuSign(secret: string, timestampS: number): string {
  return createHmac('sha256', `${timestampS}\n${secret}`).update('').digest('base64')
}

export function feishuRequest(config: RobotConfig, n: AlarmNotice, now: number): HttpRequestSpec {
  const content = { text: noticeText(n) }
  const signed = config.secret !== undefined && config.secret !== ''
  const ts = Math.floor(now / 1000)
  const body = signed
    ? { timestamp: String(ts), sign: feishuSign(config.secret as string, ts), msg_type: 'text', content }
    : { msg_type: 'text', content }
  return { url: config.url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
}

/**
 * Whether a robot accepted the message: DingTalk and WeCom answer {"errcode":0}, Feishu {"code":0}
 * (older Feishu versions {"StatusCode":0}); all of them answer HTTP 200 even on failure.
 */
export function robotAccepted(kind: 'dingtalk' | 'wecom' | 'feishu', responseBody: string): string | null {
  let j: Record<string, unknown>
  try {
    j = JSON.parse(responseBody) as Record<string, unknown>
  } catch {
    return `${kind} answered with something that is not JSON`
  }
  const code = kind === 'feishu' ? (j.code ?? j.StatusCode) : j.errcode
  if (code === 0) return null
  const msg = kind === 'feishu' ? (j.msg ?? j.StatusMessage) : j.errmsg
  return `${kind} refused the message: ${String(code)} ${String(msg ?? '')}`.trim()
}
