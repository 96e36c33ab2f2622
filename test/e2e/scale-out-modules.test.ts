import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { buildEnterprises } from '../../src/sim/factory-catalog.ts'
import { createSimModbusServer, type SimModbusServer } from '../../src/sim/modbus-server.ts'
import {
  createScratchDatabase,
  needPostgres,
  type ScratchDatabase,
} from '../../src/store/series/postgres-scratch.ts'
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.ts'

const MIN = 60_000

/**
 * Two nodes of one cluster (in-process platforms on one PostgreSQL database): planning, operators'
 * downtime reasons and OPC UA / Modbus adapter configurations written through one node are served by
 * the other, and an adapter runs on exactly one node until that node goes away.
 */
describe('two nodes on one PostgreSQL database share planning, downtime reasons and adapters', () => {
  let db: ScratchDatabase | undefined
  let a: TestPlatform | undefined
  let b: TestPlatform | undefined
  let modbus: SimModbusServer | undefined
  let skip: string | undefined
  let ent: { tenant: string; token: string }
  let other: { tenant: string; token: string }
  const equipment: string[] = []

  before(async () => {
    skip = await needPostgres()
    if (skip) return
    db = await createScratchDatabase('modules')
    const env = { RONGHE_DATABASE_URL: db.url, RONGHE_ADAPTERS_CLAIM_INTERVAL_MS: '200' }
    const first = await startTestPlatform({ env })
    a = first
    b = await startTestPlatform({ env })
    ent = await first.enterprise('集群排产企业')
    other = await first.enterprise('别的企业')
    for (const name of ['lathe', 'mill']) {
      const r = await first.api<{ id: string }>('POST', '/api/assets', {
        token: ent.token,
        body: { level: 'equipment', name },
      })
      assert.equal(r.status, 201, JSON.stringify(r.body))
      equipment.push(r.body.id)
    }
  })
  after(async () => {
    await a?.stop()
    await b?.stop()
    await modbus?.stop()
    await db?.drop()
  })

  it('lists on node B the product, order and schedule created through node A', async (t) => {
    if (skip || !a || !b) return t.skip(skip)
    const product = await a.api<{ id: string }>('POST', '/api/planning/products', {
      token: ent.token,
      body: {
        name: 'Flange',
        routing: [
          { name: 'turn', alternatives: [{ equipment: equipment[0], durationMs: 10 * MIN }] },
          { name: 'mill', alternatives: [{ equipment: equipment[1], durationMs: 5 * MIN }] },
        ],
      },
    })
    assert.equal(product.status, 201, JSON.stringify(product.body))
    const startAt = Date.UTC(2026, 11, 7, 0)
    const order = await a.api<{ id: string }>('POST', '/api/planning/orders', {
      token: ent.token,
      body: { productId: product.body.id, quantity: 2, due: startAt + 8 * 60 * MIN },
    })
    assert.equal(order.status, 201, JSON.stringify(order.body))
    const plan = await a.api<{ id: string; kpis: { makespanMs: number } }>(
      'POST',
      '/api/planning/schedules',
      {
        token: ent.token,
        body: { orderIds: [order.body.id], timeLimitMs: 200, startAt },
      },
    )
    assert.equal(plan.status, 201, JSON.stringify(plan.body))
    // 2 pieces: lathe 0–20 min, mill 20–30 min
    assert.equal(plan.body.kpis.makespanMs, 30 * MIN)

    const products = await b.api<{ items: { id: string }[] }>('GET', '/api/planning/products', {
      token: ent.token,
    })
    assert.deepEqual(
      products.body.items.map((x) => x.id),
      [product.body.id],
    )
    const orders = await b.api<{ items: { id: string }[] }>('GET', '/api/planning/orders', {
      token: ent.token,
    })
    assert.deepEqual(
      orders.body.items.map((x) => x.id),
      [order.body.id],
    )
    const got = await b.api<{ id: string; kpis: { makespanMs: number } }>(
      'GET',
      `/api/planning/schedules/${plan.body.id}`,
      { token: ent.token },
    )
    assert.equal(got.status, 200, JSON.stringify(got.body))
    assert.equal(got.body.kpis.makespanMs, 30 * MIN)
    const theirs = await b.api<{ items: unknown[] }>('GET', '/api/planning/orders', { token: other.token })
    assert.deepEqual(theirs.body.items, [], 'another enterprise sees none of it on either node')
  })

  it('shows on node B a downtime reason added and assigned through node A', async (t) => {
    if (skip || !a || !b) return t.skip(skip)
    const start = Date.UTC(2026, 11, 7, 8)
    const code = await a.api('POST', '/api/downtime-reasons', {
      token: ent.token,
      body: { code: 'mould-change', label: { 'zh-CN': '换模', en: 'Mould change' } },
    })
    assert.equal(code.status, 201, JSON.stringify(code.body))
    const again = await b.api<{ error: { code: string } }>('POST', '/api/downtime-reasons', {
      token: ent.token,
      body: { code: 'mould-change', label: { 'zh-CN': '换模', en: 'Mould change' } },
    })
    assert.equal(again.status, 409, 'node B knows the code exists')
    const assigned = await a.api('POST', '/api/downtime-assignments', {
      token: ent.token,
      body: { equipment: equipment[0], start, end: start + 15 * MIN, reason: 'mould-change' },
    })
    assert.equal(assigned.status, 201, JSON.stringify(assigned.body))
    const list = await b.api<{ items: { start: number; end: number; reason: string }[] }>(
      'GET',
      `/api/downtime-assignments?equipment=${equipment[0]}&from=${start - MIN}&to=${start + 60 * MIN}`,
      { token: ent.token },
    )
    assert.equal(list.status, 200, JSON.stringify(list.body))
    assert.deepEqual(
      list.body.items.map((x) => [x.start, x.end, x.reason]),
      [[start, start + 15 * MIN, 'mould-change']],
    )
  })

  it('lists on node B an adapter configured through node A and runs it on exactly one node', async (t) => {
    if (skip || !a || !b) return t.skip(skip)
    const fsDiecast = buildEnterprises().find((e) => e.key === 'fs-diecast')
    assert.ok(fsDiecast)
    modbus = createSimModbusServer({ enterprise: fsDiecast })
    await modbus.start()
    const unit = modbus.units.find((u) => u.deviceKey === 'AC-01')
    assert.ok(unit)
    const dev = await a.device(ent.token, 'ac-01', 'modbus')
    const config = {
      kind: 'modbus',
      host: '127.0.0.1',
      port: modbus.port,
      unitId: unit.unitId,
      groups: [
        {
          name: 'all',
          intervalMs: 100,
          points: unit.points.map((pt) => ({
            key: pt.pointKey,
            table: 'input',
            address: pt.address,
            type: pt.type,
          })),
        },
      ],
    }
    const put = await a.api('PUT', `/api/devices/${dev.id}/adapter`, { token: ent.token, body: config })
    assert.equal(put.status, 200, JSON.stringify(put.body))
    const got = await b.api<{ settings: typeof config }>('GET', `/api/devices/${dev.id}/adapter`, {
      token: ent.token,
    })
    assert.equal(got.status, 200, JSON.stringify(got.body))
    assert.deepEqual(got.body.settings, config)

    const nodes = { a, b }
    const runners = () => (['a', 'b'] as const).filter((n) => nodes[n].app.adapters.runningHere().length > 0)
    // several claim passes (every 200 ms) of both nodes: still one runner
    await new Promise((r) => setTimeout(r, 1000))
    const [owner, ...more] = runners()
    assert.ok(owner !== undefined && more.length === 0, `one node runs it, not ${JSON.stringify(runners())}`)
    const standby = owner === 'a' ? b : a
    // the standby node answers with the owner's report
    const status = await eventually(
      async () => {
        const r = await standby.api<{ runningHere: boolean; connected: boolean; reportedAt: number }>(
          'GET',
          `/api/devices/${dev.id}/adapter/status`,
          { token: ent.token },
        )
        assert.equal(r.status, 200, JSON.stringify(r.body))
        return r.body.connected ? r.body : undefined
      },
      10_000,
      "the owner's report of a connected adapter",
    )
    assert.equal(status.runningHere, false)
    assert.equal(typeof status.reportedAt, 'number')
    // its values reach the shared store: the standby node lists the auto-registered points
    await eventually(
      async () => {
        const r = await standby.api<{ items: unknown[] }>('GET', `/api/points?deviceId=${dev.id}&limit=100`, {
          token: ent.token,
        })
        return r.body.items.length === unit.points.length
      },
      10_000,
      'points of the adapter on the standby node',
    )

    // the owner goes away: its lock session ends and the standby node takes the adapter over
    await nodes[owner].stop()
    await eventually(async () => standby.app.adapters.runningHere().length === 1, 5000, 'takeover')
    await eventually(
      async () => {
        const r = await standby.api<{ runningHere: boolean; connected: boolean }>(
          'GET',
          `/api/devices/${dev.id}/adapter/status`,
          { token: ent.token },
        )
        return r.body.runningHere && r.body.connected
      },
      10_000,
      'the standby node connected to the PLC',
    )
  })
})
