import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, it } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { needService, tcpReachable } from '../../test/support/services.ts'
import { createNatsPartitionLeases, type NatsPartitionLeases } from './nats-partition-leases.ts'

const url = process.env.RONGHE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'
const u = new URL(url)
const skip = await needService(
  `NATS with JetStream at ${u.hostname}:${u.port || 4222}`,
  tcpReachable(u.hostname, Number(u.port || 4222)),
)
const run = randomBytes(4).toString('hex')
const RENEW = 100
const TTL = 300
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

async function until(cond: () => boolean, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('partition leases on NATS JetStream', { skip }, () => {
  const opened: NatsPartitionLeases[] = []
  after(async () => {
    for (const l of opened) await l.close().catch(() => undefined)
    const nc = await connect({ servers: url })
    const jsm = await jetstreamManager(nc)
    for (const s of new Set(opened.map((l) => l.stream))) await jsm.streams.delete(s).catch(() => false)
    await nc.close()
  })

  /** a node's leases on this test's own stream, recording what its listener is told */
  function node(label: string, name: string, partitions: number, ttlMs = TTL) {
    const leases = createNatsPartitionLeases({
      url,
      partitions,
      node: name,
      stream: `T${run}_${label}_LEASES`,
      subjectPrefix: `t${run}.${label}.leases`,
      renewMs: RENEW,
      ttlMs,
      log: quiet,
    })
    opened.push(leases)
    const owned = new Set<number>()
    leases.listen({
      acquired: (p) => {
        // the listener's view must never have a partition twice
        assert.ok(!owned.has(p), `${name} told twice that it acquired ${p}`)
        owned.add(p)
      },
      lost: (p) => {
        owned.delete(p)
      },
    })
    return { leases, owned }
  }

  /**
   * Samples every node's leases and listener views every few ms until stopped; fails when a partition
   * is held by two nodes at once.
   */
  function watchOverlap(nodes: () => { leases: NatsPartitionLeases; owned: Set<number> }[]) {
    const overlaps: string[] = []
    let samples = 0
    const timer = setInterval(() => {
      samples++
      const holder = new Map<number, string>()
      for (const n of nodes()) {
        for (const p of n.leases.held()) {
          const other = holder.get(p)
          if (other !== undefined) overlaps.push(`p${p}: ${other} and ${n.leases.node}`)
          holder.set(p, n.leases.node)
        }
      }
    }, 5)
    return {
      stop: () => {
        clearInterval(timer)
        return { overlaps, samples }
      },
    }
  }

  it('splits the partitions evenly between two nodes, and the listeners see the same', async () => {
    const P = 16
    const a = node('split', 'node-a', P)
    const b = node('split', 'node-b', P)
    const watch = watchOverlap(() => [a, b])
    await a.leases.start()
    // alone, a node takes everything at once
    assert.deepEqual(
      a.leases.held(),
      Array.from({ length: P }, (_, i) => i),
    )
    await b.leases.start()
    await until(
      () => a.leases.held().length === P / 2 && b.leases.held().length === P / 2,
      'an even split',
      5000,
    )
    // and it stays that way: several rounds later, nothing moved
    const before = a.leases.held()
    await new Promise((r) => setTimeout(r, 5 * RENEW))
    assert.deepEqual(a.leases.held(), before)
    assert.deepEqual(
      [...a.owned].sort((x, y) => x - y),
      a.leases.held(),
    )
    assert.deepEqual(
      [...b.owned].sort((x, y) => x - y),
      b.leases.held(),
    )
    const all = [...a.leases.held(), ...b.leases.held()].sort((x, y) => x - y)
    assert.deepEqual(
      all,
      Array.from({ length: P }, (_, i) => i),
    )
    const { overlaps, samples } = watch.stop()
    assert.ok(samples > 50, `sampled ${samples} times`)
    assert.deepEqual(overlaps, [])
  })

  it('hands a dead node’s partitions to the survivor within the TTL; a third node takes its share', async (t) => {
    const P = 12
    const a = node('fail', 'node-a', P)
    const b = node('fail', 'node-b', P)
    let c: ReturnType<typeof node> | undefined
    const watch = watchOverlap(() => (c === undefined ? [a, b] : [a, b, c]))
    await a.leases.start()
    await b.leases.start()
    await until(() => a.leases.held().length === 6 && b.leases.held().length === 6, 'an even split', 5000)

    // b dies: no renewal, no release, its connection gone
    const died = Date.now()
    await b.leases.abandon()
    await until(() => a.leases.held().length === P, 'the survivor holding everything', 5000)
    const takeover = Date.now() - died
    t.diagnostic(`taken over ${takeover} ms after the holder died (TTL ${TTL} ms, renewal ${RENEW} ms)`)
    // its leases run out after the TTL; the survivor takes them at its next round (and counts b out)
    assert.ok(takeover >= TTL - RENEW, `took over after ${takeover} ms, before the leases expired`)
    assert.equal(a.owned.size, P)

    // a third node joins: a gives up what is above its share, c takes it
    c = node('fail', 'node-c', P)
    await c.leases.start()
    await until(
      () => a.leases.held().length === P / 2 && (c?.leases.held().length ?? 0) === P / 2,
      'a new even split',
      5000,
    )
    assert.equal(c.owned.size, P / 2)
    assert.equal(a.owned.size, P / 2)
    const { overlaps } = watch.stop()
    assert.deepEqual(overlaps, [])
  })

  it('three nodes share 16 partitions at most ceil(16/3) each; a closing node hands over at once', async (t) => {
    const P = 16
    // a long TTL: a handover quicker than it cannot have waited for the leases to expire
    const LONG_TTL = 8000
    const nodes = ['x', 'y', 'z'].map((n) => node('three', `node-${n}`, P, LONG_TTL))
    const watch = watchOverlap(() => nodes)
    await Promise.all(nodes.map((n) => n.leases.start()))
    const counts = (): number[] => nodes.map((n) => n.leases.held().length)
    await until(
      () => counts().reduce((s, x) => s + x, 0) === P && Math.max(...counts()) <= 6,
      'a split',
      5000,
    )
    assert.ok(Math.min(...counts()) >= 4, JSON.stringify(counts()))
    // a node that stops cleanly releases its leases and its membership: no TTL to wait for
    const [x, y, z] = nodes as [ReturnType<typeof node>, ReturnType<typeof node>, ReturnType<typeof node>]
    const closing = Date.now()
    await z.leases.close()
    await until(
      () => x.leases.held().length === P / 2 && y.leases.held().length === P / 2,
      'the two left splitting',
      5000,
    )
    const handover = Date.now() - closing
    assert.ok(handover < LONG_TTL, `handed over after ${handover} ms`)
    t.diagnostic(`a closing node's partitions taken over ${handover} ms after close() began`)
    assert.equal(z.owned.size, 0)
    const { overlaps } = watch.stop()
    assert.deepEqual(overlaps, [])
  })

  it('refuses a bad configuration with a stable code', () => {
    const base = { url, node: 'n1', partitions: 4 }
    assert.throws(() => createNatsPartitionLeases({ ...base, partitions: 0 }), { code: 'BUS_INVALID_CONFIG' })
    assert.throws(() => createNatsPartitionLeases({ ...base, node: 'a.b' }), { code: 'BUS_INVALID_CONFIG' })
    assert.throws(() => createNatsPartitionLeases({ ...base, renewMs: 1000, ttlMs: 1500 }), {
      code: 'BUS_INVALID_CONFIG',
    })
  })
})
