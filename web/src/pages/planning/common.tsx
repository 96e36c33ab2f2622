import type { ReactNode } from 'react'
import { useMemo, useRef } from 'react'
import type { Asset, Page } from '../../api/types.ts'
import { EChart } from '../../components/EChart.tsx'
import { useAsync } from '../../components/use-async.ts'
import { useSession } from '../../session.tsx'
import type { GanttOperation, Outage } from './types.ts'

/** The enterprise's equipment assets (the machines a routing may name), with a name lookup. */
export function useEquipment(): {
  equipment: Asset[] | undefined
  error: Error | undefined
  reload(): void
  nameOf(id: string): string
} {
  const { api, tenant } = useSession()
  const s = useAsync(
    () => api.request<Page<Asset>>('assets', { query: { level: 'equipment', limit: 1000 } }),
    [api, tenant],
  )
  const names = useMemo(() => new Map((s.data?.items ?? []).map((a) => [a.id, a.name])), [s.data])
  return {
    equipment: s.data?.items,
    error: s.error,
    reload: s.reload,
    nameOf: (id) => names.get(id) ?? id,
  }
}

/** `<input type="datetime-local" step="1">` value (to the second) in the browser's time zone, and back. */
export function toLocalInput(ts: number): string {
  const d = new Date(ts - new Date(ts).getTimezoneOffset() * 60_000)
  return d.toISOString().slice(0, 19)
}
export function fromLocalInput(v: string): number {
  return new Date(v).getTime()
}

export function opKey(o: { orderId: string; step: number }): string {
  return `${o.orderId}#${o.step}`
}

const PALETTE = ['#5470c6', '#91cc75', '#fac858', '#73c0de', '#3ba272', '#fc8452', '#9a60b4', '#ea7ccc']

/**
 * A Gantt chart on an ECharts custom series: one row per machine (or per order), one bar per
 * operation coloured by order; conflicting operations are drawn red with a thick border, the selected
 * one with a dark border, outages as grey hatched bands.
 */
export function GanttChart({
  operations,
  outages = [],
  by,
  nameOf,
  orderLabel,
  conflicted = new Set<string>(),
  selected,
  onSelect,
  height,
  testId,
}: {
  operations: readonly GanttOperation[]
  outages?: readonly Outage[]
  by: 'machine' | 'order'
  nameOf(equipment: string): string
  orderLabel(orderId: string): string
  conflicted?: ReadonlySet<string>
  selected?: string
  onSelect?(key: string): void
  height?: number
  testId?: string
}): ReactNode {
  // the click handler is bound once, at init: it reads the current operations through a ref
  const current = useRef({ operations, onSelect })
  current.current = { operations, onSelect }
  const rows = useMemo(() => {
    const ids = [...new Set(operations.map((o) => (by === 'machine' ? o.equipment : o.orderId)))].sort()
    return ids
  }, [operations, by])
  const orders = useMemo(() => [...new Set(operations.map((o) => o.orderId))].sort(), [operations])
  const option = useMemo(() => {
    const rowOf = (o: GanttOperation) => rows.indexOf(by === 'machine' ? o.equipment : o.orderId)
    const bars = operations.map((o, i) => ({
      value: [rowOf(o), o.start - o.setupMs, o.end, i],
      itemStyle: {
        color: conflicted.has(opKey(o)) ? '#ff4d4f' : PALETTE[orders.indexOf(o.orderId) % PALETTE.length],
        // two conflicting bars on one row stay visible through each other
        opacity: conflicted.has(opKey(o)) ? 0.75 : 1,
        borderColor: conflicted.has(opKey(o)) ? '#a8071a' : selected === opKey(o) ? '#000' : 'transparent',
        borderWidth: conflicted.has(opKey(o)) || selected === opKey(o) ? 3 : 0,
      },
    }))
    const down =
      by === 'machine'
        ? outages
            .filter((x) => rows.includes(x.equipment))
            .map((x) => ({ value: [rows.indexOf(x.equipment), x.from, x.to] }))
        : []
    const starts = operations.map((o) => o.start - o.setupMs)
    const ends = operations.map((o) => o.end)
    const min = Math.min(...starts, ...down.map((d) => d.value[1] ?? 0))
    const max = Math.max(...ends, ...down.map((d) => d.value[2] ?? 0))
    const pad = Math.max(60_000, (max - min) * 0.03)
    type Api = {
      value(i: number): number
      coord(v: [number, number]): [number, number]
      size(v: [number, number]): [number, number]
      style(): Record<string, unknown>
    }
    type Params = { coordSys: { x: number; y: number; width: number; height: number } }
    const rect = (params: Params, api: Api, shrink: number) => {
      const row = api.value(0)
      const [x0, y] = api.coord([api.value(1), row])
      const [x1] = api.coord([api.value(2), row])
      const h = api.size([0, 1])[1] * shrink
      const c = params.coordSys
      const left = Math.max(x0, c.x)
      const right = Math.min(x1, c.x + c.width)
      if (right <= left) return undefined
      return { x: left, y: y - h / 2, width: right - left, height: h }
    }
    return {
      animation: false,
      grid: { left: 150, right: 24, top: 16, bottom: 56 },
      tooltip: {
        formatter: (p: { seriesIndex: number; value: number[] }) => {
          if (p.seriesIndex !== 0) return ''
          const o = operations[p.value[3] ?? -1]
          if (!o) return ''
          const t = (x: number) => new Date(x).toLocaleString(undefined, { hour12: false })
          return `${orderLabel(o.orderId)} · ${o.operation}<br/>${nameOf(o.equipment)}<br/>${t(o.start)} – ${t(o.end)}`
        },
      },
      xAxis: { type: 'time', min: min - pad, max: max + pad },
      yAxis: {
        type: 'category',
        inverse: true,
        data: rows.map((r) => (by === 'machine' ? nameOf(r) : orderLabel(r))),
      },
      dataZoom: [
        { type: 'inside', filterMode: 'weakFilter' },
        { type: 'slider', filterMode: 'weakFilter', height: 18, bottom: 8 },
      ],
      series: [
        {
          type: 'custom',
          name: 'operations',
          encode: { x: [1, 2], y: 0 },
          renderItem: (params: Params, api: Api) => {
            const shape = rect(params, api, 0.6)
            if (!shape) return null
            return { type: 'rect', shape, style: api.style() }
          },
          data: bars,
        },
        {
          type: 'custom',
          name: 'outages',
          silent: true,
          encode: { x: [1, 2], y: 0 },
          renderItem: (params: Params, api: Api) => {
            const shape = rect(params, api, 0.9)
            if (!shape) return null
            return {
              type: 'rect',
              shape,
              style: { fill: 'rgba(0,0,0,0.12)', stroke: '#595959', lineDash: [4, 3], lineWidth: 1 },
            }
          },
          data: down,
        },
      ],
    }
  }, [operations, outages, rows, orders, by, conflicted, selected, nameOf, orderLabel])
  return (
    <div data-testid={testId} data-gantt-rows={rows.length} data-gantt-bars={operations.length}>
      <EChart
        option={option}
        replaceMerge={['series']}
        style={{ height: height ?? Math.max(200, rows.length * 44 + 80) }}
        onInit={(chart) => {
          chart.on('click', (p) => {
            const i = (p.value as number[] | undefined)?.[3]
            const o = i === undefined ? undefined : current.current.operations[i]
            if (p.seriesIndex === 0 && o) current.current.onSelect?.(opKey(o))
          })
        }}
      />
    </div>
  )
}
