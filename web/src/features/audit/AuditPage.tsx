import { Card, DatePicker, Form, Input, Select, Table, Tag, Typography } from 'antd'
import type { SorterResult } from 'antd/es/table/interface'
import { type ReactNode, useState } from 'react'
import type { AuditEntry, AuditQuery } from '../../api/types.ts'
import { EmptyState, ErrorState } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'

const OUTCOME_COLOR = { ok: 'green', denied: 'orange', failed: 'red' } as const

export default function AuditPage(): ReactNode {
  const { api } = useSession()
  const { t, lang } = useI18n()
  const [filters, setFilters] = useState<AuditQuery>({})
  const [page, setPage] = useState({ current: 1, pageSize: 20 })
  const [order, setOrder] = useState<'asc' | 'desc'>('desc')
  const list = useAsync(
    () =>
      api.audit({
        ...filters,
        limit: page.pageSize,
        offset: (page.current - 1) * page.pageSize,
        sort: 'seq',
        order,
      }),
    [filters, page, order],
  )
  const set = (patch: Partial<AuditQuery>): void => {
    setFilters((f) => ({ ...f, ...patch }))
    setPage((p) => ({ ...p, current: 1 }))
  }

  return (
    <Card title={t('audit.title')} data-testid="audit-page">
      <Form layout="inline" style={{ marginBottom: 16, rowGap: 8 }}>
        <Form.Item label={t('audit.actor')}>
          <Input.Search
            allowClear
            style={{ width: 180 }}
            onSearch={(v) => set({ actor: v || undefined })}
            data-testid="filter-actor"
          />
        </Form.Item>
        <Form.Item label={t('audit.action')}>
          <Input.Search
            allowClear
            style={{ width: 200 }}
            onSearch={(v) => set({ action: v || undefined })}
            data-testid="filter-action"
          />
        </Form.Item>
        <Form.Item label={t('audit.outcome')}>
          <Select
            allowClear
            style={{ width: 120 }}
            onChange={(v: AuditQuery['outcome']) => set({ outcome: v })}
            options={(['ok', 'denied', 'failed'] as const).map((o) => ({
              value: o,
              label: t(`audit.outcome.${o}`),
            }))}
          />
        </Form.Item>
        <Form.Item label={t('audit.range')}>
          <DatePicker.RangePicker
            showTime
            onChange={(v) => set({ from: v?.[0]?.valueOf(), to: v?.[1]?.valueOf() })}
          />
        </Form.Item>
      </Form>
      {list.error ? (
        <ErrorState error={list.error} retry={list.reload} />
      ) : (
        <Table<AuditEntry>
          rowKey="seq"
          size="small"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          locale={{ emptyText: list.loading ? ' ' : <EmptyState /> }}
          pagination={{ ...page, total: list.data?.total ?? 0, showSizeChanger: true }}
          onChange={(p, _f, s) => {
            const so = s as SorterResult<AuditEntry>
            setPage({ current: p.current ?? 1, pageSize: p.pageSize ?? 20 })
            setOrder(so.order === 'ascend' ? 'asc' : 'desc')
          }}
          expandable={{
            expandedRowRender: (e) => (
              <div>
                <Typography.Paragraph>
                  <pre style={{ margin: 0 }}>{JSON.stringify(e.details, null, 2)}</pre>
                </Typography.Paragraph>
                <Typography.Text type="secondary">
                  {t('audit.chain')}: <Typography.Text code>{e.hash}</Typography.Text>
                </Typography.Text>
              </div>
            ),
          }}
          columns={[
            { title: '#', dataIndex: 'seq', width: 70, sorter: true, defaultSortOrder: 'descend' },
            { title: t('audit.at'), dataIndex: 'at', render: (v: number) => formatTime(lang, v) },
            { title: t('audit.actor'), dataIndex: 'actor', ellipsis: true },
            {
              title: t('audit.action'),
              dataIndex: 'action',
              render: (a: string) => <Typography.Text code>{a}</Typography.Text>,
            },
            { title: t('audit.target'), dataIndex: 'target', ellipsis: true },
            { title: t('audit.ip'), dataIndex: 'ip' },
            {
              title: t('audit.outcome'),
              dataIndex: 'outcome',
              render: (o: AuditEntry['outcome']) => (
                <Tag color={OUTCOME_COLOR[o]}>{t(`audit.outcome.${o}`)}</Tag>
              ),
            },
          ]}
        />
      )}
    </Card>
  )
}
