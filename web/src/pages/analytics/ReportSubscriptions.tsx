import {
  Button,
  Checkbox,
  Form,
  Input,
  Modal,
  Popconfirm,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Tooltip,
  Typography,
  App as AntApp,
} from 'antd'
import { type ReactNode, useState } from 'react'
import { AsyncView } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import type { ReportScope } from './common.tsx'
import { useAnalyticsI18n } from './strings.ts'

/** As GET /api/report-subscriptions answers. */
export interface ReportDelivery {
  subscriptionId: string
  periodKey: string
  status: 'sending' | 'sent' | 'failed'
  attempts: number
  lastError: string | null
  sentAt: number | null
  updatedAt: number
}
export interface ReportSubscription {
  id: string
  name: string
  scope: ReportScope
  regionCode: string | null
  period: 'day' | 'month'
  formats: ('xlsx' | 'pdf')[]
  channelId: string
  enabled: boolean
  createdBy: string
  createdAt: number
  lastDelivery: ReportDelivery | null
}
interface Channel {
  id: string
  name: string
  kind: string
}

const STATUS_COLOR = { sent: 'green', failed: 'red', sending: 'blue' } as const

/**
 * 报表订阅: the scheduled reports of the page's scope (the enterprise's own, or a regional
 * authority's region) — list with the last delivery, create, enable/disable, delete, send now.
 */
export function ReportSubscriptions({ scope }: { scope: ReportScope }): ReactNode {
  const { api } = useSession()
  const { ta } = useAnalyticsI18n()
  const { lang } = useI18n()
  const { message } = AntApp.useApp()
  const [creating, setCreating] = useState(false)
  const [busy, setBusy] = useState<string | null>(null)
  const subs = useAsync(
    async () =>
      (await api.request<{ items: ReportSubscription[] }>('reportSubscriptions')).items.filter(
        (s) => s.scope === scope,
      ),
    [scope],
  )
  const act = async (id: string, run: () => Promise<unknown>): Promise<void> => {
    setBusy(id)
    try {
      await run()
      subs.reload()
    } catch (e) {
      void message.error((e as Error).message)
    } finally {
      setBusy(null)
    }
  }
  const sendNow = (s: ReportSubscription): Promise<void> =>
    act(s.id, async () => {
      const r = await api.request<{
        outcome: 'sent' | 'failed'
        error: string | null
        delivery: ReportDelivery
      }>('sendReportNow', { params: { id: s.id }, body: {} })
      if (r.outcome === 'sent') void message.success(`${ta('subs.sent')}: ${r.delivery.periodKey}`)
      else void message.error(`${ta('subs.failed')}: ${r.error ?? ''}`)
    })

  const statusTag = (d: ReportDelivery | null): ReactNode => {
    if (d === null) return <Typography.Text type="secondary">{ta('subs.never')}</Typography.Text>
    const tag = (
      <Tag color={STATUS_COLOR[d.status]} data-testid="subs-status">
        {ta(`subs.status.${d.status}`)}
      </Tag>
    )
    return (
      <Space size={4} wrap>
        {d.lastError ? <Tooltip title={d.lastError}>{tag}</Tooltip> : tag}
        <span>{d.periodKey}</span>
        <Typography.Text type="secondary">
          {d.attempts} {ta('subs.attempts')} · {formatTime(lang, d.sentAt ?? d.updatedAt)}
        </Typography.Text>
      </Space>
    )
  }

  return (
    <div data-testid="report-subscriptions" style={{ marginTop: 24 }}>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 8 }} wrap>
        <Space direction="vertical" size={0}>
          <Typography.Title level={5} style={{ margin: 0 }}>
            {ta('subs.title')}
          </Typography.Title>
          <Typography.Text type="secondary">{ta('subs.hint')}</Typography.Text>
        </Space>
        <Button type="primary" onClick={() => setCreating(true)} data-testid="subs-add">
          {ta('subs.add')}
        </Button>
      </Space>
      <AsyncView state={subs} isEmpty={(d) => d.length === 0} empty={ta('subs.empty')}>
        {(items) => (
          <Table<ReportSubscription>
            size="small"
            rowKey="id"
            pagination={false}
            dataSource={items}
            columns={[
              { title: ta('subs.name'), dataIndex: 'name' },
              {
                title: ta('subs.period'),
                render: (_, s) => ta(s.period === 'day' ? 'report.day' : 'report.month'),
              },
              { title: ta('subs.formats'), render: (_, s) => s.formats.map((f) => <Tag key={f}>{f}</Tag>) },
              { title: ta('subs.channel'), dataIndex: 'channelId' },
              { title: ta('subs.last'), render: (_, s) => statusTag(s.lastDelivery) },
              {
                title: ta('subs.enabled'),
                render: (_, s) => (
                  <Switch
                    checked={s.enabled}
                    loading={busy === s.id}
                    onChange={(enabled) =>
                      void act(s.id, () =>
                        api.request('updateReportSubscription', { params: { id: s.id }, body: { enabled } }),
                      )
                    }
                  />
                ),
              },
              {
                title: ta('subs.actions'),
                render: (_, s) => (
                  <Space>
                    <Button size="small" loading={busy === s.id} onClick={() => void sendNow(s)}>
                      {ta('subs.sendNow')}
                    </Button>
                    <Popconfirm
                      title={ta('subs.deleteConfirm')}
                      onConfirm={() =>
                        act(s.id, () => api.request('deleteReportSubscription', { params: { id: s.id } }))
                      }
                    >
                      <Button size="small" danger>
                        {ta('subs.delete')}
                      </Button>
                    </Popconfirm>
                  </Space>
                ),
              },
            ]}
          />
        )}
      </AsyncView>
      {creating && (
        <CreateSubscription
          scope={scope}
          onClose={(created) => {
            setCreating(false)
            if (created) subs.reload()
          }}
        />
      )}
    </div>
  )
}

interface FormValues {
  name: string
  period: 'day' | 'month'
  formats: ('xlsx' | 'pdf')[]
  channelId: string
}

function CreateSubscription({
  scope,
  onClose,
}: {
  scope: ReportScope
  onClose: (created: boolean) => void
}): ReactNode {
  const { api } = useSession()
  const { ta } = useAnalyticsI18n()
  const { message } = AntApp.useApp()
  const [form] = Form.useForm<FormValues>()
  const [saving, setSaving] = useState(false)
  // listing channels needs the rule-editing right; without it the channel id is typed in
  const channels = useAsync(
    () =>
      api
        .request<{ items: Channel[] }>('notificationChannels')
        .then((r) => r.items.filter((c) => c.kind === 'email' || c.kind === 'webhook'))
        .catch(() => null),
    [],
  )
  const submit = async (v: FormValues): Promise<void> => {
    setSaving(true)
    try {
      await api.request('createReportSubscription', { body: { ...v, scope } })
      void message.success(ta('subs.created'))
      onClose(true)
    } catch (e) {
      void message.error((e as Error).message)
    } finally {
      setSaving(false)
    }
  }
  const required = [{ required: true, message: ta('subs.required') }]
  return (
    <Modal
      open
      title={`${ta('subs.add')} · ${ta(scope === 'enterprise' ? 'subs.scope.enterprise' : 'subs.scope.region')}`}
      onCancel={() => onClose(false)}
      onOk={() => form.submit()}
      okText={ta('subs.save')}
      cancelText={ta('subs.cancel')}
      confirmLoading={saving}
    >
      <Form<FormValues>
        form={form}
        layout="vertical"
        initialValues={{ period: 'day', formats: ['xlsx', 'pdf'] }}
        onFinish={(v) => void submit(v)}
        data-testid="subs-form"
      >
        <Form.Item name="name" label={ta('subs.name')} rules={required}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item name="period" label={ta('subs.period')} rules={required}>
          <Select
            options={[
              { value: 'day', label: ta('report.day') },
              { value: 'month', label: ta('report.month') },
            ]}
          />
        </Form.Item>
        <Form.Item name="formats" label={ta('subs.formats')} rules={required}>
          <Checkbox.Group
            options={[
              { value: 'xlsx', label: 'Excel (.xlsx)' },
              { value: 'pdf', label: 'PDF' },
            ]}
          />
        </Form.Item>
        <Form.Item
          name="channelId"
          label={ta('subs.channel')}
          rules={required}
          extra={ta('subs.channelHint')}
        >
          {channels.data ? (
            <Select
              loading={channels.loading}
              options={channels.data.map((c) => ({ value: c.id, label: `${c.name} (${c.kind})` }))}
            />
          ) : (
            <Input maxLength={80} disabled={channels.loading} />
          )}
        </Form.Item>
      </Form>
    </Modal>
  )
}
