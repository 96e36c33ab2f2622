import { ArrowLeftOutlined, DownloadOutlined } from '@ant-design/icons'
import { App, Button, Card, DatePicker, Descriptions, Segmented, Space, Tag, Typography } from 'antd'
import type { EChartsType } from 'echarts/core'
import dayjs from 'dayjs'
import { type ReactNode, useEffect, useMemo, useRef, useState } from 'react'
import { Link, useParams, useSearchParams } from 'react-router'
import type { Point } from '../../api/types.ts'
import { EChart } from '../../components/EChart.tsx'
import { AsyncView, EmptyState, ErrorState } from '../../components/PageState.tsx'
import { useAsync, useNow } from '../../components/use-async.ts'
import { useLive } from '../../components/use-live.ts'
import { formatDuration, formatTime, relativeTime, useI18n } from '../../i18n.tsx'
import { useSession } from '../../session.tsx'
import { QualityTag } from '../assets/quality.tsx'
import { loadHistory } from './history.ts'

const fmt = (v: unknown): string =>
  typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : String(v ?? '—')

type Preset = 'hour' | 'day' | 'week' | 'custom'
const SPAN: Record<Exclude<Preset, 'custom'>, number> = {
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
}

// start fetching ECharts as soon as this page's code runs, in parallel with the page's first queries
void import('../../components/echarts-setup.ts')

/** The history chart. It needs only the point's id to start loading, so it runs in parallel with the point's metadata. */
function History({ id, point }: { id: string; point: Point | undefined }): ReactNode {
  const { api } = useSession()
  const { t, lang } = useI18n()
  const { message } = App.useApp()
  // ?from=…&to=… (epoch ms) opens a custom range, so a history view can be linked to
  const [search] = useSearchParams()
  const linked = { from: Number(search.get('from')), to: Number(search.get('to')) }
  const hasLink =
    Number.isFinite(linked.from) && Number.isFinite(linked.to) && linked.from > 0 && linked.from < linked.to
  const [preset, setPreset] = useState<Preset>(hasLink ? 'custom' : 'hour')
  const [full, setFull] = useState(() => {
    if (hasLink) return linked
    const to = Date.now() + 1
    return { from: to - SPAN.hour, to }
  })
  const [view, setView] = useState(full)
  const chart = useRef<EChartsType>(undefined)
  const debounce = useRef<ReturnType<typeof setTimeout>>(undefined)
  const fullRef = useRef(full)
  fullRef.current = full

  const data = useAsync(() => loadHistory(api, id, view.from, view.to), [id, view.from, view.to])

  const choose = (p: Preset): void => {
    setPreset(p)
    if (p === 'custom') return
    const to = Date.now() + 1
    const w = { from: to - SPAN[p], to }
    setFull(w)
    setView(w)
  }

  const onInit = (c: EChartsType): void => {
    chart.current = c
    c.on('datazoom', () => {
      const dz = (c.getOption() as { dataZoom?: { start?: number; end?: number }[] }).dataZoom?.[0]
      if (!dz) return
      const f = fullRef.current
      const span = f.to - f.from
      const from = Math.floor(f.from + (span * (dz.start ?? 0)) / 100)
      const to = Math.ceil(f.from + (span * (dz.end ?? 100)) / 100)
      clearTimeout(debounce.current)
      debounce.current = setTimeout(() => setView({ from, to: Math.max(to, from + 1) }), 250)
    })
  }
  useEffect(() => () => clearTimeout(debounce.current), [])

  const d = data.data
  const option = useMemo(() => {
    const span = full.to - full.from
    const name = point?.unit ? `${point.name} (${point.unit})` : (point?.name ?? id)
    // the same three series (by id) in both modes: replacing series under a visible tooltip trips ECharts
    const bucketed = d?.mode === 'bucketed'
    const main = bucketed ? t('history.avg') : name
    const series = [
      {
        id: 'main',
        name: main,
        type: 'line',
        showSymbol: !bucketed && (d?.values.length ?? 0) < 200,
        data: d?.mode === 'bucketed' ? d.avg : (d?.values ?? []),
        lineStyle: { width: 1.5 },
      },
      {
        id: 'min',
        name: t('history.min'),
        type: 'line',
        showSymbol: false,
        data: d?.mode === 'bucketed' ? d.min : [],
        lineStyle: { width: 0.8, opacity: 0.5 },
      },
      {
        id: 'max',
        name: t('history.max'),
        type: 'line',
        showSymbol: false,
        data: d?.mode === 'bucketed' ? d.max : [],
        lineStyle: { width: 0.8, opacity: 0.5 },
      },
    ]
    return {
      animation: false,
      tooltip: { trigger: 'axis', valueFormatter: fmt },
      legend: { top: 0, data: bucketed ? [main, t('history.min'), t('history.max')] : [main] },
      grid: { left: 56, right: 32, top: 36, bottom: 72 },
      xAxis: { type: 'time', min: full.from, max: full.to },
      yAxis: { type: 'value', scale: true, name: point?.unit ?? '' },
      dataZoom: [
        {
          type: 'inside',
          filterMode: 'none',
          start: ((view.from - full.from) / span) * 100,
          end: ((view.to - full.from) / span) * 100,
        },
        {
          type: 'slider',
          filterMode: 'none',
          start: ((view.from - full.from) / span) * 100,
          end: ((view.to - full.from) / span) * 100,
        },
      ],
      series,
    }
  }, [d, full, view, point, t, id])

  const exportCsv = async (): Promise<void> => {
    try {
      const blob = await api.exportCsv(id, view)
      const a = document.createElement('a')
      a.href = URL.createObjectURL(blob)
      a.download = `${point?.name ?? id}.csv`
      a.click()
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
    } catch (e) {
      void message.error((e as Error).message)
    }
  }

  return (
    <Card
      title={t('history.title')}
      extra={
        <Space wrap>
          <Segmented<Preset>
            data-testid="range-preset"
            value={preset}
            onChange={choose}
            options={[
              { value: 'hour', label: t('history.hour') },
              { value: 'day', label: t('history.day') },
              { value: 'week', label: t('history.week') },
              { value: 'custom', label: t('history.custom') },
            ]}
          />
          {preset === 'custom' ? (
            <DatePicker.RangePicker
              showTime
              value={[dayjs(full.from), dayjs(full.to)]}
              onChange={(v) => {
                if (!v?.[0] || !v[1]) return
                const w = { from: v[0].valueOf(), to: v[1].valueOf() }
                if (w.from >= w.to) return
                setFull(w)
                setView(w)
              }}
            />
          ) : null}
          <Button icon={<DownloadOutlined />} onClick={() => void exportCsv()} data-testid="export-csv">
            {t('history.export')}
          </Button>
        </Space>
      }
    >
      <Space style={{ marginBottom: 8 }} wrap>
        {d ? (
          <Tag color={d.mode === 'raw' ? 'green' : 'blue'} data-testid="history-mode" data-mode={d.mode}>
            {d.mode === 'raw'
              ? t('history.raw')
              : t('history.bucketed', { size: formatDuration(lang, d.bucketMs) })}
          </Tag>
        ) : null}
        {d ? (
          <Typography.Text type="secondary">
            {t('history.samples', { n: d.count.toLocaleString(lang) })}
          </Typography.Text>
        ) : null}
        <Typography.Text type="secondary">
          {formatTime(lang, view.from)} — {formatTime(lang, view.to)}
        </Typography.Text>
        <Typography.Text type="secondary">· {t('history.zoomHint')}</Typography.Text>
      </Space>
      {data.error ? <ErrorState error={data.error} retry={data.reload} /> : null}
      {d && d.count === 0 && !data.loading ? <EmptyState text={t('history.noData')} /> : null}
      <div
        data-testid="history-chart"
        data-loading={data.loading ? 'true' : 'false'}
        style={{ opacity: data.loading ? 0.6 : 1 }}
      >
        <EChart option={option} onInit={onInit} style={{ height: 420 }} />
      </div>
    </Card>
  )
}

export default function PointDetailPage(): ReactNode {
  const { id = '' } = useParams()
  const { api } = useSession()
  const { t, lang } = useI18n()
  const now = useNow()
  const point = useAsync(() => api.point(id), [id])
  const ids = useMemo(() => [id], [id])
  const { latest } = useLive(ids)
  const s = latest.get(id)
  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }} data-testid="point-page">
      <AsyncView state={point}>
        {(p) => (
          <>
            <Card
              title={
                <Space>
                  <Link to="/assets">
                    <ArrowLeftOutlined />
                  </Link>
                  {p.name}
                </Space>
              }
            >
              <Descriptions size="small" column={{ xs: 1, md: 3 }}>
                <Descriptions.Item label={t('point.value')}>
                  <Typography.Text strong data-testid="point-value">
                    {s ? (s.text ?? s.value ?? '—') : '—'} {p.unit ?? ''}
                  </Typography.Text>
                </Descriptions.Item>
                <Descriptions.Item label={t('point.quality')}>
                  <QualityTag quality={s?.quality} />
                </Descriptions.Item>
                <Descriptions.Item label={t('point.lastSeen')}>
                  {s ? relativeTime(lang, s.ts, now) : t('common.never')}
                </Descriptions.Item>
                <Descriptions.Item label={t('common.key')}>
                  <Typography.Text code>{p.key}</Typography.Text>
                </Descriptions.Item>
                <Descriptions.Item label={t('devices.kind')}>
                  {p.kind} · {p.dataType}
                </Descriptions.Item>
                <Descriptions.Item label="ID">
                  <Typography.Text copyable>{p.id}</Typography.Text>
                </Descriptions.Item>
              </Descriptions>
            </Card>
          </>
        )}
      </AsyncView>
      {point.error ? null : <History id={id} point={point.data} />}
    </Space>
  )
}
