import { Alert, Button, Card, Input, Select, Space, Table, Tag } from 'antd'
import { type ReactNode, useCallback, useMemo, useState } from 'react'
import { useSearchParams } from 'react-router'
import { EChart } from '../../components/EChart.tsx'
import { AsyncView, EmptyState } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { useSession } from '../../session.tsx'
import { publicTracePath } from './common.tsx'
import { useIdI18n } from './strings.ts'
import { bareCbv, eventObjects, plantTime, type TimelineEntry, type TraceResult } from './types.ts'

type Direction = 'upstream' | 'downstream' | 'both'
const PALETTE = ['#1677ff', '#fa8c16', '#52c41a', '#722ed1', '#eb2f96', '#13c2c2', '#a0d911', '#faad14']

/** `urn:epc:id:sgtin:6901234.056789.7` → `sgtin 6901234.056789.7`; other identifiers as they are. */
function shortId(id: string): string {
  const m = /^urn:epc:(?:id|class|idpat):([a-z]+):(.+)$/.exec(id)
  if (m) return `${m[1]} ${m[2]}`
  return id.length > 40 ? `…${id.slice(-38)}` : id
}

/**
 * The cross-company trace of an identifier as a graph (materials → products, containers) and a
 * timeline; every event only as far as its owner shared it with this enterprise.
 */
export default function TracePage(): ReactNode {
  const { api, tenant } = useSession()
  const { ti } = useIdI18n()
  const [params, setParams] = useSearchParams()
  const id = params.get('id') ?? ''
  const direction = (params.get('direction') as Direction | null) ?? 'upstream'
  const [draft, setDraft] = useState(id)
  const trace = useAsync<TraceResult | null>(
    () =>
      id === ''
        ? Promise.resolve(null)
        : api.request<TraceResult>('trace', { params: { '*': id }, query: { direction } }),
    [tenant, id, direction],
  )
  const go = (next: string, dir: Direction = direction): void => {
    if (next.trim() === '') return
    setParams({ id: next.trim(), direction: dir })
  }

  return (
    <Card
      title={ti('tr.title')}
      data-testid="trace-page"
      extra={
        <Space wrap>
          <Input
            style={{ width: 380 }}
            placeholder={ti('tr.input')}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onPressEnter={() => go(draft)}
            data-testid="trace-input"
          />
          <Select<Direction>
            value={direction}
            style={{ width: 180 }}
            onChange={(d) => id !== '' && go(id, d)}
            options={(['upstream', 'downstream', 'both'] as const).map((d) => ({
              value: d,
              label: ti(`tr.${d}`),
            }))}
            data-testid="trace-direction"
          />
          <Button type="primary" onClick={() => go(draft)} data-testid="trace-go">
            {ti('tr.trace')}
          </Button>
        </Space>
      }
    >
      <AsyncView state={trace}>
        {(t) =>
          t === null ? (
            <EmptyState text={ti('tr.prompt')} />
          ) : t.timeline.length === 0 ? (
            <EmptyState text={ti('tr.empty')} />
          ) : (
            <TraceView trace={t} tenant={tenant} direction={direction} />
          )
        }
      </AsyncView>
    </Card>
  )
}

function TraceView({
  trace,
  tenant,
  direction,
}: {
  trace: TraceResult
  tenant: string | null
  direction: Direction
}): ReactNode {
  const { ti } = useIdI18n()
  const tenants = useMemo(() => [...new Set(trace.timeline.map((e) => e.tenant))], [trace])
  const tenantLabel = useCallback(
    (x: string): string => {
      const name = trace.tenantNames?.[x] ?? x
      return x === tenant ? `${name}${ti('tr.own')}` : name
    },
    [tenant, ti, trace],
  )
  const option = useMemo(() => {
    // the enterprise behind a node: the owner of the earliest event naming it (the timeline is in time order)
    const owner = new Map<string, string>()
    for (const e of trace.timeline)
      for (const o of eventObjects(e.event)) if (!owner.has(o)) owner.set(o, e.tenant)
    for (const e of trace.edges) if (!owner.has(e.to)) owner.set(e.to, e.tenant)
    const maxDepth = Math.max(0, ...trace.nodes.map((n) => n.depth))
    const perDepth = new Map<number, number>()
    const layered = direction !== 'both'
    const nodes = trace.nodes.map((n) => {
      const row = perDepth.get(n.depth) ?? 0
      perDepth.set(n.depth, row + 1)
      const who = owner.get(n.id)
      const category = who === undefined ? tenants.length : tenants.indexOf(who)
      return {
        id: n.id,
        name: shortId(n.id),
        value: n.id,
        category,
        symbolSize: n.id === trace.start ? 46 : 30,
        ...(layered
          ? { x: (direction === 'upstream' ? maxDepth - n.depth : n.depth) * 260, y: row * 90 }
          : {}),
        itemStyle: n.id === trace.start ? { borderColor: '#000', borderWidth: 2 } : undefined,
      }
    })
    const kindColor = { transformed: '#8c8c8c', contained: '#1677ff', associated: '#52c41a' } as const
    return {
      tooltip: {
        formatter: (p: {
          dataType: string
          data: { value?: string; kind?: string; source?: string; target?: string }
        }) =>
          p.dataType === 'edge'
            ? `${p.data.source} → ${p.data.target}<br/>${ti(`tr.edge.${p.data.kind as 'transformed'}`)}`
            : (p.data.value ?? ''),
      },
      legend: { data: tenants.map(tenantLabel), bottom: 0 },
      series: [
        {
          type: 'graph',
          layout: layered ? 'none' : 'force',
          force: { repulsion: 400, edgeLength: 160 },
          roam: true,
          draggable: true,
          top: 40,
          left: 120,
          right: 120,
          label: { show: true, position: 'bottom', fontSize: 11 },
          edgeSymbol: ['none', 'arrow'],
          edgeSymbolSize: 9,
          categories: [
            ...tenants.map((x, i) => ({
              name: tenantLabel(x),
              itemStyle: { color: PALETTE[i % PALETTE.length] },
            })),
            { name: '—', itemStyle: { color: '#bfbfbf' } },
          ],
          data: nodes,
          edgeLabel: { show: true, fontSize: 11, color: '#595959' },
          links: trace.edges.map((e) => ({
            source: e.from,
            target: e.to,
            kind: e.kind,
            label: { show: true, formatter: ti(`tr.edge.${e.kind}`) },
            lineStyle: { color: kindColor[e.kind], width: 2, curveness: 0.1 },
          })),
        },
      ],
    }
  }, [trace, tenants, direction, ti, tenantLabel])

  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="trace-result">
      <Space wrap>
        <span data-testid="trace-stats">
          {ti('tr.stats', {
            nodes: trace.nodes.length,
            edges: trace.edges.length,
            events: trace.timeline.length,
          })}
        </span>
        <a
          href={publicTracePath(trace.identifier)}
          target="_blank"
          rel="noreferrer"
          data-testid="trace-public-link"
        >
          {ti('ids.publicPage')}
        </a>
        <a href={`${publicTracePath(trace.identifier)}/qr.svg`} target="_blank" rel="noreferrer">
          {ti('ids.qr')}
        </a>
      </Space>
      {trace.truncated ? <Alert type="warning" showIcon message={ti('tr.truncated')} /> : null}
      <Card size="small" title={ti('tr.graph')}>
        <div data-testid="trace-graph">
          <EChart option={option} style={{ height: 420 }} replaceMerge={['series']} />
        </div>
      </Card>
      <Card size="small" title={ti('tr.timeline')}>
        <Table<TimelineEntry>
          rowKey="eventId"
          size="small"
          pagination={false}
          dataSource={trace.timeline}
          data-testid="trace-timeline"
          columns={[
            {
              title: ti('ev.time'),
              dataIndex: 'eventTime',
              width: 230,
              render: (t: string, e) => plantTime(t, e.event.eventTimeZoneOffset),
            },
            {
              title: ti('tr.enterprise'),
              dataIndex: 'tenant',
              width: 220,
              render: (x: string) => (
                <Tag color={PALETTE[tenants.indexOf(x) % PALETTE.length]}>{tenantLabel(x)}</Tag>
              ),
            },
            { title: ti('ev.type'), dataIndex: 'type', width: 170 },
            { title: ti('ev.bizStep'), dataIndex: 'bizStep', width: 120, render: (b?: string) => bareCbv(b) },
            {
              title: ti('ev.objects'),
              render: (_: unknown, e) => (
                <span style={{ wordBreak: 'break-all' }}>
                  {eventObjects(e.event).map(shortId).join(', ')}
                </span>
              ),
            },
          ]}
        />
      </Card>
    </Space>
  )
}
