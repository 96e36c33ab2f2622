import {
  Button,
  Card,
  Col,
  DatePicker,
  Form,
  InputNumber,
  Row,
  Segmented,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
} from 'antd'
import dayjs, { type Dayjs } from 'dayjs'
import { type ReactNode, useMemo, useState } from 'react'
import type { Point } from '../../api/types.ts'
import { EChart } from '../../components/EChart.tsx'
import { AsyncView, EmptyState } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { DAY, num } from './common.tsx'
import { useAnalyticsI18n } from './strings.ts'
import type { ChartKind, ControlLimits, SpcResult } from './types.ts'

interface Query {
  point: string
  chart: ChartKind
  subgroup: number
  from: number
  to: number
  baselineFrom?: number
  baselineTo?: number
  lsl?: number
  usl?: number
}

const CHART_LABEL: Record<ChartKind, string> = { imr: 'I-MR', 'xbar-r': 'X̄-R', 'xbar-s': 'X̄-S' }

function ControlChart({ r, which }: { r: SpcResult; which: 'center' | 'spread' }): ReactNode {
  const { lang } = useI18n()
  const { ta } = useAnalyticsI18n()
  const option = useMemo(() => {
    const limits: ControlLimits = r.limits[which]
    const data = r.points
      .map((p) => [p.ts, which === 'center' ? p.value : p.spread] as const)
      .filter((p): p is readonly [number, number] => p[1] !== null)
    const flagged = which === 'center' ? new Set(r.violations.map((v) => v.index)) : new Set<number>()
    const line = (name: string, y: number, color: string) => ({
      name,
      yAxis: y,
      lineStyle: { color, type: name === 'CL' ? 'solid' : 'dashed' },
      label: { formatter: `${name} ${num(y, 4)}`, position: 'insideEndTop' },
    })
    return {
      animation: false,
      tooltip: { trigger: 'axis' },
      grid: { left: 64, right: 96, top: 24, bottom: 48 },
      xAxis: {
        type: 'time',
        axisLabel: { formatter: (v: number) => formatTime(lang, v).replace(/:\d\d$/, '') },
      },
      yAxis: { type: 'value', scale: true },
      dataZoom: [{ type: 'inside' }],
      series: [
        {
          name: which === 'center' ? ta('spc.value') : ta('spc.spread'),
          type: 'line',
          data,
          symbolSize: 5,
          markLine: {
            symbol: 'none',
            silent: true,
            data: [
              line('UCL', limits.ucl, '#cf1322'),
              line('CL', limits.center, '#389e0d'),
              line('LCL', limits.lcl, '#cf1322'),
            ],
          },
        },
        {
          name: ta('spc.violations'),
          type: 'scatter',
          symbolSize: 12,
          itemStyle: { color: '#cf1322' },
          data: r.points.flatMap((p, i) => (flagged.has(i) ? [[p.ts, p.value]] : [])),
        },
      ],
    }
  }, [r, which, lang, ta])
  return (
    <EChart option={option} replaceMerge={['series']} style={{ height: which === 'center' ? 320 : 220 }} />
  )
}

export default function SpcPage(): ReactNode {
  const { api } = useSession()
  const { ta } = useAnalyticsI18n()
  const { lang } = useI18n()
  const [form] = Form.useForm()
  const [query, setQuery] = useState<Query>()
  const points = useAsync(
    () => api.points({ limit: 1000, sort: 'name' }).then((p) => p.items.filter((x) => x.kind === 'analog')),
    [],
  )
  const result = useAsync(
    async () => (query ? api.request<SpcResult>('spc', { query: { ...query } }) : undefined),
    [query],
  )
  const apply = (v: {
    point: string
    chart: ChartKind
    subgroup: number
    window: [Dayjs, Dayjs]
    baseline?: [Dayjs, Dayjs] | null
    lsl?: number | null
    usl?: number | null
  }): void => {
    setQuery({
      point: v.point,
      chart: v.chart,
      subgroup: v.subgroup,
      from: v.window[0].valueOf(),
      to: v.window[1].valueOf(),
      ...(v.baseline ? { baselineFrom: v.baseline[0].valueOf(), baselineTo: v.baseline[1].valueOf() } : {}),
      ...(v.lsl !== null && v.lsl !== undefined ? { lsl: v.lsl } : {}),
      ...(v.usl !== null && v.usl !== undefined ? { usl: v.usl } : {}),
    })
  }

  return (
    <Card title={ta('spc.title')} data-testid="spc-page">
      <AsyncView state={points} isEmpty={(p) => p.length === 0} empty={ta('spc.noPoints')}>
        {(list: Point[]) => (
          <Space direction="vertical" size="middle" style={{ width: '100%' }}>
            <Form
              form={form}
              layout="inline"
              data-testid="spc-form"
              initialValues={{
                chart: 'imr',
                subgroup: 5,
                window: [dayjs(Date.now() - DAY), dayjs(Date.now() + 60_000)],
              }}
              onFinish={apply}
            >
              <Form.Item
                name="point"
                label={ta('spc.point')}
                rules={[{ required: true, message: ta('spc.choosePoint') }]}
              >
                <Select
                  style={{ width: 220 }}
                  showSearch
                  optionFilterProp="label"
                  data-testid="spc-point"
                  placeholder={ta('spc.choosePoint')}
                  options={list.map((p) => ({ value: p.id, label: `${p.name} (${p.key})` }))}
                />
              </Form.Item>
              <Form.Item name="chart" label={ta('spc.chart')}>
                <Segmented<ChartKind>
                  options={(['imr', 'xbar-r', 'xbar-s'] as const).map((k) => ({
                    value: k,
                    label: CHART_LABEL[k],
                  }))}
                />
              </Form.Item>
              <Form.Item name="subgroup" label={ta('spc.subgroup')}>
                <InputNumber min={2} max={25} style={{ width: 72 }} />
              </Form.Item>
              <Form.Item name="window" label={ta('spc.window')} rules={[{ required: true }]}>
                <DatePicker.RangePicker showTime />
              </Form.Item>
              <Form.Item name="baseline" label={ta('spc.baseline')} tooltip={ta('spc.baselineSame')}>
                <DatePicker.RangePicker showTime allowClear />
              </Form.Item>
              <Form.Item name="lsl" label={ta('spc.lsl')}>
                <InputNumber style={{ width: 100 }} data-testid="spc-lsl" />
              </Form.Item>
              <Form.Item name="usl" label={ta('spc.usl')}>
                <InputNumber style={{ width: 100 }} data-testid="spc-usl" />
              </Form.Item>
              <Form.Item>
                <Button type="primary" htmlType="submit" data-testid="spc-apply">
                  {ta('spc.chart')}
                </Button>
              </Form.Item>
            </Form>
            {query ? (
              <AsyncView state={result}>
                {(r) =>
                  r ? (
                    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
                      <Row gutter={16}>
                        {(['cp', 'cpk', 'pp', 'ppk'] as const).map((k) => (
                          <Col xs={12} md={4} key={k}>
                            <Card size="small">
                              <Statistic
                                title={k.replace(/^c/, 'C').replace(/^p/, 'P')}
                                value={r.capability ? num(r.capability[k], 3) : '—'}
                                data-testid={`spc-${k}`}
                              />
                            </Card>
                          </Col>
                        ))}
                        <Col xs={12} md={4}>
                          <Card size="small">
                            <Statistic title={ta('spc.sigma')} value={num(r.sigmaWithin, 4)} />
                          </Card>
                        </Col>
                        <Col xs={12} md={4}>
                          <Card size="small">
                            <Statistic
                              title={`${ta('spc.samples')} / ${ta('spc.excluded')}`}
                              value={`${r.samples} / ${r.excluded}`}
                            />
                          </Card>
                        </Col>
                      </Row>
                      {r.capability ? null : <Tag>{ta('spc.noSpec')}</Tag>}
                      <Card size="small" title={`${CHART_LABEL[r.chart]} · ${r.chart === 'imr' ? 'I' : 'X̄'}`}>
                        <ControlChart r={r} which="center" />
                      </Card>
                      <Card
                        size="small"
                        title={`${CHART_LABEL[r.chart]} · ${r.chart === 'imr' ? 'MR' : r.chart === 'xbar-r' ? 'R' : 'S'}`}
                      >
                        <ControlChart r={r} which="spread" />
                      </Card>
                      <Card size="small" title={ta('spc.violations')}>
                        {r.violations.length === 0 ? (
                          <EmptyState text={ta('spc.noViolations')} />
                        ) : (
                          <Table
                            size="small"
                            rowKey={(v) => `${v.rule}-${v.index}`}
                            data-testid="spc-violations"
                            pagination={{ pageSize: 10, hideOnSinglePage: true }}
                            dataSource={r.violations}
                            columns={[
                              { title: ta('spc.rule'), dataIndex: 'rule', render: (x: number) => `WE ${x}` },
                              {
                                title: ta('oee.start'),
                                render: (_, v) => formatTime(lang, r.points[v.index]?.ts ?? 0),
                              },
                              { title: ta('spc.value'), render: (_, v) => num(r.points[v.index]?.value, 4) },
                            ]}
                          />
                        )}
                      </Card>
                    </Space>
                  ) : null
                }
              </AsyncView>
            ) : (
              <EmptyState text={ta('spc.choosePoint')} />
            )}
          </Space>
        )}
      </AsyncView>
    </Card>
  )
}
