import { App, Button, Card, Drawer, Form, Input, Modal, Result, Select, Space, Table, Tag } from 'antd'
import { type ReactNode, useEffect, useState } from 'react'
import { useNavigate } from 'react-router'
import { ApiError } from '../../api/client.ts'
import { AsyncView, EmptyState, ErrorState, Loading } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatTime } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { publicTracePath, ValuesTable, valueText } from './common.tsx'
import { useIdI18n } from './strings.ts'
import type {
  BulkResult,
  HandleRecordJson,
  MetadataTemplate,
  PrefixRecord,
  Resolution,
  TemplateField,
} from './types.ts'

const PAGE = 50

/** Register identifiers (one or in bulk), browse them under a prefix, and resolve any identifier. */
export default function IdentifiersPage(): ReactNode {
  const { api, tenant } = useSession()
  const { ti, lang } = useIdI18n()
  const prefixes = useAsync(() => api.request<{ items: PrefixRecord[] }>('identPrefixes'), [tenant])
  const templates = useAsync(() => api.request<{ items: MetadataTemplate[] }>('identTemplates'), [tenant])
  const [prefix, setPrefix] = useState<string>()
  const [rows, setRows] = useState<HandleRecordJson[]>()
  const [next, setNext] = useState<string>()
  const [listError, setListError] = useState<Error>()
  const [tick, setTick] = useState(0)
  const [opened, setOpened] = useState<string>()
  const [registering, setRegistering] = useState(false)
  const [bulk, setBulk] = useState(false)

  const firstPrefix = prefixes.data?.items[0]?.prefix
  useEffect(() => {
    setPrefix(firstPrefix)
  }, [firstPrefix])

  // first page of the chosen prefix; "load more" appends the next keyset page
  // biome-ignore lint/correctness/useExhaustiveDependencies: tick reloads after a registration
  useEffect(() => {
    if (prefix === undefined) return
    let live = true
    setRows(undefined)
    setListError(undefined)
    api
      .request<{ items: HandleRecordJson[]; next?: string }>('handles', { query: { prefix, limit: PAGE } })
      .then(
        (r) => {
          if (!live) return
          setRows(r.items)
          setNext(r.next)
        },
        (e: Error) => live && setListError(e),
      )
    return () => {
      live = false
    }
  }, [api, prefix, tick])

  const more = async (): Promise<void> => {
    if (prefix === undefined || next === undefined) return
    try {
      const r = await api.request<{ items: HandleRecordJson[]; next?: string }>('handles', {
        query: { prefix, limit: PAGE, after: next },
      })
      setRows((old) => [...(old ?? []), ...r.items])
      setNext(r.next)
    } catch (e) {
      setListError(e as Error)
    }
  }

  const templateList = templates.data?.items ?? []
  const body = (): ReactNode => {
    if (prefixes.error) return <ErrorState error={prefixes.error} retry={prefixes.reload} />
    if (prefixes.data === undefined) return <Loading />
    if (prefixes.data.items.length === 0) return <EmptyState text={ti('ids.noPrefix')} />
    if (listError) return <ErrorState error={listError} retry={() => setTick((t) => t + 1)} />
    if (rows === undefined) return <Loading />
    if (rows.length === 0) return <EmptyState text={ti('ids.empty')} />
    return (
      <>
        <Table<HandleRecordJson>
          rowKey="handle"
          size="small"
          pagination={false}
          dataSource={rows}
          data-testid="handle-table"
          onRow={(r) => ({ onClick: () => setOpened(r.handle), style: { cursor: 'pointer' } })}
          columns={[
            {
              title: ti('ids.handle'),
              dataIndex: 'handle',
              render: (h: string) => (
                <Button type="link" size="small" data-testid={`handle-${h}`} style={{ padding: 0 }}>
                  <code>{h}</code>
                </Button>
              ),
            },
            {
              title: ti('ids.template'),
              dataIndex: 'template',
              width: 120,
              render: (t: HandleRecordJson['template']) => (t ? <Tag>{`${t.id}@${t.version}`}</Tag> : '—'),
            },
            {
              title: ti('ids.values'),
              render: (_: unknown, r) =>
                r.values
                  .filter((v) => v.type !== 'HS_ADMIN')
                  .slice(0, 4)
                  .map((v) => `${v.type}=${valueText(v)}`)
                  .join(' · '),
            },
            {
              title: ti('ids.updated'),
              dataIndex: 'updatedAt',
              width: 180,
              render: (ts: number) => formatTime(lang, ts),
            },
          ]}
        />
        {next === undefined ? null : (
          <div style={{ textAlign: 'center', marginTop: 12 }}>
            <Button onClick={() => void more()} data-testid="handles-more">
              {ti('ids.more')}
            </Button>
          </div>
        )}
      </>
    )
  }

  return (
    <Card
      title={ti('ids.title')}
      data-testid="identifiers-page"
      extra={
        <Space wrap>
          <Select<string>
            style={{ minWidth: 140 }}
            value={prefix}
            placeholder={ti('ids.prefix')}
            onChange={setPrefix}
            options={(prefixes.data?.items ?? []).map((p) => ({ value: p.prefix, label: p.prefix }))}
            data-testid="prefix-select"
          />
          <Input.Search
            allowClear
            placeholder={ti('ids.search')}
            style={{ width: 300 }}
            onSearch={(v) => v.trim() !== '' && setOpened(v.trim())}
            data-testid="handle-search"
          />
          <Button
            type="primary"
            disabled={prefix === undefined}
            onClick={() => setRegistering(true)}
            data-testid="register-handle"
          >
            {ti('ids.register')}
          </Button>
          <Button disabled={prefix === undefined} onClick={() => setBulk(true)} data-testid="bulk-register">
            {ti('ids.bulk')}
          </Button>
        </Space>
      }
    >
      {body()}
      {prefix !== undefined && registering ? (
        <RegisterModal
          prefix={prefix}
          templates={templateList}
          onClose={(done) => {
            setRegistering(false)
            if (done) setTick((t) => t + 1)
          }}
        />
      ) : null}
      {prefix !== undefined && bulk ? (
        <BulkModal
          prefix={prefix}
          onClose={(done) => {
            setBulk(false)
            if (done) setTick((t) => t + 1)
          }}
        />
      ) : null}
      <HandleDrawer handle={opened} onClose={() => setOpened(undefined)} />
    </Card>
  )
}

function fieldValue(f: TemplateField, raw: string): unknown {
  if (f.kind === 'number' || f.kind === 'integer') return raw.trim() === '' ? raw : Number(raw)
  return raw
}

function RegisterModal({
  prefix,
  templates,
  onClose,
}: {
  prefix: string
  templates: readonly MetadataTemplate[]
  onClose: (done: boolean) => void
}): ReactNode {
  const { api } = useSession()
  const { ti } = useIdI18n()
  const { message } = App.useApp()
  const [form] = Form.useForm<Record<string, string>>()
  const [templateId, setTemplateId] = useState<string>('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const template = templates.find((t) => t.id === templateId)

  const submit = async (): Promise<void> => {
    const v = await form.validateFields()
    const handle = `${prefix}/${(v['suffix'] ?? '').trim()}`
    const url = (v['url'] ?? '').trim()
    const epc = (v['epc'] ?? '').trim()
    const fields: Record<string, unknown> = {}
    for (const f of template?.fields ?? []) {
      const raw = v[`f_${f.name}`]
      if (raw !== undefined && raw !== '') fields[f.name] = fieldValue(f, raw)
    }
    setBusy(true)
    setError(undefined)
    try {
      await api.request('registerHandle', {
        body: {
          handle,
          values: [
            ...(url === '' ? [] : [{ index: 1, type: 'URL', data: url }]),
            // the EPC its EPCIS events name: the public page and the trace start from it
            ...(epc === '' ? [] : [{ index: 2, type: 'EPC', data: epc }]),
          ],
          ...(template === undefined
            ? {}
            : { template: { id: template.id, version: template.version }, fields }),
        },
      })
      void message.success(ti('ids.registered', { handle }))
      onClose(true)
    } catch (err) {
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Modal
      open
      title={ti('ids.register')}
      onCancel={() => onClose(false)}
      onOk={() => void submit()}
      okButtonProps={{ loading: busy, ...({ 'data-testid': 'register-ok' } as Record<string, string>) }}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" data-testid="register-form">
        <Form.Item label={ti('ids.suffix')} name="suffix" rules={[{ required: true, whitespace: true }]}>
          <Input addonBefore={`${prefix}/`} data-testid="register-suffix" />
        </Form.Item>
        <Form.Item label={ti('ids.template')}>
          <Select<string>
            value={templateId}
            onChange={setTemplateId}
            data-testid="register-template"
            options={[
              { value: '', label: ti('ids.noTemplate') },
              ...templates.map((t) => ({ value: t.id, label: t.label ?? t.id })),
            ]}
          />
        </Form.Item>
        {(template?.fields ?? []).map((f) => (
          <Form.Item
            key={f.name}
            label={`${f.label ?? f.name} (${f.kind})`}
            name={`f_${f.name}`}
            rules={[{ required: f.required }]}
          >
            <Input
              data-testid={`register-field-${f.name}`}
              placeholder={f.kind === 'date' ? 'YYYY-MM-DD' : undefined}
            />
          </Form.Item>
        ))}
        <Form.Item
          label={ti('ids.url')}
          name="url"
          rules={[{ required: template === undefined, type: 'url' }]}
        >
          <Input data-testid="register-url" placeholder="https://" />
        </Form.Item>
        <Form.Item label={ti('ids.epc')} name="epc" rules={[{ pattern: /^urn:epc:/, message: 'urn:epc:…' }]}>
          <Input data-testid="register-epc" placeholder="urn:epc:id:sgtin:6909999.000456.H-0001" />
        </Form.Item>
      </Form>
      {error ? <Result status="error" subTitle={error} data-testid="register-error" /> : null}
    </Modal>
  )
}

function BulkModal({ prefix, onClose }: { prefix: string; onClose: (done: boolean) => void }): ReactNode {
  const { api } = useSession()
  const { ti } = useIdI18n()
  const [text, setText] = useState('')
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<BulkResult>()
  const [error, setError] = useState<string>()

  const submit = async (): Promise<void> => {
    const items = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .map((l) => {
        const [suffix = '', url = ''] = l.split(',').map((x) => x.trim())
        return {
          handle: `${prefix}/${suffix}`,
          values: url === '' ? [] : [{ index: 1, type: 'URL', data: url }],
        }
      })
    if (items.length === 0) return
    setBusy(true)
    setError(undefined)
    try {
      setResult(await api.request<BulkResult>('registerBulk', { body: { items } }))
    } catch (err) {
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Modal
      open
      width={720}
      title={ti('ids.bulk')}
      onCancel={() => onClose(result !== undefined && result.accepted > 0)}
      onOk={() => (result === undefined ? void submit() : onClose(result.accepted > 0))}
      okButtonProps={{ loading: busy, ...({ 'data-testid': 'bulk-ok' } as Record<string, string>) }}
      destroyOnHidden
    >
      <p>{ti('ids.bulkHelp')}</p>
      <Input.TextArea
        rows={8}
        value={text}
        onChange={(e) => setText(e.target.value)}
        disabled={result !== undefined}
        placeholder={'B-0001,https://example.com/b/1\nB-0002'}
        data-testid="bulk-text"
      />
      {error ? <Result status="error" subTitle={error} /> : null}
      {result ? (
        <div style={{ marginTop: 12 }} data-testid="bulk-result">
          <p>
            <strong>{ti('ids.bulkResult', { accepted: result.accepted, rejected: result.rejected })}</strong>
          </p>
          <Table
            rowKey="at"
            size="small"
            pagination={{ pageSize: 10 }}
            dataSource={result.items.filter((i) => !i.ok)}
            columns={[
              { title: ti('ids.handle'), dataIndex: 'handle' },
              {
                title: 'error',
                render: (_: unknown, i: BulkResult['items'][number]) =>
                  i.ok ? '' : `${i.error.code}: ${i.error.message}`,
              },
            ]}
          />
        </div>
      ) : null}
    </Modal>
  )
}

/** One identifier resolved (Handle values) with its public trace page, QR code and trace graph. */
function HandleDrawer({ handle, onClose }: { handle: string | undefined; onClose: () => void }): ReactNode {
  const { api } = useSession()
  const { ti } = useIdI18n()
  const navigate = useNavigate()
  const res = useAsync<Resolution | null>(
    () =>
      handle === undefined
        ? Promise.resolve(null)
        : api.request<Resolution>('resolveHandle', { params: { '*': handle } }).catch((e: unknown) => {
            // "not found" is an answer here, not a failure of the page
            if (e instanceof ApiError && e.status === 404) return { responseCode: 100, handle }
            throw e
          }),
    [handle],
  )
  return (
    <Drawer
      open={handle !== undefined}
      onClose={onClose}
      width={820}
      title={
        <span data-testid="handle-drawer-title">
          {ti('ids.detail')} · <code>{handle}</code>
        </span>
      }
    >
      <AsyncView state={res}>
        {(r) =>
          r === null || handle === undefined ? null : r.responseCode === 100 || r.values === undefined ? (
            <EmptyState text={ti('ids.notFound')} />
          ) : (
            <Space direction="vertical" style={{ width: '100%' }} data-testid="handle-detail">
              <ValuesTable values={r.values} />
              <Space align="start" size="large">
                <img
                  src={`${publicTracePath(handle)}/qr.svg`}
                  alt={ti('ids.qr')}
                  width={140}
                  height={140}
                  data-testid="handle-qr"
                />
                <Space direction="vertical">
                  <a
                    href={publicTracePath(handle)}
                    target="_blank"
                    rel="noreferrer"
                    data-testid="public-page-link"
                  >
                    {ti('ids.publicPage')}
                  </a>
                  <Button
                    onClick={() => navigate(`/trace?id=${encodeURIComponent(handle)}`)}
                    data-testid="open-trace"
                  >
                    {ti('ids.traceGraph')}
                  </Button>
                </Space>
              </Space>
            </Space>
          )
        }
      </AsyncView>
    </Drawer>
  )
}
