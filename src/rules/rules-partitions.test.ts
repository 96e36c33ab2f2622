import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { needService, tcpReachable } from '../../test/support/services.ts'
import { partitionOf, Subjects } from '../bus/index.ts'
import { createMemoryBus } from '../bus/memory-bus.ts'
import { createNatsBus, type NatsBus } from '../bus/nats-bus.ts'
import { createNatsPartitionLeases, type NatsPartitionLeases } from '../bus/nats-partition-leases.ts'
import { type Sample, systemClock, type TenantId } from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import { createSqliteMetaStore } from '../store/meta/sqlite-meta-store.ts'
import { createDuckdbSeriesStore } from '../store/series/duckdb-series-store.ts'
import {
  createScratchDatabase,
  needPostgres,
  type ScratchDatabase,
} from '../store/series/postgres-scratch.ts'
import type { SeriesStore } from '../store/series/series-store.ts'
import { openPostgresAlarmStore, openSqliteAlarmStore } from './open-rules.ts'
import { createRulesService, type RulesService } from './rules-service.ts'

/**
 * Two rules services — two nodes — on one NATS bus and one PostgreSQL alarm store, with rule
 * partitions leased on JetStream: every sample is evaluated by exactly one of them, and the alarms
 * they record are the ones a single node evaluating everything records.
 */
const natsUrl = process.env.RONGHE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'
const nu = new URL(natsUrl)
const skip =
  (await needService(
    `NATS with JetStream at ${nu.hostname}:${nu.port || 4222}`,
    tcpReachable(nu.hostname, Number(nu.port || 4222)),
  )) ?? (await needPostgres())

const run = randomBytes(4).toString('hex')
const P = 8
const TENANTS = 6
const BATCHES = 30
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** temperature of batch i: crosses 80 upwards and downwards a few times, ends high */
function valueAt(tenantIndex: number, i: number): number {
  return (Math.floor((i + tenantIndex) / 4) % 2 === 1 || i === BATCHES - 1 ? 90 : 50) + (i % 3)
}

describe('rule evaluation split over two nodes by partition', { skip }, () => {
  let dir: string
  let db: ScratchDatabase
  let meta: MetaStore
  let series: SeriesStore
  const closers: (() => Promise<unknown>)[] = []
  const tenants: { id: TenantId; point: string }[] = []
  interface NodeUnderTest {
    readonly bus: NatsBus
    readonly leases: NatsPartitionLeases
    readonly rules: RulesService
  }
  const busConfig = { url: natsUrl, streamPrefix: `T${run}_`, subjectPrefix: `t${run}`, ackWaitMs: 1000 }
  const group = `t${run}`

  async function startNode(name: string): Promise<NodeUnderTest> {
    const bus = await createNatsBus({ ...busConfig, name, onError: () => undefined })
    const leases = createNatsPartitionLeases({
      url: natsUrl,
      partitions: P,
      node: name,
      group,
      renewMs: 100,
      ttlMs: 400,
      log: quiet,
    })
    const alarms = await openPostgresAlarmStore(db.url, { maxConnections: 2 })
    const rules = createRulesService({
      store: alarms.store,
      meta,
      series,
      bus,
      clock: systemClock,
      tickMs: 0,
      log: quiet,
      partitions: leases,
    })
    closers.push(
      () => leases.close(),
      () => rules.stop(),
      () => alarms.close(),
      () => bus.close(),
    )
    return { bus, leases, rules }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ronghe-rules-partitions-'))
    db = await createScratchDatabase('rules_partitions')
    meta = await createSqliteMetaStore({ path: join(dir, 'meta.db') })
    series = await createDuckdbSeriesStore({ path: join(dir, 'series.duckdb') })
    for (let i = 0; i < TENANTS; i++) {
      const t = await meta.createTenantForPlatform({
        name: `分区测试 ${i}`,
        uscc:
          `91440600MA${run.slice(0, 4).toUpperCase()}${String(i).padStart(3, '0')}`
            .slice(0, 17)
            .padEnd(17, '0') + 'X',
        industryCode: 'C3391',
        regionCode: '440600',
      })
      const dev = await meta.createDevice(t.id, {
        name: 'press',
        key: 'press',
        kind: 'gateway',
        protocol: 'http',
      })
      const [pt] = await meta.createPoints(t.id, [
        { deviceId: dev.id, name: 'temp', key: 'temp', dataType: 'float64', kind: 'analog' },
      ])
      assert.ok(pt !== undefined)
      tenants.push({ id: t.id, point: pt.id })
    }
  })

  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined)
    await series?.close()
    await meta?.close()
    await db?.drop()
    const nc = await connect({ servers: natsUrl })
    const jsm = await jetstreamManager(nc)
    for (const s of [`T${run}_SAMPLES`, `T${run}_EVENTS`, `RONGHE_RULE_LEASES_${group}`])
      await jsm.streams.delete(s).catch(() => false)
    await nc.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('evaluates each sample once, on the node holding its partition, and records what one node would', async () => {
    const a = await startNode('node-a')
    const b = await startNode('node-b')
    await a.rules.start()
    await b.rules.start()
    for (const t of tenants)
      await a.rules.createRule(
        t.id,
        { id: 'hot', kind: 'limit', point: 'press/temp', h: 80, priority: 'high' },
        'test',
      )
    // node b hears of the rules (rules.changed) and loads each tenant
    await until(async () => {
      for (const t of tenants) if ((await b.rules.listRules(t.id)).length !== 1) return false
      return true
    }, 'node b to load the rules')
    await a.leases.start()
    await b.leases.start()
    await until(
      () => a.leases.held().length === P / 2 && b.leases.held().length === P / 2,
      'the partitions split between the nodes',
    )
    assert.deepEqual(
      [...a.leases.held(), ...b.leases.held()].sort((x, y) => x - y),
      Array.from({ length: P }, (_, i) => i),
    )
    // queue subscriptions are bound before anything is published
    await a.bus.ready()
    await b.bus.ready()

    // the single-node reference: the same rules and samples, everything evaluated in one process
    const refAlarms = await openSqliteAlarmStore(':memory:')
    const ref = createRulesService({
      store: refAlarms.store,
      meta,
      series,
      bus: createMemoryBus(),
      clock: systemClock,
      tickMs: 0,
      log: quiet,
    })
    await ref.start()
    for (const t of tenants)
      await ref.createRule(
        t.id,
        { id: 'hot', kind: 'limit', point: 'press/temp', h: 80, priority: 'high' },
        'test',
      )

    const t0 = Date.now() - 60_000
    let total = 0
    for (let i = 0; i < BATCHES; i++) {
      for (const [k, t] of tenants.entries()) {
        const samples: Sample[] = [
          { point: t.point as Sample['point'], ts: t0 + i * 1000, value: valueAt(k, i), quality: 'good' },
        ]
        // either node's ingest publishes, on the tenant's partition subject
        await (i % 2 === 0 ? a : b).bus.publish(Subjects.sampleIngestedFor(t.id, P), {
          tenant: t.id,
          samples,
        })
        await ref.ingest(t.id, samples)
        total += samples.length
      }
    }
    const evaluated = (): number => a.rules.stats().samplesEvaluated + b.rules.stats().samplesEvaluated
    await until(() => evaluated() >= total, `${total} samples evaluated`)
    // a duplicate delivery would show up shortly after the last expected one
    await new Promise((r) => setTimeout(r, 300))
    await a.rules.idle()
    await b.rules.idle()
    assert.equal(evaluated(), total)
    // each node evaluated the tenants of its own partitions, and only those
    const onA = tenants.filter((t) => a.leases.holds(partitionOf(t.id, P))).length
    assert.equal(a.rules.stats().samplesEvaluated, onA * BATCHES)
    assert.equal(b.rules.stats().samplesEvaluated, (TENANTS - onA) * BATCHES)
    // nobody recorded a transition another node had recorded already
    assert.equal(a.rules.stats().transitionConflicts, 0)
    assert.equal(b.rules.stats().transitionConflicts, 0)

    const shape = (evs: { alarmId: string; from: string; to: string }[]) =>
      evs.map((e) => `${e.alarmId} ${e.from}→${e.to}`)
    for (const t of tenants) {
      const got = await a.rules.alarmEvents(t.id, { order: 'asc', limit: 1000 })
      const want = await ref.alarmEvents(t.id, { order: 'asc', limit: 1000 })
      assert.ok(want.items.length >= 4, `the reference saw the alarm come and go: ${want.items.length}`)
      assert.deepEqual(shape(got.items), shape(want.items), `tenant ${t.id}`)
    }

    // a machine registers new points: only the node holding the tenant's partition expands the
    // tenant's templates (the other reloads the rules it writes)
    const [first] = tenants
    assert.ok(first !== undefined)
    await a.rules.putTemplate(
      first.id,
      {
        id: 'press-hot',
        equipmentType: 'press',
        variables: ['temp'],
        rules: [{ id: 'hot', kind: 'limit', point: 'temp', h: 80, priority: 'high' }],
      },
      'test',
    )
    await until(
      async () => (await b.rules.listTemplates(first.id)).length === 1,
      'node b to load the template',
    )
    const refreshesBefore = [a.rules.stats().templateRefreshes, b.rules.stats().templateRefreshes]
    await b.bus.publish(Subjects.pointRegistered, { tenant: first.id, device: 'press', points: [] })
    const owner = a.leases.holds(partitionOf(first.id, P)) ? a : b
    const other = owner === a ? b : a
    await until(
      () => owner.rules.stats().templateRefreshes > refreshesBefore[owner === a ? 0 : 1]!,
      'the owner to expand the templates',
    )
    await new Promise((r) => setTimeout(r, 500)) // the other's 200 ms debounce would have run by now
    assert.equal(other.rules.stats().templateRefreshes, refreshesBefore[other === a ? 0 : 1])

    // node b stops: node a takes its partitions, reloads their tenants and carries on from the
    // stored alarm states (the alarm is active: the next low value clears it, as on one node)
    await b.leases.close()
    await until(() => a.leases.held().length === P, 'node a holding every partition')
    await a.bus.ready()
    const before = a.rules.stats().samplesEvaluated
    for (const [k, t] of tenants.entries()) {
      const samples: Sample[] = [
        { point: t.point as Sample['point'], ts: t0 + BATCHES * 1000 + k, value: 40, quality: 'good' },
      ]
      await b.bus.publish(Subjects.sampleIngestedFor(t.id, P), { tenant: t.id, samples })
      await ref.ingest(t.id, samples)
    }
    await until(() => a.rules.stats().samplesEvaluated === before + TENANTS, 'node a evaluating every tenant')
    await a.rules.idle()
    for (const t of tenants) {
      const got = await a.rules.alarmEvents(t.id, { order: 'asc', limit: 1000 })
      const want = await ref.alarmEvents(t.id, { order: 'asc', limit: 1000 })
      assert.deepEqual(shape(got.items), shape(want.items), `tenant ${t.id} after the handover`)
    }
    assert.equal(a.rules.stats().transitionConflicts, 0)
    await ref.stop()
    await refAlarms.close()
  })
})
