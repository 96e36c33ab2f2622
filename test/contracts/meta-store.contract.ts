import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { AssetId, DeviceId, PointId, TenantId, UserId } from '../../src/core/index.ts'
import type { MetaStore } from '../../src/store/meta/index.ts'

let seq = 0
/** A valid-looking credit code per call (uniqueness is what the store checks; validity is the API's job). */
const uscc = (): string =>
  `91440600MA${String(Date.now() % 1e6).padStart(6, '0')}${String(++seq).padStart(2, '0')}`

/** Every metadata-store adapter runs this suite. */
export function metaStoreContract(name: string, open: () => Promise<MetaStore>): void {
  describe(`MetaStore contract: ${name}`, () => {
    let store: MetaStore
    let a: TenantId
    let b: TenantId
    before(async () => {
      store = await open()
      a = (
        await store.createTenantForPlatform({
          name: '佛山压铸',
          uscc: uscc(),
          industryCode: 'C3391',
          regionCode: '440600',
        })
      ).id
      b = (
        await store.createTenantForPlatform({
          name: '东莞电子',
          uscc: uscc(),
          industryCode: 'C3971',
          regionCode: '441900',
        })
      ).id
    })
    after(async () => store.close())

    it('creates tenants and refuses a duplicate credit code', async () => {
      const t = await store.getTenant(a)
      assert.equal(t.name, '佛山压铸')
      assert.equal(t.regionCode, '440600')
      await assert.rejects(
        store.createTenantForPlatform({ name: 'dup', uscc: t.uscc, industryCode: 'C', regionCode: '440600' }),
        { code: 'STORE_CONFLICT' },
      )
    })

    it('keeps an ISA-95 tree per tenant and hides it from other tenants', async () => {
      const site = await store.createAsset(a, { level: 'site', name: '一厂' })
      const line = await store.createAsset(a, { level: 'line', name: '压铸一线', parentId: site.id })
      const eq = await store.createAsset(a, {
        level: 'equipment',
        name: '压铸机 1#',
        parentId: line.id,
        attributes: { kind: 'die_casting', numericallyControlled: true, keyProcess: true, networked: true },
      })
      assert.deepEqual((await store.getAsset(a, eq.id)).attributes, {
        kind: 'die_casting',
        numericallyControlled: true,
        keyProcess: true,
        networked: true,
      })
      const children = await store.listAssets(a, { parentId: site.id })
      assert.deepEqual(
        children.items.map((x) => x.id),
        [line.id],
      )
      await assert.rejects(store.getAsset(b, eq.id), { code: 'NOT_FOUND' })
      await assert.rejects(store.createAsset(b, { level: 'line', name: 'x', parentId: site.id }), {
        code: 'NOT_FOUND',
      })
      await assert.rejects(store.deleteAsset(a, line.id), { code: 'STORE_CONFLICT' })
      assert.equal((await store.listAssets(b)).total, 0)
    })

    it('manages devices, credentials and points, scoped to the tenant', async () => {
      const d = await store.createDevice(a, {
        name: '网关 1',
        key: 'gw-1',
        kind: 'gateway',
        protocol: 'sparkplug',
      })
      await assert.rejects(
        store.createDevice(a, { name: 'dup', key: 'gw-1', kind: 'gateway', protocol: 'mqtt' }),
        {
          code: 'STORE_CONFLICT',
        },
      )
      // the same key in another tenant is a different device
      const db = await store.createDevice(b, { name: 'gw', key: 'gw-1', kind: 'gateway', protocol: 'mqtt' })
      assert.notEqual(db.id, d.id)
      await assert.rejects(store.getDevice(b, d.id), { code: 'NOT_FOUND' })
      assert.equal((await store.findDeviceByKey(a, 'gw-1'))?.id, d.id)

      const c = await store.createCredential(a, {
        deviceId: d.id,
        kind: 'password',
        username: `u-${d.id}`,
        secretHash: 'h1',
      })
      const found = await store.findCredentialForPlatform(`u-${d.id}`)
      assert.equal(found?.device.id, d.id)
      assert.equal(found?.secretHash, 'h1')
      await assert.rejects(store.listCredentials(b, d.id), { code: 'NOT_FOUND' })
      await assert.rejects(store.revokeCredential(b, c.id, 1), { code: 'NOT_FOUND' })
      await store.revokeCredential(a, c.id, 5)
      assert.equal((await store.listCredentials(a, d.id))[0]?.revokedAt, 5)

      const pts = await store.createPoints(a, [
        {
          deviceId: d.id,
          name: '主轴温度',
          key: 'spindle/temp',
          unit: '°C',
          dataType: 'float64',
          kind: 'analog',
        },
        { deviceId: d.id, name: '产量', key: 'count/good', unit: 'pcs', dataType: 'int64', kind: 'counter' },
      ])
      assert.equal(pts.length, 2)
      await assert.rejects(
        store.createPoints(a, [
          { deviceId: d.id, name: 'dup', key: 'spindle/temp', dataType: 'float64', kind: 'analog' },
        ]),
        { code: 'STORE_CONFLICT' },
      )
      await assert.rejects(
        store.createPoints(b, [{ deviceId: d.id, name: 'x', key: 'x', dataType: 'float64', kind: 'analog' }]),
        { code: 'NOT_FOUND' },
      )
      assert.equal((await store.pointsOfDevice(a, d.id)).length, 2)
      assert.equal(
        (
          await store.pointsByIds(
            a,
            pts.map((p) => p.id),
          )
        ).length,
        2,
      )
      assert.equal(
        (
          await store.pointsByIds(
            b,
            pts.map((p) => p.id),
          )
        ).length,
        0,
      )
      assert.equal((await store.listPoints(a, { q: '主轴' })).total, 1)
      await assert.rejects(store.getPoint(b, pts[0]?.id as PointId), { code: 'NOT_FOUND' })
      await store.setDeviceOnline(a, d.id, true, 1234)
      assert.deepEqual(await store.countDevices(a), { total: 1, online: 1 })
      assert.equal((await store.getDevice(a, d.id)).lastSeenAt, 1234)
      await store.deleteDevice(a, d.id)
      assert.equal((await store.pointsOfDevice(a, d.id as DeviceId)).length, 0)
    })

    it('pages, sorts and filters lists', async () => {
      for (let i = 0; i < 12; i++) {
        await store.createDevice(b, {
          name: `machine-${String(i).padStart(2, '0')}`,
          key: `m-${i}`,
          kind: 'machine',
          protocol: 'mqtt',
        })
      }
      const p1 = await store.listDevices(b, { limit: 5, offset: 0, sort: 'name', order: 'desc' })
      assert.equal(p1.total, 13)
      assert.deepEqual(
        p1.items.map((d) => d.name),
        ['machine-11', 'machine-10', 'machine-09', 'machine-08', 'machine-07'],
      )
      const f = await store.listDevices(b, { q: 'machine-0' })
      assert.equal(f.total, 10)
    })

    it('keeps users per tenant and returns the password hash only for login', async () => {
      const u = await store.createUser(a, {
        username: `eng-${a}`,
        role: 'engineer',
        passwordHash: 'scrypt$x',
      })
      assert.equal((u as unknown as Record<string, unknown>).passwordHash, undefined)
      const login = await store.findUserForLoginForPlatform(`eng-${a}`)
      assert.equal(login?.passwordHash, 'scrypt$x')
      await assert.rejects(store.getUser(b, u.id), { code: 'NOT_FOUND' })
      await assert.rejects(store.createUser(b, { username: `eng-${a}`, role: 'viewer', passwordHash: 'y' }), {
        code: 'STORE_CONFLICT',
      })
      const updated = await store.updateUser(a, u.id, { role: 'operator', disabled: true })
      assert.equal(updated.role, 'operator')
      assert.equal(updated.disabled, true)
      await store.createSession({
        tokenHash: 'th',
        userId: u.id as UserId,
        tenantId: a,
        createdAt: 1,
        expiresAt: 10,
      })
      assert.equal((await store.findSessionForPlatform('th'))?.userId, u.id)
      assert.equal(await store.deleteExpiredSessionsForPlatform(11), 1)
      assert.equal(await store.findSessionForPlatform('th'), null)
    })

    it('chains the audit log so that any edit is detectable', async () => {
      for (let i = 0; i < 5; i++) {
        await store.appendAudit(
          {
            tenantId: a,
            actor: 'admin',
            action: `asset.create`,
            target: `ast_${i}`,
            outcome: 'ok',
            details: { i },
          },
          1000 + i,
        )
      }
      await store.appendAudit(
        { tenantId: b, actor: 'x', action: 'auth.login', outcome: 'denied', ip: '127.0.0.1' },
        2000,
      )
      const la = await store.listAudit(a)
      assert.equal(la.total, 5)
      assert.equal(la.items[0]?.target, 'ast_4')
      assert.deepEqual(la.items[0]?.details, { i: 4 })
      assert.equal((await store.listAudit(b, { outcome: 'denied' })).total, 1)
      assert.equal(await store.verifyAuditChainForPlatform(), null)
      const concurrent = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.appendAudit({ tenantId: a, actor: 'c', action: 'x', outcome: 'ok' }, 3000 + i),
        ),
      )
      assert.equal(new Set(concurrent.map((e) => e.seq)).size, 10)
      assert.equal(await store.verifyAuditChainForPlatform(), null)
    })

    it('refuses to move an asset under itself and keeps asset ids opaque across tenants', async () => {
      const s = await store.createAsset(a, { level: 'site', name: 's2' })
      await assert.rejects(store.updateAsset(a, s.id, { parentId: s.id }), { code: 'VALIDATION_FAILED' })
      await assert.rejects(store.updateAsset(b, s.id as AssetId, { name: 'hijack' }), { code: 'NOT_FOUND' })
    })
    it('keeps report subscriptions and their deliveries per tenant', async () => {
      const s = await store.createReportSubscription(a, {
        name: '能源日报',
        scope: 'enterprise',
        regionCode: null,
        period: 'day',
        formats: ['xlsx', 'pdf'],
        channelId: 'mail',
        enabled: true,
        createdBy: 'usr_1',
      })
      assert.match(s.id, /^rsub_[0-9a-z]+$/)
      assert.deepEqual((await store.getReportSubscription(a, s.id)).formats, ['xlsx', 'pdf'])
      assert.deepEqual(
        (await store.listReportSubscriptions(a)).map((x) => x.id),
        [s.id],
      )
      assert.deepEqual(await store.listReportSubscriptions(b), [])
      // another tenant's id behaves like an id that does not exist
      await assert.rejects(store.getReportSubscription(b, s.id), { code: 'NOT_FOUND' })
      await assert.rejects(store.updateReportSubscription(b, s.id, { enabled: false }), { code: 'NOT_FOUND' })
      await assert.rejects(store.deleteReportSubscription(b, s.id), { code: 'NOT_FOUND' })
      const d = {
        subscriptionId: s.id,
        periodKey: '2026-12-04',
        status: 'failed' as const,
        attempts: 1,
        lastError: 'HTTP 500 from example.com',
        sentAt: null,
        updatedAt: 1_765_000_000_000,
      }
      await assert.rejects(store.putReportDelivery(b, d), { code: 'NOT_FOUND' })
      await store.putReportDelivery(a, d)
      await store.putReportDelivery(a, {
        ...d,
        status: 'sent',
        attempts: 2,
        lastError: null,
        sentAt: 1_765_000_100_000,
        updatedAt: 1_765_000_100_000,
      })
      assert.deepEqual(await store.getReportDelivery(a, s.id, '2026-12-04'), {
        ...d,
        status: 'sent',
        attempts: 2,
        lastError: null,
        sentAt: 1_765_000_100_000,
        updatedAt: 1_765_000_100_000,
      })
      assert.equal(await store.getReportDelivery(b, s.id, '2026-12-04'), null)
      assert.equal((await store.listReportDeliveries(a, s.id)).length, 1)
      assert.deepEqual(await store.listReportDeliveries(b, s.id), [])

      const off = await store.updateReportSubscription(a, s.id, { enabled: false, formats: ['pdf'] })
      assert.equal(off.enabled, false)
      assert.deepEqual(off.formats, ['pdf'])
      assert.ok(!(await store.listEnabledReportSubscriptionsForPlatform()).some((x) => x.id === s.id))
      await store.updateReportSubscription(a, s.id, { enabled: true })
      assert.ok((await store.listEnabledReportSubscriptionsForPlatform()).some((x) => x.id === s.id))

      await store.deleteReportSubscription(a, s.id)
      await assert.rejects(store.getReportSubscription(a, s.id), { code: 'NOT_FOUND' })
      assert.equal(await store.getReportDelivery(a, s.id, '2026-12-04'), null)
    })
  })
}
