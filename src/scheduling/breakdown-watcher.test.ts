import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Subjects } from '../bus/index.ts'
import { createMemoryBus } from '../bus/memory-bus.ts'
import { createLocalPartitionLeases } from '../bus/partition-leases.ts'
import { createLogger, type PointId, type Sample } from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import { createSqliteMetaStore } from '../store/meta/sqlite-meta-store.ts'
import { createBreakdownWatcher, createEpisodeTracker, isDownSample } from './breakdown-watcher.ts'
import { openPlanningService, type PlanningService } from './planning-service.ts'

describe('breakdown watcher: one proposal per breakdown', () => {
  it('starts an episode on the first down and not on its repeats', () => {
    const t = createEpisodeTracker()
    assert.equal(t.observe('cnc', 1000, false), false)
    assert.equal(t.observe('cnc', 2000, true), true)
    assert.equal(t.observe('cnc', 3000, true), false)
    assert.equal(t.observe('cnc', 4000, true), false)
  })

  it('starts a new episode after the machine ran again', () => {
    const t = createEpisodeTracker()
    assert.equal(t.observe('cnc', 2000, true), true)
    assert.equal(t.observe('cnc', 3000, false), false)
    assert.equal(t.observe('cnc', 5000, true), true)
    assert.equal(t.observe('cnc', 6000, true), false)
  })

  it('keeps episodes apart per equipment', () => {
    const t = createEpisodeTracker()
    assert.equal(t.observe('a', 2000, true), true)
    assert.equal(t.observe('b', 2000, true), true)
    assert.equal(t.observe('a', 3000, true), false)
  })

  it('does not let a late sample reopen or end an episode', () => {
    const t = createEpisodeTracker()
    assert.equal(t.observe('cnc', 5000, true), true)
    // a running sample from before the breakdown, delivered late, does not end the episode
    assert.equal(t.observe('cnc', 4000, false), false)
    assert.equal(t.observe('cnc', 6000, true), false)
    // nor does an old down reopen one after the repair
    assert.equal(t.observe('cnc', 7000, false), false)
    assert.equal(t.observe('cnc', 5500, true), false)
  })

  it('reads down from text and from the numeric state code, ignoring bad quality', () => {
    assert.equal(isDownSample({ value: null, text: 'down', quality: 'good' }), true)
    assert.equal(isDownSample({ value: null, text: ' Down ', quality: 'good' }), true)
    assert.equal(isDownSample({ value: null, text: 'running', quality: 'good' }), false)
    assert.equal(isDownSample({ value: 4, quality: 'good' }), true)
    assert.equal(isDownSample({ value: 1, quality: 'good' }), false)
    assert.equal(isDownSample({ value: 4, quality: 'bad' }), null)
    assert.equal(isDownSample({ value: null, text: '', quality: 'good' }), null)
  })
})

describe('breakdown watcher on a real bus, metadata store and planning service', () => {
  const HOUR = 3_600_000
  const t0 = Date.UTC(2026, 0, 5, 0)
  let dir: string
  let meta: MetaStore
  let planning: PlanningService
  const bus = createMemoryBus()
  const silent = createLogger('silent')

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ronghe-watcher-'))
    meta = await createSqliteMetaStore({ path: join(dir, 'meta.db') })
    planning = await openPlanningService({ path: join(dir, 'planning.db'), meta, clock: { now: () => t0 } })
  })
  after(async () => {
    await planning.close()
    await meta.close()
    await bus.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('proposes once per down episode and again after the machine ran', async () => {
    const tenant = (
      await meta.createTenantForPlatform({
        name: '排产测试',
        uscc: '91440600MA00000W01',
        industryCode: 'C3391',
        regionCode: '440600',
      })
    ).id
    const cnc = await meta.createAsset(tenant, { level: 'equipment', name: 'CNC-01' })
    const bench = await meta.createAsset(tenant, { level: 'equipment', name: 'bench' })
    const dev = await meta.createDevice(tenant, {
      name: 'CNC-01',
      key: 'cnc-01',
      kind: 'gateway',
      protocol: 'http',
      assetId: cnc.id,
    })
    const [state, temp] = await meta.createPoints(tenant, [
      { deviceId: dev.id, assetId: cnc.id, name: 'state', key: 'state', dataType: 'string', kind: 'state' },
      { deviceId: dev.id, assetId: cnc.id, name: 'temp', key: 'temp', dataType: 'float64', kind: 'analog' },
    ])
    assert.ok(state !== undefined && temp !== undefined)
    const product = await planning.createProduct(tenant, {
      name: 'Housing',
      routing: [
        { name: 'machine', alternatives: [{ equipment: cnc.id, durationMs: HOUR }] },
        { name: 'deburr', alternatives: [{ equipment: bench.id, durationMs: HOUR / 2 }] },
      ],
    })
    const orderIds: string[] = []
    for (let i = 0; i < 4; i++)
      orderIds.push(
        (await planning.createOrder(tenant, { productId: product.id, quantity: 1, due: t0 + 8 * HOUR })).id,
      )
    const plan = await planning.createSchedule(tenant, { orderIds, startAt: t0, timeLimitMs: 50 })
    // the CNC is busy for 4 h from t0: a breakdown at +1 h and at +2 h both hit the plan
    const audits: { target: string; details: Record<string, unknown> }[] = []
    const watcher = createBreakdownWatcher({
      bus,
      meta,
      planning,
      log: silent,
      timeLimitMs: 50,
      audit: async (t, action, target, details) => {
        assert.equal(t, tenant)
        assert.equal(action, 'planning.schedule.propose')
        audits.push({ target, details })
      },
      expectedRepairMs: async (_t, equipment) => (equipment === cnc.id ? 30 * 60_000 : null),
    })
    watcher.start()
    const s = (point: PointId, ts: number, text: string | null, value: number | null = null): Sample => ({
      point,
      ts,
      value,
      text,
      quality: 'good',
    })
    try {
      await bus.publish(Subjects.sampleIngestedIn(3), {
        tenant,
        samples: [s(state.id, t0, 'running'), s(temp.id, t0, null, 40), s(state.id, t0 + HOUR, 'down')],
      })
      // the same episode, in the next batch: no second proposal
      await bus.publish(Subjects.sampleIngestedIn(3), {
        tenant,
        samples: [s(state.id, t0 + HOUR + 60_000, 'down'), s(state.id, t0 + HOUR + 120_000, null, 4)],
      })
      await watcher.idle()
      assert.equal(audits.length, 1)
      assert.equal(audits[0]?.target, plan.id)
      assert.deepEqual(audits[0]?.details.breakdown, {
        equipment: cnc.id,
        from: t0 + HOUR,
        to: t0 + HOUR + 30 * 60_000,
      })
      // repaired, then down again: a new breakdown, a new proposal
      await bus.publish(Subjects.sampleIngestedIn(3), {
        tenant,
        // out of order within the batch: the watcher judges them by time
        samples: [s(state.id, t0 + 2 * HOUR, 'down'), s(state.id, t0 + HOUR + 30 * 60_000, 'running')],
      })
      await watcher.idle()
      assert.equal(audits.length, 2)
      const pending = await planning.getProposal(tenant, plan.id)
      assert.deepEqual(pending?.breakdown, {
        equipment: cnc.id,
        from: t0 + 2 * HOUR,
        to: t0 + 2 * HOUR + 30 * 60_000,
      })
      for (const option of [pending.rightShift, pending.reoptimised])
        for (const o of option.operations.filter((x) => x.equipment === cnc.id))
          assert.ok(o.end <= t0 + 2 * HOUR || o.start - o.setupMs >= t0 + 2.5 * HOUR, JSON.stringify(o))
      // 'down' on a point that is not the state is no breakdown; nor is one after the plan's work on the CNC
      await bus.publish(Subjects.sampleIngestedIn(3), {
        tenant,
        samples: [
          s(temp.id, t0 + 3 * HOUR, 'down'),
          s(state.id, t0 + 20 * HOUR, 'running'),
          s(state.id, t0 + 21 * HOUR, 'down'),
        ],
      })
      await watcher.idle()
      assert.equal(audits.length, 2)
    } finally {
      await watcher.stop()
    }

    // a restarted node knows no episode: the CNC still down inside the pending proposal's outage is
    // the same breakdown; once that outage is accepted, still the same; after it, a new one. This node
    // follows rule partitions (as in a cluster, where it may have just taken over the tenant's): it
    // holds partitions 0–3 and sees the batches of those only
    const leases = createLocalPartitionLeases({ partitions: 4 })
    const restarted = createBreakdownWatcher({
      partitions: leases,
      bus,
      meta,
      planning,
      log: silent,
      timeLimitMs: 50,
      audit: async (_t, _a, target, details) => {
        audits.push({ target, details })
      },
      expectedRepairMs: async () => 30 * 60_000,
    })
    restarted.start()
    await leases.start()
    await new Promise((r) => setTimeout(r, 10))
    try {
      await bus.publish(Subjects.sampleIngestedIn(3), {
        tenant,
        samples: [s(state.id, t0 + 2 * HOUR + 10 * 60_000, 'down')],
      })
      await restarted.idle()
      assert.equal(audits.length, 2, 'inside the pending proposal: no new proposal')
      await planning.acceptProposal(tenant, plan.id, 'rightShift')
      await bus.publish(Subjects.sampleIngestedIn(3), {
        tenant,
        samples: [s(state.id, t0 + 2 * HOUR + 20 * 60_000, 'running')],
      })
      await bus.publish(Subjects.sampleIngestedIn(3), {
        tenant,
        samples: [s(state.id, t0 + 2 * HOUR + 25 * 60_000, 'down')],
      })
      await restarted.idle()
      assert.equal(audits.length, 2, 'inside the accepted outage: no new proposal')
      // a partition this node does not hold: another node's to judge
      await bus.publish(Subjects.sampleIngestedIn(7), {
        tenant,
        samples: [
          s(state.id, t0 + 2 * HOUR + 40 * 60_000, 'running'),
          s(state.id, t0 + 2 * HOUR + 45 * 60_000, 'down'),
        ],
      })
      await new Promise((r) => setTimeout(r, 10))
      await restarted.idle()
      assert.equal(audits.length, 2, 'a batch of a partition not held here')
      await bus.publish(Subjects.sampleIngestedIn(3), {
        tenant,
        samples: [
          s(state.id, t0 + 2 * HOUR + 40 * 60_000, 'running'),
          s(state.id, t0 + 2 * HOUR + 45 * 60_000, 'down'),
        ],
      })
      await restarted.idle()
      assert.equal(audits.length, 3, 'after the outage: a new breakdown')
    } finally {
      await leases.close()
      await restarted.stop()
    }
  })
})
