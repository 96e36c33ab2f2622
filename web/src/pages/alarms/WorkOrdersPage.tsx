import { PlusOutlined } from '@ant-design/icons'
import {
  App,
  Button,
  Card,
  Checkbox,
  Descriptions,
  Drawer,
  Form,
  Input,
  Modal,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  Timeline,
} from 'antd'
import { type ReactNode, useState } from 'react'
import { useSearchParams } from 'react-router'
import type { Page } from '../../api/types.ts'
import { AsyncView, EmptyState, ErrorState } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatDuration, formatTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { PriorityTag } from './common.tsx'
import { useAlarmI18n } from './strings.ts'
import {
  type AlarmPriority,
  PRIORITIES,
  type Reliability,
  type WorkOrder,
  type WorkOrderEvent,
  type WorkOrderStatus,
} from './types.ts'

const STATUS_COLOR: Record<WorkOrderStatus, string> = { open: 'red', assigned: 'blue', closed: 'green' }

function NewOrder({
  open,
  onClose,
  onOpened,
}: {
  open: boolean
  onClose(): void
  onOpened(o: WorkOrder): void
}): ReactNode {
  const { api } = useSession()
  const { t } = useI18n()
  const { ta } = useAlarmI18n()
  const [form] = Form.useForm<{
    alarmId?: string
    title?: string
    description?: string
    equipment?: string
    priority: AlarmPriority
    failure: boolean
    assignee?: string
  }>()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const submit = async (): Promise<void> => {
    const v = await form.validateFields()
    setBusy(true)
    setError(undefined)
    try {
      const body = v.alarmId?.trim()
        ? { alarmId: v.alarmId.trim(), ...(v.assignee ? { assignee: v.assignee } : {}) }
        : {
            title: v.title,
            description: v.description ?? '',
            equipment: v.equipment || null,
            priority: v.priority,
            failure: v.failure,
            assignee: v.assignee || null,
          }
      const o = await api.request<WorkOrder>('openWorkOrder', { body })
      form.resetFields()
      onOpened(o)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal
      open={open}
      title={ta('wo.new')}
      onCancel={onClose}
      onOk={() => void submit().catch(() => undefined)}
      confirmLoading={busy}
      okText={t('common.ok')}
      cancelText={t('common.cancel')}
      okButtonProps={{ 'data-testid': 'wo-create-ok' } as Record<string, string>}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={{ priority: 'medium', failure: true }}>
        <Form.Item name="alarmId" label={ta('wo.fromAlarm')}>
          <Input id="wo-alarm" placeholder="temp-high:H" />
        </Form.Item>
        <Form.Item
          name="title"
          label={ta('wo.name')}
          dependencies={['alarmId']}
          rules={[
            ({ getFieldValue }) => ({
              validator: (_, v) =>
                v || String(getFieldValue('alarmId') ?? '').trim()
                  ? Promise.resolve()
                  : Promise.reject(new Error(ta('wo.name'))),
            }),
          ]}
        >
          <Input id="wo-title" />
        </Form.Item>
        <Form.Item name="description" label={ta('wo.description')}>
          <Input.TextArea id="wo-description" rows={2} />
        </Form.Item>
        <Space wrap>
          <Form.Item name="equipment" label={ta('equipment')}>
            <Input id="wo-equipment" />
          </Form.Item>
          <Form.Item name="priority" label={ta('priority')}>
            <Select
              style={{ width: 120 }}
              options={PRIORITIES.map((p) => ({ value: p, label: ta(`p.${p}`) }))}
            />
          </Form.Item>
          <Form.Item name="assignee" label={ta('wo.assignee')}>
            <Input id="wo-assignee" />
          </Form.Item>
        </Space>
        <Form.Item name="failure" valuePropName="checked">
          <Checkbox>{ta('wo.failure')}</Checkbox>
        </Form.Item>
      </Form>
      {error ? <Tag color="red">{error}</Tag> : null}
    </Modal>
  )
}

function OrderDrawer({
  id,
  onClose,
  onChanged,
}: {
  id: string | undefined
  onClose(): void
  onChanged(): void
}): ReactNode {
  const { api } = useSession()
  const { t, lang } = useI18n()
  const { ta } = useAlarmI18n()
  const { message } = App.useApp()
  const detail = useAsync(
    () =>
      id
        ? api.request<{ order: WorkOrder; events: WorkOrderEvent[] }>('workOrder', { params: { id } })
        : Promise.resolve(undefined),
    [id],
  )
  const [assignee, setAssignee] = useState('')
  const [comment, setComment] = useState('')
  const [cause, setCause] = useState('')
  const [action, setAction] = useState('')
  const [busy, setBusy] = useState<string>()
  const act = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    setBusy(what)
    try {
      await fn()
      detail.reload()
      onChanged()
    } catch (e) {
      void message.error((e as Error).message)
    } finally {
      setBusy(undefined)
    }
  }
  return (
    <Drawer open={id !== undefined} onClose={onClose} size={560} title={id} destroyOnHidden>
      <AsyncView state={detail} isEmpty={(d) => d === undefined}>
        {(d) => {
          if (!d) return null
          const o = d.order
          const closed = o.status === 'closed'
          return (
            <div data-testid="wo-detail" data-status={o.status}>
              <Descriptions column={1} size="small" bordered>
                <Descriptions.Item label={ta('wo.name')}>{o.title}</Descriptions.Item>
                <Descriptions.Item label={ta('wo.status')}>
                  <Tag color={STATUS_COLOR[o.status]}>{ta(`wo.status.${o.status}`)}</Tag>
                </Descriptions.Item>
                <Descriptions.Item label={ta('priority')}>
                  <PriorityTag p={o.priority} />
                </Descriptions.Item>
                <Descriptions.Item label={ta('equipment')}>{o.equipment ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={ta('alarm')}>
                  {o.alarmId ? <code>{o.alarmId}</code> : '—'}
                </Descriptions.Item>
                <Descriptions.Item label={ta('wo.assignee')}>{o.assignee ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={ta('wo.description')}>{o.description || '—'}</Descriptions.Item>
                {closed ? (
                  <>
                    <Descriptions.Item label={ta('wo.cause')}>{o.cause}</Descriptions.Item>
                    <Descriptions.Item label={ta('wo.action')}>{o.action}</Descriptions.Item>
                  </>
                ) : null}
              </Descriptions>
              {closed ? null : (
                <Space orientation="vertical" style={{ width: '100%', marginTop: 16 }}>
                  <Space.Compact style={{ width: '100%' }}>
                    <Input
                      id="wo-assign-input"
                      placeholder={ta('wo.assignee')}
                      value={assignee}
                      onChange={(e) => setAssignee(e.target.value)}
                    />
                    <Button
                      loading={busy === 'assign'}
                      disabled={!assignee.trim()}
                      data-testid="wo-assign"
                      onClick={() =>
                        void act('assign', () =>
                          api.request('assignWorkOrder', {
                            params: { id: o.id },
                            body: { assignee: assignee.trim() },
                          }),
                        ).then(() => setAssignee(''))
                      }
                    >
                      {ta('wo.assign')}
                    </Button>
                  </Space.Compact>
                  <Space.Compact style={{ width: '100%' }}>
                    <Input
                      id="wo-comment-input"
                      placeholder={ta('wo.comment')}
                      value={comment}
                      onChange={(e) => setComment(e.target.value)}
                    />
                    <Button
                      loading={busy === 'comment'}
                      disabled={!comment.trim()}
                      data-testid="wo-comment"
                      onClick={() =>
                        void act('comment', () =>
                          api.request('commentWorkOrder', {
                            params: { id: o.id },
                            body: { text: comment.trim() },
                          }),
                        ).then(() => setComment(''))
                      }
                    >
                      {ta('wo.addComment')}
                    </Button>
                  </Space.Compact>
                  <Input
                    id="wo-cause"
                    placeholder={ta('wo.cause')}
                    value={cause}
                    onChange={(e) => setCause(e.target.value)}
                  />
                  <Input
                    id="wo-action"
                    placeholder={ta('wo.action')}
                    value={action}
                    onChange={(e) => setAction(e.target.value)}
                  />
                  <Button
                    danger
                    loading={busy === 'close'}
                    disabled={!cause.trim() || !action.trim()}
                    data-testid="wo-close"
                    onClick={() =>
                      void act('close', () =>
                        api.request('closeWorkOrder', {
                          params: { id: o.id },
                          body: { cause: cause.trim(), action: action.trim() },
                        }),
                      )
                    }
                  >
                    {ta('wo.close')}
                  </Button>
                </Space>
              )}
              <h4 style={{ marginTop: 24 }}>{ta('wo.history')}</h4>
              <Timeline
                items={d.events.map((e) => ({
                  key: e.seq,
                  content: (
                    <div data-testid="wo-event">
                      <b>{ta(`wo.ev.${e.kind}`)}</b> · {e.by} · {formatTime(lang, e.at)}
                      {e.text ? <div>{e.text}</div> : null}
                    </div>
                  ),
                }))}
              />
              <div style={{ color: '#999' }}>
                {t('common.created')}: {formatTime(lang, o.openedAt)}
              </div>
            </div>
          )
        }}
      </AsyncView>
    </Drawer>
  )
}

function ReliabilityStrip({ tick }: { tick: number }): ReactNode {
  const { api } = useSession()
  const { lang } = useI18n()
  const { ta } = useAlarmI18n()
  const r = useAsync(() => api.request<Reliability>('reliability'), [tick])
  if (r.error) return <ErrorState error={r.error} retry={r.reload} />
  const d = r.data
  const dur = (ms: number | null | undefined) => (ms == null ? 'n/a' : formatDuration(lang, ms))
  return (
    <Space size={48} style={{ marginBottom: 16 }} data-testid="wo-reliability">
      <Statistic loading={!d} title={ta('wo.failures')} value={d?.failures ?? 0} />
      <Statistic loading={!d} title={ta('wo.mttr')} value={dur(d?.mttrMs)} />
      <Statistic loading={!d} title={ta('wo.mtbf')} value={dur(d?.mtbfMs)} />
      <Statistic loading={!d} title={ta('wo.openCount')} value={d?.openOrders ?? 0} />
    </Space>
  )
}

export default function WorkOrdersPage(): ReactNode {
  const { api } = useSession()
  const { lang } = useI18n()
  const { ta } = useAlarmI18n()
  const [params, setParams] = useSearchParams()
  const [status, setStatus] = useState<WorkOrderStatus | undefined>()
  const [page, setPage] = useState({ current: 1, pageSize: 20 })
  const [creating, setCreating] = useState(false)
  const [tick, setTick] = useState(0)
  const openId = params.get('open') ?? undefined
  const list = useAsync(
    () =>
      api.request<Page<WorkOrder>>('workOrders', {
        query: { status, limit: page.pageSize, offset: (page.current - 1) * page.pageSize },
      }),
    [status, page, tick],
  )
  const show = (id: string | undefined): void => setParams(id ? { open: id } : {}, { replace: true })

  return (
    <Card
      title={ta('wo.title')}
      data-testid="work-orders-page"
      extra={
        <Space>
          <Select<WorkOrderStatus>
            allowClear
            placeholder={ta('wo.status')}
            style={{ width: 130 }}
            value={status}
            onChange={(v) => {
              setStatus(v)
              setPage((p) => ({ ...p, current: 1 }))
            }}
            options={(['open', 'assigned', 'closed'] as const).map((s) => ({
              value: s,
              label: ta(`wo.status.${s}`),
            }))}
          />
          <Button
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => setCreating(true)}
            data-testid="wo-new"
          >
            {ta('wo.new')}
          </Button>
        </Space>
      }
    >
      <ReliabilityStrip tick={tick} />
      {list.error ? (
        <ErrorState error={list.error} retry={list.reload} />
      ) : (
        <Table<WorkOrder>
          rowKey="id"
          size="middle"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          locale={{ emptyText: list.loading ? ' ' : <EmptyState text={ta('wo.empty')} /> }}
          pagination={{ ...page, total: list.data?.total ?? 0 }}
          onChange={(p) => setPage({ current: p.current ?? 1, pageSize: p.pageSize ?? 20 })}
          onRow={(o) =>
            ({ onClick: () => show(o.id), style: { cursor: 'pointer' }, 'data-order': o.id }) as never
          }
          columns={[
            { title: ta('wo.name'), dataIndex: 'title' },
            {
              title: ta('wo.status'),
              dataIndex: 'status',
              width: 100,
              render: (s: WorkOrderStatus) => <Tag color={STATUS_COLOR[s]}>{ta(`wo.status.${s}`)}</Tag>,
            },
            { title: ta('priority'), dataIndex: 'priority', width: 90, render: (p) => <PriorityTag p={p} /> },
            { title: ta('equipment'), dataIndex: 'equipment', render: (e: string | null) => e ?? '—' },
            {
              title: ta('alarm'),
              dataIndex: 'alarmId',
              render: (a: string | null) => (a ? <code>{a}</code> : '—'),
            },
            { title: ta('wo.assignee'), dataIndex: 'assignee', render: (a: string | null) => a ?? '—' },
            {
              title: ta('wo.opened'),
              dataIndex: 'openedAt',
              width: 180,
              render: (ts: number) => formatTime(lang, ts),
            },
          ]}
        />
      )}
      <NewOrder
        open={creating}
        onClose={() => setCreating(false)}
        onOpened={(o) => {
          setCreating(false)
          setTick((x) => x + 1)
          show(o.id)
        }}
      />
      <OrderDrawer id={openId} onClose={() => show(undefined)} onChanged={() => setTick((x) => x + 1)} />
    </Card>
  )
}
