import {
  Alert,
  Button,
  Card,
  Descriptions,
  Drawer,
  Popconfirm,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd'
import { type ReactNode, useState } from 'react'
import type { Credential, Device, IssuedCredential } from '../../api/types.ts'
import { AsyncView } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'

function Copy({ text, testId }: { text: string | number; testId?: string }): ReactNode {
  return (
    <Typography.Text code copyable={{ text: String(text) }} data-testid={testId}>
      {String(text)}
    </Typography.Text>
  )
}

function Credentials({ device }: { device: Device }): ReactNode {
  const { api } = useSession()
  const { t, lang } = useI18n()
  const creds = useAsync(() => api.credentials(device.id), [device.id])
  const [rotate, setRotate] = useState(false)
  const [issued, setIssued] = useState<IssuedCredential>()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()

  const issue = async (kind: 'password' | 'token'): Promise<void> => {
    setBusy(true)
    setError(undefined)
    try {
      setIssued(await api.issueCredential(device.id, kind, rotate))
      creds.reload()
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }
  const revoke = async (c: Credential): Promise<void> => {
    try {
      await api.revokeCredential(device.id, c.id)
      creds.reload()
    } catch (e) {
      setError((e as Error).message)
    }
  }

  return (
    <Card size="small" title={t('cred.title')}>
      <Space wrap style={{ marginBottom: 12 }}>
        <Button
          type="primary"
          loading={busy}
          onClick={() => void issue('password')}
          data-testid="issue-password"
        >
          {t('cred.issuePassword')}
        </Button>
        <Button loading={busy} onClick={() => void issue('token')} data-testid="issue-token">
          {t('cred.issueToken')}
        </Button>
        <Space size={4}>
          <Switch size="small" checked={rotate} onChange={setRotate} data-testid="rotate" />
          {t('cred.rotate')}
        </Space>
      </Space>
      {error ? <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} /> : null}
      {issued ? (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          message={t('cred.once')}
          data-testid="issued-secret"
          description={
            <Descriptions size="small" column={1}>
              {issued.username ? (
                <Descriptions.Item label={t('conn.username')}>
                  <Copy text={issued.username} testId="issued-username" />
                </Descriptions.Item>
              ) : null}
              {issued.password ? (
                <Descriptions.Item label={t('login.password')}>
                  <Copy text={issued.password} testId="issued-password" />
                </Descriptions.Item>
              ) : null}
              {issued.token ? (
                <Descriptions.Item label="Token">
                  <Copy text={issued.token} testId="issued-token" />
                </Descriptions.Item>
              ) : null}
            </Descriptions>
          }
        />
      ) : null}
      <AsyncView state={creds} isEmpty={(d) => d.items.length === 0} empty={t('cred.none')}>
        {(d) => (
          <Table<Credential>
            size="small"
            rowKey="id"
            pagination={false}
            dataSource={d.items}
            columns={[
              { title: t('devices.kind'), dataIndex: 'kind' },
              {
                title: t('conn.username'),
                dataIndex: 'username',
                render: (u: string) => <Typography.Text code>{u}</Typography.Text>,
              },
              {
                title: t('common.created'),
                dataIndex: 'createdAt',
                render: (v: number) => formatTime(lang, v),
              },
              {
                title: t('devices.state'),
                dataIndex: 'revokedAt',
                render: (v: number | null) =>
                  v ? <Tag>{t('cred.revoked')}</Tag> : <Tag color="green">{t('cred.active')}</Tag>,
              },
              {
                title: t('common.actions'),
                key: 'a',
                render: (_, c) =>
                  c.revokedAt ? null : (
                    <Popconfirm title={t('cred.revoke')} onConfirm={() => void revoke(c)}>
                      <Button size="small" danger type="link">
                        {t('cred.revoke')}
                      </Button>
                    </Popconfirm>
                  ),
              },
            ]}
          />
        )}
      </AsyncView>
    </Card>
  )
}

function ConnectionPanel({ device }: { device: Device }): ReactNode {
  const { api } = useSession()
  const { t } = useI18n()
  const conn = useAsync(() => api.connection(device.id), [device.id])
  return (
    <AsyncView state={conn}>
      {(c) => (
        <Space orientation="vertical" style={{ width: '100%' }} data-testid="connection-panel">
          <Card size="small" title={t('conn.mqtt')}>
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label={t('conn.host')}>
                <Copy text={c.mqtt.host} testId="conn-host" />
              </Descriptions.Item>
              <Descriptions.Item label={t('conn.port')}>
                <Copy text={c.mqtt.port} testId="conn-port" />
              </Descriptions.Item>
              <Descriptions.Item label={t('conn.versions')}>
                {c.mqtt.protocolVersions.join(' / ')}
              </Descriptions.Item>
              <Descriptions.Item label={t('conn.clientId')}>
                <Copy text={c.mqtt.clientId} />
              </Descriptions.Item>
              <Descriptions.Item label={t('conn.username')}>{t('conn.usernameHint')}</Descriptions.Item>
              <Descriptions.Item label={t('conn.dataTopic')}>
                <Copy text={c.mqtt.dataTopic} testId="conn-data-topic" />
              </Descriptions.Item>
              <Descriptions.Item label={t('conn.statusTopic')}>
                <Copy text={c.mqtt.statusTopic} />
              </Descriptions.Item>
              <Descriptions.Item label={t('conn.commandTopic')}>
                <Copy text={c.mqtt.commandTopic} />
              </Descriptions.Item>
              <Descriptions.Item label={t('conn.payload')}>
                <Copy text={JSON.stringify(c.mqtt.payloadExample)} />
              </Descriptions.Item>
            </Descriptions>
          </Card>
          <Card size="small" title={t('conn.sparkplug')}>
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label={t('conn.group')}>
                <Copy text={c.sparkplug.groupId} />
              </Descriptions.Item>
              <Descriptions.Item label={t('conn.edgeNode')}>
                <Copy text={c.sparkplug.edgeNodeId} />
              </Descriptions.Item>
              <Descriptions.Item label="NBIRTH">
                <Copy text={c.sparkplug.nbirthTopic} />
              </Descriptions.Item>
              <Descriptions.Item label="DDATA">
                <Copy text={c.sparkplug.ddataTopic} />
              </Descriptions.Item>
              <Descriptions.Item label="NCMD">
                <Copy text={c.sparkplug.ncmdTopic} />
              </Descriptions.Item>
              <Descriptions.Item label="Primary host">
                <Copy text={c.sparkplug.primaryHostId} />
              </Descriptions.Item>
            </Descriptions>
          </Card>
          <Card size="small" title={t('conn.example')}>
            <Typography.Paragraph copyable={{ text: c.examples.mosquittoPub }} data-testid="mosquitto-pub">
              <pre style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all', margin: 0 }}>
                {c.examples.mosquittoPub}
              </pre>
            </Typography.Paragraph>
          </Card>
          <Card size="small" title={t('conn.http')}>
            <Typography.Paragraph copyable={{ text: c.examples.curl }}>
              <pre style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all', margin: 0 }}>
                {c.examples.curl}
              </pre>
            </Typography.Paragraph>
          </Card>
        </Space>
      )}
    </AsyncView>
  )
}

export function ConnectionDrawer({
  device,
  onClose,
}: {
  device: Device | undefined
  onClose(): void
}): ReactNode {
  const { t } = useI18n()
  return (
    <Drawer
      open={device !== undefined}
      onClose={onClose}
      width={720}
      title={device ? `${device.name} · ${t('devices.connect')}` : ''}
      destroyOnHidden
    >
      {device ? (
        <Space orientation="vertical" style={{ width: '100%' }} size={16}>
          <Credentials device={device} />
          <ConnectionPanel device={device} />
        </Space>
      ) : null}
    </Drawer>
  )
}
