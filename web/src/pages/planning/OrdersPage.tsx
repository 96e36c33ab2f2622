import { PlusOutlined, ScheduleOutlined } from '@ant-design/icons'
import { App, Button, Card, Form, Input, InputNumber, Modal, Progress, Select, Space, Table, Tag } from 'antd'
import { type ReactNode, useEffect, useState } from 'react'
import { useNavigate } from 'react-router'
import { AsyncView } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatTime } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { fromLocalInput, toLocalInput } from './common.tsx'
import { usePlanningI18n } from './strings.ts'
import type { Objective, PlannedSchedule, Product, ProductionOrder } from './types.ts'

function NewOrder({
  open,
  products,
  onClose,
  onCreated,
}: {
  open: boolean
  products: Product[]
  onClose(): void
  onCreated(o: ProductionOrder): void
}): ReactNode {
  const { api } = useSession()
  const { tp } = usePlanningI18n()
  const [form] = Form.useForm<{ productId: string; quantity: number; due: string; priority: number }>()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const submit = async (): Promise<void> => {
    const v = await form.validateFields()
    setBusy(true)
    setError(undefined)
    try {
      const body = {
        productId: v.productId,
        quantity: v.quantity,
        due: fromLocalInput(v.due),
        priority: v.priority,
      }
      const o = await api.request<ProductionOrder>('createPlanningOrder', { body })
      form.resetFields()
      onCreated(o)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal
      open={open}
      title={tp('order.new')}
      onCancel={onClose}
      onOk={() => void submit().catch(() => undefined)}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'order-create-ok' } as Record<string, string>}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={{ quantity: 1, priority: 1, due: toLocalInput(Date.now() + 8 * 3_600_000) }}
      >
        <Form.Item name="productId" label={tp('product')} rules={[{ required: true }]}>
          <Select id="order-product" options={products.map((p) => ({ value: p.id, label: p.name }))} />
        </Form.Item>
        <Space wrap>
          <Form.Item name="quantity" label={tp('quantity')} rules={[{ required: true }]}>
            <InputNumber id="order-quantity" min={1} precision={0} />
          </Form.Item>
          <Form.Item name="priority" label={tp('priority')} rules={[{ required: true }]}>
            <InputNumber id="order-priority" min={0} max={1000} />
          </Form.Item>
          <Form.Item name="due" label={tp('due')} rules={[{ required: true }]}>
            <Input id="order-due" type="datetime-local" step={1} />
          </Form.Item>
        </Space>
      </Form>
      {error ? <Tag color="red">{error}</Tag> : null}
    </Modal>
  )
}

/**
 * Solving: the request answers when the solver's time limit is up (or sooner), so the bar follows the
 * elapsed share of the limit while it waits.
 */
function SolveDialog({ orderIds, onClose }: { orderIds: string[] | undefined; onClose(): void }): ReactNode {
  const { api } = useSession()
  const { tp } = usePlanningI18n()
  const navigate = useNavigate()
  const [form] = Form.useForm<{ objective: Objective; seconds: number }>()
  const [started, setStarted] = useState<{ at: number; limitMs: number }>()
  const [now, setNow] = useState(Date.now())
  const [error, setError] = useState<string>()
  useEffect(() => {
    if (!started) return
    const t = setInterval(() => setNow(Date.now()), 200)
    return () => clearInterval(t)
  }, [started])
  const solve = async (): Promise<void> => {
    if (!orderIds) return
    const v = await form.validateFields()
    const limitMs = Math.round(v.seconds * 1000)
    setError(undefined)
    setStarted({ at: Date.now(), limitMs })
    setNow(Date.now())
    try {
      const plan = await api.request<PlannedSchedule>('createPlanningSchedule', {
        body: { orderIds, objective: v.objective, timeLimitMs: limitMs },
      })
      onClose()
      void navigate(`/planning-schedule?id=${encodeURIComponent(plan.id)}`)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setStarted(undefined)
    }
  }
  const pct = started ? Math.min(99, Math.round((100 * (now - started.at)) / started.limitMs)) : 0
  return (
    <Modal
      open={orderIds !== undefined}
      title={tp('schedule.selected', { n: orderIds?.length ?? 0 })}
      onCancel={started ? undefined : onClose}
      closable={!started}
      onOk={() => void solve().catch(() => undefined)}
      confirmLoading={started !== undefined}
      okText={tp('schedule')}
      okButtonProps={{ 'data-testid': 'solve-ok' } as Record<string, string>}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={{ objective: 'makespan', seconds: 2 }}>
        <Space wrap>
          <Form.Item name="objective" label={tp('objective')}>
            <Select
              style={{ width: 200 }}
              options={(['makespan', 'weighted-tardiness'] as const).map((o) => ({
                value: o,
                label: tp(`objective.${o}`),
              }))}
            />
          </Form.Item>
          <Form.Item name="seconds" label={tp('timeLimit')}>
            <InputNumber id="solve-seconds" min={0.1} max={60} step={1} />
          </Form.Item>
        </Space>
      </Form>
      {started ? (
        <div data-testid="solve-progress">
          {tp('solving')}
          <Progress percent={pct} status="active" />
        </div>
      ) : null}
      {error ? <Tag color="red">{error}</Tag> : null}
    </Modal>
  )
}

export default function OrdersPage(): ReactNode {
  const { api, tenant } = useSession()
  const { tp, lang } = usePlanningI18n()
  const { message } = App.useApp()
  const [creating, setCreating] = useState(false)
  const [selected, setSelected] = useState<string[]>([])
  const [solving, setSolving] = useState<string[]>()
  const state = useAsync(async () => {
    const [orders, products] = await Promise.all([
      api.request<{ items: ProductionOrder[] }>('planningOrders'),
      api.request<{ items: Product[] }>('planningProducts'),
    ])
    return { orders: orders.items, products: products.items }
  }, [api, tenant])
  const productName = (id: string): string => state.data?.products.find((p) => p.id === id)?.name ?? id
  return (
    <Card
      title={tp('menu.orders')}
      extra={
        <Space>
          <Button
            icon={<ScheduleOutlined />}
            disabled={selected.length === 0}
            onClick={() => setSolving(selected)}
            data-testid="orders-schedule"
          >
            {tp('schedule.selected', { n: selected.length })}
          </Button>
          <Button
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => setCreating(true)}
            disabled={!state.data || state.data.products.length === 0}
            data-testid="order-new"
          >
            {tp('order.new')}
          </Button>
        </Space>
      }
    >
      <AsyncView state={state} isEmpty={(d) => d.orders.length === 0}>
        {(d) => (
          <Table<ProductionOrder>
            rowKey="id"
            dataSource={d.orders}
            pagination={false}
            data-testid="orders-table"
            rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys as string[]) }}
            columns={[
              { title: tp('order'), dataIndex: 'id' },
              { title: tp('product'), dataIndex: 'productId', render: (v: string) => productName(v) },
              { title: tp('quantity'), dataIndex: 'quantity', align: 'right' },
              { title: tp('priority'), dataIndex: 'priority', align: 'right' },
              { title: tp('due'), dataIndex: 'due', render: (v: number) => formatTime(lang, v) },
            ]}
          />
        )}
      </AsyncView>
      <NewOrder
        open={creating}
        products={state.data?.products ?? []}
        onClose={() => setCreating(false)}
        onCreated={(o) => {
          setCreating(false)
          void message.success(o.id)
          state.reload()
        }}
      />
      <SolveDialog orderIds={solving} onClose={() => setSolving(undefined)} />
    </Card>
  )
}
