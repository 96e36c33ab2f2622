import { Tag } from 'antd'
import { type ReactNode, useEffect, useRef, useState } from 'react'
import { WS_ROUTES } from '../../api/routes.ts'
import { useSession } from '../../session.tsx'
import { useAlarmI18n } from './strings.ts'
import type { AlarmEvent, AlarmPriority, AlarmRecord, AlarmState, Value } from './types.ts'

export const PRIORITY_COLOR: Record<AlarmPriority, string> = {
  critical: 'red',
  high: 'volcano',
  medium: 'gold',
  low: 'blue',
}
const STATE_COLOR: Record<AlarmState, string> = {
  normal: 'green',
  unacknowledged: 'red',
  acknowledged: 'orange',
  'rtn-unacknowledged': 'purple',
  shelved: 'default',
  'suppressed-by-design': 'default',
  'out-of-service': 'default',
}

export function PriorityTag({ p }: { p: AlarmPriority }): ReactNode {
  const { ta } = useAlarmI18n()
  return <Tag color={PRIORITY_COLOR[p]}>{ta(`p.${p}`)}</Tag>
}

export function StateTag({ s }: { s: AlarmState }): ReactNode {
  const { ta } = useAlarmI18n()
  return (
    <Tag color={STATE_COLOR[s]} data-state-tag={s}>
      {ta(`s.${s}`)}
    </Tag>
  )
}

export function formatValue(v: Value | undefined): string {
  if (v === null || v === undefined) return '—'
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/\.?0+$/, '')
  return String(v)
}

/** States that an operator still has to see (ISA-18.2: annunciated or standing). */
export const ACTIVE_STATES: ReadonlySet<AlarmState> = new Set([
  'unacknowledged',
  'acknowledged',
  'rtn-unacknowledged',
])

/**
 * The active alarm list kept current over `GET /api/alarms/live` (WebSocket): the `ready` message
 * brings the list, then every transition replaces its alarm. Reconnects after a drop (with backoff),
 * and a reconnect starts from the server's list again so nothing missed while away lingers.
 */
export function useLiveAlarms(): {
  alarms: readonly AlarmRecord[] | undefined
  connected: boolean
  error: string | undefined
  /** applies an answer of an action at once, before the stream echoes it */
  upsert(a: AlarmRecord): void
  lastEvent: AlarmEvent | undefined
} {
  const { token, tenant } = useSession()
  const [map, setMap] = useState<ReadonlyMap<string, AlarmRecord>>()
  const [connected, setConnected] = useState(false)
  const [error, setError] = useState<string>()
  const [lastEvent, setLastEvent] = useState<AlarmEvent>()
  const tokenRef = useRef(token)
  tokenRef.current = token

  useEffect(() => {
    if (!token) return
    let stopped = false
    let ws: WebSocket | null = null
    let retry: ReturnType<typeof setTimeout> | undefined
    let attempt = 0
    const open = (): void => {
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
      const qs = new URLSearchParams({ token: tokenRef.current ?? '' })
      if (tenant) qs.set('tenant', tenant)
      const s = new WebSocket(`${proto}//${location.host}${WS_ROUTES.alarms}?${qs}`)
      ws = s
      s.onmessage = (ev) => {
        const msg = JSON.parse(String(ev.data)) as {
          type: string
          active?: AlarmRecord[]
          alarm?: AlarmRecord
          event?: AlarmEvent
          error?: { message: string }
        }
        if (msg.type === 'ready' && msg.active) {
          attempt = 0
          setConnected(true)
          setError(undefined)
          setMap(new Map(msg.active.map((a) => [a.alarmId, a])))
        } else if (msg.type === 'alarm' && msg.alarm) {
          const a = msg.alarm
          setMap((old) => new Map(old).set(a.alarmId, a))
          setLastEvent(msg.event)
        } else if (msg.type === 'error') {
          setError(msg.error?.message ?? 'error')
        }
      }
      s.onopen = () => {
        if (stopped) s.close()
      }
      s.onclose = () => {
        setConnected(false)
        if (stopped) return
        retry = setTimeout(open, Math.min(10_000, 500 * 2 ** attempt++))
      }
    }
    open()
    return () => {
      stopped = true
      clearTimeout(retry)
      if (ws && ws.readyState === WebSocket.OPEN) ws.close()
    }
  }, [token, tenant])

  const alarms = map
    ? [...map.values()]
        .filter((a) => ACTIVE_STATES.has(a.state) || a.state === 'shelved')
        .sort(
          (a, b) =>
            PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] ||
            (b.activeSince ?? b.lastChangeAt) - (a.activeSince ?? a.lastChangeAt),
        )
    : undefined
  return {
    alarms,
    connected,
    error,
    lastEvent,
    upsert: (a) => setMap((old) => new Map(old).set(a.alarmId, a)),
  }
}

const PRIORITY_RANK: Record<AlarmPriority, number> = { critical: 0, high: 1, medium: 2, low: 3 }

/** Time ranges the alarm pages offer. */
export const RANGES = { h24: 86_400_000, d7: 7 * 86_400_000, d30: 30 * 86_400_000 } as const
export type RangeKey = keyof typeof RANGES
