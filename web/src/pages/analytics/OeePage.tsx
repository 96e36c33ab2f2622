import {
  App,
  Breadcrumb,
  Card,
  Col,
  Descriptions,
  InputNumber,
  Row,
  Segmented,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  Tree,
  Typography,
} from 'antd'
import type { DataNode } from 'antd/es/tree'
import { type ReactNode, useMemo, useState } from 'react'
import type { Asset, Point } from '../../api/types.ts'
import { EChart } from '../../components/EChart.tsx'
import { AsyncView, EmptyState } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatDuration, formatTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { DAY, isoWeek, kpisOf, mergePareto, pct, sumElements } from './common.tsx'
import { type AnalyticsKey, useAnalyticsI18n } from './strings.ts'
import type { DowntimeReason, LossInterval, OeeElements, OeeReport, ParetoRow } from './types.ts'

type RangeKey = 'd1' | 'd7' | 'd30'
type PeriodKey = 'shift' | 'day' | 'week'
const RANGE_DAYS: Record<RangeKey, number> = { d1: 1, d7: 7, d30: 30 }
const ROOT = '__enterprise__'
const MAX_MACHINES = 60

interface Model {
  assets: Asset[]
  /** assets with a `state` point: the machines OEE is computed for */
  machines: Set<string>
}

function below(assets: readonly Asset[], root: string): string[] {
  if (root === ROOT) return assets.map((a) => a.id)
  const out = [root]
  for (let i = 0; i < out.length; i++) for (const a of assets) if (a.parentId === out[i]) out.push(a.id)
  return out
}

async function allPages<T>(load: (offset: number) => Promise<{ items: T[] }>): Promise<T[]> {
  const out: T[] = []
  for (let offset = 0; ; offset += 1000) {
    const p = await load(offset)
    out.push(...p.items)
    if (p.items.length < 1000) return out
  }
}

function ParetoChart({ rows, label }: { rows: ParetoRow[]; label: (r: ParetoRow) => string }): ReactNode {
  const { ta } = useAnalyticsI18n()
  const { lang } = useI18n()
  const option = useMemo(
    () => ({
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 64, right: 56, top: 36, bottom: 56 },
      xAxis: {
        type: 'category',
        data: rows.map(label),
        axisLabel: { interval: 0, rotate: rows.length > 4 ? 20 : 0 },
      },
      yAxis: [
        { type: 'value', name: lang === 'en' ? 'min' : '分钟' },
        { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value} %' } },
      ],
      series: [
        {
          name: ta('oee.duration'),
          type: 'bar',
          data: rows.map((r) => Math.round((r.duration / 60_000) * 10) / 10),
          itemStyle: { color: '#fa8c16' },
        },
        {
          name: ta('oee.cumulative'),
          type: 'line',
          yAxisIndex: 1,
          data: rows.map((r) => Math.round(r.cumulativeShare * 1000) / 10),
        },
      ],
    }),
    [rows, label, ta, lang],
  )
  return <EChart option={option} replaceMerge={['series', 'xAxis']} style={{ height: 300 }} />
}

function LossTable({
  equipment,
  intervals,
  reasons,
  reasonLabel,
  onAssigned,
}: {
  equipment: string
  intervals: LossInterval[]
  reasons: DowntimeReason[]
  reasonLabel: (code: string) => string
  onAssigned: () => void
}): ReactNode {
  const { ta } = useAnalyticsI18n()
  const { lang } = useI18n()
  const { api, principal } = useSession()
  const { message } = App.useApp()
  const [busy, setBusy] = useState<number | null>(null)
  const mayAssign = principal !== null && principal.role !== 'viewer'
  const assign = async (iv: LossInterval, reason: string): Promise<void> => {
    setBusy(iv.start)
    try {
      await api.request('assignDowntime', { body: { equipment, start: iv.start, end: iv.end, reason } })
      void message.success(ta('oee.assigned'))
      onAssigned()
    } catch (e) {
      void message.error((e as Error).message)
    } finally {
      setBusy(null)
    }
  }
  if (intervals.length === 0) return <EmptyState text={ta('oee.noLosses')} />
  return (
    <Table<LossInterval>
      size="small"
      rowKey="start"
      data-testid="loss-intervals"
      dataSource={intervals}
      pagination={{ pageSize: 10, hideOnSinglePage: true }}
      columns={[
        { title: ta('oee.start'), dataIndex: 'start', render: (v: number) => formatTime(lang, v) },
        { title: ta('oee.end'), dataIndex: 'end', render: (v: number) => formatTime(lang, v) },
        { title: ta('oee.duration'), render: (_, r) => formatDuration(lang, r.end - r.start) },
        {
          title: ta('oee.state'),
          dataIndex: 'state',
          render: (s: LossInterval['state']) => (
            <Tag color={s === 'down' ? 'red' : s === 'setup' ? 'blue' : 'default'}>{ta(`state.${s}`)}</Tag>
          ),
        },
        {
          title: ta('oee.reason'),
          render: (_, r) =>
            mayAssign ? (
              <Select
                size="small"
                style={{ width: 180 }}
                placeholder={ta('oee.assign')}
                value={r.reason ?? undefined}
                loading={busy === r.start}
                data-testid={`reason-${r.start}`}
                options={reasons.map((x) => ({ value: x.code, label: x.label[lang] }))}
                onChange={(v: string) => void assign(r, v)}
              />
            ) : r.reason ? (
              reasonLabel(r.reason)
            ) : (
              <Tag>{ta('oee.unassigned')}</Tag>
            ),
        },
      ]}
    />
  )
}

function TimeModel({ e }: { e: OeeElements }): ReactNode {
  const { ta } = useAnalyticsI18n()
  const { lang } = useI18n()
  const d = (ms: number): string => formatDuration(lang, ms)
  const k = kpisOf(e)
  const items: [AnalyticsKey, string][] = [
    ['oee.pot', d(e.pot)],
    ['oee.pdot', d(e.pdot)],
    ['oee.pbt', d(e.pbt)],
    ['oee.apt', d(e.apt)],
    ['oee.aust', d(e.aust)],
    ['oee.adet', d(e.adet)],
    ['oee.adot', d(e.adot)],
    ['oee.noData', d(e.noData)],
    ['oee.pq', String(e.pq)],
    ['oee.gq', String(e.gq)],
    ['oee.sq', String(e.sq)],
    ['oee.mtbf', k.mtbf === null ? '—' : d(k.mtbf)],
    ['oee.mttr', k.mttr === null ? '—' : d(k.mttr)],
  ]
  return (
    <Descriptions
      size="small"
      bordered
      column={{ xs: 1, md: 2, xl: 3 }}
      data-testid="time-model"
      items={items.map(([key, value]) => ({ key, label: ta(key), children: value }))}
    />
  )
}

export default function OeePage(): ReactNode {
  const { api } = useSession()
  const { ta } = useAnalyticsI18n()
  const { lang } = useI18n()
  const [range, setRange] = useState<RangeKey>('d1')
  const [period, setPeriod] = useState<PeriodKey>('day')
  const [cycleS, setCycleS] = useState<number>(60)
  const [node, setNode] = useState<string>(ROOT)
  const span = useMemo(() => {
    const to = Date.now() + 1
    return { from: to - RANGE_DAYS[range] * DAY, to }
  }, [range])

  const model = useAsync<Model>(async () => {
    const [assets, points] = await Promise.all([
      allPages((offset) => api.assets({ limit: 1000, offset })),
      allPages<Point>((offset) => api.points({ limit: 1000, offset })),
    ])
    const machines = new Set(
      points.filter((p) => p.key === 'state' && p.assetId).map((p) => p.assetId as string),
    )
    return { assets, machines }
  }, [])
  const reasons = useAsync(
    () => api.request<{ items: DowntimeReason[] }>('downtimeReasons').then((r) => r.items),
    [],
  )
  const reasonLabel = useMemo(() => {
    const m = new Map((reasons.data ?? []).map((r) => [r.code, r.label[lang]]))
    return (code: string): string => (code === 'unassigned' ? ta('oee.unassigned') : (m.get(code) ?? code))
  }, [reasons.data, lang, ta])

  const machinesBelow = useMemo(() => {
    if (!model.data) return []
    const { assets, machines } = model.data
    return below(assets, node)
      .filter((id) => machines.has(id))
      .slice(0, MAX_MACHINES)
  }, [model.data, node])

  const reports = useAsync(async () => {
    const assets = model.data?.assets ?? []
    const list = await Promise.all(
      machinesBelow.map((equipment) => {
        const a = assets.find((x) => x.id === equipment)
        const attr = a?.attributes.idealCycleMs
        const idealCycleMs = typeof attr === 'number' && attr > 0 ? attr : cycleS * 1000
        return api.request<OeeReport>('oee', { query: { equipment, idealCycleMs, ...span } })
      }),
    )
    return list
  }, [machinesBelow.join(','), span, cycleS])

  const treeData = useMemo<DataNode[]>(() => {
    const assets = model.data?.assets ?? []
    const build = (parent: string | null): DataNode[] =>
      assets
        .filter((a) => a.parentId === parent)
        .map((a) => ({
          key: a.id,
          title: (
            <span>
              {a.name}
              {model.data?.machines.has(a.id) ? (
                <Tag color="green" style={{ marginLeft: 6 }}>
                  OEE
                </Tag>
              ) : null}
            </span>
          ),
          children: build(a.id),
        }))
    return [{ key: ROOT, title: ta('oee.enterprise'), children: build(null) }]
  }, [model.data, ta])

  const trail = useMemo(() => {
    const assets = model.data?.assets ?? []
    const out: { id: string; name: string }[] = []
    let cur = assets.find((a) => a.id === node)
    while (cur) {
      out.unshift({ id: cur.id, name: cur.name })
      const parent = cur.parentId
      cur = assets.find((a) => a.id === parent)
    }
    return [{ id: ROOT, name: ta('oee.enterprise') }, ...out]
  }, [model.data, node, ta])

  return (
    <Card
      title={ta('oee.title')}
      data-testid="oee-page"
      extra={
        <Space wrap>
          <Segmented<RangeKey>
            value={range}
            onChange={setRange}
            options={(['d1', 'd7', 'd30'] as const).map((k) => ({ value: k, label: ta(`range.${k}`) }))}
          />
          <Segmented<PeriodKey>
            value={period}
            onChange={setPeriod}
            data-testid="oee-period"
            options={(['shift', 'day', 'week'] as const).map((k) => ({ value: k, label: ta(`period.${k}`) }))}
          />
          <span>{ta('oee.cycle')}</span>
          <InputNumber min={0.1} max={86_400} value={cycleS} onChange={(v) => v && setCycleS(v)} />
        </Space>
      }
    >
      <AsyncView state={model} isEmpty={(m) => m.machines.size === 0} empty={ta('oee.noMachines')}>
        {(m) => (
          <Row gutter={16}>
            <Col xs={24} lg={6}>
              <Card size="small" title={ta('oee.tree')}>
                <Tree
                  data-testid="oee-tree"
                  treeData={treeData}
                  defaultExpandAll
                  selectedKeys={[node]}
                  onSelect={(keys) => keys[0] !== undefined && setNode(String(keys[0]))}
                />
              </Card>
            </Col>
            <Col xs={24} lg={18}>
              <Breadcrumb
                style={{ marginBottom: 12 }}
                items={trail.map((x) => ({
                  key: x.id,
                  title: (
                    <Typography.Link onClick={() => setNode(x.id)} data-testid={`crumb-${x.id}`}>
                      {x.name}
                    </Typography.Link>
                  ),
                }))}
              />
              <AsyncView state={reports} isEmpty={(r) => r.length === 0} empty={ta('oee.noMachines')}>
                {(list) => (
                  <OeeBody
                    list={list}
                    model={m}
                    node={node}
                    period={period}
                    reasons={reasons.data ?? []}
                    reasonLabel={reasonLabel}
                    onDrill={setNode}
                    onAssigned={reports.reload}
                  />
                )}
              </AsyncView>
            </Col>
          </Row>
        )}
      </AsyncView>
    </Card>
  )
}

function OeeBody({
  list,
  model,
  node,
  period,
  reasons,
  reasonLabel,
  onDrill,
  onAssigned,
}: {
  list: OeeReport[]
  model: Model
  node: string
  period: PeriodKey
  reasons: DowntimeReason[]
  reasonLabel: (code: string) => string
  onDrill: (id: string) => void
  onAssigned: () => void
}): ReactNode {
  const { ta } = useAnalyticsI18n()
  const { t } = useI18n()
  const elements = useMemo(() => sumElements(list.map((r) => r.elements)), [list])
  const k = kpisOf(elements)
  const pareto = useMemo(() => mergePareto(list.map((r) => r.pareto)), [list])
  const paretoLabel = useMemo(
    () => (r: ParetoRow) => `${ta(`state.${r.state}`)} · ${reasonLabel(r.reason)}`,
    [ta, reasonLabel],
  )
  const byPeriod = useMemo(() => {
    const g = new Map<string, OeeElements[]>()
    for (const r of list)
      for (const row of r.rows) {
        const key =
          period === 'shift'
            ? `${row.productionDay} ${row.shift}`
            : period === 'day'
              ? row.productionDay
              : isoWeek(row.productionDay)
        g.set(key, [...(g.get(key) ?? []), row.elements])
      }
    return [...g.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, l]) => ({ key, ...kpisOf(sumElements(l)) }))
  }, [list, period])
  // the next level down: each child of the node with the machines below it
  const children = useMemo(() => {
    const parent = node === ROOT ? null : node
    return model.assets
      .filter((a) => a.parentId === parent)
      .map((a) => {
        const ids = new Set(below(model.assets, a.id))
        const mine = list.filter((r) => ids.has(r.equipment))
        return {
          id: a.id,
          name: a.name,
          level: a.level,
          n: mine.length,
          ...kpisOf(sumElements(mine.map((r) => r.elements))),
        }
      })
      .filter((c) => c.n > 0)
  }, [model.assets, node, list])
  const single = list.length === 1 && list[0]?.equipment === node ? list[0] : undefined

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Row gutter={16}>
        {(
          [
            ['oee.availability', k.availability, 'kpi-availability'],
            ['oee.effectiveness', k.effectiveness, 'kpi-effectiveness'],
            ['oee.quality', k.qualityRate, 'kpi-quality'],
            ['oee', k.oee, 'kpi-oee'],
          ] as const
        ).map(([label, v, id]) => (
          <Col xs={12} md={6} key={id}>
            <Card size="small">
              <Statistic title={ta(label)} value={pct(v)} data-testid={id} />
            </Card>
          </Col>
        ))}
      </Row>
      <Card size="small" title={ta('oee.timeModel')}>
        <TimeModel e={elements} />
      </Card>
      <Row gutter={16}>
        <Col xs={24} xl={12}>
          <Card size="small" title={ta('oee.pareto')} data-testid="oee-pareto">
            {pareto.length === 0 ? (
              <EmptyState text={ta('oee.noLoss')} />
            ) : (
              <>
                <ParetoChart rows={pareto} label={paretoLabel} />
                <Table<ParetoRow>
                  size="small"
                  rowKey={(r) => `${r.state}-${r.reason}`}
                  pagination={false}
                  data-testid="pareto-table"
                  dataSource={pareto}
                  columns={[
                    { title: ta('oee.reason'), render: (_, r) => paretoLabel(r) },
                    { title: ta('oee.duration'), render: (_, r) => `${Math.round(r.duration / 60_000)} min` },
                    { title: ta('oee.events'), dataIndex: 'events' },
                    { title: ta('oee.cumulative'), render: (_, r) => pct(r.cumulativeShare) },
                  ]}
                />
              </>
            )}
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={ta('oee.byPeriod')}>
            <Table
              size="small"
              rowKey="key"
              pagination={{ pageSize: 8, hideOnSinglePage: true }}
              data-testid="oee-periods"
              dataSource={byPeriod}
              columns={[
                { title: ta('oee.period'), dataIndex: 'key' },
                { title: ta('oee.availability'), render: (_, r) => pct(r.availability) },
                { title: ta('oee.effectiveness'), render: (_, r) => pct(r.effectiveness) },
                { title: ta('oee.quality'), render: (_, r) => pct(r.qualityRate) },
                { title: ta('oee'), render: (_, r) => pct(r.oee) },
              ]}
            />
          </Card>
        </Col>
      </Row>
      {children.length > 0 ? (
        <Card size="small" title={ta('oee.children')}>
          <Table
            size="small"
            rowKey="id"
            pagination={false}
            data-testid="oee-children"
            dataSource={children}
            onRow={(r) => ({ onClick: () => onDrill(r.id), style: { cursor: 'pointer' } })}
            columns={[
              {
                title: t('common.name'),
                dataIndex: 'name',
                render: (v: string) => <Typography.Link>{v}</Typography.Link>,
              },
              { title: ta('oee.availability'), render: (_, r) => pct(r.availability) },
              { title: ta('oee.effectiveness'), render: (_, r) => pct(r.effectiveness) },
              { title: ta('oee.quality'), render: (_, r) => pct(r.qualityRate) },
              { title: ta('oee'), render: (_, r) => pct(r.oee) },
            ]}
          />
        </Card>
      ) : null}
      {single ? (
        <Card size="small" title={ta('oee.losses')}>
          <LossTable
            equipment={single.equipment}
            intervals={single.lossIntervals}
            reasons={reasons}
            reasonLabel={reasonLabel}
            onAssigned={onAssigned}
          />
        </Card>
      ) : null}
    </Space>
  )
}
