import { PlusOutlined } from '@ant-design/icons'
import {
  App,
  Alert,
  Button,
  Card,
  Col,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Row,
  Select,
  Space,
  Table,
  Tag,
} from 'antd'
import { MarkAreaComponent, MarkLineComponent } from 'echarts/components'
import * as echartsCore from 'echarts/core'
import { type ReactNode, useMemo, useState } from 'react'
import type { BucketRows, Device, Page, Point } from '../../api/types.ts'
import { EChart } from '../../components/EChart.tsx'
import { EmptyState, ErrorState, Loading } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { PRIORITY_COLOR, PriorityTag } from './common.tsx'
import { useAlarmI18n } from './strings.ts'
import {
  type AlarmPriority,
  PRIORITIES,
  type PreviewResult,
  type RuleDefinition,
  type RuleView,
} from './types.ts'

// the shared chart set has no mark components; this chunk (loaded with the page) adds them
echartsCore.use([MarkAreaComponent, MarkLineComponent])

const DAY = 86_400_000

interface FormValues {
  kind: 'limit' | 'expression'
  id: string
  name?: string
  priority?: AlarmPriority
  equipment?: string
  point?: string
  hh?: number | null
  h?: number | null
  l?: number | null
  ll?: number | null
  deadband?: number | null
  onDelayS?: number | null
  offDelayS?: number | null
  expression?: string
}

const num = (v: number | null | undefined): number | undefined => (typeof v === 'number' ? v : undefined)

function toDefinition(v: FormValues): RuleDefinition {
  const common = {
    id: v.id.trim(),
    ...(v.name ? { name: v.name } : {}),
    ...(v.priority ? { priority: v.priority } : {}),
    ...(v.equipment ? { equipment: v.equipment } : {}),
    ...(num(v.onDelayS) ? { onDelayMs: Math.round((v.onDelayS as number) * 1000) } : {}),
    ...(num(v.offDelayS) ? { offDelayMs: Math.round((v.offDelayS as number) * 1000) } : {}),
  }
  if (v.kind === 'expression') return { kind: 'expression', ...common, expression: v.expression ?? '' }
  const limits: Record<string, number> = {}
  for (const k of ['hh', 'h', 'l', 'll'] as const) {
    const x = num(v[k])
    if (x !== undefined) limits[k] = x
  }
  return {
    kind: 'limit',
    ...common,
    point: (v.point ?? '').trim(),
    ...limits,
    ...(num(v.deadband) !== undefined ? { deadband: v.deadband as number } : {}),
  }
}

function toForm(d: RuleDefinition): FormValues {
  const r = d as Record<string, unknown>
  const n = (k: string): number | null => (typeof r[k] === 'number' ? (r[k] as number) : null)
  return {
    kind: d.kind === 'expression' ? 'expression' : 'limit',
    id: d.id,
    name: r.name as string | undefined,
    priority: r.priority as AlarmPriority | undefined,
    equipment: r.equipment as string | undefined,
    point: r.point as string | undefined,
    hh: n('hh'),
    h: n('h'),
    l: n('l'),
    ll: n('ll'),
    deadband: n('deadband'),
    onDelayS: typeof r.onDelayMs === 'number' ? r.onDelayMs / 1000 : null,
    offDelayS: typeof r.offDelayMs === 'number' ? r.offDelayMs / 1000 : null,
    expression: r.expression as string | undefined,
  }
}

interface PreviewView {
  result: PreviewResult
  rule: RuleDefinition
  /** the limit rule's point over the same span (null when it cannot be found) */
  series: { ts: number; avg: number | null; min: number | null; max: number | null }[] | null
}

function PreviewChart({ view }: { view: PreviewView }): ReactNode {
  const { lang } = useI18n()
  const { ta } = useAlarmI18n()
  const option = useMemo(() => {
    const { result, rule, series } = view
    const r = rule as Record<string, unknown>
    const areas = result.episodes.map((e) => [
      {
        xAxis: e.raisedAt,
        name: e.conditionId.replace(`${e.ruleId}:`, ''),
        itemStyle: { color: PRIORITY_COLOR[e.priority] === 'gold' ? '#faad14' : '#ff4d4f', opacity: 0.18 },
      },
      { xAxis: e.clearedAt ?? result.to },
    ])
    const lines = (['hh', 'h', 'l', 'll'] as const)
      .filter((k) => typeof r[k] === 'number')
      .map((k) => ({ yAxis: r[k] as number, name: k.toUpperCase() }))
    // a step line of "alarm active" carries the episodes when there is no point to draw them on
    const active: [number, number][] = [[result.from, 0]]
    for (const e of result.episodes) active.push([e.raisedAt, 1], [e.clearedAt ?? result.to, 0])
    active.push([result.to, 0])
    active.sort((a, b) => a[0] - b[0])
    const mark = {
      markArea: { silent: true, label: { show: false }, data: areas },
      markLine: {
        silent: true,
        symbol: 'none',
        lineStyle: { type: 'dashed', color: '#cf1322' },
        label: { position: 'insideEndTop', formatter: '{b} {c}' },
        data: lines,
      },
    }
    // buckets average a short excursion away: the max (min for low limits) shows what the rule saw
    const lowOnly = lines.length > 0 && lines.every((l) => l.name === 'L' || l.name === 'LL')
    const drawn =
      series === null
        ? [
            {
              name: ta('alarm'),
              type: 'line',
              step: 'end',
              showSymbol: false,
              data: active,
              areaStyle: { opacity: 0.2 },
              ...mark,
            },
          ]
        : [
            {
              name: lowOnly ? 'min' : 'max',
              type: 'line',
              showSymbol: false,
              data: series.map((x) => [x.ts, lowOnly ? x.min : x.max]),
              ...mark,
            },
            {
              name: 'avg',
              type: 'line',
              showSymbol: false,
              lineStyle: { width: 1, opacity: 0.6 },
              data: series.map((x) => [x.ts, x.avg]),
            },
          ]
    // keep the limits in view, and open on the span that has data or episodes
    const values = [
      ...lines.map((l) => l.yAxis),
      ...(series ?? []).flatMap((x) => [x.min, x.max].filter((v): v is number => v !== null)),
    ]
    const lo = values.length ? Math.min(...values) : 0
    const hi = values.length ? Math.max(...values) : 1
    const pad = (hi - lo || 1) * 0.08
    const starts = [
      ...(series ?? []).filter((x) => x.avg !== null).map((x) => x.ts),
      ...result.episodes.map((e) => e.raisedAt),
    ]
    const first = starts.length ? Math.min(...starts) : result.from
    const startValue = Math.max(result.from, first - (result.to - first) * 0.05)
    return {
      animation: false,
      legend: { top: 0 },
      tooltip: {
        trigger: 'axis',
        valueFormatter: (v: unknown) =>
          typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : String(v),
      },
      grid: { left: 56, right: 24, top: 32, bottom: 64 },
      xAxis: {
        type: 'time',
        min: result.from,
        max: result.to,
        axisLabel: { formatter: (v: number) => formatTime(lang, v).replace(/:\d\d$/, '') },
      },
      yAxis:
        series === null
          ? { type: 'value', min: 0, max: 1, interval: 1 }
          : { type: 'value', min: Math.floor(lo - pad), max: Math.ceil(hi + pad) },
      dataZoom: [
        { type: 'inside', startValue, endValue: result.to },
        { type: 'slider', startValue, endValue: result.to },
      ],
      series: drawn,
    }
  }, [view, lang, ta])
  return <EChart option={option} replaceMerge={['series']} style={{ height: 340 }} />
}

function RuleEditor({
  editing,
  onSaved,
}: {
  editing: RuleView | null
  onSaved(r: RuleView): void
}): ReactNode {
  const { api } = useSession()
  const { t, lang } = useI18n()
  const { ta } = useAlarmI18n()
  const { message } = App.useApp()
  const [form] = Form.useForm<FormValues>()
  const kind = Form.useWatch('kind', form)
  const [saving, setSaving] = useState(false)
  const [previewing, setPreviewing] = useState(false)
  const [error, setError] = useState<string>()
  const [preview, setPreview] = useState<PreviewView>()
  const readOnly = editing?.templateId != null
  const editable =
    editing === null || editing.definition.kind === 'limit' || editing.definition.kind === 'expression'

  const definition = async (): Promise<RuleDefinition> => {
    const v = await form.validateFields()
    const d = toDefinition(v)
    if (d.kind === 'limit' && !['hh', 'h', 'l', 'll'].some((k) => k in d))
      throw new Error(ta('rules.limitNeeded'))
    return d
  }

  const pointSeries = async (path: string, from: number, to: number): Promise<PreviewView['series']> => {
    const [devKey, ptKey] = path.split('/')
    if (!devKey || !ptKey) return null
    const devices = await api.devices({ q: devKey, limit: 50 })
    const dev = devices.items.find((d: Device) => d.key === devKey)
    if (!dev) return null
    const pts: Page<Point> = await api.points({ deviceId: dev.id, limit: 1000 })
    const pt = pts.items.find((p) => p.key === ptKey)
    if (!pt) return null
    const b: BucketRows = await api.buckets(pt.id, { from, to, targetPoints: 600 })
    return b.rows.map((r) => ({ ts: r.ts, avg: r.avg, min: r.min, max: r.max }))
  }

  const runPreview = async (): Promise<void> => {
    setError(undefined)
    let rule: RuleDefinition
    try {
      rule = await definition()
    } catch (e) {
      if (e instanceof Error) setError(e.message)
      return
    }
    setPreviewing(true)
    try {
      const to = Date.now() + 1
      const from = to - 7 * DAY
      const result = await api.request<PreviewResult>('previewRules', { body: { rules: [rule], from, to } })
      const series = rule.kind === 'limit' ? await pointSeries(String(rule.point), from, to) : null
      setPreview({ result, rule, series })
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setPreviewing(false)
    }
  }

  const save = async (): Promise<void> => {
    setError(undefined)
    let rule: RuleDefinition
    try {
      rule = await definition()
    } catch (e) {
      if (e instanceof Error) setError(e.message)
      return
    }
    setSaving(true)
    try {
      const r = editing
        ? await api.request<RuleView>('updateRule', { params: { id: editing.id }, body: rule })
        : await api.request<RuleView>('createRule', { body: rule })
      void message.success(ta('rules.saved'))
      onSaved(r)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setSaving(false)
    }
  }

  const initial: FormValues = editing
    ? toForm(editing.definition)
    : { kind: 'limit', id: '', priority: 'high' }
  return (
    <Card
      size="small"
      title={editing ? `${ta('rules.edit')} · ${editing.id}` : ta('rules.new')}
      data-testid="rule-editor"
    >
      {readOnly ? (
        <Alert type="info" showIcon title={ta('rules.template')} style={{ marginBottom: 12 }} />
      ) : null}
      {!editable ? (
        <Alert type="info" showIcon title={ta('rules.notEditable')} style={{ marginBottom: 12 }} />
      ) : null}
      <Form
        key={editing?.id ?? 'new'}
        form={form}
        layout="vertical"
        initialValues={initial}
        disabled={readOnly || !editable}
        size="small"
      >
        <Row gutter={12}>
          <Col span={8}>
            <Form.Item name="kind" label={ta('rules.kind')}>
              <Select
                disabled={editing !== null}
                options={[
                  { value: 'limit', label: ta('rules.kind.limit') },
                  { value: 'expression', label: ta('rules.kind.expression') },
                ]}
              />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item
              name="id"
              label={ta('rules.id')}
              rules={[{ required: true, pattern: /^[A-Za-z0-9_.-]{1,100}$/ }]}
            >
              <Input id="rule-id" disabled={editing !== null} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="priority" label={ta('priority')}>
              <Select options={PRIORITIES.map((p) => ({ value: p, label: ta(`p.${p}`) }))} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="name" label={t('common.name')}>
              <Input id="rule-name" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="equipment" label={ta('equipment')}>
              <Input id="rule-equipment" />
            </Form.Item>
          </Col>
        </Row>
        {kind === 'expression' ? (
          <Form.Item name="expression" label={ta('rules.expression')} rules={[{ required: true }]}>
            <Input.TextArea
              id="rule-expression"
              rows={2}
              placeholder='motor_current > 1.2 * rated_current && state == "running"'
              style={{ fontFamily: 'monospace' }}
            />
          </Form.Item>
        ) : (
          <>
            <Form.Item name="point" label={ta('rules.point')} rules={[{ required: true }]}>
              <Input id="rule-point" placeholder="press-01/temperature" />
            </Form.Item>
            <Row gutter={12}>
              {(['hh', 'h', 'l', 'll'] as const).map((k) => (
                <Col span={6} key={k}>
                  <Form.Item name={k} label={k.toUpperCase()}>
                    <InputNumber id={`rule-${k}`} style={{ width: '100%' }} />
                  </Form.Item>
                </Col>
              ))}
              <Col span={8}>
                <Form.Item name="deadband" label={ta('rules.deadband')}>
                  <InputNumber id="rule-deadband" min={0} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            </Row>
          </>
        )}
        <Row gutter={12}>
          <Col span={8}>
            <Form.Item name="onDelayS" label={ta('rules.onDelay')}>
              <InputNumber min={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="offDelayS" label={ta('rules.offDelay')}>
              <InputNumber min={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
      </Form>
      <Space style={{ marginBottom: 12 }}>
        <Button
          onClick={() => void runPreview()}
          loading={previewing}
          data-testid="rule-preview"
          disabled={!editable}
        >
          {ta('rules.preview')}
        </Button>
        <Button
          type="primary"
          onClick={() => void save()}
          loading={saving}
          disabled={readOnly || !editable}
          data-testid="rule-save"
        >
          {ta('rules.save')}
        </Button>
      </Space>
      {error ? (
        <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="rule-error" />
      ) : null}
      {previewing && !preview ? <Loading /> : null}
      {preview ? (
        <div data-testid="rule-preview-result">
          <div style={{ marginBottom: 8 }} data-testid="preview-count">
            {preview.result.episodes.length > 0
              ? ta('rules.episodes', { n: preview.result.episodes.length })
              : ta('rules.noEpisodes')}
          </div>
          <PreviewChart view={preview} />
          {preview.result.episodes.length > 0 ? (
            <Table
              size="small"
              rowKey={(e) => `${e.conditionId}@${e.raisedAt}`}
              dataSource={preview.result.episodes}
              pagination={{ pageSize: 10, hideOnSinglePage: true }}
              onRow={() => ({ 'data-testid': 'preview-episode' }) as never}
              columns={[
                { title: ta('alarm'), dataIndex: 'conditionId', render: (c: string) => <code>{c}</code> },
                { title: ta('priority'), dataIndex: 'priority', render: (p) => <PriorityTag p={p} /> },
                {
                  title: ta('rules.raised'),
                  dataIndex: 'raisedAt',
                  render: (ts: number) => formatTime(lang, ts),
                },
                {
                  title: ta('rules.cleared'),
                  dataIndex: 'clearedAt',
                  render: (ts: number | null) =>
                    ts === null ? <Tag color="red">{ta('rules.stillActive')}</Tag> : formatTime(lang, ts),
                },
                { title: ta('message'), dataIndex: 'message' },
              ]}
            />
          ) : null}
        </div>
      ) : previewing ? null : (
        <EmptyState text={ta('rules.noPreview')} />
      )}
    </Card>
  )
}

export default function RuleEditorPage(): ReactNode {
  const { api } = useSession()
  const { t } = useI18n()
  const { ta } = useAlarmI18n()
  const { message } = App.useApp()
  const rules = useAsync(() => api.request<{ items: RuleView[] }>('rules'), [])
  const [editing, setEditing] = useState<RuleView | null>(null)
  const [editorKey, setEditorKey] = useState(0)

  const remove = async (r: RuleView): Promise<void> => {
    try {
      await api.request('deleteRule', { params: { id: r.id } })
      if (editing?.id === r.id) setEditing(null)
      rules.reload()
    } catch (e) {
      void message.error((e as Error).message)
    }
  }

  return (
    <Row gutter={16} data-testid="rule-editor-page">
      <Col xs={24} xl={10}>
        <Card
          title={ta('rules.title')}
          extra={
            <Button
              icon={<PlusOutlined />}
              onClick={() => {
                setEditing(null)
                setEditorKey((k) => k + 1)
              }}
              data-testid="rule-new"
            >
              {ta('rules.new')}
            </Button>
          }
        >
          {rules.error ? (
            <ErrorState error={rules.error} retry={rules.reload} />
          ) : (
            <Table<RuleView>
              rowKey="id"
              size="small"
              loading={rules.loading}
              dataSource={rules.data?.items ?? []}
              locale={{ emptyText: rules.loading ? ' ' : <EmptyState text={ta('rules.empty')} /> }}
              pagination={{ pageSize: 15, hideOnSinglePage: true }}
              rowClassName={(r) => (r.id === editing?.id ? 'ant-table-row-selected' : '')}
              onRow={(r) =>
                ({
                  onClick: () => {
                    setEditing(r)
                    setEditorKey((k) => k + 1)
                  },
                  style: { cursor: 'pointer' },
                  'data-rule': r.id,
                }) as never
              }
              columns={[
                { title: ta('rules.id'), dataIndex: 'id', render: (id: string) => <code>{id}</code> },
                { title: ta('rules.kind'), key: 'kind', render: (_, r) => <Tag>{r.definition.kind}</Tag> },
                {
                  title: ta('priority'),
                  key: 'p',
                  render: (_, r) => {
                    const p = (r.definition as { priority?: AlarmPriority }).priority
                    return p ? <PriorityTag p={p} /> : '—'
                  },
                },
                {
                  title: t('common.actions'),
                  key: 'a',
                  width: 80,
                  render: (_, r) =>
                    r.templateId ? null : (
                      <Popconfirm
                        title={`${ta('rules.delete')} ${r.id}?`}
                        onConfirm={() => void remove(r)}
                        okText={t('common.ok')}
                        cancelText={t('common.cancel')}
                      >
                        <Button size="small" danger type="link" onClick={(e) => e.stopPropagation()}>
                          {ta('rules.delete')}
                        </Button>
                      </Popconfirm>
                    ),
                },
              ]}
            />
          )}
        </Card>
      </Col>
      <Col xs={24} xl={14}>
        <RuleEditor
          key={`${editing?.id ?? 'new'}-${editorKey}`}
          editing={editing}
          onSaved={(r) => {
            setEditing(r)
            rules.reload()
          }}
        />
      </Col>
    </Row>
  )
}
