import {
  App,
  Button,
  Card,
  Descriptions,
  Drawer,
  Form,
  Input,
  Modal,
  Select,
  Space,
  Table,
  Tag,
  Tree,
} from 'antd'
import type { DataNode } from 'antd/es/tree'
import { type ReactNode, useEffect, useState } from 'react'
import type { Device, Page } from '../../api/types.ts'
import { AsyncView } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'

/**
 * OPC UA and Modbus TCP adapters of the enterprise's devices: health (connected, last error, reads/s,
 * errors/s), the adapter's configuration as JSON, and for OPC UA a browse dialog that adds the chosen
 * variables as monitored items.
 */

interface Health {
  kind: string
  /** false in a cluster when another node runs the adapter (the figures are then its last report) */
  runningHere: boolean
  reportedAt?: number
  connected: boolean
  lastError: string | null
  readsPerSec: number
  errorsPerSec: number
  counters: Record<string, number>
}
interface BrowseNode {
  nodeId: string
  displayName: string
  nodeClass: string
  dataType?: string
  children: BrowseNode[]
}
interface OpcuaItem {
  nodeId: string
  key?: string
  samplingIntervalMs?: number
}

const TEMPLATES: Record<'opcua' | 'modbus', unknown> = {
  opcua: {
    kind: 'opcua',
    endpointUrl: 'opc.tcp://10.0.0.5:4840',
    securityMode: 'None',
    identity: { type: 'anonymous' },
    publishingIntervalMs: 500,
    items: [],
  },
  modbus: {
    kind: 'modbus',
    host: '10.0.0.7',
    port: 502,
    unitId: 1,
    groups: [
      {
        name: 'fast',
        intervalMs: 1000,
        points: [{ key: 'pressure', table: 'input', address: 0, type: 'float32' }],
      },
    ],
  },
}

function useText(): (zh: string, en: string) => string {
  const { lang } = useI18n()
  return (zh, en) => (lang === 'en' ? en : zh)
}

function toTree(n: BrowseNode): DataNode {
  return {
    key: n.nodeId,
    title: `${n.displayName}${n.dataType ? ` (${n.dataType})` : ''}`,
    checkable: n.nodeClass === 'Variable',
    isLeaf: n.children.length === 0,
    children: n.children.map(toTree),
  }
}

function BrowseDialog({
  open,
  endpointUrl,
  onClose,
  onPick,
}: {
  open: boolean
  endpointUrl: string
  onClose(): void
  onPick(items: OpcuaItem[]): void
}): ReactNode {
  const { api } = useSession()
  const tx = useText()
  const [url, setUrl] = useState(endpointUrl)
  const [mode, setMode] = useState('None')
  const [tree, setTree] = useState<BrowseNode>()
  const [checked, setChecked] = useState<string[]>([])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  useEffect(() => setUrl(endpointUrl), [endpointUrl])
  const browse = async (): Promise<void> => {
    setBusy(true)
    setError(undefined)
    try {
      const r = await api.request<{ root: BrowseNode }>('browseOpcua', {
        body: { endpointUrl: url, securityMode: mode },
      })
      setTree(r.root)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }
  const names = new Map<string, string>()
  const walk = (n: BrowseNode): void => {
    names.set(n.nodeId, n.displayName)
    for (const c of n.children) walk(c)
  }
  if (tree) walk(tree)
  return (
    <Modal
      open={open}
      title={tx('浏览 OPC UA 地址空间', 'Browse the OPC UA address space')}
      onCancel={onClose}
      width={720}
      okText={tx('添加所选变量', 'Add the chosen variables')}
      okButtonProps={{ disabled: checked.length === 0 }}
      onOk={() => onPick(checked.map((nodeId) => ({ nodeId, key: names.get(nodeId) ?? nodeId })))}
    >
      <Space.Compact style={{ width: '100%', marginBottom: 12 }}>
        <Input value={url} onChange={(e) => setUrl(e.target.value)} data-testid="browse-url" />
        <Select
          value={mode}
          onChange={setMode}
          style={{ width: 170 }}
          options={['None', 'Sign', 'SignAndEncrypt'].map((v) => ({ value: v, label: v }))}
        />
        <Button type="primary" loading={busy} onClick={browse}>
          {tx('浏览', 'Browse')}
        </Button>
      </Space.Compact>
      {error ? <Tag color="red">{error}</Tag> : null}
      {tree ? (
        <Tree
          checkable
          height={400}
          treeData={[toTree(tree)]}
          defaultExpandAll
          checkedKeys={checked}
          onCheck={(k) => setChecked((Array.isArray(k) ? k : k.checked).map(String))}
        />
      ) : null}
    </Modal>
  )
}

function AdapterDrawer({ device, onClose }: { device: Device; onClose(): void }): ReactNode {
  const { api } = useSession()
  const { message } = App.useApp()
  const tx = useText()
  const { lang } = useI18n()
  const kind = device.protocol === 'opcua' ? 'opcua' : 'modbus'
  const [text, setText] = useState('')
  const [health, setHealth] = useState<Health | null>(null)
  const [browsing, setBrowsing] = useState(false)
  const [saving, setSaving] = useState(false)
  const params = { deviceId: device.id }

  // biome-ignore lint/correctness/useExhaustiveDependencies: one device per drawer; reload when it changes
  useEffect(() => {
    api.request<{ settings: unknown }>('adapter', { params }).then(
      (r) => setText(JSON.stringify(r.settings, null, 2)),
      () => setText(JSON.stringify(TEMPLATES[kind], null, 2)),
    )
    let stop = false
    const poll = (): void => {
      api.request<Health>('adapterStatus', { params }).then(
        (h) => !stop && setHealth(h),
        () => !stop && setHealth(null),
      )
    }
    poll()
    const t = setInterval(poll, 2000)
    return () => {
      stop = true
      clearInterval(t)
    }
  }, [device.id])

  const save = async (): Promise<void> => {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (e) {
      void message.error(`JSON: ${(e as Error).message}`)
      return
    }
    setSaving(true)
    try {
      await api.request('putAdapter', { params, body })
      void message.success(tx('已保存，适配器已重启', 'Saved; the adapter restarted'))
    } catch (e) {
      void message.error((e as Error).message)
    } finally {
      setSaving(false)
    }
  }
  const endpointUrl = (() => {
    try {
      return String((JSON.parse(text) as { endpointUrl?: string }).endpointUrl ?? '')
    } catch {
      return ''
    }
  })()
  const addItems = (items: OpcuaItem[]): void => {
    try {
      const cfg = JSON.parse(text) as { items?: OpcuaItem[] }
      const have = new Set((cfg.items ?? []).map((i) => i.nodeId))
      cfg.items = [...(cfg.items ?? []), ...items.filter((i) => !have.has(i.nodeId))]
      setText(JSON.stringify(cfg, null, 2))
      setBrowsing(false)
    } catch (e) {
      void message.error(`JSON: ${(e as Error).message}`)
    }
  }
  return (
    <Drawer open width={720} title={`${device.name} · ${device.protocol}`} onClose={onClose}>
      <Card size="small" title={tx('适配器状态', 'Adapter health')} style={{ marginBottom: 12 }}>
        {health ? (
          <Descriptions size="small" column={2}>
            {health.runningHere ? null : (
              <Descriptions.Item label={tx('运行节点', 'Runs on')} span={2}>
                <Tag color="blue" data-testid="adapter-elsewhere">
                  {tx('集群中另一节点', 'another node of the cluster')}
                </Tag>
                {health.reportedAt === undefined
                  ? tx('尚无报告', 'no report yet')
                  : `${tx('报告于', 'reported at')} ${formatTime(lang, health.reportedAt)}`}
              </Descriptions.Item>
            )}
            <Descriptions.Item label={tx('连接', 'Connected')}>
              <Tag color={health.connected ? 'green' : 'red'} data-testid="adapter-connected">
                {health.connected ? tx('已连接', 'connected') : tx('未连接', 'disconnected')}
              </Tag>
            </Descriptions.Item>
            <Descriptions.Item label={tx('最近错误', 'Last error')}>
              {health.lastError ?? '—'}
            </Descriptions.Item>
            <Descriptions.Item label={tx('读取/秒', 'Reads/s')}>{health.readsPerSec}</Descriptions.Item>
            <Descriptions.Item label={tx('错误/秒', 'Errors/s')}>{health.errorsPerSec}</Descriptions.Item>
          </Descriptions>
        ) : (
          <Tag>{tx('未配置', 'not configured')}</Tag>
        )}
      </Card>
      <Form layout="vertical">
        <Form.Item label={tx('适配器配置 (JSON)', 'Adapter configuration (JSON)')}>
          <Input.TextArea
            value={text}
            onChange={(e) => setText(e.target.value)}
            autoSize={{ minRows: 12, maxRows: 30 }}
            style={{ fontFamily: 'monospace' }}
            data-testid="adapter-json"
          />
        </Form.Item>
        <Space>
          <Button type="primary" loading={saving} onClick={save}>
            {tx('保存并重启', 'Save and restart')}
          </Button>
          {kind === 'opcua' ? (
            <Button onClick={() => setBrowsing(true)}>{tx('浏览变量…', 'Browse variables…')}</Button>
          ) : null}
        </Space>
      </Form>
      {kind === 'opcua' ? (
        <BrowseDialog
          open={browsing}
          endpointUrl={endpointUrl}
          onClose={() => setBrowsing(false)}
          onPick={addItems}
        />
      ) : null}
    </Drawer>
  )
}

export default function AdaptersPage(): ReactNode {
  const { api } = useSession()
  const tx = useText()
  const [chosen, setChosen] = useState<Device | null>(null)
  const state = useAsync(
    async () => (await api.devices({ limit: 1000 })) as Page<Device>,
    [api.session.tenant],
  )
  return (
    <Card title={tx('协议适配器 (OPC UA / Modbus TCP)', 'Protocol adapters (OPC UA / Modbus TCP)')}>
      <AsyncView
        state={state}
        isEmpty={(d) => !d.items.some((x) => x.protocol === 'opcua' || x.protocol === 'modbus')}
        empty={tx('没有 OPC UA 或 Modbus 设备', 'No OPC UA or Modbus device')}
      >
        {(d) => (
          <Table<Device>
            rowKey="id"
            size="small"
            pagination={false}
            dataSource={d.items.filter((x) => x.protocol === 'opcua' || x.protocol === 'modbus')}
            columns={[
              { title: tx('设备', 'Device'), dataIndex: 'name' },
              { title: tx('标识', 'Key'), dataIndex: 'key' },
              { title: tx('协议', 'Protocol'), dataIndex: 'protocol', render: (p: string) => <Tag>{p}</Tag> },
              {
                title: '',
                render: (_: unknown, dev) => (
                  <Button size="small" onClick={() => setChosen(dev)}>
                    {tx('配置', 'Configure')}
                  </Button>
                ),
              },
            ]}
          />
        )}
      </AsyncView>
      {chosen ? <AdapterDrawer device={chosen} onClose={() => setChosen(null)} /> : null}
    </Card>
  )
}
