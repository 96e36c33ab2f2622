import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { metaStoreContract } from '../../../test/contracts/meta-store.contract.ts'
import { createScratchDatabase, needPostgres, type ScratchDatabase } from '../series/postgres-scratch.ts'
import { createPostgresMetaStore } from './postgres-meta-store.ts'

// One database per run, dropped at the end; the contract opens one store in it.
const skip = await needPostgres()
let scratch: ScratchDatabase | undefined
if (skip === undefined) {
  before(async () => {
    scratch = await createScratchDatabase('meta')
  })
  after(async () => scratch?.drop())
  metaStoreContract('postgres', () => createPostgresMetaStore({ url: scratch!.url }))
}

describe('postgres meta store specifics', { skip }, () => {
  it('searches like SQLite: ASCII case ignored, % and _ taken literally', async () => {
    const store = await createPostgresMetaStore({ url: scratch!.url })
    try {
      const t = await store.createTenantForPlatform({
        name: 'Search Co',
        uscc: `91440600SEARCH${Date.now() % 10_000}`,
        industryCode: 'C',
        regionCode: '440600',
      })
      for (const [name, key] of [
        ['Press 50% line', 'k1'],
        ['Press 501', 'k2'],
        ['press_a', 'k3'],
        ['pressXa', 'k4'],
      ] as const) {
        await store.createDevice(t.id, { name, key, kind: 'machine', protocol: 'mqtt' })
      }
      const names = async (q: string): Promise<string[]> =>
        (await store.listDevices(t.id, { q })).items.map((d) => d.name).sort()
      assert.deepEqual(await names('PRESS'), ['Press 50% line', 'Press 501', 'pressXa', 'press_a'])
      assert.deepEqual(await names('50%'), ['Press 50% line'])
      assert.deepEqual(await names('s_a'), ['press_a'])
      await store.appendAudit({ tenantId: t.id, actor: 'a', action: 'device_x.created', outcome: 'ok' }, 1)
      await store.appendAudit({ tenantId: t.id, actor: 'a', action: 'deviceXx.created', outcome: 'ok' }, 2)
      const audit = await store.listAudit(t.id, { action: 'device_' })
      assert.deepEqual(
        audit.items.map((e) => e.action),
        ['device_x.created'],
      )
    } finally {
      await store.close()
    }
  })

  it('returns epoch-ms columns as numbers', async () => {
    const store = await createPostgresMetaStore({
      url: scratch!.url,
      clock: { now: () => 1_700_000_000_123 },
    })
    try {
      const t = await store.createTenantForPlatform({
        name: 'Clock Co',
        uscc: `91440600CLOCK${Date.now() % 10_000}`,
        industryCode: 'C',
        regionCode: '440600',
        retentionDays: 90,
      })
      const back = await store.getTenant(t.id)
      assert.equal(back.createdAt, 1_700_000_000_123)
      assert.equal(back.retentionDays, 90)
      assert.deepEqual(await store.countDevices(t.id), { total: 0, online: 0 })
    } finally {
      await store.close()
    }
  })
})
