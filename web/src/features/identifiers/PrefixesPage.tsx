import { App, Button, Card, Descriptions, Input, Space, Table, Tag } from 'antd'
import { type ReactNode, useState } from 'react'
import { ApiError } from '../../api/client.ts'
import { AsyncView } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatTime } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { useIdI18n } from './strings.ts'
import type { MetadataTemplate, NodeInfo, PrefixRecord, TemplateField } from './types.ts'

/** The node, the enterprise's prefixes (a platform admin assigns them) and the metadata templates. */
export default function PrefixesPage(): ReactNode {
  const { api, isPlatformAdmin, tenant } = useSession()
  const { ti, lang } = useIdI18n()
  const { message } = App.useApp()
  const node = useAsync(() => api.request<NodeInfo>('identNode'), [tenant])
  const prefixes = useAsync(() => api.request<{ items: PrefixRecord[] }>('identPrefixes'), [tenant])
  const templates = useAsync(() => api.request<{ items: MetadataTemplate[] }>('identTemplates'), [tenant])
  const [wanted, setWanted] = useState('')
  const [busy, setBusy] = useState(false)

  const assign = async (): Promise<void> => {
    setBusy(true)
    try {
      const body = wanted.trim() === '' ? {} : { prefix: wanted.trim() }
      const r = await api.request<PrefixRecord>('assignPrefix', { body })
      void message.success(ti('prefixes.assigned', { prefix: r.prefix }))
      setWanted('')
      prefixes.reload()
    } catch (err) {
      void message.error(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="ident-prefixes-page">
      <Card title={ti('node.title')} size="small">
        <AsyncView state={node}>
          {(n) => (
            <Descriptions size="small" column={{ xs: 1, md: 2, xl: 4 }} data-testid="ident-node">
              <Descriptions.Item label={ti('node.role')}>{ti(`role.${n.role}`)}</Descriptions.Item>
              <Descriptions.Item label={ti('node.prefix')}>
                <code>{n.prefix ?? ti('none')}</code>
              </Descriptions.Item>
              <Descriptions.Item label={ti('node.upstream')}>{n.upstreamUrl ?? ti('none')}</Descriptions.Item>
              <Descriptions.Item label={ti('node.recursive')}>
                {n.recursive ? ti('yes') : ti('no')}
              </Descriptions.Item>
              <Descriptions.Item label={ti('node.cache')}>
                {ti('node.cacheStats', {
                  hits: n.resolver.hits,
                  misses: n.resolver.misses,
                  entries: n.resolver.entries,
                })}
              </Descriptions.Item>
            </Descriptions>
          )}
        </AsyncView>
      </Card>

      <Card
        title={ti('prefixes.title')}
        size="small"
        extra={
          isPlatformAdmin ? (
            <Space.Compact>
              <Input
                placeholder={ti('prefixes.assignHint')}
                value={wanted}
                onChange={(e) => setWanted(e.target.value)}
                style={{ width: 220 }}
                data-testid="prefix-input"
              />
              <Button type="primary" loading={busy} onClick={() => void assign()} data-testid="assign-prefix">
                {ti('prefixes.assign')}
              </Button>
            </Space.Compact>
          ) : null
        }
      >
        <AsyncView state={prefixes} isEmpty={(d) => d.items.length === 0} empty={ti('prefixes.empty')}>
          {(d) => (
            <Table<PrefixRecord>
              rowKey="prefix"
              size="small"
              pagination={false}
              dataSource={d.items}
              data-testid="prefix-table"
              columns={[
                {
                  title: ti('prefixes.prefix'),
                  dataIndex: 'prefix',
                  render: (p: string) => <code>{p}</code>,
                },
                {
                  title: ti('prefixes.since'),
                  dataIndex: 'createdAt',
                  render: (ts: number) => formatTime(lang, ts),
                },
              ]}
            />
          )}
        </AsyncView>
      </Card>

      <Card title={ti('templates.title')} size="small">
        <AsyncView state={templates} isEmpty={(d) => d.items.length === 0}>
          {(d) => (
            <Table<MetadataTemplate>
              rowKey={(t) => `${t.id}@${t.version}`}
              size="small"
              pagination={false}
              dataSource={d.items}
              data-testid="template-table"
              expandable={{
                expandedRowRender: (t) => <FieldTable fields={t.fields} />,
              }}
              columns={[
                {
                  title: ti('templates.id'),
                  dataIndex: 'id',
                  render: (id: string, t) => (
                    <Space>
                      <code>{id}</code>
                      {t.label ? <span>{t.label}</span> : null}
                    </Space>
                  ),
                },
                { title: ti('templates.category'), dataIndex: 'category' },
                { title: ti('templates.version'), dataIndex: 'version', width: 80 },
                {
                  title: ti('templates.fields'),
                  render: (_: unknown, t) => t.fields.map((f) => f.name).join(', '),
                },
                {
                  title: '',
                  width: 110,
                  render: (_: unknown, t) =>
                    t.builtin ? (
                      <Tag>{ti('templates.builtin')}</Tag>
                    ) : (
                      <Tag color="blue">{ti('templates.own')}</Tag>
                    ),
                },
              ]}
            />
          )}
        </AsyncView>
      </Card>
    </Space>
  )
}

function FieldTable({ fields }: { fields: TemplateField[] }): ReactNode {
  const { ti } = useIdI18n()
  const rules = (f: TemplateField): string =>
    [
      f.maxLength === undefined ? '' : `≤ ${f.maxLength}`,
      f.pattern === undefined ? '' : `/${f.pattern}/`,
      f.enum === undefined ? '' : f.enum.join(' | '),
      f.min === undefined ? '' : `≥ ${f.min}`,
      f.max === undefined ? '' : `≤ ${f.max}`,
    ]
      .filter((x) => x !== '')
      .join(' · ')
  return (
    <Table<TemplateField>
      rowKey="name"
      size="small"
      pagination={false}
      dataSource={fields}
      columns={[
        { title: ti('field.name'), dataIndex: 'name', render: (n: string) => <code>{n}</code> },
        { title: ti('field.index'), dataIndex: 'index', width: 80 },
        { title: ti('field.kind'), dataIndex: 'kind', width: 100 },
        {
          title: ti('field.required'),
          dataIndex: 'required',
          width: 80,
          render: (r: boolean) => (r ? ti('yes') : ti('no')),
        },
        { title: ti('field.rules'), render: (_: unknown, f) => rules(f) },
      ]}
    />
  )
}
