/**
 * The notification dispatcher: turns alarm transitions into notices for each matching channel,
 * escalates alarms left unacknowledged, and drops duplicates (a chattering alarm raised again within a
 * channel's window is announced once). Deliveries run in the background with retries; their outcome
 * is recorded, and a failing channel never holds up alarm evaluation.
 */
import type { Clock, TenantId } from '../../core/index.ts'
import type { AlarmEvent, AlarmRecord } from '../alarm-states.ts'
import { ALARM_PRIORITIES } from '../rule-types.ts'
import type { AlarmNotice, DeliveryRecord, NotificationChannel, NotifyReason } from './notification-types.ts'
import { createSender, type SendNotice } from './senders.ts'

export interface NotifierDeps {
  readonly clock: Clock
  /** the tenant's channels (the service caches them) */
  readonly channelsOf: (tenant: TenantId) => readonly NotificationChannel[]
  /** stores a delivery outcome */
  readonly record: (tenant: TenantId, d: Omit<DeliveryRecord, 'seq'>) => Promise<void>
  /** equipment name and console link for a notice */
  readonly describe?: (
    tenant: TenantId,
    record: AlarmRecord,
  ) => { equipmentName: string | null; link: string | null }
  readonly send?: SendNotice
  /** attempts per delivery (default 3) and the pause before the first retry, doubled each time (default 1 s) */
  readonly attempts?: number
  readonly retryDelayMs?: number
  /**
   * whether this process escalates the tenant's alarms (default: every tenant). In a cluster only the
   * node that evaluates a tenant does; the others keep track, so that they can take over.
   */
  readonly escalates?: (tenant: TenantId) => boolean
  readonly onError?: (err: unknown) => void
}

export interface Notifier {
  /** Feed every recorded transition, with the alarm's record after it. */
  onTransition(tenant: TenantId, event: AlarmEvent, record: AlarmRecord): void
  /**
   * A transition announced elsewhere (another node recorded and notified it): keeps track of what
   * waits for acknowledgement, for escalation, without sending anything.
   */
  observe(tenant: TenantId, event: AlarmEvent, record: AlarmRecord): void
  /** Sends escalations due at `now` (default clock.now()). */
  tick(now?: number): void
  /** Resolves when no delivery is in flight (tests, shutdown). */
  idle(): Promise<void>
  /** alarms waiting for acknowledgement (for escalation), per tenant */
  pendingCount(): number
  stop(): void
}

const RANK = new Map(ALARM_PRIORITIES.map((p, i) => [p, i]))

function reasonOf(e: AlarmEvent): NotifyReason | null {
  if (e.to === 'unacknowledged') return 'raised'
  if (
    e.by !== 'system' &&
    (e.to === 'acknowledged' || (e.from === 'rtn-unacknowledged' && e.to === 'normal'))
  )
    return 'acknowledged'
  if (
    e.by === 'system' &&
    (e.to === 'rtn-unacknowledged' || (e.to === 'normal' && e.from === 'acknowledged'))
  )
    return 'cleared'
  return null
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const send = deps.send ?? createSender()
  const attempts = deps.attempts ?? 3
  const retryDelayMs = deps.retryDelayMs ?? 1000
  const describe = deps.describe ?? (() => ({ equipmentName: null, link: null }))
  const onError = deps.onError ?? (() => undefined)
  /** tenant\0alarm → waiting for acknowledgement since, and escalation channels already told */
  const pending = new Map<
    string,
    { tenant: TenantId; since: number; record: AlarmRecord; told: Set<string> }
  >()
  /** tenant\0channel\0alarm\0reason → last time announced */
  const lastSent = new Map<string, number>()
  const inFlight = new Set<Promise<void>>()
  let stopped = false

  function matches(c: NotificationChannel, r: AlarmRecord): boolean {
    if (!c.enabled) return false
    if ((RANK.get(r.priority) ?? 9) > (RANK.get(c.minPriority) ?? 9)) return false
    return c.equipment.length === 0 || (r.equipment !== null && c.equipment.includes(r.equipment))
  }

  function notice(tenant: TenantId, reason: NotifyReason, r: AlarmRecord, at: number): AlarmNotice {
    const d = describe(tenant, r)
    return {
      tenant,
      reason,
      alarmId: r.alarmId,
      ruleId: r.ruleId,
      equipment: r.equipment,
      equipmentName: d.equipmentName,
      priority: r.priority,
      state: r.state,
      message: r.message,
      value: r.value,
      activeSince: r.activeSince,
      at,
      link: d.link,
    }
  }

  function deliver(tenant: TenantId, c: NotificationChannel, n: AlarmNotice): void {
    if (stopped) return
    const key = `${tenant}\u0000${c.id}\u0000${n.alarmId}\u0000${n.reason}`
    const last = lastSent.get(key)
    if (last !== undefined && n.at - last < c.dedupeWindowMs) {
      void deps
        .record(tenant, {
          channelId: c.id,
          alarmId: n.alarmId,
          reason: n.reason,
          at: n.at,
          outcome: 'deduplicated',
          latencyMs: null,
          error: null,
        })
        .catch(onError)
      return
    }
    lastSent.set(key, n.at)
    const job = (async () => {
      const started = performance.now()
      let error: string | null = null
      for (let i = 0; i < attempts; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** (i - 1)))
        if (stopped) break
        try {
          await send(c, n, deps.clock.now())
          error = null
          break
        } catch (e) {
          error = e instanceof Error ? e.message : String(e)
        }
      }
      await deps.record(tenant, {
        channelId: c.id,
        alarmId: n.alarmId,
        reason: n.reason,
        at: n.at,
        outcome: error === null ? 'sent' : 'failed',
        latencyMs: Math.round(performance.now() - started),
        error,
      })
    })().catch(onError)
    inFlight.add(job)
    void job.finally(() => inFlight.delete(job))
  }

  function track(tenant: TenantId, e: AlarmEvent, r: AlarmRecord): void {
    const pk = `${tenant}\u0000${e.alarmId}`
    if (e.to === 'unacknowledged') {
      const p = pending.get(pk)
      if (p === undefined) pending.set(pk, { tenant, since: e.at, record: r, told: new Set() })
      else p.record = r
    } else pending.delete(pk)
  }

  return {
    onTransition(tenant, e, r) {
      track(tenant, e, r)
      const reason = reasonOf(e)
      if (reason === null) return
      for (const c of deps.channelsOf(tenant)) {
        if (c.escalateAfterMs !== null || !matches(c, r)) continue
        if (reason !== 'raised' && !c.notifyOn.includes(reason)) continue
        deliver(tenant, c, notice(tenant, reason, r, e.at))
      }
    },
    observe: track,
    tick(now = deps.clock.now()) {
      for (const p of pending.values()) {
        if (deps.escalates !== undefined && !deps.escalates(p.tenant)) continue
        for (const c of deps.channelsOf(p.tenant)) {
          if (c.escalateAfterMs === null || p.told.has(c.id) || !matches(c, p.record)) continue
          if (now - p.since < c.escalateAfterMs) continue
          p.told.add(c.id)
          deliver(p.tenant, c, notice(p.tenant, 'escalated', p.record, now))
        }
      }
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight])
    },
    pendingCount() {
      return pending.size
    },
    stop() {
      stopped = true
      pending.clear()
    },
  }
}
