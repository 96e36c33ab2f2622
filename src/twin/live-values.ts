import type { PointId, Sample, TenantId } from '../core/index.ts'
import { type Bus, Subjects } from '../bus/index.ts'

export type LiveListener = (tenant: TenantId, samples: readonly Sample[]) => void

/**
 * The digital twin's live layer: the newest sample of every point seen since start, per tenant, and
 * fan-out of new samples to listeners (the WebSocket) for the points they watch.
 */
export interface LiveValues {
  latest(tenant: TenantId, points: readonly PointId[]): Map<PointId, Sample>
  /** calls `listener` with the samples of `points` (of that tenant only) as they arrive; returns unsubscribe */
  watch(
    tenant: TenantId,
    points: ReadonlySet<PointId>,
    listener: (samples: readonly Sample[]) => void,
  ): () => void
  stop(): void
}

export function createLiveValues(bus: Bus): LiveValues {
  const latest = new Map<TenantId, Map<PointId, Sample>>()
  const watchers = new Map<
    TenantId,
    Set<{ points: ReadonlySet<PointId>; listener: (s: readonly Sample[]) => void }>
  >()

  const unsubscribe = bus.subscribe<{ tenant: TenantId; samples: readonly Sample[] }>(
    Subjects.sampleIngestedAll,
    ({ data }) => {
      let m = latest.get(data.tenant)
      if (!m) {
        m = new Map()
        latest.set(data.tenant, m)
      }
      for (const s of data.samples) {
        const prev = m.get(s.point)
        if (!prev || prev.ts <= s.ts) m.set(s.point, s)
      }
      const ws = watchers.get(data.tenant)
      if (!ws) return
      for (const w of ws) {
        const mine = data.samples.filter((s) => w.points.has(s.point))
        if (mine.length > 0) w.listener(mine)
      }
    },
  )

  return {
    latest(tenant, points) {
      const m = latest.get(tenant)
      const out = new Map<PointId, Sample>()
      if (!m) return out
      for (const p of points) {
        const s = m.get(p)
        if (s) out.set(p, s)
      }
      return out
    },
    watch(tenant, points, listener) {
      let ws = watchers.get(tenant)
      if (!ws) {
        ws = new Set()
        watchers.set(tenant, ws)
      }
      const w = { points, listener }
      ws.add(w)
      return () => {
        ws?.delete(w)
      }
    },
    stop() {
      unsubscribe()
      watchers.clear()
    },
  }
}
