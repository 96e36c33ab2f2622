import { Badge, Card, Col, Input, Row, Table, Tag, Tree, Typography } from 'antd'
import type { DataNode } from 'antd/es/tree'
import { type ReactNode, useMemo, useState } from 'react'
import { Link } from 'react-router'
import type { Asset, Point } from '../../api/types.ts'
import { AsyncView, EmptyState } from '../../components/PageState.tsx'
import { useAsync, useNow } from '../../components/use-async.ts'
import { useLive } from '../../components/use-live.ts'
import { formatTime, relativeTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { QualityTag } from './quality.tsx'

const LEVEL_COLOR = {
  site: 'purple',
  area: 'blue',
  line: 'cyan',
  cell: 'geekblue',
  equipment: 'green',
} as const

function descendants(all: readonly Asset[], root: string): string[] {
  const out = [root]
  for (let i = 0; i < out.length; i++) for (const a of all) if (a.parentId === out[i]) out.push(a.id)
  return out
}

/** Points of the selected node and everything below it, with live values over the WebSocket. */
function LiveValues({ assets, selected }: { assets: readonly Asset[]; selected: Asset }): ReactNode {
  const { api } = useSession()
  const { t, lang } = useI18n()
  const now = useNow(1000)
  const ids = useMemo(() => descendants(assets, selected.id).slice(0, 100), [assets, selected.id])
  const points = useAsync(async () => {
    const pages = await Promise.all(ids.map((assetId) => api.points({ assetId, limit: 1000, sort: 'name' })))
    return pages.flatMap((p) => p.items)
  }, [ids.join(',')])
  const pointIds = useMemo(() => (points.data ?? []).map((p) => p.id), [points.data])
  const { latest, connected } = useLive(pointIds)
  const assetName = useMemo(() => new Map(assets.map((a) => [a.id, a.name])), [assets])

  return (
    <Card
      title={
        <span>
          <Tag color={LEVEL_COLOR[selected.level]}>{t(`level.${selected.level}`)}</Tag>
          {selected.name} · {t('assets.values')}
        </span>
      }
      extra={
        pointIds.length > 0 ? (
          <Badge
            status={connected ? 'success' : 'warning'}
            text={connected ? t('live.connected') : t('live.disconnected')}
          />
        ) : null
      }
    >
      <AsyncView state={points} isEmpty={(d) => d.length === 0} empty={t('assets.noPoints')}>
        {(rows) => (
          <Table<Point>
            size="small"
            rowKey="id"
            data-testid="live-table"
            pagination={rows.length > 50 ? { pageSize: 50 } : false}
            dataSource={rows}
            columns={[
              {
                title: t('point.name'),
                dataIndex: 'name',
                render: (_, p) => (
                  <span>
                    <Link to={`/points/${p.id}`} data-testid={`point-link-${p.key}`}>
                      {p.name}
                    </Link>
                    {p.assetId && p.assetId !== selected.id ? (
                      <Typography.Text type="secondary"> · {assetName.get(p.assetId)}</Typography.Text>
                    ) : null}
                  </span>
                ),
              },
              {
                title: t('point.value'),
                key: 'value',
                align: 'right',
                render: (_, p) => {
                  const s = latest.get(p.id)
                  const v = s ? (s.text ?? (s.value === null ? '—' : String(s.value))) : '—'
                  return (
                    <span
                      data-testid={`value-${p.key}`}
                      style={{ fontVariantNumeric: 'tabular-nums', fontWeight: 600 }}
                    >
                      {v}
                    </span>
                  )
                },
              },
              { title: t('point.unit'), dataIndex: 'unit', render: (u: string | null) => u ?? '' },
              {
                title: t('point.quality'),
                key: 'quality',
                render: (_, p) => <QualityTag quality={latest.get(p.id)?.quality} />,
              },
              {
                title: t('point.lastSeen'),
                key: 'ts',
                render: (_, p) => {
                  const s = latest.get(p.id)
                  if (!s) return <Typography.Text type="secondary">{t('common.never')}</Typography.Text>
                  const stale = now - s.ts > 5 * 60_000
                  return (
                    <Typography.Text
                      type={stale ? 'warning' : undefined}
                      title={formatTime(lang, s.ts)}
                      data-testid={`seen-${p.key}`}
                    >
                      {relativeTime(lang, s.ts, now)}
                    </Typography.Text>
                  )
                },
              },
            ]}
          />
        )}
      </AsyncView>
    </Card>
  )
}

export default function AssetTreePage(): ReactNode {
  const { api } = useSession()
  const { t } = useI18n()
  const assets = useAsync(() => api.assets({ limit: 1000, sort: 'name' }), [])
  const [selectedId, setSelectedId] = useState<string>()
  const [filter, setFilter] = useState('')

  const tree = useMemo(() => {
    const all = assets.data?.items ?? []
    const ids = new Set(all.map((a) => a.id))
    const f = filter.trim().toLowerCase()
    const build = (parent: string | null): DataNode[] =>
      all
        .filter((a) =>
          parent === null ? a.parentId === null || !ids.has(a.parentId) : a.parentId === parent,
        )
        .map((a) => {
          const children = build(a.id)
          return {
            key: a.id,
            title: (
              <span data-testid={`asset-${a.code ?? a.id}`}>
                <Tag color={LEVEL_COLOR[a.level]} style={{ marginInlineEnd: 4 }}>
                  {t(`level.${a.level}`)}
                </Tag>
                {a.name}
              </span>
            ),
            children,
            matches: !f || a.name.toLowerCase().includes(f) || children.length > 0,
          }
        })
        .filter((n) => n.matches)
        .map(({ matches: _m, ...n }) => n)
    return build(null)
  }, [assets.data, filter, t])

  const selected = assets.data?.items.find((a) => a.id === selectedId)

  return (
    <Row gutter={16} data-testid="assets-page">
      <Col xs={24} md={9} xl={7}>
        <Card title={t('assets.tree')}>
          <AsyncView state={assets} isEmpty={(d) => d.items.length === 0} empty={t('assets.noTree')}>
            {() => (
              <>
                <Input.Search
                  placeholder={t('common.search')}
                  allowClear
                  onChange={(e) => setFilter(e.target.value)}
                  style={{ marginBottom: 8 }}
                />
                <Tree
                  treeData={tree}
                  defaultExpandAll
                  blockNode
                  selectedKeys={selectedId ? [selectedId] : []}
                  onSelect={(keys) => setSelectedId(keys[0] as string | undefined)}
                />
              </>
            )}
          </AsyncView>
        </Card>
      </Col>
      <Col xs={24} md={15} xl={17}>
        {selected && assets.data ? (
          <LiveValues assets={assets.data.items} selected={selected} />
        ) : (
          <Card>
            <EmptyState text={t('assets.select')} />
          </Card>
        )}
      </Col>
    </Row>
  )
}
