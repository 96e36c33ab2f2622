import { PlusOutlined } from '@ant-design/icons'
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Form,
  Input,
  Modal,
  Row,
  Select,
  Space,
  Switch,
  Table,
  Tag,
} from 'antd'
import type { SorterResult } from 'antd/es/table/interface'
import { type ReactNode, useState } from 'react'
import { ROLES, type Role, type User } from '../../api/types.ts'
import { EmptyState, ErrorState } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'

export default function UsersPage(): ReactNode {
  const { api, isPlatformAdmin, tenant } = useSession()
  const { t, lang } = useI18n()
  const { message } = App.useApp()
  const [q, setQ] = useState('')
  const [page, setPage] = useState({ current: 1, pageSize: 20 })
  const [sort, setSort] = useState<{ sort?: string; order?: 'asc' | 'desc' }>({})
  const [creating, setCreating] = useState(false)
  const [error, setError] = useState<string>()
  const [form] = Form.useForm<{ username: string; displayName?: string; role: Role; password: string }>()
  const list = useAsync(
    () => api.users({ q, limit: page.pageSize, offset: (page.current - 1) * page.pageSize, ...sort }),
    [q, page, sort],
  )
  // a platform admin without a chosen enterprise manages platform users; otherwise enterprise roles only
  const roles = ROLES.filter((r) => (r === 'platform_admin') === (isPlatformAdmin && !tenant))

  const update = async (u: User, patch: { role?: Role; disabled?: boolean }): Promise<void> => {
    try {
      await api.updateUser(u.id, patch)
      list.reload()
    } catch (e) {
      void message.error((e as Error).message)
    }
  }
  const create = async (): Promise<void> => {
    const v = await form.validateFields()
    setError(undefined)
    try {
      await api.createUser(v)
      setCreating(false)
      form.resetFields()
      list.reload()
    } catch (e) {
      setError((e as Error).message)
    }
  }

  return (
    <Row gutter={16} data-testid="users-page">
      <Col xs={24} xl={17}>
        <Card
          title={t('users.title')}
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
              <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
                {t('users.create')}
              </Button>
            </Space>
          }
        >
          {list.error ? (
            <ErrorState error={list.error} retry={list.reload} />
          ) : (
            <Table<User>
              rowKey="id"
              size="middle"
              loading={list.loading}
              dataSource={list.data?.items ?? []}
              locale={{ emptyText: list.loading ? ' ' : <EmptyState /> }}
              pagination={{ ...page, total: list.data?.total ?? 0 }}
              onChange={(p, _f, s) => {
                const so = s as SorterResult<User>
                setPage({ current: p.current ?? 1, pageSize: p.pageSize ?? 20 })
                setSort(
                  so.order ? { sort: String(so.field), order: so.order === 'ascend' ? 'asc' : 'desc' } : {},
                )
              }}
              columns={[
                { title: t('users.username'), dataIndex: 'username', sorter: true },
                { title: t('users.displayName'), dataIndex: 'displayName' },
                {
                  title: t('users.role'),
                  dataIndex: 'role',
                  render: (r: Role, u) =>
                    r === 'platform_admin' ? (
                      <Tag color="gold">{t('role.platform_admin')}</Tag>
                    ) : (
                      <Select
                        size="small"
                        value={r}
                        style={{ width: 140 }}
                        onChange={(role: Role) => void update(u, { role })}
                        options={roles.map((x) => ({ value: x, label: t(`role.${x}`) }))}
                      />
                    ),
                },
                {
                  title: t('users.enabled'),
                  dataIndex: 'disabled',
                  render: (d: boolean, u) => (
                    <Switch
                      size="small"
                      checked={!d}
                      disabled={u.role === 'platform_admin'}
                      onChange={(on) => void update(u, { disabled: !on })}
                    />
                  ),
                },
                {
                  title: t('users.lastLogin'),
                  dataIndex: 'lastLoginAt',
                  render: (v: number | null) => (v ? formatTime(lang, v) : t('common.never')),
                },
                {
                  title: t('common.created'),
                  dataIndex: 'createdAt',
                  sorter: true,
                  render: (v: number) => formatTime(lang, v),
                },
              ]}
            />
          )}
        </Card>
      </Col>
      <Col xs={24} xl={7}>
        <Card title={t('users.roles')}>
          <Table
            size="small"
            pagination={false}
            rowKey="role"
            dataSource={ROLES.map((role) => ({ role }))}
            columns={[
              { title: t('users.role'), dataIndex: 'role', render: (r: Role) => <Tag>{t(`role.${r}`)}</Tag> },
              { title: '', dataIndex: 'role', key: 'd', render: (r: Role) => t(`roleDesc.${r}`) },
            ]}
          />
        </Card>
      </Col>
      <Modal
        open={creating}
        title={t('users.create')}
        onCancel={() => setCreating(false)}
        onOk={() => void create().catch(() => undefined)}
        okText={t('common.ok')}
        cancelText={t('common.cancel')}
        destroyOnHidden
      >
        {error ? <Alert type="error" message={error} style={{ marginBottom: 12 }} /> : null}
        <Form form={form} layout="vertical" initialValues={{ role: roles[roles.length - 1] }}>
          <Form.Item
            name="username"
            label={t('users.username')}
            rules={[{ required: true, pattern: /^[A-Za-z0-9_.@-]{3,64}$/ }]}
          >
            <Input />
          </Form.Item>
          <Form.Item name="displayName" label={t('users.displayName')}>
            <Input />
          </Form.Item>
          <Form.Item name="role" label={t('users.role')} rules={[{ required: true }]}>
            <Select options={roles.map((x) => ({ value: x, label: t(`role.${x}`) }))} />
          </Form.Item>
          <Form.Item name="password" label={t('users.password')} rules={[{ required: true }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
        </Form>
      </Modal>
    </Row>
  )
}
