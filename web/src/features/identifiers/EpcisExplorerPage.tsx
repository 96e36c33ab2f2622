import { Button, Card, DatePicker, Descriptions, Drawer, Input, Select, Space, Table, Tag } from 'antd'
import type { Dayjs } from 'dayjs'
import { type ReactNode, useState } from 'react'
import { AsyncView } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { useSession } from '../../session.tsx'
import { useIdI18n } from './strings.ts'
import {
  BIZ_STEPS,
  bareCbv,
  EVENT_TYPES,
  type EpcisEvent,
  type EpcisQueryDocument,
  eventObjects,
  plantTime,
} from './types.ts'

interface Filters {
  from?: string
  to?: string
  bizStep: string[]
  epc: string
  /** MATCH_epc: epcList and childEPCs; MATCH_anyEPC: any object role (inputs, outputs, parent too) */
  epcParam: 'MATCH_epc' | 'MATCH_anyEPC'
  eventType: string[]
  perPage: number
}

/**
 * EPCIS 2.0 events of this enterprise through the standard query interface: GE_eventTime / LT_eventTime,
 * EQ_bizStep, MATCH_epc, eventType, with the server's page tokens; a row opens the event.
 */
export default function EpcisExplorerPage(): ReactNode {
  const { api, tenant } = useSession()
  const { ti } = useIdI18n()
  const [f, setF] = useState<Filters>({
    bizStep: [],
    epc: '',
    epcParam: 'MATCH_epc',
    eventType: [],
    perPage: 20,
  })
  // tokens of the pages seen so far: [undefined (first), token of page 2, …]
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined])
  const [opened, setOpened] = useState<EpcisEvent>()
  const token = tokens[tokens.length - 1]
  const list = useAsync(
    () =>
      api.request<EpcisQueryDocument>('epcisEvents', {
        query: {
          GE_eventTime: f.from,
          LT_eventTime: f.to,
          EQ_bizStep: f.bizStep.join(','),
          [f.epcParam]: f.epc || undefined,
          eventType: f.eventType.join(','),
          perPage: f.perPage,
          nextPageToken: token,
        },
      }),
    [tenant, f, token],
  )
  const set = (patch: Partial<Filters>): void => {
    setF((old) => ({ ...old, ...patch }))
    setTokens([undefined])
  }
  const next = list.data?.nextPageToken

  return (
    <Card title={ti('ev.title')} data-testid="epcis-page">
      <div style={{ marginBottom: 16 }}>
        <Space wrap>
          <DatePicker.RangePicker
            showTime
            placeholder={[ti('ev.range'), ti('ev.range')]}
            onChange={(r: [Dayjs | null, Dayjs | null] | null) =>
              set({ from: r?.[0]?.toISOString(), to: r?.[1]?.toISOString() })
            }
            data-testid="filter-time"
          />
          <Select<string[]>
            mode="multiple"
            allowClear
            placeholder={ti('ev.bizStep')}
            style={{ minWidth: 160 }}
            value={f.bizStep}
            onChange={(v) => set({ bizStep: v })}
            options={BIZ_STEPS.map((b) => ({ value: b, label: b }))}
            data-testid="filter-bizstep"
          />
          <Select<string[]>
            mode="multiple"
            allowClear
            placeholder={ti('ev.type')}
            style={{ minWidth: 160 }}
            value={f.eventType}
            onChange={(v) => set({ eventType: v })}
            options={EVENT_TYPES.map((t) => ({ value: t, label: t }))}
            data-testid="filter-type"
          />
          <Select<Filters['epcParam']>
            value={f.epcParam}
            style={{ width: 150 }}
            onChange={(v) => set({ epcParam: v })}
            options={[
              { value: 'MATCH_epc', label: 'MATCH_epc' },
              { value: 'MATCH_anyEPC', label: 'MATCH_anyEPC' },
            ]}
            title={ti('ev.epcParam')}
            data-testid="filter-epc-param"
          />
          <Input.Search
            allowClear
            placeholder={ti('ev.epc')}
            style={{ width: 300 }}
            onSearch={(v) => set({ epc: v.trim() })}
            data-testid="filter-epc"
          />
        </Space>
      </div>
      <AsyncView
        state={list}
        isEmpty={(d) => d.epcisBody.queryResults.resultsBody.eventList.length === 0 && tokens.length === 1}
        empty={ti('ev.empty')}
      >
        {(d) => (
          <>
            <Table<EpcisEvent>
              rowKey="eventID"
              size="small"
              pagination={false}
              loading={list.loading}
              dataSource={d.epcisBody.queryResults.resultsBody.eventList}
              data-testid="event-table"
              onRow={(e) => ({ onClick: () => setOpened(e), style: { cursor: 'pointer' } })}
              columns={[
                {
                  title: ti('ev.time'),
                  dataIndex: 'eventTime',
                  width: 210,
                  render: (t: string, e) => plantTime(t, e.eventTimeZoneOffset),
                },
                {
                  title: ti('ev.type'),
                  dataIndex: 'type',
                  width: 170,
                  render: (t: string) => <Tag>{t}</Tag>,
                },
                { title: ti('ev.action'), dataIndex: 'action', width: 90 },
                {
                  title: ti('ev.bizStep'),
                  dataIndex: 'bizStep',
                  width: 130,
                  render: (b: string | undefined) => bareCbv(b),
                },
                {
                  title: ti('ev.objects'),
                  render: (_: unknown, e) => {
                    const all = eventObjects(e)
                    return (
                      <span style={{ wordBreak: 'break-all' }} data-testid="event-objects">
                        {all.slice(0, 3).join(', ')}
                        {all.length > 3 ? ` … (+${all.length - 3})` : ''}
                      </span>
                    )
                  },
                },
                { title: ti('ev.readPoint'), render: (_: unknown, e) => e.readPoint?.id ?? '—' },
              ]}
            />
            <Space style={{ marginTop: 12 }} wrap>
              <Button disabled={tokens.length === 1} onClick={() => setTokens([undefined])}>
                {ti('ev.first')}
              </Button>
              <Button
                disabled={tokens.length === 1}
                onClick={() => setTokens((t) => t.slice(0, -1))}
                data-testid="events-prev"
              >
                {ti('ev.prev')}
              </Button>
              <span data-testid="events-page">{ti('ev.page', { n: tokens.length })}</span>
              <Button
                disabled={next === undefined}
                onClick={() => setTokens((t) => [...t, next])}
                data-testid="events-next"
              >
                {ti('ev.next')}
              </Button>
              <Select<number>
                value={f.perPage}
                onChange={(v) => set({ perPage: v })}
                options={[10, 20, 50, 100].map((n) => ({ value: n, label: ti('ev.perPage', { n }) }))}
                data-testid="events-per-page"
              />
            </Space>
          </>
        )}
      </AsyncView>
      <EventDrawer event={opened} onClose={() => setOpened(undefined)} />
    </Card>
  )
}

/** The event as the server answers GET /api/epcis/events/{eventID}. */
function EventDrawer({ event, onClose }: { event: EpcisEvent | undefined; onClose: () => void }): ReactNode {
  const { api } = useSession()
  const { ti } = useIdI18n()
  const full = useAsync<EpcisEvent | null>(
    () =>
      event === undefined
        ? Promise.resolve(null)
        : api.request<EpcisEvent>('epcisEvent', { params: { '*': event.eventID } }),
    [event?.eventID],
  )
  return (
    <Drawer open={event !== undefined} onClose={onClose} width={760} title={ti('ev.detail')}>
      <AsyncView state={full}>
        {(e) =>
          e === null ? null : (
            <Space direction="vertical" style={{ width: '100%' }} data-testid="event-detail">
              <Descriptions size="small" column={1} bordered>
                <Descriptions.Item label={ti('ev.id')}>
                  <code style={{ wordBreak: 'break-all' }}>{e.eventID}</code>
                </Descriptions.Item>
                <Descriptions.Item label={ti('ev.type')}>{e.type}</Descriptions.Item>
                <Descriptions.Item label={ti('ev.time')}>
                  {plantTime(e.eventTime, e.eventTimeZoneOffset)}
                </Descriptions.Item>
                <Descriptions.Item label={ti('ev.recordTime')}>{e.recordTime ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={ti('ev.action')}>{e.action ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={ti('ev.bizStep')}>{bareCbv(e.bizStep) || '—'}</Descriptions.Item>
                <Descriptions.Item label={ti('ev.disposition')}>
                  {bareCbv(e.disposition) || '—'}
                </Descriptions.Item>
                <Descriptions.Item label={ti('ev.readPoint')}>{e.readPoint?.id ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={ti('ev.bizLocation')}>{e.bizLocation?.id ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={ti('ev.objects')}>
                  <span style={{ wordBreak: 'break-all' }}>{eventObjects(e).join(', ') || '—'}</span>
                </Descriptions.Item>
              </Descriptions>
              <div>
                <strong>{ti('ev.raw')}</strong>
                <pre
                  style={{
                    background: '#f6f8fa',
                    padding: 12,
                    overflow: 'auto',
                    maxHeight: 400,
                    fontSize: 12,
                  }}
                  data-testid="event-json"
                >
                  {JSON.stringify(e, null, 2)}
                </pre>
              </div>
            </Space>
          )
        }
      </AsyncView>
    </Drawer>
  )
}
