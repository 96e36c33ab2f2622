import type { EChartsType } from 'echarts/core'
import { type CSSProperties, type ReactNode, useEffect, useRef, useState } from 'react'
import { Loading } from './PageState.tsx'

/**
 * An ECharts canvas. ECharts itself is imported on first use (its own chunk), so pages without
 * charts, and the login page, never download it.
 */
export function EChart({
  option,
  onInit,
  style,
  replaceMerge,
}: {
  option: Record<string, unknown>
  onInit?: (chart: EChartsType) => void
  style?: CSSProperties
  /** components replaced (not merged) on update, e.g. ['series'] when the set of series changes */
  replaceMerge?: string[]
}): ReactNode {
  const el = useRef<HTMLDivElement>(null)
  const [chart, setChart] = useState<EChartsType>()
  const initRef = useRef(onInit)
  initRef.current = onInit

  useEffect(() => {
    let disposed = false
    let c: EChartsType | undefined
    let observer: ResizeObserver | undefined
    void import('./echarts-setup.ts').then(({ echarts }) => {
      if (disposed || !el.current) return
      c = echarts.init(el.current)
      observer = new ResizeObserver(() => c?.resize())
      observer.observe(el.current)
      initRef.current?.(c)
      setChart(c)
    })
    return () => {
      disposed = true
      observer?.disconnect()
      c?.dispose()
    }
  }, [])

  useEffect(() => {
    chart?.setOption(option, { replaceMerge })
  }, [chart, option, replaceMerge])

  return (
    <div style={{ position: 'relative', width: '100%', height: 320, ...style }}>
      <div ref={el} data-chart={chart ? 'ready' : 'loading'} style={{ position: 'absolute', inset: 0 }} />
      {chart ? null : <Loading />}
    </div>
  )
}
