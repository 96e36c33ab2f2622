import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { TenantId } from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import { createSqliteMetaStore } from '../store/meta/sqlite-meta-store.ts'
import { createScratchDatabase, needPostgres } from '../store/series/postgres-scratch.ts'
import { openPlanningService, openPostgresPlanningService, type PlanningService } from './planning-service.ts'

const HOUR = 3_600_000
const t0 = Date.UTC(2026, 0, 5, 0)
const deps = (meta: MetaStore) => ({ meta, clock: { now: () => t0 } })

/**
 * Two planning services on one store stand for two nodes of a cluster (or one node restarted): what
 * one writes, the other reads; every query is scoped to its tenant.
 */
function planningSuite(
  name: string,
  open: (
    meta: MetaStore,
  ) => Promise<{ a: PlanningService; b: PlanningService; drop(): Promise<void> } | null>,
): void {
  describe(`planning service on ${name}`, () => {
    let dir: string
    let meta: MetaStore
    let s: { a: PlanningService; b: PlanningService; drop(): Promise<void> } | null = null
    let tenant: TenantId
    let other: TenantId
    let cnc: string
    let bench: string

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ronghe-planning-'))
      meta = await createSqliteMetaStore({ path: join(dir, 'meta.db') })
      const mk = async (uscc: string) =>
        (
          await meta.createTenantForPlatform({
            name: `排产 ${uscc}`,
            uscc,
            industryCode: 'C3391',
            regionCode: '440600',
          })
        ).id
      tenant = await mk('91440600MA00000P01')
      other = await mk('91440600MA00000P02')
      cnc = (await meta.createAsset(tenant, { level: 'equipment', name: 'CNC-01' })).id
      bench = (await meta.createAsset(tenant, { level: 'equipment', name: 'bench' })).id
      s = await open(meta)
    })
    after(async () => {
      await s?.a.close()
      await s?.b.close()
      await s?.drop()
      await meta.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('serves products, orders and schedules written through one service from the other, per tenant', async (t) => {
      if (!s) return t.skip('PostgreSQL is not available')
      const { a, b } = s
      const product = await a.createProduct(tenant, {
        name: 'Housing',
        routing: [
          { name: 'machine', alternatives: [{ equipment: cnc, durationMs: HOUR }] },
          { name: 'deburr', alternatives: [{ equipment: bench, durationMs: HOUR / 2 }] },
        ],
      })
      const order = await a.createOrder(tenant, { productId: product.id, quantity: 2, due: t0 + 8 * HOUR })
      assert.deepEqual(await b.listProducts(tenant), [product])
      assert.deepEqual(await b.getOrder(tenant, order.id), order)
      assert.deepEqual(await b.listOrders(other), [], 'another tenant sees no orders')
      await assert.rejects(b.getProduct(other, product.id), (e: Error & { code?: string }) => {
        return e.code === 'NOT_FOUND'
      })

      const plan = await b.createSchedule(tenant, { orderIds: [order.id], timeLimitMs: 200, startAt: t0 })
      assert.equal(plan.kpis.makespanMs, 3 * HOUR, 'two pieces: 2 h machining, then 1 h deburring')
      assert.deepEqual(await a.getSchedule(tenant, plan.id), plan)
      assert.deepEqual(await a.listSchedules(other), [])

      // a breakdown proposed on one node is decided on the other
      const proposal = await a.proposeBreakdown(tenant, plan.id, {
        equipment: cnc,
        from: t0 + HOUR,
        to: t0 + 2 * HOUR,
        timeLimitMs: 200,
      })
      assert.deepEqual(await b.getProposal(tenant, plan.id), proposal)
      const accepted = await b.acceptProposal(tenant, plan.id, 'rightShift')
      assert.deepEqual(accepted.outages, [{ equipment: cnc, from: t0 + HOUR, to: t0 + 2 * HOUR }])
      assert.equal(accepted.kpis.makespanMs, proposal.rightShift.kpis.makespanMs)
      assert.equal(await a.getProposal(tenant, plan.id), null, 'the accepted proposal is gone for both')
      assert.deepEqual((await a.getSchedule(tenant, plan.id)).outages, accepted.outages)
    })
  })
}

planningSuite('SQLite', async (meta) => {
  const dir = mkdtempSync(join(tmpdir(), 'ronghe-planning-db-'))
  const path = join(dir, 'planning.db')
  const a = await openPlanningService({ path, ...deps(meta) })
  const b = await openPlanningService({ path, ...deps(meta) })
  return { a, b, drop: async () => rmSync(dir, { recursive: true, force: true }) }
})

planningSuite('PostgreSQL', async (meta) => {
  if (await needPostgres()) return null
  const db = await createScratchDatabase('planning')
  // two nodes starting at once: one migrates, the other waits for its lock
  const [a, b] = await Promise.all([
    openPostgresPlanningService({ url: db.url, ...deps(meta) }),
    openPostgresPlanningService({ url: db.url, ...deps(meta) }),
  ])
  return { a, b, drop: () => db.drop() }
})
