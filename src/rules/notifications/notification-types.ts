/**
 * Notification channels: where an alarm is announced besides the console. Each channel has its own
 * wire format (see the senders); the dispatcher decides when to send (raise, escalation, clear) and
 * drops duplicates.
 */
import type { AlarmPriority } from '../rule-types.ts'

export type ChannelKind = 'webhook' | 'dingtalk' | 'wecom' | 'feishu' | 'email'
export const CHANNEL_KINDS: readonly ChannelKind[] = ['webhook', 'dingtalk', 'wecom', 'feishu', 'email']

/** What a notification announces. */
export type NotifyReason = 'raised' | 'escalated' | 'acknowledged' | 'cleared'

export interface WebhookConfig {
  readonly url: string
  /** HMAC-SHA256 key: the body is signed in `X-Ronghe-Signature` */
  readonly secret?: string
}

export interface RobotConfig {
  /** the group robot's webhook URL (DingTalk: …/robot/send?access_token=…; WeCom: …/webhook/send?key=…; Feishu: …/bot/v2/hook/…) */
  readonly url: string
  /** DingTalk "加签" / Feishu "签名校验" secret; WeCom has none */
  readonly secret?: string
  /** DingTalk / WeCom: mobile numbers to @-mention */
  readonly mentionMobiles?: readonly string[]
}

export interface EmailConfig {
  readonly host: string
  readonly port: number
  /** implicit TLS (port 465); otherwise STARTTLS is used when the server offers it and `starttls` is not false */
  readonly secure?: boolean
  readonly starttls?: boolean
  readonly username?: string
  readonly password?: string
  readonly from: string
  readonly to: readonly string[]
  /** accept a self-signed server certificate (test and on-premises relays) */
  readonly allowSelfSigned?: boolean
}

export interface ChannelBase {
  readonly id: string
  readonly name: string
  readonly enabled: boolean
  /** the least urgent priority this channel hears about (default low: everything) */
  readonly minPriority: AlarmPriority
  /**
   * null: notified when an alarm is raised. A number: an escalation channel, notified only if the alarm
   * is still unacknowledged this long after it was raised.
   */
  readonly escalateAfterMs: number | null
  /** also announce acknowledgement / return to normal (default: only raise / escalation) */
  readonly notifyOn: readonly NotifyReason[]
  /** the same alarm raised again within this window is not announced again (default 10 min) */
  readonly dedupeWindowMs: number
  /** restrict to these equipment (asset ids); empty: all */
  readonly equipment: readonly string[]
}

export type NotificationChannel =
  | (ChannelBase & { readonly kind: 'webhook'; readonly config: WebhookConfig })
  | (ChannelBase & { readonly kind: 'dingtalk' | 'wecom' | 'feishu'; readonly config: RobotConfig })
  | (ChannelBase & { readonly kind: 'email'; readonly config: EmailConfig })

/** What every sender gets: the alarm as it stands and why it is announced. */
export interface AlarmNotice {
  readonly tenant: string
  readonly reason: NotifyReason
  readonly alarmId: string
  readonly ruleId: string | null
  readonly equipment: string | null
  /** a human name for the equipment, when known */
  readonly equipmentName: string | null
  readonly priority: AlarmPriority
  readonly state: string
  readonly message: string
  readonly value: number | string | boolean | null
  /** when the condition became active */
  readonly activeSince: number | null
  /** when this notice was made */
  readonly at: number
  /** link to the alarm in the console, when the public URL is known */
  readonly link: string | null
}

export interface DeliveryRecord {
  readonly seq: number
  readonly channelId: string
  readonly alarmId: string
  readonly reason: NotifyReason
  readonly at: number
  readonly outcome: 'sent' | 'failed' | 'deduplicated'
  readonly latencyMs: number | null
  readonly error: string | null
}
