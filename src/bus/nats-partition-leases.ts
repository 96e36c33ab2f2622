import {
  type JetStreamClient,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { MAX_RULE_PARTITIONS } from './bus.ts'
import { BusErrors } from './bus-errors.ts'
import type { PartitionLeases, PartitionListener } from './partition-leases.ts'

/**
 * Partition leases on NATS JetStream, kept the way `nats-job-claims.ts` keeps claims: a stream
 * (`<stream>`, subjects `<subjectPrefix>.>`) holding at most one message per subject is a key/value
 * store, and every write that must not race is a compare-and-set — a publish expecting the subject's
 * last sequence to be the one this node read (0 when the key is absent). JetStream orders publishes to
 * a stream through its leader, so of two nodes writing the same key from the same sequence exactly one
 * is stored.
 *
 * Keys: `member.<node>` `{node, until, partitions}` — a heartbeat; `lease.<p>` `{holder, until}`.
 * Every `renewMs` a node
 * 1. rewrites its member key and renews the leases it holds, each by CAS on the sequence of its own
 *    last write: a refused renewal means another node took the lease — the partition stops at once;
 * 2. counts live members (until > now) and sets its target to ceil(P / members);
 * 3. below target, takes free or expired leases (CAS on the sequence it read), the partitions it
 *    ranks highest by rendezvous hash of (node, p) first, so that who gets what is spread evenly and
 *    stays the same from one round to the next;
 * 4. above target (a node joined), gives up the leases it ranks lowest — after the work in hand for
 *    them settled — by writing `{holder: null}` with CAS, so that the newcomer takes them.
 * A node that dies stops renewing: its member key and leases expire after `ttlMs` and the others
 * take its partitions in their next round.
 *
 * Time: `until` is the writer's wall clock and is read by the others' clocks, so nodes' clocks are
 * assumed to agree within a second (NTP), well inside the TTL. A node also stops a partition on its own
 * once its last renewal is older than the TTL, without waiting to be told. Should two nodes still both
 * evaluate a partition for a moment (a clock off by more than that, a paused process), what it costs
 * is redundant evaluation: alarm transitions are stored by compare-and-set, so each is recorded and
 * notified once regardless.
 *
 * NATS 2.11's pinned-client priority groups would give the same "one consumer at a time" directly on
 * the partition's consumer; the servers here are 2.9, hence the leases.
 */
export interface NatsPartitionLeasesConfig {
  /** nats://host:4222, or several separated by commas */
  readonly url: string
  /** P; every node of the installation must use the same (see docs/deployment.md) */
  readonly partitions: number
  /** this node's name: unique among live nodes, letters, digits, `_` or `-` */
  readonly node: string
  /**
   * the set of nodes that share the partitions (default `ronghe`): installations on one NATS account
   * need different groups
   */
  readonly group?: string
  /** default `RONGHE_RULE_LEASES`, or `RONGHE_RULE_LEASES_<group>` for another group */
  readonly stream?: string
  /** default `ronghe.rule-leases.<group>` */
  readonly subjectPrefix?: string
  /** how often members and leases are renewed, ms (default 2000) */
  readonly renewMs?: number
  /** how long a member or a lease lives without renewal, ms (default 3 × renewMs) */
  readonly ttlMs?: number
  /** stream replicas (default 1; 3 on a three-node cluster) */
  readonly replicas?: number
  readonly log?: {
    info(msg: string, extra?: unknown): void
    warn(msg: string, extra?: unknown): void
    error(msg: string, extra?: unknown): void
  }
}

export interface NatsPartitionLeases extends PartitionLeases {
  readonly kind: 'nats'
  readonly stream: string
  /**
   * stops renewing without giving anything up, as a node that died would (tests); the leases
   * expire after the TTL
   */
  abandon(): Promise<void>
}

const MS = 1_000_000
const NODE = /^[A-Za-z0-9_-]{1,100}$/

interface LeaseRecord {
  readonly holder: string | null
  readonly until: number
}
interface MemberRecord {
  readonly node: string
  readonly until: number
  readonly partitions?: number
}

/** FNV-1a 32 bit: the rank of partition p for a node (rendezvous hashing). */
function score(node: string, p: number): number {
  let h = 0x811c9dc5
  for (const byte of new TextEncoder().encode(`${node}\u0000${p}`)) {
    h ^= byte
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

function isWrongSequence(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence
}

export function createNatsPartitionLeases(config: NatsPartitionLeasesConfig): NatsPartitionLeases {
  const P = config.partitions
  if (!Number.isInteger(P) || P < 1 || P > MAX_RULE_PARTITIONS)
    throw BusErrors.invalidConfig(`rule partitions: an integer from 1 to ${MAX_RULE_PARTITIONS}, got ${P}`)
  if (!NODE.test(config.node))
    throw BusErrors.invalidConfig(
      `partition lease node name ${JSON.stringify(config.node)}: letters, digits, _ or -`,
    )
  const renewMs = config.renewMs ?? 2000
  const ttlMs = config.ttlMs ?? 3 * renewMs
  if (!Number.isInteger(renewMs) || renewMs < 50)
    throw BusErrors.invalidConfig(`partition lease renewal: at least 50 ms, got ${renewMs}`)
  if (!Number.isInteger(ttlMs) || ttlMs < 2 * renewMs)
    throw BusErrors.invalidConfig(
      `partition lease TTL (${ttlMs} ms) must be at least twice the renewal interval (${renewMs} ms), so that one late renewal does not lose a lease`,
    )
  const group = config.group ?? 'ronghe'
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(group))
    throw BusErrors.invalidConfig(
      `partition lease group ${JSON.stringify(group)}: 1–32 letters, digits, _ or -`,
    )
  const stream = config.stream ?? (group === 'ronghe' ? 'RONGHE_RULE_LEASES' : `RONGHE_RULE_LEASES_${group}`)
  const prefix = config.subjectPrefix ?? `ronghe.rule-leases.${group}`
  const node = config.node
  const log = config.log
  const memberSubject = (n: string): string => `${prefix}.member.${n}`
  const leaseSubject = (p: number): string => `${prefix}.lease.${p}`
  const rank = Array.from({ length: P }, (_, p) => p).sort((a, b) => score(node, b) - score(node, a))

  /** the leases this node holds: the sequence and expiry of its last write of each */
  const mine = new Map<number, { seq: number; until: number }>()
  const listeners = new Set<PartitionListener>()
  let nc: NatsConnection | null = null
  let js: JetStreamClient
  let jsm: JetStreamManager
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> = Promise.resolve()
  let closed = false
  let started = false
  let warnedMismatch = false

  function acquired(p: number, seq: number, until: number): void {
    mine.set(p, { seq, until })
    log?.info('rule partition acquired', { partition: p, node })
    for (const l of listeners) {
      try {
        l.acquired(p)
      } catch (err) {
        log?.error('a partition listener failed', { partition: p, error: String(err) })
      }
    }
  }

  /** Tells the listeners; the promise settles when they did (awaited only when giving a lease up). */
  function lost(p: number, why: string): Promise<void> {
    mine.delete(p)
    log?.info('rule partition lost', { partition: p, node, why })
    return Promise.all(
      [...listeners].map(async (l) => {
        try {
          await l.lost(p)
        } catch (err) {
          log?.error('a partition listener failed', { partition: p, error: String(err) })
        }
      }),
    ).then(() => undefined)
  }

  async function put(subject: string, record: LeaseRecord | MemberRecord, expect?: number): Promise<number> {
    const ack = await js.publish(subject, JSON.stringify(record), {
      ...(expect === undefined ? {} : { expect: { lastSubjectSequence: expect } }),
      // a renewal that takes longer than the renewal interval is as good as failed
      timeout: Math.max(renewMs, 1000),
    })
    return ack.seq
  }

  async function read<T>(subject: string): Promise<{ seq: number; value: T } | null> {
    const m = await jsm.streams.getMessage(stream, { last_by_subj: subject })
    return m === null ? null : { seq: m.seq, value: m.json() as T }
  }

  async function liveMembers(now: number): Promise<number> {
    const info = await jsm.streams.info(stream, { subjects_filter: `${prefix}.member.>` })
    const subjects = Object.keys(info.state.subjects ?? {})
    const records = await Promise.all(subjects.map((s) => read<MemberRecord>(s).catch(() => null)))
    let live = 0
    let self = false
    for (const r of records) {
      if (r === null || !(r.value.until > now)) continue
      live++
      if (r.value.node === node) self = true
      if (r.value.partitions !== undefined && r.value.partitions !== P && !warnedMismatch) {
        warnedMismatch = true
        log?.error(
          'another node uses a different number of rule partitions: stop every node and give them the same RONGHE_RULE_PARTITIONS',
          { node: r.value.node, theirs: r.value.partitions, ours: P },
        )
      }
    }
    return self ? live : live + 1
  }

  async function round(): Promise<void> {
    if (closed || nc === null) return
    const now = Date.now()
    // a lease whose last renewal has run out is no longer ours, whether or not someone took it
    for (const [p, l] of [...mine]) if (now >= l.until) void lost(p, 'not renewed in time')
    const until = now + ttlMs
    await put(memberSubject(node), { node, until, partitions: P })
    await Promise.all(
      [...mine].map(async ([p, l]) => {
        try {
          const seq = await put(leaseSubject(p), { holder: node, until }, l.seq)
          if (mine.get(p) === l) mine.set(p, { seq, until })
        } catch (err) {
          if (isWrongSequence(err)) void lost(p, 'taken by another node')
          else log?.warn('renewing a rule partition failed', { partition: p, error: String(err) })
        }
      }),
    )
    if (closed) return
    const members = await liveMembers(now)
    const target = Math.ceil(P / members)
    if (mine.size > target) {
      // give up the ones this node ranks lowest: the work in hand first, then the lease
      const excess = rank.filter((p) => mine.has(p)).slice(target)
      for (const p of excess) {
        const l = mine.get(p)
        if (l === undefined) continue
        await settleWithin(lost(p, 'rebalanced'), ttlMs)
        await put(leaseSubject(p), { holder: null, until: 0 }, l.seq).catch((err) => {
          // taken already, or the write failed: it expires in any case
          if (!isWrongSequence(err))
            log?.warn('releasing a rule partition failed', { partition: p, error: String(err) })
        })
      }
      return
    }
    if (mine.size >= target) return
    const leases = await Promise.all(
      rank.map(async (p) => (mine.has(p) ? null : { p, current: await read<LeaseRecord>(leaseSubject(p)) })),
    )
    for (const x of leases) {
      if (closed || mine.size >= target) break
      if (x === null) continue
      const { p, current } = x
      const free = current === null || current.value.holder === null || current.value.until <= now
      if (!free) continue
      try {
        const seq = await put(leaseSubject(p), { holder: node, until }, current?.seq ?? 0)
        acquired(p, seq, until)
      } catch (err) {
        // another node took it first
        if (!isWrongSequence(err)) throw err
      }
    }
  }

  function schedule(): void {
    if (closed) return
    timer = setTimeout(() => {
      running = round()
        .catch((err) => log?.warn('rule partition round failed', { error: String(err) }))
        .finally(schedule)
    }, renewMs)
    timer.unref?.()
  }

  async function stopTimer(): Promise<void> {
    closed = true
    if (timer !== null) clearTimeout(timer)
    await running
  }

  const leases: NatsPartitionLeases = {
    kind: 'nats',
    node,
    group,
    partitions: P,
    stream,
    held() {
      const now = Date.now()
      return [...mine]
        .filter(([, l]) => l.until > now)
        .map(([p]) => p)
        .sort((a, b) => a - b)
    },
    holds(p) {
      const l = mine.get(p)
      return l !== undefined && l.until > Date.now()
    },
    listen(listener) {
      listeners.add(listener)
      for (const p of leases.held()) listener.acquired(p)
      return () => listeners.delete(listener)
    },
    async start() {
      if (started) return
      started = true
      try {
        nc = await connect({
          servers: config.url.split(',').map((x) => x.trim()),
          name: `ronghe-partition-leases-${node}`,
          maxReconnectAttempts: -1,
        })
        jsm = await jetstreamManager(nc)
        try {
          await jsm.streams.add({
            name: stream,
            subjects: [`${prefix}.>`],
            storage: StorageType.File,
            retention: RetentionPolicy.Limits,
            max_msgs_per_subject: 1,
            // only keys nobody rewrites age out: the member keys of nodes long gone
            max_age: Math.max(3_600_000, 100 * ttlMs) * MS,
            num_replicas: config.replicas ?? 1,
          })
        } catch (err) {
          // another node created it first, or it exists from an earlier start: keep it as it is
          if (!/already in use|exists/i.test(String((err as Error)?.message))) throw err
        }
        js = jetstream(nc)
      } catch (err) {
        await nc?.close().catch(() => undefined)
        nc = null
        throw BusErrors.connectFailed(
          `could not set up the rule partition leases on NATS at ${config.url}: ${err instanceof Error ? err.message : String(err)}`,
          err,
        )
      }
      // the first round now, so that a node starting alone works at once
      running = round().catch((err) => log?.warn('rule partition round failed', { error: String(err) }))
      await running
      schedule()
    },
    async abandon() {
      await stopTimer()
      mine.clear()
      await nc?.close().catch(() => undefined)
      nc = null
    },
    async close() {
      if (closed) return
      await stopTimer()
      if (nc === null) return
      for (const [p, l] of [...mine]) {
        await settleWithin(lost(p, 'node stopping'), ttlMs)
        await put(leaseSubject(p), { holder: null, until: 0 }, l.seq).catch(() => undefined)
      }
      // leave the membership at once, so that the others' targets grow without waiting for the TTL
      await put(memberSubject(node), { node, until: 0, partitions: P }).catch(() => undefined)
      await nc.drain().catch(() => nc?.close())
      nc = null
    },
  }
  return leases
}

/** Waits for `p`, at most `ms`: a listener that hangs must not keep a lease from being released. */
async function settleWithin(p: Promise<void>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined
  await Promise.race([p, new Promise<void>((r) => (t = setTimeout(r, ms)))])
  clearTimeout(t)
}
