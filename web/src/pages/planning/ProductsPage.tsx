import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons'
import { Alert, App, Button, Card, Form, Input, InputNumber, Modal, Select, Space, Table, Tag } from 'antd'
import { type ReactNode, useState } from 'react'
import { AsyncView, ErrorState } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatTime } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { useEquipment } from './common.tsx'
import { usePlanningI18n } from './strings.ts'
import type { Product } from './types.ts'

interface RoutingForm {
  name: string
  operations: { name: string; equipment: string[]; minutes: number }[]
}

function NewProduct({
  open,
  onClose,
  onCreated,
}: {
  open: boolean
  onClose(): void
  onCreated(p: Product): void
}): ReactNode {
  const { api } = useSession()
  const { tp } = usePlanningI18n()
  const { equipment, error: eqError, nameOf } = useEquipment()
  const [form] = Form.useForm<RoutingForm>()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const submit = async (): Promise<void> => {
    const v = await form.validateFields()
    setBusy(true)
    setError(undefined)
    try {
      const body = {
        name: v.name,
        routing: v.operations.map((o) => ({
          name: o.name,
          alternatives: o.equipment.map((e) => ({
            equipment: e,
            durationMs: Math.round(o.minutes * 60_000),
          })),
        })),
      }
      const p = await api.request<Product>('createPlanningProduct', { body })
      form.resetFields()
      onCreated(p)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }
  const options = (equipment ?? []).map((a) => ({ value: a.id, label: nameOf(a.id) }))
  return (
    <Modal
      open={open}
      title={tp('product.new')}
      onCancel={onClose}
      onOk={() => void submit().catch(() => undefined)}
      confirmLoading={busy}
      width={760}
      okButtonProps={{ 'data-testid': 'product-create-ok' } as Record<string, string>}
      destroyOnHidden
    >
      {eqError ? <ErrorState error={eqError} /> : null}
      {equipment && equipment.length === 0 ? <Alert type="warning" title={tp('noEquipment')} /> : null}
      <Form
        form={form}
        layout="vertical"
        initialValues={{ operations: [{ name: '', equipment: [], minutes: 10 }] }}
      >
        <Form.Item name="name" label={tp('product.name')} rules={[{ required: true }]}>
          <Input id="product-name" />
        </Form.Item>
        <Form.List name="operations">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f, i) => (
                <Space key={f.key} align="start" wrap data-testid={`routing-op-${i}`}>
                  <Form.Item
                    name={[f.name, 'name']}
                    label={`${tp('operation')} ${i + 1}`}
                    rules={[{ required: true }]}
                  >
                    <Input id={`op-name-${i}`} style={{ width: 160 }} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'equipment']} label={tp('eligible')} rules={[{ required: true }]}>
                    <Select
                      id={`op-equipment-${i}`}
                      mode="multiple"
                      style={{ width: 300 }}
                      options={options}
                    />
                  </Form.Item>
                  <Form.Item
                    name={[f.name, 'minutes']}
                    label={tp('minutesPerPiece')}
                    rules={[{ required: true }]}
                  >
                    <InputNumber id={`op-minutes-${i}`} min={0.1} step={1} />
                  </Form.Item>
                  {fields.length > 1 ? (
                    <Button
                      type="text"
                      icon={<MinusCircleOutlined />}
                      onClick={() => remove(f.name)}
                      style={{ marginTop: 30 }}
                    />
                  ) : null}
                </Space>
              ))}
              <Button
                type="dashed"
                icon={<PlusOutlined />}
                data-testid="routing-add"
                onClick={() => add({ name: '', equipment: [], minutes: 10 })}
              >
                {tp('operation.add')}
              </Button>
            </>
          )}
        </Form.List>
      </Form>
      {error ? (
        <Tag color="red" style={{ marginTop: 12 }}>
          {error}
        </Tag>
      ) : null}
    </Modal>
  )
}

export default function ProductsPage(): ReactNode {
  const { api, tenant } = useSession()
  const { tp, lang } = usePlanningI18n()
  const { message } = App.useApp()
  const { nameOf } = useEquipment()
  const [creating, setCreating] = useState(false)
  const state = useAsync(() => api.request<{ items: Product[] }>('planningProducts'), [api, tenant])
  return (
    <Card
      title={tp('menu.products')}
      extra={
        <Button
          type="primary"
          icon={<PlusOutlined />}
          onClick={() => setCreating(true)}
          data-testid="product-new"
        >
          {tp('product.new')}
        </Button>
      }
    >
      <AsyncView state={state} isEmpty={(d) => d.items.length === 0}>
        {(d) => (
          <Table<Product>
            rowKey="id"
            dataSource={d.items}
            pagination={false}
            data-testid="products-table"
            columns={[
              { title: tp('product.name'), dataIndex: 'name' },
              {
                title: tp('routing'),
                render: (_, p) => (
                  <Space wrap size={4}>
                    {p.routing.map((op, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: a stored routing never reorders; its step is its identity
                      <Tag key={`${op.name}-${i}`}>
                        {i + 1}. {op.name} ·{' '}
                        {op.alternatives
                          .map((a) => `${nameOf(a.equipment)} ${a.durationMs / 60_000}${tp('minutes')}`)
                          .join(' / ')}
                      </Tag>
                    ))}
                  </Space>
                ),
              },
              {
                title: tp('created'),
                dataIndex: 'createdAt',
                render: (v: number) => formatTime(lang, v),
                width: 200,
              },
            ]}
          />
        )}
      </AsyncView>
      <NewProduct
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(p) => {
          setCreating(false)
          void message.success(p.name)
          state.reload()
        }}
      />
    </Card>
  )
}
