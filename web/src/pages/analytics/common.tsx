import { DownloadOutlined } from '@ant-design/icons'
import { App, Space, Typography } from 'antd'
import type { ReactNode } from 'react'
import { DOWNLOAD_ROUTES } from '../../api/routes.ts'
import { useSession } from '../../session.tsx'
import { useAnalyticsI18n } from './strings.ts'
import type { ParetoRow } from './types.ts'

export const DAY = 86_400_000
/** China Standard Time: production days and report dates are Beijing days (no DST). */
const CST = 8 * 3_600_000

/** 'YYYY-MM-DD' of the Beijing day holding `ts`. */
export function beijingDate(ts: number): string {
  return new Date(ts + CST).toISOString().slice(0, 10)
}
/** epoch ms of 00:00 Beijing time of the day holding `ts`. */
export function beijingMidnight(ts: number): number {
  return Math.floor((ts + CST) / DAY) * DAY - CST
}

export const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)} %`
export const num = (x: number | null | undefined, digits = 2): string =>
  x === null || x === undefined ? '—' : x.toLocaleString(undefined, { maximumFractionDigits: digits })

/**
 * Element-wise sum and the KPIs of summed elements come from the server's own module
 * (src/analytics/oee/oee-elements.ts, no dependencies): the console sums the elements of several
 * machines first and never averages their percentages, with exactly the server's definitions.
 */
export { oeeKpis as kpisOf, sumElements } from '../../../../src/analytics/oee/oee-elements.ts'

/** Pareto rows of several machines merged by (state, reason), shares recomputed. */
export function mergePareto(lists: readonly (readonly ParetoRow[])[]): ParetoRow[] {
  const m = new Map<string, ParetoRow>()
  for (const l of lists)
    for (const r of l) {
      const k = `${r.state}\u0000${r.reason}`
      const g = m.get(k)
      m.set(k, g ? { ...g, duration: g.duration + r.duration, events: g.events + r.events } : { ...r })
    }
  const rows = [...m.values()].sort((a, b) => b.duration - a.duration)
  const total = rows.reduce((s, r) => s + r.duration, 0)
  let cum = 0
  return rows.map((r) => {
    cum += r.duration
    return { ...r, share: total > 0 ? r.duration / total : 0, cumulativeShare: total > 0 ? cum / total : 0 }
  })
}

/** ISO week 'YYYY-Www' of a 'YYYY-MM-DD' production day. */
export function isoWeek(day: string): string {
  const d = new Date(`${day}T00:00:00Z`)
  const wd = (d.getUTCDay() + 6) % 7
  d.setUTCDate(d.getUTCDate() - wd + 3)
  const y = d.getUTCFullYear()
  const first = new Date(Date.UTC(y, 0, 4))
  const w =
    1 + Math.round((d.getTime() - first.getTime()) / DAY / 7 - ((first.getUTCDay() + 6) % 7) / 7 + 3 / 7)
  return `${y}-W${String(w).padStart(2, '0')}`
}

export type ReportScope = 'enterprise' | 'region'

/** The report contract: GET /api/reports/energy?scope&period&date&format. */
export function reportUrl(
  scope: ReportScope,
  period: 'day' | 'month',
  date: string,
  format: 'xlsx' | 'pdf',
): string {
  const qs = new URLSearchParams({ scope, period, date, format })
  return `${DOWNLOAD_ROUTES.energyReport[1]}?${qs}`
}

/**
 * Excel / PDF, daily / monthly report links. They are plain links to the report route; a click
 * fetches it with the session's credentials (a bare link would carry no token) and saves the file.
 */
export function ReportLinks({ scope, date }: { scope: ReportScope; date: string }): ReactNode {
  const { ta } = useAnalyticsI18n()
  const { session } = useSessionToken()
  const { message } = App.useApp()
  const links = (['day', 'month'] as const).flatMap((period) =>
    (['xlsx', 'pdf'] as const).map((format) => ({
      period,
      format,
      href: reportUrl(scope, period, date, format),
    })),
  )
  const download = async (href: string, name: string): Promise<void> => {
    try {
      const headers: Record<string, string> = {}
      if (session.token) headers.authorization = `Bearer ${session.token}`
      if (session.tenant) headers['x-ronghe-tenant'] = session.tenant
      const r = await fetch(href, { headers })
      if (!r.ok) throw new Error(`${r.status} ${r.statusText}`)
      const a = document.createElement('a')
      a.href = URL.createObjectURL(await r.blob())
      a.download = name
      a.click()
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
    } catch (e) {
      void message.error((e as Error).message)
    }
  }
  return (
    <Space size="small" wrap data-testid="report-links">
      <Typography.Text type="secondary">{ta('report.download')}:</Typography.Text>
      {links.map((l) => (
        <Typography.Link
          key={`${l.period}-${l.format}`}
          href={l.href}
          data-testid={`report-${l.period}-${l.format}`}
          onClick={(e) => {
            e.preventDefault()
            void download(l.href, `energy-${scope}-${l.period}-${date}.${l.format}`)
          }}
        >
          <DownloadOutlined /> {ta(l.period === 'day' ? 'report.day' : 'report.month')}{' '}
          {l.format === 'xlsx' ? 'Excel' : 'PDF'}
        </Typography.Link>
      ))}
    </Space>
  )
}

function useSessionToken(): { session: { token: string | null; tenant: string | null } } {
  const s = useSession()
  return { session: { token: s.token, tenant: s.tenant } }
}
