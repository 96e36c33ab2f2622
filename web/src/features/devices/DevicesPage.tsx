import { PlusOutlined } from '@ant-design/icons'
import { App, Badge, Button, Card, Form, Input, Modal, Select, Space, Table, Tag } from 'antd'
import type { SorterResult } from 'antd/es/table/interface'
import { type ReactNode, useState } from 'react'
import { DEVICE_PROTOCOLS, type Device, type NewDevice } from '../../api/types.ts'
import { EmptyState, ErrorState } from '../../components/PageState.tsx'
import { useAsync, useNow } from '../../components/use-async.ts'
import { formatTime, relativeTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { ConnectionDrawer } from './ConnectionDrawer.tsx'

function CreateDevice({
  open,
  onClose,
  onCreated,
}: {
  open: boolean
  onClose(): void
  onCreated(d: Device): void
}): ReactNode {
  const { api } = useSession()
  const { t } = useI18n()
  const [form] = Form.useForm<NewDevice>()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const submit = async (): Promise<void> => {
    const v = await form.validateFields()
    setBusy(true)
    setError(undefined)
    try {
      const d = await api.createDevice(v)
      form.resetFields()
      onCreated(d)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal
      open={open}
      title={t('devices.create')}
      onCancel={onClose}
      onOk={() => void submit().catch(() => undefined)}
      confirmLoading={busy}
      okText={t('common.ok')}
      cancelText={t('common.cancel')}
      okButtonProps={{ 'data-testid': 'create-device-ok' } as Record<string, string>}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={{ kind: 'gateway', protocol: 'mqtt' }}>
        <Form.Item name="name" label={t('common.name')} rules={[{ required: true }]}>
          <Input id="device-name" />
        </Form.Item>
        <Form.Item
          name="key"
          label={t('common.key')}
          extra={t('devices.keyHelp')}
          rules={[{ required: true, pattern: /^[A-Za-z0-9_-]{1,64}$/ }]}
        >
          <Input id="device-key" />
        </Form.Item>
        <Form.Item name="kind" label={t('devices.kind')}>
          <Select
            options={[
              { value: 'gateway', label: t('devices.kind.gateway') },
              { value: 'machine', label: t('devices.kind.machine') },
            ]}
          />
        </Form.Item>
        <Form.Item name="protocol" label={t('devices.protocol')}>
          <Select options={DEVICE_PROTOCOLS.map((p) => ({ value: p, label: p }))} />
        </Form.Item>
      </Form>
      {error ? <Tag color="red">{error}</Tag> : null}
    </Modal>
  )
}

export default function DevicesPage(): ReactNode {
  const { api } = useSession()
  const { t, lang } = useI18n()
  const { message } = App.useApp()
  const now = useNow(5000)
  const [q, setQ] = useState('')
  const [page, setPage] = useState({ current: 1, pageSize: 20 })
  const [sort, setSort] = useState<{ sort?: string; order?: 'asc' | 'desc' }>({})
  const [creating, setCreating] = useState(false)
  const [connecting, setConnecting] = useState<Device>()
  const list = useAsync(
    () => api.devices({ q, limit: page.pageSize, offset: (page.current - 1) * page.pageSize, ...sort }),
    [q, page, sort],
  )

  return (
    <Card
      title={t('devices.title')}
      data-testid="devices-page"
      extra={
        <Space>
          <Input.Search
            allowClear
            placeholder={t('common.search')}
            onSearch={(v) => {
              setQ(v)
              setPage((p) => ({ ...p, current: 1 }))
            }}
          />
          <Button
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => setCreating(true)}
            data-testid="create-device"
          >
            {t('devices.create')}
          </Button>
        </Space>
      }
    >
      {list.error ? (
        <ErrorState error={list.error} retry={list.reload} />
      ) : (
        <Table<Device>
          rowKey="id"
          size="middle"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          locale={{ emptyText: list.loading ? ' ' : <EmptyState text={t('devices.empty')} /> }}
          pagination={{ ...page, total: list.data?.total ?? 0, showSizeChanger: true }}
          onChange={(p, _f, s) => {
            const so = s as SorterResult<Device>
            setPage({ current: p.current ?? 1, pageSize: p.pageSize ?? 20 })
            setSort(so.order ? { sort: String(so.field), order: so.order === 'ascend' ? 'asc' : 'desc' } : {})
          }}
          columns={[
            {
              title: t('devices.state'),
              dataIndex: 'online',
              width: 100,
              render: (on: boolean) => (
                <Badge
                  status={on ? 'success' : 'default'}
                  text={on ? t('devices.online') : t('devices.offline')}
                />
              ),
            },
            { title: t('common.name'), dataIndex: 'name', sorter: true },
            { title: t('common.key'), dataIndex: 'key', sorter: true, render: (k: string) => <Tag>{k}</Tag> },
            {
              title: t('devices.kind'),
              dataIndex: 'kind',
              render: (k: Device['kind']) => t(`devices.kind.${k}`),
            },
            { title: t('devices.protocol'), dataIndex: 'protocol' },
            {
              title: t('devices.lastSeen'),
              dataIndex: 'lastSeenAt',
              render: (v: number | null) =>
                v ? <span title={formatTime(lang, v)}>{relativeTime(lang, v, now)}</span> : t('common.never'),
            },
            {
              title: t('common.created'),
              dataIndex: 'createdAt',
              sorter: true,
              render: (v: number) => formatTime(lang, v),
            },
            {
              title: t('common.actions'),
              key: 'a',
              render: (_, d) => (
                <Button type="link" onClick={() => setConnecting(d)} data-testid={`connect-${d.key}`}>
                  {t('devices.connect')}
                </Button>
              ),
            },
          ]}
        />
      )}
      <CreateDevice
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(d) => {
          setCreating(false)
          void message.success(t('devices.created'))
          list.reload()
          setConnecting(d)
        }}
      />
      <ConnectionDrawer device={connecting} onClose={() => setConnecting(undefined)} />
    </Card>
  )
}
