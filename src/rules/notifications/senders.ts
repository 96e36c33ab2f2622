/** Delivery of one notice over one channel. Throws when the service did not accept it. */
import {
  dingtalkRequest,
  feishuRequest,
  type HttpRequestSpec,
  noticeSubject,
  noticeText,
  robotAccepted,
  webhookRequest,
  wecomRequest,
} from './message-formats.ts'
import type { AlarmNotice, EmailConfig, NotificationChannel } from './notification-types.ts'
import { type SmtpOptions, sendMail } from './smtp-client.ts'

export type SendNotice = (channel: NotificationChannel, notice: AlarmNotice, now: number) => Promise<void>

async function post(req: HttpRequestSpec, timeoutMs: number): Promise<string> {
  const r = await fetch(req.url, {
    method: 'POST',
    headers: req.headers,
    body: req.body,
    signal: AbortSignal.timeout(timeoutMs),
  })
  const text = await r.text()
  if (r.status < 200 || r.status >= 300) throw new Error(`HTTP ${r.status} from ${new URL(req.url).host}`)
  return text
}

/** The SMTP client's options for an e-mail channel (alarm notices and scheduled reports). */
export function smtpOptionsOf(c: EmailConfig, timeoutMs: number): SmtpOptions {
  return {
    host: c.host,
    port: c.port,
    timeoutMs,
    ...(c.secure === undefined ? {} : { secure: c.secure }),
    ...(c.starttls === undefined ? {} : { starttls: c.starttls }),
    ...(c.username === undefined ? {} : { username: c.username }),
    ...(c.password === undefined ? {} : { password: c.password }),
    ...(c.allowSelfSigned === undefined ? {} : { allowSelfSigned: c.allowSelfSigned }),
  }
}

export function createSender(options: { timeoutMs?: number } = {}): SendNotice {
  const timeoutMs = options.timeoutMs ?? 10_000
  return async function sendNotice(channel, notice, now) {
    switch (channel.kind) {
      case 'webhook':
        await post(webhookRequest(channel.config, notice, now), timeoutMs)
        return
      case 'dingtalk':
      case 'wecom':
      case 'feishu': {
        const req =
          channel.kind === 'dingtalk'
            ? dingtalkRequest(channel.config, notice, now)
            : channel.kind === 'wecom'
              ? wecomRequest(channel.config, notice)
              : feishuRequest(channel.config, notice, now)
        const refused = robotAccepted(channel.kind, await post(req, timeoutMs))
        if (refused !== null) throw new Error(refused)
        return
      }
      case 'email': {
        const c = channel.config
        await sendMail(smtpOptionsOf(c, timeoutMs), {
          from: c.from,
          to: c.to,
          subject: noticeSubject(notice),
          text: noticeText(notice),
          date: now,
        })
        return
      }
    }
  }
}
