import { Card, Col, DatePicker, Row, Space, Statistic, Table, Tag } from 'antd'
import dayjs, { type Dayjs } from 'dayjs'
import { type ReactNode, useMemo, useState } from 'react'
import type { Asset, Point } from '../../api/types.ts'
import { EChart } from '../../components/EChart.tsx'
import { AsyncView } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { beijingDate, beijingMidnight, DAY, num, pct, ReportLinks } from './common.tsx'
import { ReportSubscriptions } from './ReportSubscriptions.tsx'
import { type AnalyticsKey, useAnalyticsI18n } from './strings.ts'
import type { Carrier, EnergyResult, OeeReport } from './types.ts'

/** The meters the server rolls up too: a counter in kWh is electricity, in m³ natural gas. */
export function meterCarrier(unit: string | null): Carrier | null {
  const u = (unit ?? '').trim().toLowerCase()
  if (u === 'kwh') return 'electricity'
  if (u === 'm3' || u === 'm³') return 'natural-gas'
  return null
}

interface Meter {
  point: Point
  carrier: Carrier
  line: string | null
  r: EnergyResult
}
interface Data {
  meters: Meter[]
  goodParts: number
  lines: Map<string, string>
}

function lineOf(assets: Map<string, Asset>, id: string | null): string | null {
  let a = id ? assets.get(id) : undefined
  while (a) {
    if (a.level === 'line') return a.id
    a = a.parentId ? assets.get(a.parentId) : undefined
  }
  return null
}

export default function EnergyPage(): ReactNode {
  const { api } = useSession()
  const { ta } = useAnalyticsI18n()
  const { lang } = useI18n()
  const [day, setDay] = useState<Dayjs>(() => dayjs())
  const span = useMemo(() => {
    const from = beijingMidnight(day.valueOf())
    return { from, to: Math.min(from + DAY, Date.now() + 1), date: beijingDate(from) }
  }, [day])

  const data = useAsync<Data>(async () => {
    const [assetPage, pointPage] = await Promise.all([
      api.assets({ limit: 1000 }),
      api.points({ limit: 1000 }),
    ])
    const assets = new Map(assetPage.items.map((a) => [a.id, a]))
    const meters = await Promise.all(
      pointPage.items.flatMap((point) => {
        const carrier = meterCarrier(point.unit)
        if (!carrier) return []
        return [
          api
            .request<EnergyResult>('energy', {
              query: { point: point.id, carrier, from: span.from, to: span.to },
            })
            .then((r) => ({ point, carrier, line: lineOf(assets, point.assetId), r })),
        ]
      }),
    )
    // good parts of the day: the OEE report's GQ of every machine with a `good` counter
    const producers = [
      ...new Set(
        pointPage.items.filter((p) => p.key === 'good' && p.assetId).map((p) => p.assetId as string),
      ),
    ]
    const reports = await Promise.all(
      producers.map((equipment) =>
        api.request<OeeReport>('oee', {
          query: { equipment, idealCycleMs: 60_000, from: span.from, to: span.to },
        }),
      ),
    )
    const lines = new Map([...assets.values()].filter((a) => a.level === 'line').map((a) => [a.id, a.name]))
    return { meters, goodParts: reports.reduce((s, r) => s + r.elements.gq, 0), lines }
  }, [span])

  return (
    <Card
      title={ta('energy.title')}
      data-testid="energy-page"
      extra={
        <Space wrap>
          <span>{ta('energy.day')}</span>
          <DatePicker
            value={day}
            onChange={(d) => d && setDay(d)}
            allowClear={false}
            data-testid="energy-day"
          />
          <ReportLinks scope="enterprise" date={span.date} />
        </Space>
      }
    >
      <AsyncView state={data} isEmpty={(d) => d.meters.length === 0} empty={ta('energy.noMeters')}>
        {(d) => <EnergyBody d={d} lang={lang} />}
      </AsyncView>
      <ReportSubscriptions scope="enterprise" />
    </Card>
  )
}

function EnergyBody({ d, lang }: { d: Data; lang: 'zh-CN' | 'en' }): ReactNode {
  const { ta } = useAnalyticsI18n()
  const elec = d.meters.filter((m) => m.carrier === 'electricity')
  const kWh = elec.reduce((s, m) => s + m.r.total, 0)
  const tce = d.meters.reduce((s, m) => s + m.r.standardCoal.tce, 0)
  const co2 = d.meters.reduce((s, m) => s + (m.r.co2?.tonnes ?? 0), 0)
  const cost = d.meters.reduce((s, m) => s + (m.r.cost?.totalCost ?? 0), 0)
  const byCarrier = useMemo(() => {
    const g = new Map<
      Carrier,
      { carrier: Carrier; unit: string; amount: number; tce: number; co2: number; cost: number }
    >()
    for (const m of d.meters) {
      const x = g.get(m.carrier) ?? { carrier: m.carrier, unit: m.r.unit, amount: 0, tce: 0, co2: 0, cost: 0 }
      x.amount += m.r.total
      x.tce += m.r.standardCoal.tce
      x.co2 += m.r.co2?.tonnes ?? 0
      x.cost += m.r.cost?.totalCost ?? 0
      g.set(m.carrier, x)
    }
    return [...g.values()]
  }, [d.meters])
  const byLine = useMemo(() => {
    const g = new Map<string, { line: string; kWh: number; m3: number; tce: number }>()
    for (const m of d.meters) {
      const key = m.line ?? ''
      const x = g.get(key) ?? { line: key, kWh: 0, m3: 0, tce: 0 }
      if (m.carrier === 'electricity') x.kWh += m.r.total
      else x.m3 += m.r.total
      x.tce += m.r.standardCoal.tce
      g.set(key, x)
    }
    return [...g.values()].sort((a, b) => b.tce - a.tce)
  }, [d.meters])
  const tou = useMemo(() => {
    const g = new Map<string, { period: string; kWh: number; cost: number }>()
    for (const m of elec)
      for (const [period, v] of Object.entries(m.r.cost?.byPeriod ?? {})) {
        const x = g.get(period) ?? { period, kWh: 0, cost: 0 }
        x.kWh += v.kWh
        x.cost += v.cost
        g.set(period, x)
      }
    return [...g.values()]
  }, [elec])
  const option = useMemo(
    () => ({
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { top: 0, type: 'scroll' },
      grid: { left: 56, right: 24, top: 32, bottom: 56 },
      xAxis: {
        type: 'time',
        axisLabel: { formatter: (v: number) => formatTime(lang, v).replace(/:\d\d$/, '') },
      },
      yAxis: { type: 'value', name: 'kWh' },
      dataZoom: [{ type: 'inside' }, { type: 'slider' }],
      series: elec.map((m) => ({
        name: m.point.name,
        type: 'bar',
        stack: 'kWh',
        data: m.r.intervals.map((iv) => [iv.start, iv.delta]),
      })),
    }),
    [elec, lang],
  )
  const touLabel = (p: string): string =>
    ['peak', 'sharp', 'flat', 'valley', 'deep-valley'].includes(p) ? ta(`tou.${p}` as AnalyticsKey) : p
  const completeness =
    d.meters.reduce((s, m) => s + m.r.completeness * m.r.intervals.length, 0) /
    Math.max(
      1,
      d.meters.reduce((s, m) => s + m.r.intervals.length, 0),
    )

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Row gutter={16}>
        {(
          [
            ['energy.electricity', `${num(kWh, 1)} kWh`, 'energy-kwh'],
            ['energy.tce', num(tce, 4), 'energy-tce'],
            ['energy.co2', num(co2, 4), 'energy-co2'],
            ['energy.cost', num(cost, 2), 'energy-cost'],
            ['energy.perPart', d.goodParts > 0 ? num(kWh / d.goodParts, 4) : '—', 'energy-per-part'],
            ['energy.completeness', pct(completeness), 'energy-completeness'],
          ] as const
        ).map(([label, value, id]) => (
          <Col xs={12} md={8} xl={4} key={id}>
            <Card size="small">
              <Statistic title={ta(label)} value={value} data-testid={id} />
            </Card>
          </Col>
        ))}
      </Row>
      <Card size="small" title={ta('energy.chart')}>
        <EChart option={option} replaceMerge={['series']} style={{ height: 300 }} />
      </Card>
      <Row gutter={16}>
        <Col xs={24} xl={12}>
          <Card size="small" title={ta('energy.byCarrier')}>
            <Table
              size="small"
              rowKey="carrier"
              pagination={false}
              data-testid="energy-by-carrier"
              dataSource={byCarrier}
              columns={[
                { title: ta('energy.carrier'), render: (_, r) => ta(`energy.${r.carrier}` as AnalyticsKey) },
                { title: ta('energy.amount'), render: (_, r) => `${num(r.amount, 2)} ${r.unit}` },
                { title: ta('energy.tce'), render: (_, r) => num(r.tce, 4) },
                { title: ta('energy.co2'), render: (_, r) => num(r.co2, 4) },
                { title: ta('energy.cost'), render: (_, r) => num(r.cost, 2) },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={ta('energy.byLine')}>
            <Table
              size="small"
              rowKey="line"
              pagination={false}
              data-testid="energy-by-line"
              dataSource={byLine}
              columns={[
                {
                  title: ta('energy.line'),
                  render: (_, r) =>
                    r.line ? (d.lines.get(r.line) ?? r.line) : <Tag>{ta('energy.noLine')}</Tag>,
                },
                { title: 'kWh', render: (_, r) => num(r.kWh, 2) },
                { title: 'm³', render: (_, r) => num(r.m3, 2) },
                { title: ta('energy.tce'), render: (_, r) => num(r.tce, 4) },
              ]}
            />
          </Card>
        </Col>
      </Row>
      {tou.length > 0 ? (
        <Card size="small" title={ta('energy.tou')}>
          <Table
            size="small"
            rowKey="period"
            pagination={false}
            data-testid="energy-tou"
            dataSource={tou}
            columns={[
              { title: ta('energy.tou'), render: (_, r) => touLabel(r.period) },
              { title: 'kWh', render: (_, r) => num(r.kWh, 2) },
              { title: ta('energy.cost'), render: (_, r) => num(r.cost, 2) },
            ]}
          />
        </Card>
      ) : null}
    </Space>
  )
}
