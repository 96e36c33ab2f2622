import { App, Badge, Button, Card, Form, Input, Modal, Select, Space, Table, Tooltip } from 'antd'
import { type ReactNode, useState } from 'react'
import { useNavigate } from 'react-router'
import { EmptyState, ErrorState, Loading } from '../../components/PageState.tsx'
import { useNow } from '../../components/use-async.ts'
import { formatTime, relativeTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { formatValue, PriorityTag, StateTag, useLiveAlarms } from './common.tsx'
import { useAlarmI18n } from './strings.ts'
import type { AlarmRecord, WorkOrder } from './types.ts'

const SHELVE_OPTIONS = [15, 60, 240, 480, 1440] // minutes; the server caps shelving at 24 h

function ShelveDialog({
  alarm,
  onClose,
  onDone,
}: {
  alarm: AlarmRecord | undefined
  onClose(): void
  onDone(a: AlarmRecord): void
}): ReactNode {
  const { api } = useSession()
  const { t } = useI18n()
  const { ta } = useAlarmI18n()
  const [form] = Form.useForm<{ minutes: number; reason: string }>()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const submit = async (): Promise<void> => {
    if (!alarm) return
    const v = await form.validateFields()
    setBusy(true)
    setError(undefined)
    try {
      const a = await api.request<AlarmRecord>('alarmShelve', {
        params: { id: alarm.alarmId },
        body: { reason: v.reason, durationMs: v.minutes * 60_000 },
      })
      onDone(a)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal
      open={alarm !== undefined}
      title={`${ta('shelve')} · ${alarm?.alarmId ?? ''}`}
      onCancel={onClose}
      onOk={() => void submit().catch(() => undefined)}
      confirmLoading={busy}
      okText={t('common.ok')}
      cancelText={t('common.cancel')}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={{ minutes: 60 }}>
        <Form.Item name="minutes" label={ta('shelveFor')}>
          <Select
            options={SHELVE_OPTIONS.map((m) => ({
              value: m,
              label: m < 60 ? `${m} min` : `${m / 60} h`,
            }))}
          />
        </Form.Item>
        <Form.Item
          name="reason"
          label={ta('reason')}
          rules={[{ required: true, message: ta('reasonRequired') }]}
        >
          <Input id="shelve-reason" maxLength={500} />
        </Form.Item>
      </Form>
      {error ? <div style={{ color: '#cf1322' }}>{error}</div> : null}
    </Modal>
  )
}

export default function ActiveAlarmsPage(): ReactNode {
  const { api } = useSession()
  const { t, lang } = useI18n()
  const { ta } = useAlarmI18n()
  const { message } = App.useApp()
  const navigate = useNavigate()
  const now = useNow(5000)
  const live = useLiveAlarms()
  const [shelving, setShelving] = useState<AlarmRecord>()
  const [busy, setBusy] = useState<string>()

  const run = async (id: string, fn: () => Promise<void>): Promise<void> => {
    setBusy(id)
    try {
      await fn()
    } catch (e) {
      void message.error((e as Error).message)
    } finally {
      setBusy(undefined)
    }
  }
  const acknowledge = (a: AlarmRecord) =>
    run(a.alarmId, async () => {
      live.upsert(await api.request<AlarmRecord>('alarmAcknowledge', { params: { id: a.alarmId }, body: {} }))
    })
  const unshelve = (a: AlarmRecord) =>
    run(a.alarmId, async () => {
      live.upsert(await api.request<AlarmRecord>('alarmUnshelve', { params: { id: a.alarmId }, body: {} }))
    })
  const openOrder = (a: AlarmRecord) =>
    run(a.alarmId, async () => {
      const o = await api.request<WorkOrder>('openWorkOrder', { body: { alarmId: a.alarmId } })
      void message.success(`${ta('orderOpened')}: ${o.id}`)
      await navigate(`/work-orders?open=${encodeURIComponent(o.id)}`)
    })

  let body: ReactNode
  if (live.error && live.alarms === undefined) body = <ErrorState error={new Error(live.error)} />
  else if (live.alarms === undefined) body = <Loading />
  else
    body = (
      <Table<AlarmRecord>
        rowKey="alarmId"
        size="middle"
        dataSource={[...live.alarms]}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: <EmptyState text={ta('noActive')} /> }}
        onRow={(a) => ({ 'data-alarm': a.alarmId, 'data-alarm-state': a.state }) as never}
        columns={[
          { title: ta('priority'), dataIndex: 'priority', width: 90, render: (p) => <PriorityTag p={p} /> },
          { title: ta('state'), dataIndex: 'state', width: 130, render: (s) => <StateTag s={s} /> },
          { title: ta('alarm'), dataIndex: 'alarmId', render: (id: string) => <code>{id}</code> },
          { title: ta('message'), dataIndex: 'message' },
          { title: ta('equipment'), dataIndex: 'equipment', render: (e: string | null) => e ?? '—' },
          { title: ta('value'), dataIndex: 'value', width: 90, render: (v) => formatValue(v) },
          {
            title: ta('since'),
            key: 'since',
            width: 140,
            render: (_, a) => {
              const ts = a.activeSince ?? a.lastChangeAt
              return <Tooltip title={formatTime(lang, ts)}>{relativeTime(lang, ts, now)}</Tooltip>
            },
          },
          {
            title: '',
            key: 'actions',
            width: 280,
            render: (_, a) => (
              <Space size="small">
                {a.state === 'unacknowledged' || a.state === 'rtn-unacknowledged' ? (
                  <Button
                    size="small"
                    type="primary"
                    loading={busy === a.alarmId}
                    onClick={() => void acknowledge(a)}
                    data-testid="ack"
                  >
                    {ta('acknowledge')}
                  </Button>
                ) : null}
                {a.state === 'shelved' ? (
                  <Button size="small" onClick={() => void unshelve(a)} data-testid="unshelve">
                    {ta('unshelve')}
                  </Button>
                ) : (
                  <Button size="small" onClick={() => setShelving(a)} data-testid="shelve">
                    {ta('shelve')}
                  </Button>
                )}
                <Button size="small" onClick={() => void openOrder(a)} data-testid="open-order">
                  {ta('openOrder')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
    )

  return (
    <Card
      title={ta('menu.active')}
      data-testid="active-alarms-page"
      extra={
        <Badge
          status={live.connected ? 'success' : 'error'}
          text={live.connected ? t('live.connected') : (live.error ?? t('live.disconnected'))}
          data-testid="alarm-live"
        />
      }
    >
      {body}
      <ShelveDialog
        alarm={shelving}
        onClose={() => setShelving(undefined)}
        onDone={(a) => {
          live.upsert(a)
          setShelving(undefined)
        }}
      />
    </Card>
  )
}
