import { Card, DatePicker, Input, Select, Space, Table } from 'antd'
import type { Dayjs } from 'dayjs'
import { type ReactNode, useState } from 'react'
import type { Page } from '../../api/types.ts'
import { EmptyState, ErrorState } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { formatTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { formatValue, PriorityTag, StateTag } from './common.tsx'
import { useAlarmI18n } from './strings.ts'
import { type AlarmEvent, type AlarmPriority, type AlarmState, PRIORITIES, STATES } from './types.ts'

/** Every lifecycle transition, newest first, filtered and paged by the server. */
export default function AlarmHistoryPage(): ReactNode {
  const { api } = useSession()
  const { lang } = useI18n()
  const { ta } = useAlarmI18n()
  const [priority, setPriority] = useState<AlarmPriority[]>([])
  const [toState, setToState] = useState<AlarmState[]>([])
  const [equipment, setEquipment] = useState('')
  const [range, setRange] = useState<[number, number] | null>(null)
  const [page, setPage] = useState({ current: 1, pageSize: 20 })
  const list = useAsync(
    () =>
      api.request<Page<AlarmEvent>>('alarmEvents', {
        query: {
          priority: priority.join(','),
          toState: toState.join(','),
          equipment: equipment || undefined,
          from: range?.[0],
          to: range?.[1],
          limit: page.pageSize,
          offset: (page.current - 1) * page.pageSize,
          order: 'desc',
        },
      }),
    [priority, toState, equipment, range, page],
  )
  const first = (): void => setPage((p) => ({ ...p, current: 1 }))

  return (
    <Card
      title={ta('menu.history')}
      data-testid="alarm-history-page"
      extra={
        <Space wrap>
          <Select<AlarmPriority[]>
            mode="multiple"
            allowClear
            placeholder={ta('priority')}
            style={{ minWidth: 140 }}
            value={priority}
            onChange={(v) => {
              setPriority(v)
              first()
            }}
            options={PRIORITIES.map((p) => ({ value: p, label: ta(`p.${p}`) }))}
            data-testid="filter-priority"
          />
          <Select<AlarmState[]>
            mode="multiple"
            allowClear
            placeholder={ta('state')}
            style={{ minWidth: 160 }}
            value={toState}
            onChange={(v) => {
              setToState(v)
              first()
            }}
            options={STATES.map((s) => ({ value: s, label: ta(`s.${s}`) }))}
            data-testid="filter-state"
          />
          <Input.Search
            allowClear
            placeholder={ta('equipment')}
            style={{ width: 180 }}
            onSearch={(v) => {
              setEquipment(v.trim())
              first()
            }}
            data-testid="filter-equipment"
          />
          <DatePicker.RangePicker
            showTime
            onChange={(v: [Dayjs | null, Dayjs | null] | null) => {
              const a = v?.[0]
              const b = v?.[1]
              setRange(a && b ? [a.valueOf(), b.valueOf()] : null)
              first()
            }}
          />
        </Space>
      }
    >
      {list.error ? (
        <ErrorState error={list.error} retry={list.reload} />
      ) : (
        <Table<AlarmEvent>
          rowKey="seq"
          size="middle"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          locale={{ emptyText: list.loading ? ' ' : <EmptyState text={ta('noHistory')} /> }}
          pagination={{ ...page, total: list.data?.total ?? 0, showSizeChanger: true }}
          onChange={(p) => setPage({ current: p.current ?? 1, pageSize: p.pageSize ?? 20 })}
          onRow={(e) => ({ 'data-event': `${e.alarmId}>${e.to}` }) as never}
          columns={[
            { title: ta('at'), dataIndex: 'at', width: 180, render: (ts: number) => formatTime(lang, ts) },
            { title: ta('priority'), dataIndex: 'priority', width: 90, render: (p) => <PriorityTag p={p} /> },
            { title: ta('alarm'), dataIndex: 'alarmId', render: (id: string) => <code>{id}</code> },
            {
              title: ta('transition'),
              key: 'tr',
              render: (_, e) => (
                <Space size={4}>
                  <StateTag s={e.from} />→<StateTag s={e.to} />
                </Space>
              ),
            },
            { title: ta('equipment'), dataIndex: 'equipment', render: (x?: string) => x ?? '—' },
            { title: ta('value'), dataIndex: 'value', width: 90, render: (v) => formatValue(v) },
            { title: ta('by'), dataIndex: 'by', width: 140 },
            { title: ta('why'), dataIndex: 'why' },
          ]}
        />
      )}
    </Card>
  )
}
