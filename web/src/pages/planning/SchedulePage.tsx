import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Form,
  Input,
  List,
  Row,
  Segmented,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
} from 'antd'
import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react'
import { useSearchParams } from 'react-router'
import { AsyncView, EmptyState } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatDuration, formatTime } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { fromLocalInput, GanttChart, opKey, toLocalInput, useEquipment } from './common.tsx'
import { type PlanningKey, usePlanningI18n } from './strings.ts'
import type {
  BreakdownProposal,
  GanttOperation,
  MoveCheck,
  OperationMove,
  PlanKpis,
  PlannedSchedule,
  ProductionOrder,
  RepairOption,
} from './types.ts'

function Kpis({
  kpis,
  nameOf,
  testId,
}: {
  kpis: PlanKpis
  nameOf(id: string): string
  testId: string
}): ReactNode {
  const { tp, lang } = usePlanningI18n()
  const mean =
    kpis.utilisation.length === 0
      ? 0
      : kpis.utilisation.reduce((s, u) => s + u.utilisation, 0) / kpis.utilisation.length
  return (
    <div data-testid={testId} data-makespan={kpis.makespanMs}>
      <Space size={32} wrap>
        <Statistic title={tp('makespan')} value={formatDuration(lang, kpis.makespanMs)} />
        <Statistic title={tp('twt')} value={formatDuration(lang, kpis.totalWeightedTardinessMs)} />
        <Statistic title={tp('tardy')} value={kpis.tardyOrders} />
        <Statistic title={tp('utilisation')} value={(mean * 100).toFixed(1)} suffix="%" />
      </Space>
      <div style={{ marginTop: 8 }}>
        {kpis.utilisation.map((u) => (
          <Tag key={u.equipment}>
            {nameOf(u.equipment)} {(u.utilisation * 100).toFixed(0)}%
          </Tag>
        ))}
      </div>
    </div>
  )
}

/** Select an operation, give it a new start and machine, and let the server's checker judge the result. */
function MovePanel({
  plan,
  moves,
  setMoves,
  selected,
  setSelected,
  check,
  nameOf,
  orderLabel,
}: {
  plan: PlannedSchedule
  moves: OperationMove[]
  setMoves(m: OperationMove[]): void
  selected: string | undefined
  setSelected(k: string | undefined): void
  check: MoveCheck | undefined
  nameOf(id: string): string
  orderLabel(id: string): string
}): ReactNode {
  const { tp } = usePlanningI18n()
  const ops = check?.operations ?? plan.operations
  const op = ops.find((o) => opKey(o) === selected)
  const [start, setStart] = useState('')
  const [equipment, setEquipment] = useState<string>()
  useEffect(() => {
    if (op) {
      setStart(toLocalInput(op.start))
      setEquipment(op.equipment)
    }
  }, [op])
  const machines = [...new Set(plan.operations.map((o) => o.equipment))].sort()
  const apply = (): void => {
    if (!op) return
    const rest = moves.filter((m) => opKey(m) !== opKey(op))
    setMoves([...rest, { orderId: op.orderId, step: op.step, start: fromLocalInput(start), equipment }])
  }
  return (
    <Space wrap align="end">
      <div>
        <div>{tp('move.pick')}</div>
        <Select
          id="move-operation"
          data-testid="move-operation"
          style={{ width: 320 }}
          value={selected}
          onChange={(v: string) => setSelected(v)}
          showSearch
          optionFilterProp="label"
          options={ops.map((o) => ({
            value: opKey(o),
            label: `${orderLabel(o.orderId)} · ${o.step + 1}. ${o.operation} · ${nameOf(o.equipment)}`,
          }))}
        />
      </div>
      <div>
        <div>{tp('equipment')}</div>
        <Select
          id="move-equipment"
          data-testid="move-equipment"
          style={{ width: 200 }}
          value={equipment}
          onChange={(v: string) => setEquipment(v)}
          disabled={!op}
          options={machines.map((m) => ({ value: m, label: nameOf(m) }))}
        />
      </div>
      <div>
        <div>{tp('start')}</div>
        <Input
          id="move-start"
          type="datetime-local"
          step={1}
          style={{ width: 220 }}
          value={start}
          disabled={!op}
          onChange={(e) => setStart(e.target.value)}
        />
      </div>
      <Button type="primary" onClick={apply} disabled={!op || start === ''} data-testid="move-apply">
        {tp('move.apply')}
      </Button>
      <Button onClick={() => setMoves([])} disabled={moves.length === 0} data-testid="move-reset">
        {tp('move.reset')}
      </Button>
    </Space>
  )
}

function Conflicts({ check, orderLabel }: { check: MoveCheck; orderLabel(id: string): string }): ReactNode {
  const { tp } = usePlanningI18n()
  if (check.ok) return <Alert type="success" showIcon title={tp('move.ok')} data-testid="conflicts-none" />
  return (
    <Alert
      type="error"
      showIcon
      title={tp('move.conflicts', { n: check.conflicts.length })}
      data-testid="conflicts"
      description={
        <List
          size="small"
          dataSource={check.conflicts}
          renderItem={(c) => (
            <List.Item data-conflict={c.kind}>
              <Tag color="red">{tp(`kind.${c.kind}` as PlanningKey)}</Tag>
              {c.operations.map((o) => `${orderLabel(o.orderId)} · ${o.operation}`).join(' ↔ ')}
            </List.Item>
          )}
        />
      }
    />
  )
}

function Breakdown({
  plan,
  nameOf,
  orderLabel,
  onAccepted,
}: {
  plan: PlannedSchedule
  nameOf(id: string): string
  orderLabel(id: string): string
  onAccepted(p: PlannedSchedule): void
}): ReactNode {
  const { api } = useSession()
  const { tp, lang } = usePlanningI18n()
  const { message } = App.useApp()
  const machines = [...new Set(plan.operations.map((o) => o.equipment))].sort()
  const [form] = Form.useForm<{ equipment: string; from: string; to: string }>()
  // a proposal made on the server (the breakdown watcher, or another planner) shows without asking
  const [proposal, setProposal] = useState<BreakdownProposal | undefined>(plan.proposal ?? undefined)
  useEffect(() => setProposal(plan.proposal ?? undefined), [plan.proposal])
  const [busy, setBusy] = useState<string>()
  const [error, setError] = useState<string>()
  const propose = async (): Promise<void> => {
    const v = await form.validateFields()
    setBusy('propose')
    setError(undefined)
    try {
      const p = await api.request<BreakdownProposal>('planningBreakdown', {
        params: { scheduleId: plan.id },
        body: {
          equipment: v.equipment,
          from: fromLocalInput(v.from),
          to: fromLocalInput(v.to),
          timeLimitMs: 1000,
        },
      })
      setProposal(p)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(undefined)
    }
  }
  const accept = async (option: 'rightShift' | 'reoptimised'): Promise<void> => {
    setBusy(option)
    setError(undefined)
    try {
      const p = await api.request<PlannedSchedule>('planningAccept', {
        params: { scheduleId: plan.id },
        body: { option },
      })
      setProposal(undefined)
      void message.success(tp('accepted'))
      onAccepted(p)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(undefined)
    }
  }
  const first = plan.operations.reduce((m, o) => Math.min(m, o.start), Number.POSITIVE_INFINITY)
  const side = (option: 'rightShift' | 'reoptimised', o: RepairOption): ReactNode => (
    <Col xs={24} xl={12}>
      <Card
        size="small"
        title={tp(option)}
        data-testid={`repair-${option}`}
        extra={
          <Button
            type="primary"
            loading={busy === option}
            onClick={() => void accept(option)}
            data-testid={`accept-${option}`}
          >
            {tp('accept')}
          </Button>
        }
      >
        <Kpis kpis={o.kpis} nameOf={nameOf} testId={`kpis-${option}`} />
        <GanttChart
          operations={o.operations}
          outages={[...plan.outages, ...(proposal ? [proposal.breakdown] : [])]}
          by="machine"
          nameOf={nameOf}
          orderLabel={orderLabel}
        />
      </Card>
    </Col>
  )
  return (
    <Card title={tp('breakdown')} size="small" data-testid="breakdown">
      <Form
        form={form}
        layout="inline"
        initialValues={{
          equipment: machines[0],
          from: toLocalInput(first + 15 * 60_000),
          to: toLocalInput(first + 75 * 60_000),
        }}
      >
        <Form.Item name="equipment" label={tp('equipment')} rules={[{ required: true }]}>
          <Select
            id="breakdown-equipment"
            style={{ width: 200 }}
            options={machines.map((m) => ({ value: m, label: nameOf(m) }))}
          />
        </Form.Item>
        <Form.Item name="from" label={tp('breakdown.from')} rules={[{ required: true }]}>
          <Input id="breakdown-from" type="datetime-local" step={1} />
        </Form.Item>
        <Form.Item name="to" label={tp('breakdown.to')} rules={[{ required: true }]}>
          <Input id="breakdown-to" type="datetime-local" step={1} />
        </Form.Item>
        <Button
          loading={busy === 'propose'}
          onClick={() => void propose().catch(() => undefined)}
          data-testid="breakdown-propose"
        >
          {tp('breakdown.propose')}
        </Button>
      </Form>
      {error ? <Alert type="error" showIcon title={error} style={{ marginTop: 12 }} /> : null}
      {plan.outages.length > 0 ? (
        <div style={{ marginTop: 12 }}>
          {tp('outages')}:{' '}
          {plan.outages.map((o) => (
            <Tag key={`${o.equipment}-${o.from}`}>
              {nameOf(o.equipment)} {formatTime(lang, o.from)} – {formatTime(lang, o.to)}
            </Tag>
          ))}
        </div>
      ) : null}
      {proposal ? (
        <Alert
          type="warning"
          showIcon
          style={{ marginTop: 12 }}
          data-testid="breakdown-pending"
          title={`${tp('breakdown.pending')}: ${nameOf(proposal.breakdown.equipment)} ${formatTime(lang, proposal.breakdown.from)} – ${formatTime(lang, proposal.breakdown.to)}`}
        />
      ) : null}
      {proposal ? (
        <Row gutter={16} style={{ marginTop: 16 }}>
          {side('rightShift', proposal.rightShift)}
          {side('reoptimised', proposal.reoptimised)}
        </Row>
      ) : null}
    </Card>
  )
}

function PlanView({ initial }: { initial: PlannedSchedule }): ReactNode {
  const { api, tenant } = useSession()
  const { tp, lang } = usePlanningI18n()
  const { nameOf } = useEquipment()
  const [plan, setPlan] = useState(initial)
  useEffect(() => setPlan(initial), [initial])
  const [by, setBy] = useState<'machine' | 'order'>('machine')
  const [moves, setMoves] = useState<OperationMove[]>([])
  const [selected, setSelected] = useState<string>()
  const [check, setCheck] = useState<MoveCheck>()
  const [checkError, setCheckError] = useState<string>()
  const orders = useAsync(() => api.request<{ items: ProductionOrder[] }>('planningOrders'), [api, tenant])
  const orderLabel = useCallback(
    (id: string): string => {
      const i = plan.orderIds.indexOf(id)
      const o = orders.data?.items.find((x) => x.id === id)
      return `#${i + 1}${o ? ` ×${o.quantity}` : ''}`
    },
    [plan.orderIds, orders.data],
  )
  useEffect(() => {
    if (moves.length === 0) {
      setCheck(undefined)
      setCheckError(undefined)
      return
    }
    let stale = false
    api.request<MoveCheck>('planningCheck', { params: { scheduleId: plan.id }, body: { moves } }).then(
      (c) => {
        if (!stale) {
          setCheck(c)
          setCheckError(undefined)
        }
      },
      (e: Error) => {
        if (!stale) setCheckError(e.message)
      },
    )
    return () => {
      stale = true
    }
  }, [api, plan.id, moves])
  const conflicted = useMemo(
    () => new Set((check?.conflicts ?? []).flatMap((c) => c.operations.map(opKey))),
    [check],
  )
  const shown: GanttOperation[] = check?.operations ?? plan.operations
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size={16}>
      <Card
        size="small"
        title={`${tp('plan')} ${plan.id}`}
        extra={
          <span>
            {tp(`objective.${plan.objective}`)} · {formatTime(lang, plan.startAt)}
          </span>
        }
      >
        <Kpis kpis={check?.kpis ?? plan.kpis} nameOf={nameOf} testId="kpis" />
      </Card>
      <Card
        size="small"
        title={
          <Segmented
            value={by}
            onChange={(v) => setBy(v as 'machine' | 'order')}
            options={[
              { value: 'machine', label: tp('byMachine') },
              { value: 'order', label: tp('byOrder') },
            ]}
            data-testid="gantt-by"
          />
        }
        extra={moves.length > 0 ? <Tag color="orange">{tp('move.draft')}</Tag> : null}
      >
        <GanttChart
          testId="gantt"
          operations={shown}
          outages={plan.outages}
          by={by}
          nameOf={nameOf}
          orderLabel={orderLabel}
          conflicted={conflicted}
          selected={selected}
          onSelect={setSelected}
        />
        <div data-testid="gantt-conflicted" data-count={conflicted.size} style={{ display: 'none' }} />
      </Card>
      <Card size="small" title={tp('move')}>
        <Space orientation="vertical" style={{ width: '100%' }}>
          <MovePanel
            plan={plan}
            moves={moves}
            setMoves={setMoves}
            selected={selected}
            setSelected={setSelected}
            check={check}
            nameOf={nameOf}
            orderLabel={orderLabel}
          />
          {checkError ? <Alert type="error" showIcon title={checkError} /> : null}
          {check ? <Conflicts check={check} orderLabel={orderLabel} /> : null}
          {check && moves.length > 0 ? (
            <Table
              size="small"
              rowKey={(o) => opKey(o)}
              pagination={false}
              dataSource={shown.filter((o) => conflicted.has(opKey(o)))}
              columns={[
                { title: tp('order'), dataIndex: 'orderId', render: (v: string) => orderLabel(v) },
                { title: tp('operation'), dataIndex: 'operation' },
                { title: tp('equipment'), dataIndex: 'equipment', render: (v: string) => nameOf(v) },
                { title: tp('start'), dataIndex: 'start', render: (v: number) => formatTime(lang, v) },
                { title: tp('end'), dataIndex: 'end', render: (v: number) => formatTime(lang, v) },
              ]}
            />
          ) : null}
        </Space>
      </Card>
      <Breakdown
        plan={plan}
        nameOf={nameOf}
        orderLabel={orderLabel}
        onAccepted={(p) => {
          setMoves([])
          setSelected(undefined)
          setPlan(p)
        }}
      />
    </Space>
  )
}

export default function SchedulePage(): ReactNode {
  const { api, tenant } = useSession()
  const { tp, lang } = usePlanningI18n()
  const [params, setParams] = useSearchParams()
  const list = useAsync(() => api.request<{ items: PlannedSchedule[] }>('planningSchedules'), [api, tenant])
  const latest = list.data?.items.reduce<PlannedSchedule | undefined>(
    (m, p) => (m === undefined || p.createdAt > m.createdAt ? p : m),
    undefined,
  )
  const id = params.get('id') ?? latest?.id
  const plan = useAsync(
    () =>
      id
        ? api.request<PlannedSchedule>('planningSchedule', { params: { scheduleId: id } })
        : Promise.resolve(undefined),
    [api, tenant, id],
  )
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size={16}>
      <Card
        title={tp('menu.schedule')}
        size="small"
        extra={
          list.data && list.data.items.length > 0 ? (
            <Select
              style={{ width: 360 }}
              value={id}
              data-testid="plan-select"
              onChange={(v: string) => setParams({ id: v })}
              options={[...list.data.items]
                .sort((a, b) => b.createdAt - a.createdAt)
                .map((p) => ({
                  value: p.id,
                  label: `${formatTime(lang, p.createdAt)} · ${p.orderIds.length} ${tp('order')}`,
                }))}
            />
          ) : null
        }
      >
        <AsyncView state={list} isEmpty={(d) => d.items.length === 0} empty={tp('noPlan')}>
          {() => null}
        </AsyncView>
      </Card>
      {id ? (
        <AsyncView state={plan}>
          {(p) => (p ? <PlanView initial={p} /> : <EmptyState text={tp('noPlan')} />)}
        </AsyncView>
      ) : null}
    </Space>
  )
}
