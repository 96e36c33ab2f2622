import { Card, Col, Row, Space, Statistic, Tag, Tooltip } from 'antd'
import { type ReactNode, useCallback, useMemo, useRef, useState } from 'react'
import type { Point, Sample } from '../../api/types.ts'
import { EChart } from '../../components/EChart.tsx'
import { AsyncView, EmptyState, ErrorState, Loading } from '../../components/PageState.tsx'
import { useAsync } from '../../components/use-async.ts'
import { useLive } from '../../components/use-live.ts'
import { useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'

const WINDOW_MS = 15 * 60_000
const MAX_PER_SERIES = 2000

/** A figure that cannot be shown, with the reason (a module not wired, nothing measured yet). */
function Unavailable({ title, note }: { title: string; note: string }): ReactNode {
  return (
    <Card>
      <Tooltip title={note}>
        <Statistic title={title} value="—" />
      </Tooltip>
      <Tag style={{ marginTop: 4 }}>{note}</Tag>
    </Card>
  )
}

/** The last 15 minutes of a few analog points, extended live as samples arrive. */
function LiveChart({ points }: { points: Point[] }): ReactNode {
  const { api } = useSession()
  const { t } = useI18n()
  const ids = useMemo(() => points.map((p) => p.id), [points])
  const data = useRef(new Map<string, [number, number][]>())
  const [version, setVersion] = useState(0)
  const history = useAsync(async () => {
    const now = Date.now()
    const r = await api.seriesBuckets({ points: ids, from: now - WINDOW_MS, to: now + 1, targetPoints: 90 })
    const m = new Map<string, [number, number][]>()
    for (const id of ids) m.set(id, [])
    for (const row of r.rows) if (row.avg !== null) m.get(row.point)?.push([row.ts, row.avg])
    data.current = m
    setVersion((v) => v + 1)
    return r
  }, [ids.join(',')])

  const onSamples = useCallback((samples: readonly Sample[]) => {
    for (const s of samples) {
      if (s.value === null) continue
      const arr = data.current.get(s.point)
      if (!arr) continue
      const last = arr[arr.length - 1]
      if (last && last[0] >= s.ts) continue
      arr.push([s.ts, s.value])
      if (arr.length > MAX_PER_SERIES) arr.splice(0, arr.length - MAX_PER_SERIES)
    }
    setVersion((v) => v + 1)
  }, [])
  const { connected } = useLive(ids, onSamples)

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` marks new data in the ref
  const option = useMemo(
    () => ({
      animation: false,
      tooltip: {
        trigger: 'axis',
        valueFormatter: (v: unknown) =>
          typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : String(v),
      },
      legend: { top: 0 },
      grid: { left: 48, right: 24, top: 36, bottom: 32 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', scale: true },
      series: points.map((p) => ({
        name: p.unit ? `${p.name} (${p.unit})` : p.name,
        type: 'line',
        // a point with few samples yet would be invisible as a bare line
        showSymbol: (data.current.get(p.id)?.length ?? 0) < 30,
        data: data.current.get(p.id) ?? [],
      })),
    }),
    [points, version],
  )
  if (history.error) return <ErrorState error={history.error} retry={history.reload} />
  if (history.loading && version === 0) return <Loading />
  return (
    <Card
      title={t('overview.live')}
      extra={
        <Tag color={connected ? 'green' : 'orange'} data-testid="live-state">
          {connected ? t('live.connected') : t('live.disconnected')}
        </Tag>
      }
    >
      <EChart option={option} style={{ height: 340 }} />
    </Card>
  )
}

export default function OverviewPage(): ReactNode {
  const { api } = useSession()
  const { t } = useI18n()
  const overview = useAsync(() => api.overview(), [])
  const points = useAsync(() => api.points({ limit: 50, sort: 'name' }), [])
  const analog = useMemo(
    () => (points.data?.items ?? []).filter((p) => p.kind === 'analog' || p.kind === 'counter').slice(0, 5),
    [points.data],
  )

  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }} data-testid="overview-page">
      <AsyncView state={overview}>
        {(o) => (
          <Row gutter={[16, 16]}>
            <Col xs={24} sm={12} xl={5}>
              <Card>
                <Statistic
                  title={t('overview.devices')}
                  value={o.devices.online}
                  suffix={`/ ${o.devices.total}`}
                  valueStyle={{ color: '#389e0d' }}
                />
              </Card>
            </Col>
            <Col xs={24} sm={12} xl={5}>
              <Card>
                <Statistic title={t('overview.points')} value={o.points} />
              </Card>
            </Col>
            <Col xs={24} sm={12} xl={5}>
              <Card>
                <Statistic
                  title={t('overview.samplesToday')}
                  value={o.samplesToday}
                  data-testid="samples-today"
                />
              </Card>
            </Col>
            <Col xs={24} sm={12} xl={5}>
              {o.activeAlarms === null ? (
                <Unavailable note={t('common.soon')} title={t('overview.alarms')} />
              ) : (
                <Card>
                  <Statistic title={t('overview.alarms')} value={o.activeAlarms} />
                </Card>
              )}
            </Col>
            <Col xs={24} sm={12} xl={4}>
              {o.energyTodayKwh === null ? (
                <Unavailable title={t('overview.energy')} note={t('overview.noMeter')} />
              ) : (
                <Card>
                  <Statistic title={t('overview.energy')} value={o.energyTodayKwh} precision={1} />
                </Card>
              )}
            </Col>
          </Row>
        )}
      </AsyncView>
      <AsyncView state={points}>
        {() =>
          analog.length === 0 ? (
            <Card title={t('overview.live')}>
              <EmptyState text={t('overview.liveEmpty')} />
            </Card>
          ) : (
            <LiveChart points={analog} />
          )
        }
      </AsyncView>
    </Space>
  )
}
