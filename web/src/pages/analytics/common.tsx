import { DownloadOutlined } from '@ant-design/icons'
import { App, Space, Typography } from 'antd'
import type { ReactNode } from 'react'
import { DOWNLOAD_ROUTES } from '../../api/routes.ts'
import { useSession } from '../../session.tsx'
import { useAnalyticsI18n } from './strings.ts'
import type { OeeElements, OeeKpis, ParetoRow } from './types.ts'

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

const ZERO: OeeElements = {
  pot: 0,
  pdot: 0,
  pbt: 0,
  apt: 0,
  aust: 0,
  adet: 0,
  adot: 0,
  noData: 0,
  pq: 0,
  gq: 0,
  sq: 0,
  rq: 0,
  ip: 0,
  gp: 0,
  idealTime: 0,
  fe: 0,
  ttr: 0,
  tbf: 0,
}

/** Element-wise sum: machines → line → enterprise and shifts → days → weeks (ISO 22400 roll-up). */
export function sumElements(list: Iterable<OeeElements>): OeeElements {
  const acc: Record<keyof OeeElements, number> = { ...ZERO }
  for (const e of list) for (const k of Object.keys(ZERO) as (keyof OeeElements)[]) acc[k] += e[k]
  return acc
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null)

/**
 * The headline KPIs of summed elements, with the server's definitions (src/analytics/oee/oee-elements.ts):
 * the console sums the elements of several machines first and never averages their percentages.
 */
export function kpisOf(e: OeeElements): OeeKpis {
  const availability = ratio(e.apt, e.pbt)
  const effectiveness = ratio(e.idealTime, e.apt)
  const qualityRate = ratio(e.gq, e.pq)
  const oee =
    availability === null || effectiveness === null || qualityRate === null
      ? e.pbt > 0 && (e.apt === 0 || e.pq === 0)
        ? 0
        : null
      : availability * effectiveness * qualityRate
  return {
    availability,
    effectiveness,
    qualityRate,
    oee,
    technicalEfficiency: ratio(e.apt, e.apt + e.adet),
    setupRatio: ratio(e.aust, e.apt + e.aust),
    firstPassYield: ratio(e.gp, e.ip),
    mtbf: ratio(e.tbf, e.fe),
    mttr: ratio(e.ttr, e.fe),
    effectivenessAbove100: effectiveness !== null && effectiveness > 1,
  }
}

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
