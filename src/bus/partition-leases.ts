import type { Bus, BusHandler } from './bus.ts'

/**
 * Which rule partitions this node works on. Work that is stateful per tenant (rule evaluation:
 * delays, deadbands, rate windows, learned baselines) must be done by one node at a time for a
 * tenant, in order; the tenants are spread over `partitions` partitions (`partitionOf`) and each
 * partition is leased to one node. The leases are kept by an engine we did not write — a JetStream
 * stream in the scale-out shape — never by a leader of our own. The embedded shape has one node,
 * which holds every partition.
 */
export interface PartitionLeases {
  readonly kind: 'local' | 'nats'
  /** this node's name in the lease records */
  readonly node: string
  /**
   * the set of nodes sharing the partitions; queue groups that follow the partitions carry it in
   * their names, so that two installations on one NATS account never share a consumer
   */
  readonly group: string
  /** P: how many partitions there are */
  readonly partitions: number
  /** the partitions this node holds now, ascending */
  held(): number[]
  holds(partition: number): boolean
  /**
   * Tells `listener` of every partition this node gains or loses from now on; partitions already
   * held are reported as acquired at once. `lost` may return a promise: a partition this node gives
   * up of its own accord (rebalancing, close) is released only after it settled, so the next holder
   * does not start while this one is still finishing. Returns the function that removes the listener.
   */
  listen(listener: PartitionListener): () => void
  /** begins taking and renewing leases; the constructor did no I/O */
  start(): Promise<void>
  /** gives every lease up (after `lost` settled) so that the other nodes take them at once; idempotent */
  close(): Promise<void>
}

export interface PartitionListener {
  acquired(partition: number): void
  lost(partition: number): void | Promise<void>
}

/** One process: holds every partition from start() to close(). */
export function createLocalPartitionLeases(config: { partitions: number; node?: string }): PartitionLeases {
  const all = Array.from({ length: config.partitions }, (_, i) => i)
  const listeners = new Set<PartitionListener>()
  let holding = false
  return {
    kind: 'local',
    node: config.node ?? 'local',
    group: 'local',
    partitions: config.partitions,
    held: () => (holding ? [...all] : []),
    holds: (p) => holding && p >= 0 && p < config.partitions,
    listen(listener) {
      listeners.add(listener)
      if (holding) for (const p of all) listener.acquired(p)
      return () => listeners.delete(listener)
    },
    async start() {
      if (holding) return
      holding = true
      for (const l of listeners) for (const p of all) l.acquired(p)
    },
    async close() {
      if (!holding) return
      holding = false
      for (const l of [...listeners]) await Promise.all(all.map((p) => l.lost(p)))
    },
  }
}

/**
 * Runs `handler` on the messages of the partitions this node holds: on `acquired(p)` it awaits
 * `prepare(p)` (e.g. reload what the previous holder changed) and then subscribes
 * `subjectOf(p)` in queue group `queue` — on NATS a durable consumer per partition, shared by
 * whichever node holds it, so a new holder resumes where the old one stopped. On `lost(p)` it
 * unsubscribes and awaits `settle(p)` (e.g. the evaluations in hand).
 * Returns the function that stops following (unsubscribes everything).
 */
export function followPartitions<T>(options: {
  readonly leases: PartitionLeases
  readonly bus: Bus
  /** the work's name (`rules`); the queue group is `<queue>-<leases.group>` */
  readonly queue: string
  readonly subjectOf: (partition: number) => string
  readonly handler: BusHandler<T>
  readonly prepare?: (partition: number) => Promise<void>
  readonly settle?: (partition: number) => Promise<void>
  readonly onError?: (err: unknown, partition: number) => void
}): () => void {
  const { leases, bus, subjectOf, handler } = options
  const queue = options.queue
  // a generation per partition: a lease lost while prepare() was still running must not subscribe
  const generation = new Map<number, number>()
  const subscriptions = new Map<number, () => void>()
  let following = true
  const unlisten = leases.listen({
    acquired(p) {
      const gen = (generation.get(p) ?? 0) + 1
      generation.set(p, gen)
      void (async () => {
        try {
          await options.prepare?.(p)
        } catch (err) {
          // subscribe anyway: evaluating with the state at hand beats not evaluating at all
          options.onError?.(err, p)
        }
        if (!following || generation.get(p) !== gen || !leases.holds(p)) return
        subscriptions.get(p)?.()
        subscriptions.set(p, bus.subscribe<T>(subjectOf(p), handler, { queue: `${queue}-${leases.group}` }))
      })()
    },
    async lost(p) {
      generation.set(p, (generation.get(p) ?? 0) + 1)
      subscriptions.get(p)?.()
      subscriptions.delete(p)
      try {
        await options.settle?.(p)
      } catch (err) {
        options.onError?.(err, p)
      }
    },
  })
  return () => {
    following = false
    unlisten()
    for (const off of subscriptions.values()) off()
    subscriptions.clear()
  }
}
