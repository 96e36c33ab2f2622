/**
 * Turns a machine going down into a breakdown proposal without a planner asking. It listens to
 * `sample.ingested.>`, picks out equipment `state` points, and on the first `down` of an episode asks
 * the planning service to repair every schedule that still has work on that equipment from then on.
 * The outage it proposes runs from the `down` sample for the equipment's expected repair time (its
 * MTTR when the caller knows it, else a default); the planner still decides which option to accept.
 */
import { type Bus, followPartitions, type PartitionLeases, Subjects } from '../bus/index.ts'
import type { AssetId, Logger, PointId, Sample, TenantId } from '../core/index.ts'
import { CoreErrors } from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import { type PlanningService, proposalAuditDetails } from './planning-service.ts'

/** The key of the point that carries a machine's state (code 4 or text `down` when it breaks down). */
export const STATE_POINT_KEY = 'state'
/** Expected repair time when the equipment has no MTTR yet. */
export const DEFAULT_REPAIR_MS = 2 * 60 * 60 * 1000

/**
 * Whether a state sample says the machine is down (true), in another state (false), or nothing usable
 * (null: bad quality, empty). A state point carries its numeric code (the virtual factory's: planned
 * stop 0, running 1, idle 2, setup 3, down 4); a device that reports states as text says `down`.
 */
export function isDownSample(s: Pick<Sample, 'value' | 'text' | 'quality'>): boolean | null {
  if (s.quality === 'bad') return null
  if (typeof s.text === 'string' && s.text.trim() !== '') return s.text.trim().toLowerCase() === 'down'
  if (typeof s.value === 'number' && Number.isFinite(s.value)) return s.value === 4
  return null
}

/**
 * One breakdown, one proposal: remembers per equipment whether it is in a down episode. A repeated
 * `down` of the same episode is not a new breakdown; any other state ends the episode. Samples older
 * than the last one seen for the equipment are ignored (late data must not reopen an episode).
 */
export interface EpisodeTracker {
  /** true when this sample starts a new down episode */
  observe(key: string, ts: number, down: boolean): boolean
  forget(prefix: string): void
}

export function createEpisodeTracker(): EpisodeTracker {
  const last = new Map<string, { ts: number; down: boolean }>()
  return {
    observe(key, ts, down) {
      const prev = last.get(key)
      if (prev !== undefined && ts < prev.ts) return false
      last.set(key, { ts, down })
      return down && prev?.down !== true
    },
    forget(prefix) {
      for (const k of last.keys()) if (k.startsWith(prefix)) last.delete(k)
    },
  }
}

function covers(
  outages: readonly { readonly equipment: string; readonly from: number; readonly to: number }[],
  equipment: string,
  at: number,
): boolean {
  return outages.some((o) => o.equipment === equipment && o.from <= at && at < o.to)
}

export interface BreakdownWatcherOptions {
  readonly bus: Bus
  readonly meta: MetaStore
  readonly planning: Pick<PlanningService, 'listSchedules' | 'proposeBreakdown' | 'getProposal'>
  readonly log: Logger
  /** records the automatic proposal in the tenant's audit trail (actor "system") */
  audit(tenant: TenantId, action: string, target: string, details: Record<string, unknown>): Promise<void>
  /** the equipment's expected repair time (e.g. MTTR from closed work orders), null when unknown */
  expectedRepairMs?(tenant: TenantId, equipment: string, at: number): Promise<number | null>
  /** used when expectedRepairMs knows nothing; default 2 h */
  readonly defaultRepairMs?: number
  /** solver time for the re-optimised option, ms; default 1000 */
  readonly timeLimitMs?: number
  /**
   * Scale-out: the rule partitions this node holds. Every node would otherwise see every `down` and
   * each propose the same repair; with them, a tenant's samples are taken from the queue group of
   * its partition on the node holding it, so one node proposes. Without them, every sample is seen.
   */
  readonly partitions?: PartitionLeases
}

export interface BreakdownWatcher {
  start(): void
  /** idempotent; waits for the work in hand */
  stop(): Promise<void>
  /** resolves when every sample received so far has been handled */
  idle(): Promise<void>
}

export function createBreakdownWatcher(options: BreakdownWatcherOptions): BreakdownWatcher {
  const defaultRepairMs = options.defaultRepairMs ?? DEFAULT_REPAIR_MS
  const timeLimitMs = options.timeLimitMs ?? 1000
  if (!(Number.isFinite(defaultRepairMs) && defaultRepairMs > 0))
    throw CoreErrors.validation('defaultRepairMs must be a positive number of milliseconds')
  if (!(Number.isInteger(timeLimitMs) && timeLimitMs >= 10))
    throw CoreErrors.validation('timeLimitMs must be an integer of at least 10 ms')
  const { bus, meta, planning, log } = options
  const episodes = createEpisodeTracker()
  /** point id → the equipment whose state it reports, or null for any other point */
  const statePoints = new Map<TenantId, Map<PointId, AssetId | null>>()
  const unsubscribe: (() => void)[] = []
  // one batch at a time, in arrival order, so an episode's samples are judged in sequence
  let chain: Promise<void> = Promise.resolve()
  let stopped = true

  async function equipmentOf(
    tenant: TenantId,
    ids: readonly PointId[],
  ): Promise<Map<PointId, AssetId | null>> {
    let cache = statePoints.get(tenant)
    if (cache === undefined) {
      cache = new Map()
      statePoints.set(tenant, cache)
    }
    const missing = [...new Set(ids.filter((id) => !cache.has(id)))]
    if (missing.length > 0) {
      const found = await meta.pointsByIds(tenant, missing)
      for (const id of missing) cache.set(id, null)
      for (const p of found) cache.set(p.id, p.key === STATE_POINT_KEY ? p.assetId : null)
    }
    return cache
  }

  async function repairMs(tenant: TenantId, equipment: string, at: number): Promise<number> {
    try {
      const mttr = await options.expectedRepairMs?.(tenant, equipment, at)
      if (typeof mttr === 'number' && Number.isFinite(mttr) && mttr >= 60_000) return Math.round(mttr)
    } catch (err) {
      log.warn('expected repair time unavailable; using the default', {
        tenant,
        equipment,
        error: String(err),
      })
    }
    return defaultRepairMs
  }

  async function breakdown(tenant: TenantId, equipment: string, from: number): Promise<void> {
    const schedules = (await planning.listSchedules(tenant)).filter((s) =>
      s.operations.some((o) => o.equipment === equipment && o.end > from),
    )
    if (schedules.length === 0) return
    const to = from + (await repairMs(tenant, equipment, from))
    for (const s of schedules) {
      try {
        // a node that restarts mid-episode sees the machine "go down" again: an outage already
        // accepted, or a proposal still waiting, that covers this moment is the same breakdown
        if (covers(s.outages, equipment, from)) continue
        const pending = await planning.getProposal(tenant, s.id)
        if (pending !== null && covers([pending.breakdown], equipment, from)) continue
        const p = await planning.proposeBreakdown(tenant, s.id, { equipment, from, to, timeLimitMs })
        await options.audit(tenant, 'planning.schedule.propose', s.id, {
          ...proposalAuditDetails(p),
          trigger: 'state',
        })
        log.info('breakdown proposal made', { tenant, schedule: s.id, equipment, from, to })
      } catch (err) {
        log.error('breakdown proposal failed', { tenant, schedule: s.id, equipment, error: String(err) })
      }
    }
  }

  async function handle(tenant: TenantId, samples: readonly Sample[]): Promise<void> {
    const cache = await equipmentOf(
      tenant,
      samples.map((s) => s.point),
    )
    const ordered = samples.filter((s) => cache.get(s.point) != null).sort((a, b) => a.ts - b.ts)
    for (const s of ordered) {
      if (stopped) return
      const equipment = cache.get(s.point)
      const down = isDownSample(s)
      if (equipment == null || down === null) continue
      if (episodes.observe(`${tenant}\u0000${equipment}`, s.ts, down))
        await breakdown(tenant, equipment, s.ts)
    }
  }

  const forget = ({ data }: { data: { tenant: TenantId } }): void => {
    statePoints.delete(data.tenant)
  }

  return {
    start() {
      if (!stopped) return
      stopped = false
      const onBatch = ({
        data,
      }: {
        data: { tenant: TenantId; samples: readonly Sample[] }
      }): Promise<void> => {
        chain = chain
          .then(() => handle(data.tenant, data.samples))
          .catch((err) =>
            log.error('breakdown watcher failed on a batch', { tenant: data.tenant, error: String(err) }),
          )
        return chain
      }
      if (options.partitions === undefined)
        unsubscribe.push(bus.subscribe(Subjects.sampleIngestedAll, onBatch))
      // a new holder starts with no episodes in memory: a machine already down when it took over
      // "goes down" again, which breakdown() recognises (the outage or proposal covering it)
      else
        unsubscribe.push(
          followPartitions({
            leases: options.partitions,
            bus,
            queue: 'breakdowns',
            subjectOf: Subjects.sampleIngestedIn,
            handler: onBatch,
            settle: async () => {
              await chain
            },
            onError: (err, partition) =>
              log.error('following a rule partition failed', { partition, error: String(err) }),
          }),
        )
      // a point moved to another asset, or a device deleted: look the points up again
      unsubscribe.push(bus.subscribe('point.changed', forget))
      unsubscribe.push(bus.subscribe('device.deleted', forget))
    },
    async stop() {
      stopped = true
      for (const u of unsubscribe.splice(0)) u()
      await chain
    },
    async idle() {
      // batches received while waiting join the chain: wait until it stops growing
      let seen: Promise<void>
      do {
        seen = chain
        await seen
      } while (seen !== chain)
    },
  }
}
