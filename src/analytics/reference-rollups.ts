import type { PointId, Sample, TenantId } from '../core/index.ts'
import type {
  CounterIncreaseRow,
  MeterBucketRow,
  MeterConsumption,
  MeterQuery,
  MeterRegister,
  SeriesRollups,
  SeriesStore,
  StateDurationRow,
} from '../store/series/series-store.ts'
import { AnalyticsErrorCode, analyticsError } from './analytics-errors.ts'
import { counterDeltas, DEFAULT_INTERVAL_MS } from './energy/counter-deltas.ts'
import type { MachineState } from './oee/compute-oee.ts'
import { samplesToIntervals } from './oee/state-samples.ts'

/**
 * SeriesRollups computed in this process from range reads and the module's pure functions
 * (counterDeltas, samplesToIntervals). Used where the series store has no native rollups, and as the
 * reference that a store's set-based rollups are tested against.
 */
export function referenceRollups(series: SeriesStore): SeriesRollups {
  async function readAll(tenant: TenantId, point: PointId, from: number, to: number): Promise<Sample[]> {
    const out: Sample[] = []
    let cursor = from
    for (;;) {
      const r = await series.range(tenant, { point, from: cursor, to, order: 'asc' })
      out.push(...r.samples)
      const last = r.samples[r.samples.length - 1]
      if (!r.truncated || last === undefined) return out
      cursor = last.ts + 1
    }
  }
  const bucketOf = (ts: number, B: number, O: number): number => ts - ((((ts - O) % B) + B) % B)

  async function meter(
    list: readonly { tenant: TenantId; point: PointId }[],
    q: MeterQuery,
  ): Promise<MeterConsumption> {
    const I = q.intervalMs ?? DEFAULT_INTERVAL_MS
    const B = q.bucketMs
    const O = q.originMs ?? 0
    const rows: MeterBucketRow[] = []
    const registers: MeterRegister[] = []
    for (const { tenant, point } of list) {
      const readings = await readAll(tenant, point, q.from - I, q.to + I)
      if (readings.length === 0) continue
      const d = counterDeltas(readings, {
        from: q.from,
        to: q.to,
        intervalMs: I,
        ...(q.rolloverMax === undefined ? {} : { rolloverMax: q.rolloverMax }),
      })
      const byBucket = new Map<number, { v: number; complete: number; covered: number }>()
      for (const iv of d.intervals) {
        if (iv.status === 'missing') continue
        const b = bucketOf(iv.start, B, O)
        const cur = byBucket.get(b) ?? { v: 0, complete: 0, covered: 0 }
        cur.v += iv.delta ?? 0
        cur.covered++
        if (iv.status === 'complete') cur.complete++
        byBucket.set(b, cur)
      }
      for (const [bucket, x] of [...byBucket.entries()].sort((a, b) => a[0] - b[0])) {
        rows.push({
          tenant,
          point,
          bucket,
          consumption: x.v,
          completeIntervals: x.complete,
          coveredIntervals: x.covered,
        })
      }
      // the register difference: the gap-free total plus each long gap's known delta, by time
      let register = d.total
      for (const g of d.gaps) {
        if (g.reason !== 'long-gap' || g.delta === null) continue
        const overlap = Math.min(g.to, q.to) - Math.max(g.from, q.from)
        if (overlap > 0) register += (g.delta * overlap) / (g.to - g.from)
      }
      registers.push({ tenant, point, registerDelta: register })
    }
    return { rows, registers }
  }

  return {
    async stateDurations(tenant, q) {
      const B = q.bucketMs
      const O = q.originMs ?? 0
      if (q.maxHoldMs > B) throw analyticsError(AnalyticsErrorCode.invalidOption, 'maxHoldMs > bucketMs')
      const states = new Set(q.states)
      const acc = new Map<string, StateDurationRow & { durationMs: number; runs: number }>()
      const ignored = new Map<PointId, number>()
      for (const point of q.points) {
        const samples = await readAll(tenant, point, q.from - q.maxHoldMs, q.to)
        const kept: { ts: number; state: MachineState }[] = []
        let unknown = 0
        for (const s of samples) {
          if (s.quality === 'bad') continue
          if (typeof s.text === 'string' && states.has(s.text)) {
            kept.push({ ts: s.ts, state: s.text as MachineState })
          } else unknown++
        }
        if (unknown > 0) ignored.set(point, unknown)
        const add = (bucket: number, state: string, d: number, runs: number): void => {
          const key = `${point}\u0000${bucket}\u0000${state}`
          const r = acc.get(key) ?? { point, bucket, state, durationMs: 0, runs: 0 }
          r.durationMs += d
          r.runs += runs
          acc.set(key, r)
        }
        // samplesToIntervals merges a run of one state into one interval; validate only known states
        const intervals = samplesToIntervals(point, kept, { maxHoldMs: q.maxHoldMs })
        for (const iv of intervals) {
          let first = true
          let s = Math.max(iv.start, q.from)
          const e = Math.min(iv.end, q.to)
          while (s < e) {
            const b = bucketOf(s, B, O)
            const pieceEnd = Math.min(e, b + B)
            add(b, iv.state, pieceEnd - s, first ? 1 : 0)
            first = false
            s = pieceEnd
          }
        }
      }
      return { rows: [...acc.values()], ignored }
    },

    async counterIncreases(tenant, q) {
      const B = q.bucketMs
      const O = q.originMs ?? 0
      const out: CounterIncreaseRow[] = []
      for (const point of q.points) {
        const good = (await readAll(tenant, point, q.from - q.lookbackMs, q.to)).filter(
          (x) => x.quality !== 'bad' && typeof x.value === 'number',
        )
        const byBucket = new Map<number, number>()
        for (let i = 1; i < good.length; i++) {
          const prev = good[i - 1]?.value as number
          const cur = good[i]?.value as number
          const ts = good[i]?.ts as number
          const n = cur >= prev ? cur - prev : cur
          if (n > 0 && ts >= q.from)
            byBucket.set(bucketOf(ts, B, O), (byBucket.get(bucketOf(ts, B, O)) ?? 0) + n)
        }
        for (const [bucket, increase] of byBucket) out.push({ point, bucket, increase })
      }
      return out
    },

    meterConsumption(tenant, q) {
      return meter(
        q.points.map((point) => ({ tenant, point })),
        q,
      )
    },

    meterConsumptionForPlatform(q) {
      return meter(q.series, q)
    },
  }
}
