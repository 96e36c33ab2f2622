import { Table, Tag } from 'antd'
import type { ReactNode } from 'react'
import { useIdI18n } from './strings.ts'
import type { HandleValueJson } from './types.ts'

/** `/t/88.118.8/P1`: the public trace page of an identifier (no login), as its QR code opens it. */
export function publicTracePath(identifier: string): string {
  return `/t/${identifier.split('/').map(encodeURIComponent).join('/')}`
}

export function valueText(v: HandleValueJson): string {
  const x = v.data.value
  return typeof x === 'string' ? x : JSON.stringify(x)
}

/** A Handle record's values: index, type, data, ttl, timestamp, public read. */
export function ValuesTable({ values }: { values: readonly HandleValueJson[] }): ReactNode {
  const { ti } = useIdI18n()
  return (
    <Table<HandleValueJson>
      rowKey="index"
      size="small"
      pagination={false}
      dataSource={[...values]}
      data-testid="handle-values"
      columns={[
        { title: ti('v.index'), dataIndex: 'index', width: 70 },
        { title: ti('v.type'), dataIndex: 'type', width: 150, render: (t: string) => <Tag>{t}</Tag> },
        {
          title: ti('v.data'),
          render: (_: unknown, v) => (
            <span style={{ wordBreak: 'break-all' }} data-value-type={v.type}>
              {valueText(v)}
            </span>
          ),
        },
        { title: ti('v.ttl'), dataIndex: 'ttl', width: 90 },
        {
          title: ti('v.timestamp'),
          dataIndex: 'timestamp',
          width: 190,
          render: (ts: string | number) => (typeof ts === 'number' ? new Date(ts).toISOString() : ts),
        },
        // a resolution answers in Handle.Net's shape, without permissions; the enterprise's own list has them
        ...(values.some((v) => v.permissions !== undefined)
          ? [
              {
                title: ti('v.perm'),
                width: 90,
                render: (_: unknown, v: HandleValueJson) =>
                  v.permissions === undefined ? '—' : v.permissions.publicRead ? ti('yes') : ti('no'),
              },
            ]
          : []),
      ]}
    />
  )
}
