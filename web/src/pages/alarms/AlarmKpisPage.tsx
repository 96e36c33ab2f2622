import { Alert, Card, Col, Row, Segmented, Space, Statistic, Table, Tag } from 'antd'
import { type ReactNode, useMemo, useState } from 'react'
import type { Page } from '../../api/types.ts'
import { EChart } from '../../components/EChart.tsx'
import { AsyncView } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatDuration, formatTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { RANGES, type RangeKey } from './common.tsx'
import { useAlarmI18n } from './strings.ts'
import type { AlarmEvent, AlarmKpis } from './types.ts'

const TEN_MIN = 600_000
/** ISA-18.2 per-operator figures commonly quoted (secondary sources; see src/rules/alarm-kpis.ts). */
const TARGET_PER_10_MIN = 1
const FLOOD_ABOVE = 10

const pct = (x: number): string => `${Math.round(x * 1000) / 10} %`

/**
 * Alarms per 10 minutes, counted here from the annunciations (transitions into `unacknowledged`) the
 * KPI figures are computed from, so the chart and the numbers above it agree.
 */
function Per10MinChart({ from, to }: { from: number; to: number }): ReactNode {
  const { api } = useSession()
  const { lang } = useI18n()
  const { ta } = useAlarmI18n()
  const events = useAsync(async () => {
    const all: AlarmEvent[] = []
    // at most 5,000 annunciations are drawn; the KPI figures above count all of them
    for (let offset = 0; offset < 5000; offset += 1000) {
      const page = await api.request<Page<AlarmEvent>>('alarmEvents', {
        query: { toState: 'unacknowledged', from, to, limit: 1000, offset, order: 'asc' },
      })
      all.push(...page.items)
      if (page.items.length < 1000) break
    }
    return all
  }, [from, to])
  const option = useMemo(() => {
    const n = Math.ceil((to - from) / TEN_MIN)
    const counts = new Array<number>(n).fill(0)
    for (const e of events.data ?? []) {
      const i = Math.floor((e.at - from) / TEN_MIN)
      if (i >= 0 && i < n) counts[i] = (counts[i] ?? 0) + 1
    }
    return {
      animation: false,
      tooltip: { trigger: 'axis' },
      grid: { left: 48, right: 24, top: 24, bottom: 64 },
      xAxis: {
        type: 'time',
        min: from,
        max: to,
        axisLabel: { formatter: (v: number) => formatTime(lang, v).replace(/:\d\d$/, '') },
      },
      yAxis: { type: 'value', minInterval: 1 },
      dataZoom: [{ type: 'inside' }, { type: 'slider' }],
      series: [
        {
          name: ta('kpi.chart'),
          type: 'line',
          step: 'start',
          showSymbol: false,
          areaStyle: { opacity: 0.25 },
          data: counts.map((c, i) => [from + (i + 1) * TEN_MIN, c]),
        },
        {
          name: `${ta('kpi.target')} ${TARGET_PER_10_MIN}`,
          type: 'line',
          showSymbol: false,
          lineStyle: { type: 'dashed', color: '#52c41a' },
          data: [
            [from, TARGET_PER_10_MIN],
            [to, TARGET_PER_10_MIN],
          ],
        },
        {
          name: `> ${FLOOD_ABOVE}`,
          type: 'line',
          showSymbol: false,
          lineStyle: { type: 'dashed', color: '#cf1322' },
          data: [
            [from, FLOOD_ABOVE],
            [to, FLOOD_ABOVE],
          ],
        },
      ],
    }
  }, [events.data, from, to, lang, ta])
  return (
    <AsyncView state={events}>
      {() => <EChart option={option} replaceMerge={['series']} style={{ height: 280 }} />}
    </AsyncView>
  )
}

export default function AlarmKpisPage(): ReactNode {
  const { api } = useSession()
  const { lang } = useI18n()
  const { ta } = useAlarmI18n()
  const [range, setRange] = useState<RangeKey>('h24')
  // the span is fixed when the range is chosen, so the chart and the figures cover the same window
  const span = useMemo(() => {
    const to = Date.now() + 1
    return { from: to - RANGES[range], to }
  }, [range])
  const kpis = useAsync(() => api.request<AlarmKpis>('alarmKpis', { query: span }), [span])

  return (
    <Card
      title={ta('kpi.title')}
      data-testid="alarm-kpis-page"
      extra={
        <Segmented<RangeKey>
          value={range}
          onChange={setRange}
          options={(['h24', 'd7', 'd30'] as const).map((k) => ({ value: k, label: ta(k) }))}
        />
      }
    >
      <AsyncView
        state={kpis}
        isEmpty={(k) => k.annunciated === 0 && k.stale.length === 0}
        empty={ta('kpi.none')}
      >
        {(k) => (
          <Space orientation="vertical" size={16} style={{ width: '100%' }}>
            <Row gutter={16}>
              <Col span={4}>
                <Statistic
                  title={ta('kpi.annunciated')}
                  value={k.annunciated}
                  data-testid="kpi-annunciated"
                />
              </Col>
              <Col span={5}>
                <Statistic
                  title={ta('kpi.per10')}
                  value={`${Math.round(k.per10Min.average * 100) / 100} / ${k.per10Min.peak}`}
                  valueStyle={{ color: k.per10Min.average > TARGET_PER_10_MIN ? '#cf1322' : undefined }}
                />
              </Col>
              <Col span={4}>
                <Statistic title={ta('kpi.perHour')} value={Math.round(k.perHourAverage * 100) / 100} />
              </Col>
              <Col span={4}>
                <Statistic
                  title={ta('kpi.floods')}
                  value={k.floods.count}
                  suffix={<span style={{ fontSize: 13 }}>({pct(k.floods.timeShare)})</span>}
                  valueStyle={{ color: k.floods.count > 0 ? '#cf1322' : undefined }}
                />
              </Col>
              <Col span={4}>
                <Statistic
                  title={ta('kpi.chattering')}
                  value={k.chattering.length}
                  valueStyle={{ color: k.chattering.length > 0 ? '#cf1322' : undefined }}
                />
              </Col>
              <Col span={3}>
                <Statistic title={ta('kpi.stale')} value={k.stale.length} />
              </Col>
            </Row>
            <Card size="small" title={ta('kpi.chart')}>
              <Per10MinChart from={span.from} to={span.to} />
            </Card>
            <Row gutter={16}>
              <Col xs={24} xl={12}>
                <Card size="small" title={`${ta('kpi.top10')} · ${ta('kpi.top10Share')} ${pct(k.topShare)}`}>
                  <Table
                    size="small"
                    rowKey="alarmId"
                    pagination={false}
                    dataSource={[...k.topFrequent]}
                    onRow={() => ({ 'data-testid': 'kpi-top' }) as never}
                    columns={[
                      { title: '#', key: 'i', width: 40, render: (_, __, i) => i + 1 },
                      { title: ta('alarm'), dataIndex: 'alarmId', render: (a: string) => <code>{a}</code> },
                      { title: ta('kpi.count'), dataIndex: 'count', width: 80 },
                      {
                        title: ta('kpi.share'),
                        dataIndex: 'share',
                        width: 90,
                        render: (s: number) => pct(s),
                      },
                    ]}
                  />
                </Card>
              </Col>
              <Col xs={24} xl={12}>
                <Card size="small" title={ta('kpi.floods')}>
                  {k.floods.list.length === 0 ? (
                    <Alert type="success" title="0" showIcon />
                  ) : (
                    <Table
                      size="small"
                      rowKey="start"
                      pagination={{ pageSize: 5, hideOnSinglePage: true }}
                      dataSource={[...k.floods.list]}
                      columns={[
                        {
                          title: ta('since'),
                          dataIndex: 'start',
                          render: (ts: number) => formatTime(lang, ts),
                        },
                        {
                          title: ta('kpi.duration'),
                          dataIndex: 'durationMs',
                          render: (ms: number) => formatDuration(lang, ms),
                        },
                        { title: ta('kpi.count'), dataIndex: 'alarms' },
                        { title: ta('kpi.peak'), dataIndex: 'peakIn10Min' },
                      ]}
                    />
                  )}
                </Card>
                <Card size="small" title={ta('kpi.chattering')} style={{ marginTop: 16 }}>
                  {k.chattering.length === 0 ? (
                    <Alert type="success" title="0" showIcon />
                  ) : (
                    <Table
                      size="small"
                      rowKey="alarmId"
                      pagination={{ pageSize: 5, hideOnSinglePage: true }}
                      dataSource={[...k.chattering]}
                      columns={[
                        { title: ta('alarm'), dataIndex: 'alarmId', render: (a: string) => <code>{a}</code> },
                        { title: ta('kpi.activations'), dataIndex: 'activations' },
                        {
                          title: ta('kpi.peak'),
                          dataIndex: 'maxInWindow',
                          render: (n: number) => <Tag color="red">{n} / min</Tag>,
                        },
                      ]}
                    />
                  )}
                </Card>
              </Col>
            </Row>
          </Space>
        )}
      </AsyncView>
    </Card>
  )
}
