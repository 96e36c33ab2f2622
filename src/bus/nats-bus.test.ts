import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, it } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { busContract } from '../../test/contracts/bus.contract.ts'
import { needService, tcpReachable } from '../../test/support/services.ts'
import { createNatsBus, type NatsBus, type NatsBusConfig } from './nats-bus.ts'

const url = process.env.RONGHE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'
const u = new URL(url)
const skip = await needService(
  `NATS with JetStream at ${u.hostname}:${u.port || 4222}`,
  tcpReachable(u.hostname, Number(u.port || 4222)),
)

// Every bus of this run gets its own stream names and subject prefix; the streams are deleted at the end.
const run = randomBytes(4).toString('hex')
let n = 0
const created = new Set<string>()
const errors: string[] = []

function isolated(extra: Partial<NatsBusConfig> = {}): Partial<NatsBusConfig> {
  n += 1
  return { streamPrefix: `T${run}_${n}_`, subjectPrefix: `t${run}n${n}`, ...extra }
}
async function open(cfg: Partial<NatsBusConfig>): Promise<NatsBus> {
  const bus = await createNatsBus({
    url,
    onError: (err) => errors.push(err instanceof Error ? err.message : String(err)),
    ...cfg,
  })
  created.add(bus.streams.samples)
  created.add(bus.streams.events)
  return bus
}

if (skip === undefined) {
  after(async () => {
    const nc = await connect({ servers: url })
    const jsm = await jetstreamManager(nc)
    for (const name of created) await jsm.streams.delete(name).catch(() => undefined)
    await nc.close()
  })
  busContract('nats', () => open(isolated({ retryDelayMs: 50 })))
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('nats bus specifics', { skip }, () => {
  it('creates file-backed streams with the configured replicas', async () => {
    const bus = await open(isolated())
    try {
      const nc = await connect({ servers: url })
      const jsm = await jetstreamManager(nc)
      const si = await jsm.streams.info(bus.streams.samples)
      assert.equal(si.config.storage, 'file')
      assert.equal(si.config.num_replicas, 1)
      assert.equal(si.config.retention, 'limits')
      assert.equal(si.config.subjects?.length, 1)
      assert.match(si.config.subjects?.[0] ?? '', /\.samples\.>$/)
      await nc.close()
    } finally {
      await bus.close()
    }
  })

  it('shares a queue group across two nodes: each message once; plain subscribers on both nodes get all', async () => {
    const cfg = isolated()
    const node1 = await open(cfg)
    const node2 = await open(cfg)
    try {
      const handled: number[] = []
      const live1: number[] = []
      const live2: number[] = []
      node1.subscribe<number>('sample.ingested', (m) => void handled.push(m.data), { queue: 'writers' })
      node2.subscribe<number>('sample.ingested', (m) => void handled.push(m.data), { queue: 'writers' })
      node1.subscribe<number>('live.point', (m) => void live1.push(m.data))
      node2.subscribe<number>('live.point', (m) => void live2.push(m.data))
      await node1.ready()
      await node2.ready()
      for (let i = 0; i < 30; i++) await (i % 2 === 0 ? node1 : node2).publish('sample.ingested', i)
      for (let i = 0; i < 5; i++) await node1.publish('live.point', i)
      await until(() => handled.length >= 30 && live1.length === 5 && live2.length === 5, 'deliveries')
      await node2.publish('sample.ingested', 99)
      await until(() => handled.includes(99), 'the marker')
      assert.deepEqual(
        handled.filter((x) => x !== 99).sort((a, b) => a - b),
        Array.from({ length: 30 }, (_, i) => i),
      )
      assert.deepEqual(live1, [0, 1, 2, 3, 4])
      assert.deepEqual(live2, [0, 1, 2, 3, 4])
    } finally {
      await node1.close()
      await node2.close()
    }
  })

  it('stores a publish retried with the same id once', async () => {
    const bus = await open(isolated())
    try {
      const got: number[] = []
      bus.subscribe<number>('sample.ingested.p1', (m) => void got.push(m.data), { queue: 'rules' })
      await bus.ready()
      await bus.publish('sample.ingested.p1', 1, { id: 'node-1-lsn-7' })
      await bus.publish('sample.ingested.p1', 1, { id: 'node-1-lsn-7' }) // the retry
      await bus.publish('sample.ingested.p1', 2, { id: 'node-1-lsn-8' })
      await bus.publish('sample.ingested.p1', 3) // no id: never taken for a duplicate
      await bus.publish('sample.ingested.p1', 3)
      await until(() => got.length >= 4, 'the deliveries')
      await bus.publish('sample.ingested.p1', 99)
      await until(() => got.includes(99), 'the marker')
      assert.deepEqual(got, [1, 2, 3, 3, 99])
    } finally {
      await bus.close()
    }
  })

  it('keeps what is published while the group has no member and hands it over on return', async () => {
    const cfg = isolated()
    const first = await open(cfg)
    const got: number[] = []
    first.subscribe<number>('alarm.raised', (m) => void got.push(m.data), { queue: 'notify' })
    await first.publish('alarm.raised', 1)
    await until(() => got.length === 1, 'the first alarm')
    await first.close()
    // nobody of the group is connected now
    const publisher = await open(cfg)
    await publisher.publish('alarm.raised', 2)
    await publisher.publish('alarm.raised', 3)
    const second = await open(cfg)
    try {
      second.subscribe<number>('alarm.raised', (m) => void got.push(m.data), { queue: 'notify' })
      await until(() => got.length === 3, 'alarms published while away')
      assert.deepEqual(got, [1, 2, 3])
    } finally {
      await second.close()
      await publisher.close()
    }
  })

  it('hands a message whose handler failed to the group again', async () => {
    const bus = await open(isolated({ retryDelayMs: 20, maxDeliver: 5 }))
    try {
      const attempts: number[] = []
      bus.subscribe<number>(
        'rule.evaluate',
        (m) => {
          attempts.push(m.data)
          if (attempts.length < 3) throw new Error('transient failure (expected by the test)')
        },
        { queue: 'rules' },
      )
      await bus.publish('rule.evaluate', 7)
      await until(() => attempts.length === 3, 'three attempts')
      assert.deepEqual(attempts, [7, 7, 7])
    } finally {
      await bus.close()
    }
  })

  it('rejects subjects NATS cannot carry', async () => {
    const bus = await open(isolated())
    try {
      await assert.rejects(bus.publish('bad subject', 1), { code: 'BUS_INVALID_SUBJECT' })
      await assert.rejects(bus.publish('a..b', 1), { code: 'BUS_INVALID_SUBJECT' })
      await assert.rejects(bus.publish('a.>', 1), { code: 'BUS_INVALID_SUBJECT' })
      assert.throws(() => bus.subscribe('a.*', () => undefined), { code: 'BUS_INVALID_SUBJECT' })
    } finally {
      await bus.close()
    }
  })
})
