import type {
  Clock,
  DataType,
  DeviceId,
  Point,
  PointKind,
  Sample,
  TenantId,
  TenantSample,
} from '../core/index.ts'
import { isRongheError } from '../core/index.ts'
import { type Bus, DEFAULT_RULE_PARTITIONS, partitionOf, Subjects } from '../bus/index.ts'
import type { MetaStore, NewPoint } from '../store/meta/index.ts'
import type { SeriesStore } from '../store/series/series-store.ts'
import { IngestErrors } from './ingest-errors.ts'
import type { IngestResult, IngestSink, RawValue } from './ingest-sink.ts'
import type { WriteAheadLog } from './wal/write-ahead-log.ts'

export interface IngestPipelineDeps {
  readonly meta: MetaStore
  readonly series: SeriesStore
  readonly wal: WriteAheadLog
  readonly bus: Bus
  readonly clock: Clock
  readonly config: { readonly maxBatch: number; readonly autoRegisterPoints: boolean }
  readonly log: { warn(msg: string, extra?: unknown): void; error(msg: string, extra?: unknown): void }
  /**
   * samples waiting to be written to the series store before writers are made to wait (default 50,000:
   * well under half a second of full load, so that acknowledged data is also queryable within a second and
   * an overloaded store slows acknowledgements instead of letting the lag grow)
   */
  readonly maxQueued?: number
  /**
   * rule partitions (`RONGHE_RULE_PARTITIONS`, default 16): a tenant's samples are announced on its
   * partition's subject, so that one node of a cluster evaluates them in order
   */
  readonly rulePartitions?: number
}

export interface PointDefinition {
  readonly key: string
  readonly name?: string
  readonly unit?: string | null
  readonly dataType: DataType
  readonly kind: PointKind
  readonly description?: string | null
}

export interface IngestPipeline extends IngestSink {
  /** replays what the write-ahead log holds from before a crash; resolves when it is queryable */
  start(): Promise<void>
  /** creates the points of a device that do not exist yet (Sparkplug BIRTH); returns every point by key */
  registerPoints(
    tenant: TenantId,
    device: DeviceId,
    defs: readonly PointDefinition[],
  ): Promise<ReadonlyMap<string, Point>>
  /** the device's points by key, from the cache */
  pointsByKey(tenant: TenantId, device: DeviceId): Promise<ReadonlyMap<string, Point>>
  /** writes already-bound samples; resolves when durable */
  writeSamples(tenant: TenantId, samples: readonly Sample[]): Promise<void>
  /** forget a device's cached binding (its points changed) */
  invalidate(tenant: TenantId, device: DeviceId): void
  /** resolves when everything acknowledged so far is queryable in the series store */
  drained(): Promise<void>
  /**
   * resolves when everything accepted before the call is in the series store — unlike drained(),
   * it does not wait for what others write after the call, so it cannot starve under load
   */
  appliedSoFar(): Promise<void>
  stats(): {
    accepted: number
    rejected: number
    queued: number
    applied: number
    lastApplyError: string | null
  }
  stop(): Promise<void>
}

const YEAR_2000 = 946_684_800_000
const DAY = 86_400_000

function inferDefinition(key: string, v: RawValue['value']): PointDefinition {
  if (typeof v === 'boolean') return { key, dataType: 'bool', kind: 'state' }
  if (typeof v === 'string') return { key, dataType: 'string', kind: 'text' }
  return { key, dataType: 'float64', kind: 'analog' }
}

/**
 * The ingest pipeline: binds raw values to points, makes them durable in the write-ahead log (the
 * moment a device may be acknowledged), announces them on the bus for live views and rules, and
 * applies them to the series store in large batches behind the acknowledgement.
 */
export function createIngestPipeline(deps: IngestPipelineDeps): IngestPipeline {
  const { meta, series, wal, bus, clock, log } = deps
  const maxQueued = deps.maxQueued ?? 50_000
  const rulePartitions = deps.rulePartitions ?? DEFAULT_RULE_PARTITIONS
  // a bad count must stop the start, not fail every publish later
  partitionOf('', rulePartitions)
  // the log's sequence numbers are this process's: the process id makes announcements' ids unique
  const announceId = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  const sampleSubjects = new Map<TenantId, string>()
  const sampleSubject = (tenant: TenantId): string => {
    let s = sampleSubjects.get(tenant)
    if (s === undefined) {
      s = Subjects.sampleIngestedFor(tenant, rulePartitions)
      sampleSubjects.set(tenant, s)
    }
    return s
  }
  const bindings = new Map<string, Promise<Map<string, Point>>>()
  const queue: { lsn: number; rows: readonly TenantSample[] }[] = []
  let queued = 0
  let applied = 0
  let accepted = 0
  let rejectedCount = 0
  let lastApplyError: string | null = null
  let applying = false
  let stopped = false
  let drainWaiters: (() => void)[] = []
  // queue entries ever pushed and ever applied (the queue is FIFO, so positions are exact)
  let entriesPushed = 0
  let entriesApplied = 0
  let appliedWaiters: { upTo: number; resolve: () => void }[] = []
  let spaceWaiters: (() => void)[] = []

  const cacheKey = (tenant: TenantId, device: DeviceId): string => `${tenant}\u0000${device}`

  function pointsByKey(tenant: TenantId, device: DeviceId): Promise<Map<string, Point>> {
    const k = cacheKey(tenant, device)
    let p = bindings.get(k)
    if (!p) {
      p = meta.pointsOfDevice(tenant, device).then((pts) => new Map(pts.map((pt) => [pt.key, pt])))
      p.catch(() => bindings.delete(k))
      bindings.set(k, p)
    }
    return p
  }

  async function registerPoints(
    tenant: TenantId,
    device: DeviceId,
    defs: readonly PointDefinition[],
  ): Promise<Map<string, Point>> {
    const current = await pointsByKey(tenant, device)
    const missing: NewPoint[] = []
    const seen = new Set<string>()
    for (const d of defs) {
      if (current.has(d.key) || seen.has(d.key)) continue
      seen.add(d.key)
      missing.push({
        deviceId: device,
        key: d.key,
        name: d.name ?? d.key,
        unit: d.unit ?? null,
        dataType: d.dataType,
        kind: d.kind,
        description: d.description ?? null,
      })
    }
    if (missing.length === 0) return current
    // new points sit on the device's asset until someone moves them
    const home = await meta.getDevice(tenant, device).then(
      (d) => d.assetId,
      () => null,
    )
    for (let i = 0; i < missing.length; i++) missing[i] = { ...(missing[i] as NewPoint), assetId: home }
    try {
      const created = await meta.createPoints(tenant, missing)
      for (const p of created) current.set(p.key, p)
      void bus.publish(Subjects.pointRegistered, { tenant, device, points: created.map((p) => p.id) })
    } catch (err) {
      // a concurrent registration won the race: reload the binding from the store
      if (isRongheError(err) && err.code === 'STORE_CONFLICT') {
        bindings.delete(cacheKey(tenant, device))
        return pointsByKey(tenant, device)
      }
      throw err
    }
    return current
  }

  function toSample(point: Point, raw: RawValue): Sample | string {
    const v = raw.value
    if (
      typeof raw.ts !== 'number' ||
      !Number.isFinite(raw.ts) ||
      raw.ts < YEAR_2000 ||
      raw.ts > clock.now() + DAY
    ) {
      return 'ts'
    }
    const quality = raw.quality ?? 'good'
    if (v === null) return { point: point.id, ts: raw.ts, value: null, quality }
    if (typeof v === 'boolean') return { point: point.id, ts: raw.ts, value: v ? 1 : 0, quality }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return 'value'
      return { point: point.id, ts: raw.ts, value: v, quality }
    }
    if (typeof v === 'string') {
      if (point.kind !== 'text' && v.trim() !== '' && Number.isFinite(Number(v))) {
        return { point: point.id, ts: raw.ts, value: Number(v), quality }
      }
      if (v.length > 4096) return 'value'
      return { point: point.id, ts: raw.ts, value: null, text: v, quality }
    }
    return 'value'
  }

  async function waitForSpace(): Promise<void> {
    while (queued > maxQueued && !stopped) await new Promise<void>((r) => spaceWaiters.push(r))
  }

  async function writeSamples(tenant: TenantId, samples: readonly Sample[]): Promise<void> {
    if (samples.length === 0) return
    if (stopped) throw IngestErrors.overloaded()
    await waitForSpace()
    const rows: TenantSample[] = samples.map((s) => ({ ...s, tenant }))
    const lsn = await wal.append(rows)
    queue.push({ lsn, rows })
    entriesPushed++
    queued += rows.length
    accepted += rows.length
    announce(tenant, samples, lsn)
    if (!applying) void applyLoop()
  }

  /**
   * Tells the bus (rules, live values) about samples made durable. On NATS the rules take them from
   * a stream, so a publish that failed (a stream leader moving after a NATS node died) is tried again,
   * with the same id so that JetStream stores it once if the first attempt did land after all.
   */
  function announce(tenant: TenantId, samples: readonly Sample[], lsn: number): void {
    const subject = sampleSubject(tenant)
    const id = `${announceId}-${lsn}`
    void (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await bus.publish(subject, { tenant, samples }, { id })
          return
        } catch (err) {
          if (attempt >= 5 || stopped) {
            log.error('samples stored but not announced: rules will not evaluate them', {
              tenant,
              samples: samples.length,
              error: String(err),
            })
            return
          }
          await new Promise((r) => setTimeout(r, 250 * attempt))
        }
      }
    })()
  }

  async function applyLoop(): Promise<void> {
    applying = true
    let backoff = 50
    try {
      while (queue.length > 0) {
        const batch: TenantSample[] = []
        let upTo = 0
        let take = 0
        while (
          take < queue.length &&
          (batch.length === 0 || batch.length + (queue[take]?.rows.length ?? 0) <= deps.config.maxBatch)
        ) {
          const e = queue[take] as { lsn: number; rows: readonly TenantSample[] }
          for (const r of e.rows) batch.push(r)
          upTo = e.lsn
          take++
        }
        try {
          await series.appendForPlatform(batch)
          lastApplyError = null
          backoff = 50
        } catch (err) {
          // the samples are safe in the write-ahead log; keep them queued and retry
          lastApplyError = String((err as Error)?.message ?? err)
          log.error('series store append failed; retrying', { error: lastApplyError, rows: batch.length })
          if (stopped) return
          await new Promise((r) => setTimeout(r, backoff))
          backoff = Math.min(backoff * 2, 5000)
          continue
        }
        queue.splice(0, take)
        queued -= batch.length
        applied += batch.length
        wal.checkpoint(upTo)
        entriesApplied += take
        if (appliedWaiters.length > 0) {
          const due = appliedWaiters.filter((w) => w.upTo <= entriesApplied)
          appliedWaiters = appliedWaiters.filter((w) => w.upTo > entriesApplied)
          for (const w of due) w.resolve()
        }
        if (queued <= maxQueued && spaceWaiters.length > 0) {
          const w = spaceWaiters
          spaceWaiters = []
          for (const r of w) r()
        }
      }
    } finally {
      applying = false
      if (queue.length === 0) {
        const w = drainWaiters
        drainWaiters = []
        for (const r of w) r()
      }
    }
  }

  const pipeline: IngestPipeline = {
    async start(): Promise<void> {
      const rec = wal.recovered()
      if (rec.length === 0) return
      let rows = 0
      for (const r of rec) {
        queue.push({ lsn: r.lsn, rows: r.rows })
        entriesPushed++
        queued += r.rows.length
        rows += r.rows.length
      }
      log.warn(`replaying ${rows} samples from the write-ahead log (the last run did not stop cleanly)`)
      await pipeline.drained()
    },

    async write(tenant: TenantId, device: DeviceId, values: readonly RawValue[]): Promise<IngestResult> {
      const rejected: { key: string; code: string; message: string }[] = []
      let points = await pointsByKey(tenant, device)
      const unknown = values.filter((v) => !points.has(v.key))
      if (unknown.length > 0 && deps.config.autoRegisterPoints) {
        points = await registerPoints(
          tenant,
          device,
          unknown.map((u) => inferDefinition(u.key, u.value)),
        )
      }
      const samples: Sample[] = []
      for (const raw of values) {
        const point = points.get(raw.key)
        if (!point) {
          const e = IngestErrors.unknownPoint(raw.key)
          rejected.push({ key: raw.key, code: e.code, message: e.message })
          continue
        }
        const s = toSample(point, raw)
        if (typeof s === 'string') {
          const e =
            s === 'ts'
              ? IngestErrors.badTimestamp(raw.key, raw.ts)
              : IngestErrors.badValue(raw.key, raw.value)
          rejected.push({ key: raw.key, code: e.code, message: e.message })
          continue
        }
        samples.push(s)
      }
      rejectedCount += rejected.length
      await writeSamples(tenant, samples)
      return { accepted: samples.length, rejected }
    },

    registerPoints,
    pointsByKey,
    writeSamples,
    invalidate(tenant: TenantId, device: DeviceId): void {
      bindings.delete(cacheKey(tenant, device))
    },
    drained(): Promise<void> {
      if (queue.length === 0 && !applying) return Promise.resolve()
      if (!applying) void applyLoop()
      return new Promise<void>((r) => drainWaiters.push(r))
    },
    appliedSoFar(): Promise<void> {
      if (queue.length === 0) return Promise.resolve()
      if (!applying) void applyLoop()
      const upTo = entriesPushed
      return new Promise<void>((resolve) => appliedWaiters.push({ upTo, resolve }))
    },
    stats: () => ({ accepted, rejected: rejectedCount, queued, applied, lastApplyError }),
    async stop(): Promise<void> {
      if (queue.length > 0) await pipeline.drained()
      stopped = true
      for (const r of spaceWaiters) r()
      spaceWaiters = []
    },
  }
  return pipeline
}
