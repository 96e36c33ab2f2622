import { Card, Col, DatePicker, Row, Segmented, Space, Statistic, Table, Tag } from 'antd'
import dayjs, { type Dayjs } from 'dayjs'
import { type ReactNode, useMemo, useState } from 'react'
import { EChart } from '../../components/EChart.tsx'
import { AsyncView } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { beijingDate, beijingMidnight, DAY, num, pct, ReportLinks } from './common.tsx'
import { ReportSubscriptions } from './ReportSubscriptions.tsx'
import { useAnalyticsI18n } from './strings.ts'
import type { RegionEnergyResult, RegionEnterprise } from './types.ts'
import { useSession } from '../../session.tsx'

type PeriodKey = 'day' | 'month'

/** [from, to) of the Beijing day or month holding `d`. */
function windowOf(d: Dayjs, period: PeriodKey): { from: number; to: number; date: string } {
  const from = beijingMidnight(d.valueOf())
  const date = beijingDate(from)
  if (period === 'day') return { from, to: Math.min(from + DAY, Date.now() + 1), date }
  const [y, m] = date.split('-').map(Number) as [number, number]
  const start = Date.UTC(y, m - 1, 1) - 8 * 3_600_000
  const end = Date.UTC(y, m, 1) - 8 * 3_600_000
  return { from: start, to: Math.min(end, Date.now() + 1), date }
}

export default function RegionPage(): ReactNode {
  const { api } = useSession()
  const { ta } = useAnalyticsI18n()
  const [period, setPeriod] = useState<PeriodKey>('day')
  const [day, setDay] = useState<Dayjs>(() => dayjs())
  const span = useMemo(() => windowOf(day, period), [day, period])
  const data = useAsync(
    () => api.request<RegionEnergyResult>('regionEnergy', { query: { from: span.from, to: span.to } }),
    [span],
  )
  return (
    <Card
      title={ta('region.title')}
      data-testid="region-page"
      extra={
        <Space wrap>
          <Segmented<PeriodKey>
            value={period}
            onChange={setPeriod}
            options={(['day', 'month'] as const).map((k) => ({
              value: k,
              label: ta(k === 'day' ? 'report.day' : 'report.month'),
            }))}
          />
          <DatePicker
            value={day}
            onChange={(d) => d && setDay(d)}
            allowClear={false}
            picker={period === 'month' ? 'month' : 'date'}
          />
          <ReportLinks scope="region" date={span.date} />
        </Space>
      }
    >
      <AsyncView state={data} isEmpty={(d) => d.enterprises.length === 0} empty={ta('region.none')}>
        {(d) => <RegionBody d={d} />}
      </AsyncView>
      <ReportSubscriptions scope="region" />
    </Card>
  )
}

function RegionBody({ d }: { d: RegionEnergyResult }): ReactNode {
  const { ta } = useAnalyticsI18n()
  const keyUnits = d.enterprises.filter((e) => e.keyEnergyUnit === 'key').length
  const option = useMemo(() => {
    const rows = [...d.enterprises]
      .sort((a, b) => a.rank - b.rank)
      .slice(0, 20)
      .reverse()
    return {
      animation: false,
      tooltip: { trigger: 'axis' },
      grid: { left: 200, right: 48, top: 16, bottom: 32 },
      xAxis: { type: 'value', name: 'tce' },
      yAxis: { type: 'category', data: rows.map((e) => e.name) },
      series: [
        {
          name: 'tce',
          type: 'bar',
          data: rows.map((e) => ({
            value: e.tce,
            itemStyle: {
              color:
                e.keyEnergyUnit === 'key'
                  ? '#cf1322'
                  : e.keyEnergyUnit === 'designation-band'
                    ? '#fa8c16'
                    : '#1677ff',
            },
          })),
        },
      ],
    }
  }, [d.enterprises])
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Row gutter={16}>
        <Col xs={12} md={6}>
          <Card size="small">
            <Statistic title={ta('region.code')} value={d.regionCode} formatter={(v) => String(v)} />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card size="small">
            <Statistic
              title={ta('region.enterprises')}
              value={d.enterprises.length}
              data-testid="region-count"
            />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card size="small">
            <Statistic title={ta('region.total')} value={num(d.totalTce, 4)} data-testid="region-total-tce" />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card size="small">
            <Statistic title={ta('region.keyUnits')} value={keyUnits} data-testid="region-key-units" />
          </Card>
        </Col>
      </Row>
      <Card size="small" title={ta('region.ranking')}>
        <EChart
          option={option}
          replaceMerge={['series', 'yAxis']}
          style={{ height: Math.max(200, 28 * Math.min(20, d.enterprises.length) + 64) }}
        />
      </Card>
      <Table<RegionEnterprise>
        size="small"
        rowKey="tenant"
        data-testid="region-table"
        dataSource={d.enterprises}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        columns={[
          { title: ta('region.rank'), dataIndex: 'rank', width: 64 },
          {
            title: ta('region.enterprise'),
            render: (_, e) => (
              <span>
                {e.name}{' '}
                {e.keyEnergyUnit === 'key' ? (
                  <Tag color="red" data-testid="key-unit">
                    {ta('region.key')}
                  </Tag>
                ) : e.keyEnergyUnit === 'designation-band' ? (
                  <Tag color="orange">{ta('region.band')}</Tag>
                ) : null}
              </span>
            ),
          },
          { title: ta('region.code'), dataIndex: 'regionCode' },
          { title: ta('region.kWh'), render: (_, e) => num(e.electricityKWh, 1) },
          { title: ta('region.m3'), render: (_, e) => num(e.naturalGasM3, 1) },
          { title: ta('energy.tce'), render: (_, e) => num(e.tce, 4) },
          { title: ta('energy.co2'), render: (_, e) => num(e.co2Tonnes, 4) },
          { title: ta('region.annual'), render: (_, e) => num(e.annualizedTce, 0) },
          {
            title: ta('energy.completeness'),
            render: (_, e) => (
              <Tag color={e.completeness >= 0.9 ? 'green' : 'orange'}>{pct(e.completeness)}</Tag>
            ),
          },
        ]}
      />
    </Space>
  )
}
