import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { TenantId } from '../../core/index.ts'
import { createScratchDatabase, needPostgres } from '../../store/series/postgres-scratch.ts'
import {
  type DowntimeReasonStore,
  openDowntimeReasonStore,
  openPostgresDowntimeReasonStore,
} from './downtime-reasons.ts'

const T = 'ten_dtr_a' as TenantId
const U = 'ten_dtr_b' as TenantId
// a real epoch ms, beyond a 32-bit integer column
const t0 = Date.UTC(2026, 2, 2, 8)
const MIN = 60_000

/** Two stores on one database stand for two nodes: what an operator assigns on one, the other reads. */
function downtimeSuite(
  name: string,
  open: () => Promise<{ a: DowntimeReasonStore; b: DowntimeReasonStore; drop(): Promise<void> } | null>,
): void {
  describe(`downtime reason store on ${name}`, () => {
    let s: { a: DowntimeReasonStore; b: DowntimeReasonStore; drop(): Promise<void> } | null = null
    before(async () => {
      s = await open()
    })
    after(async () => {
      await s?.a.close()
      await s?.b.close()
      await s?.drop()
    })

    it('shares catalogue and assignments between stores, per tenant, with epoch-ms times intact', async (t) => {
      if (!s) return t.skip('PostgreSQL is not available')
      const { a, b } = s
      await a.addReason(T, { code: 'tool-change', label: { 'zh-CN': '换刀', en: 'Tool change' } })
      await assert.rejects(
        b.addReason(T, { code: 'tool-change', label: { 'zh-CN': '换刀', en: 'Tool change' } }),
        (e: Error & { code?: string }) => e.code === 'STORE_CONFLICT',
      )
      const own = (await b.reasons(T)).filter((r) => !r.builtIn)
      assert.deepEqual(own, [
        { code: 'tool-change', label: { 'zh-CN': '换刀', en: 'Tool change' }, builtIn: false },
      ])
      assert.equal(
        (await b.reasons(U)).filter((r) => !r.builtIn).length,
        0,
        'another tenant has only built-ins',
      )

      await a.assign(
        T,
        { equipment: 'cnc', start: t0, end: t0 + 10 * MIN, reason: 'tool-change', assignedBy: 'op1' },
        t0 + 11 * MIN,
      )
      await a.assign(
        T,
        {
          equipment: 'cnc',
          start: t0 + 20 * MIN,
          end: t0 + 30 * MIN,
          reason: 'breakdown',
          assignedBy: 'op1',
        },
        t0 + 31 * MIN,
      )
      // an operator corrects the first reason through the other node: same start replaces it
      await b.assign(
        T,
        { equipment: 'cnc', start: t0, end: t0 + 12 * MIN, reason: 'setup', assignedBy: 'op2' },
        t0 + 40 * MIN,
      )
      assert.deepEqual(await a.assignments(T, 'cnc', t0, t0 + 60 * MIN), [
        {
          equipment: 'cnc',
          start: t0,
          end: t0 + 12 * MIN,
          reason: 'setup',
          assignedBy: 'op2',
          assignedAt: t0 + 40 * MIN,
        },
        {
          equipment: 'cnc',
          start: t0 + 20 * MIN,
          end: t0 + 30 * MIN,
          reason: 'breakdown',
          assignedBy: 'op1',
          assignedAt: t0 + 31 * MIN,
        },
      ])
      // overlap is [from, to): the window [t0 + 12 min, t0 + 20 min) touches neither
      assert.deepEqual(await b.assignments(T, 'cnc', t0 + 12 * MIN, t0 + 20 * MIN), [])
      assert.deepEqual(await b.assignments(U, 'cnc', t0, t0 + 60 * MIN), [], 'another tenant sees none')
      await assert.rejects(
        b.assign(
          U,
          { equipment: 'cnc', start: t0, end: t0 + MIN, reason: 'tool-change', assignedBy: 'x' },
          t0,
        ),
        (e: Error & { code?: string }) => e.code === 'VALIDATION_FAILED',
        "another tenant's own code is not in this tenant's catalogue",
      )
    })
  })
}

downtimeSuite('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ronghe-downtime-'))
  const path = join(dir, 'analytics.db')
  const a = await openDowntimeReasonStore(path)
  const b = await openDowntimeReasonStore(path)
  return { a, b, drop: async () => rmSync(dir, { recursive: true, force: true }) }
})

downtimeSuite('PostgreSQL', async () => {
  if (await needPostgres()) return null
  const db = await createScratchDatabase('downtime')
  const [a, b] = await Promise.all([
    openPostgresDowntimeReasonStore(db.url),
    openPostgresDowntimeReasonStore(db.url),
  ])
  return { a, b, drop: () => db.drop() }
})
