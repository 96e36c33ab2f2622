import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { ManualClock, type TenantId } from '../core/index.ts'
import { createHandleRegistry } from './handle-registry.ts'
import { emailValue, urlValue } from './handle-values.ts'
import { createIdentifierGenerator, expandPattern } from './id-generator.ts'
import { type IdentifierStoreEngine, identifierStoreEngines } from './identifiers-engines-testing.ts'

const acme = 'ten_acme' as TenantId
const other = 'ten_other' as TenantId

const engines = await identifierStoreEngines()
after(async () => {
  for (const e of engines) await e.close()
})

async function setup(engine: IdentifierStoreEngine) {
  const { db, handles: store } = await engine.open()
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 2, 0, 0))
  const changes: string[] = []
  const registry = createHandleRegistry({ store, clock, onChange: (h) => changes.push(h) })
  await registry.homePrefix(acme, '88.118.8')
  return { db, store, clock, registry, changes }
}

describe('identifier generator', () => {
  it('expands date tokens in the plant time zone', () => {
    // 2026-03-01T20:30Z is already 2026-03-02 in UTC+8
    const at = Date.UTC(2026, 2, 1, 20, 30)
    assert.equal(
      expandPattern('{prefix}/{line}-{yyyymmdd}-{seq:4}', { prefix: '88.118.8', line: 'L2' }, at, 7),
      '88.118.8/L2-20260302-0007',
    )
    assert.equal(
      expandPattern('{prefix}/{line}-{yyyymmdd}-{seq:4}', { prefix: '88.118.8', line: 'L2' }, at, 7, 0),
      '88.118.8/L2-20260301-0007',
    )
    assert.throws(
      () => expandPattern('{prefix}/{line}', { prefix: '88.1', line: 'L' }, at, 1),
      /exactly one \{seq\}/,
    )
    assert.throws(
      () => expandPattern('{prefix}/{line}-{seq}', { prefix: '88.1', line: 'L 2' }, at, 1),
      /must be 1–64/,
    )
    assert.throws(
      () => expandPattern('{prefix}/{seq}-{shift}', { prefix: '88.1' }, at, 1),
      /no value for \{shift\}/,
    )
  })
})

for (const engine of engines) {
  describe(`handle registry on ${engine.name}`, { skip: engine.skip }, () => {
    it('registers a record with an HS_ADMIN value added at index 100', async () => {
      const { registry, changes } = await setup(engine)
      const rec = await registry.register(acme, {
        handle: '88.118.8/P1',
        values: [urlValue(1, 'https://acme.cn/p/1'), emailValue(2, 'qa@acme.cn')],
      })
      assert.deepEqual(
        rec.values.map((v) => [v.index, v.type, v.data.format]),
        [
          [1, 'URL', 'string'],
          [2, 'EMAIL', 'string'],
          [100, 'HS_ADMIN', 'admin'],
        ],
      )
      assert.deepEqual(rec.values[2]!.data.value, {
        handle: '0.NA/88.118.8',
        index: 200,
        permissions: '011111111111',
      })
      assert.deepEqual(changes, ['88.118.8/P1'])
      const back = await registry.get(acme, '88.118.8/P1')
      assert.deepEqual(back, rec)
    })

    it('refuses a duplicate unless overwriting, and a prefix the tenant does not hold', async () => {
      const { registry } = await setup(engine)
      await registry.register(acme, { handle: '88.118.8/P1', values: [urlValue(1, 'https://a.cn')] })
      await assert.rejects(registry.register(acme, { handle: '88.118.8/P1', values: [] }), {
        code: 'IDENT_HANDLE_EXISTS',
      })
      const replaced = await registry.register(
        acme,
        { handle: '88.118.8/P1', values: [urlValue(1, 'https://b.cn')] },
        { overwrite: true },
      )
      assert.equal(replaced.values[0]!.data.value, 'https://b.cn')
      await assert.rejects(registry.register(other, { handle: '88.118.8/P2', values: [] }), {
        code: 'IDENT_PREFIX_NOT_HELD',
      })
      await assert.rejects(registry.register(acme, { handle: '88.118/P2', values: [] }), {
        code: 'IDENT_PREFIX_NOT_HELD',
      })
      // tenant isolation: the other tenant cannot read it
      assert.equal(await registry.get(other, '88.118.8/P1'), null)
    })

    it('validates template fields on write and on later value edits', async () => {
      const { registry } = await setup(engine)
      await assert.rejects(
        registry.register(acme, {
          handle: '88.118.8/B1',
          template: { id: 'batch' },
          fields: { model: 'XP', batch: 'B1', quantity: 'many' },
        }),
        (e: { code: string; details: { fieldErrors: { field: string; code: string }[] } }) => {
          assert.equal(e.code, 'IDENT_TEMPLATE_VIOLATION')
          assert.deepEqual(
            e.details.fieldErrors.map((f) => `${f.field}:${f.code}`),
            ['manufacturer:required', 'productionDate:required', 'quantity:type'],
          )
          return true
        },
      )
      const rec = await registry.register(acme, {
        handle: '88.118.8/B1',
        template: { id: 'batch' },
        fields: {
          model: 'XP',
          batch: 'B1',
          manufacturer: 'Acme',
          productionDate: '2026-03-01',
          quantity: 500,
          uom: 'EA',
        },
      })
      assert.deepEqual(rec.template, { id: 'batch', version: 1 })
      assert.deepEqual(await registry.fieldsOf(acme, rec), {
        model: 'XP',
        batch: 'B1',
        manufacturer: 'Acme',
        productionDate: '2026-03-01',
        quantity: '500',
        uom: 'EA',
      })
      await assert.rejects(registry.removeValues(acme, '88.118.8/B1', [2000]), {
        code: 'IDENT_TEMPLATE_VIOLATION',
      })
      const edited = await registry.putValues(acme, '88.118.8/B1', [
        { index: 2007, type: 'quantity', data: { format: 'string', value: '480' } },
        urlValue(1, 'https://acme.cn/b/1'),
      ])
      assert.deepEqual(
        edited.values.map((v) => v.index),
        [1, 100, 2000, 2002, 2003, 2004, 2007, 2008],
      )
      assert.equal(edited.values.find((v) => v.index === 2007)!.data.value, '480')
    })

    it('uses a tenant template over the built-in one', async () => {
      const { registry } = await setup(engine)
      await registry.putTemplate(acme, {
        id: 'valve',
        version: 2,
        category: 'valve',
        fields: [
          { name: 'pressureClass', index: 2100, kind: 'enum', required: true, enum: ['PN16', 'PN25'] },
        ],
      })
      await assert.rejects(registry.putTemplate(acme, { id: 'v', version: 1, category: 'x', fields: [] }), {
        code: 'IDENT_INVALID_TEMPLATE',
      })
      await assert.rejects(
        registry.register(acme, {
          handle: '88.118.8/V1',
          template: { id: 'valve' },
          fields: { pressureClass: 'PN40' },
        }),
        { code: 'IDENT_TEMPLATE_VIOLATION' },
      )
      const ok = await registry.register(acme, {
        handle: '88.118.8/V1',
        template: { id: 'valve' },
        fields: { pressureClass: 'PN25' },
      })
      assert.deepEqual(ok.template, { id: 'valve', version: 2 })
      await assert.rejects(
        registry.register(acme, { handle: '88.118.8/V2', template: { id: 'nope' }, fields: {} }),
        { code: 'IDENT_UNKNOWN_TEMPLATE' },
      )
    })

    it('bulk-registers with a result per item', async () => {
      const { registry } = await setup(engine)
      await registry.register(acme, { handle: '88.118.8/X2', values: [] })
      const res = await registry.registerBulk(acme, [
        { handle: '88.118.8/X1', values: [urlValue(1, 'https://a.cn/1')] },
        { handle: '88.118.8/X2', values: [] },
        { handle: 'bad handle', values: [] },
        { handle: '88.118.8/X3', template: { id: 'part' }, fields: { model: 'M' } },
        { handle: '88.118.8/X1', values: [] },
        { handle: '88.999/X4', values: [] },
        { handle: '88.118.8/X5', values: [emailValue(1, 'x@acme.cn')] },
      ])
      assert.equal(res.accepted, 2)
      assert.equal(res.rejected, 5)
      assert.deepEqual(
        res.items.map((i) => (i.ok ? `${i.at}:ok` : `${i.at}:${i.error.code}`)),
        [
          '0:ok',
          '1:IDENT_HANDLE_EXISTS',
          '2:IDENT_INVALID_HANDLE',
          '3:IDENT_TEMPLATE_VIOLATION',
          '4:IDENT_INVALID_VALUE',
          '5:IDENT_PREFIX_NOT_HELD',
          '6:ok',
        ],
      )
      assert.notEqual(await registry.get(acme, '88.118.8/X5'), null)
      await assert.rejects(registry.registerBulk(acme, new Array(2001).fill({ handle: '88.118.8/a' })), {
        code: 'IDENT_BATCH_TOO_LARGE',
      })
    })

    it('lets a secondary node delegate an enterprise prefix it derives', async () => {
      const { registry, store } = await setup(engine)
      const secondary = 'ten_secondary' as TenantId
      await registry.homePrefix(secondary, '88.200')
      const rec = await registry.delegatePrefix(secondary, '88.200.15', {
        baseUrl: 'http://10.0.0.5:8000',
        site: { host: '10.0.0.5', httpPort: 8000, tcpPort: 2643 },
      })
      assert.equal(rec.handle, '0.na/88.200.15')
      assert.deepEqual(
        rec.values.map((v) => v.type),
        ['RONGHE_NODE', 'HS_SITE', 'HS_ADMIN'],
      )
      assert.notEqual(await store.getHandle(secondary, '0.na/88.200.15'), null)
      await assert.rejects(registry.delegatePrefix(acme, '88.200.16', { baseUrl: 'http://x' }), {
        code: 'IDENT_PREFIX_NOT_HELD',
      })
      await assert.rejects(registry.homePrefix(secondary, '88.118.8'), { code: 'IDENT_PREFIX_EXISTS' })
    })
  })

  describe(`identifier generator on ${engine.name}`, { skip: engine.skip }, () => {
    it('numbers per line and per day, without gaps or repeats', async () => {
      const { store, clock } = await setup(engine)
      const gen = createIdentifierGenerator({ store, clock })
      const p = '{prefix}/{line}-{yyyymmdd}-{seq:4}'
      assert.deepEqual(await gen.next(acme, p, { prefix: '88.118.8', line: 'L1' }, 3), [
        '88.118.8/L1-20260301-0001',
        '88.118.8/L1-20260301-0002',
        '88.118.8/L1-20260301-0003',
      ])
      assert.deepEqual(await gen.next(acme, p, { prefix: '88.118.8', line: 'L2' }), [
        '88.118.8/L2-20260301-0001',
      ])
      assert.deepEqual(await gen.next(acme, p, { prefix: '88.118.8', line: 'L1' }), [
        '88.118.8/L1-20260301-0004',
      ])
      // another tenant has its own counters
      assert.deepEqual(await gen.next(other, p, { prefix: '88.118.9', line: 'L1' }), [
        '88.118.9/L1-20260301-0001',
      ])
      clock.advance(24 * 3600_000)
      assert.deepEqual(await gen.next(acme, p, { prefix: '88.118.8', line: 'L1' }), [
        '88.118.8/L1-20260302-0001',
      ])
      const parallel = await Promise.all(
        [1, 2, 3, 4].map(() => gen.next(acme, p, { prefix: '88.118.8', line: 'L9' }, 2)),
      )
      assert.deepEqual(
        parallel.flat().sort(),
        [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `88.118.8/L9-20260302-000${n}`),
      )
    })
  })

  describe(`handle store on ${engine.name}`, { skip: engine.skip }, () => {
    it('lists handles under a prefix page by page and keeps tenants apart', async () => {
      const { registry, store } = await setup(engine)
      for (const s of ['c', 'a', 'b', 'd'])
        await registry.register(acme, { handle: `88.118.8/${s}`, values: [] })
      const p1 = await store.listHandles(acme, { prefix: '88.118.8', limit: 3 })
      assert.deepEqual(
        p1.map((r) => r.handle),
        ['88.118.8/a', '88.118.8/b', '88.118.8/c'],
      )
      const p2 = await store.listHandles(acme, { prefix: '88.118.8', limit: 3, after: p1[2]!.handle })
      assert.deepEqual(
        p2.map((r) => r.handle),
        ['88.118.8/d'],
      )
      assert.deepEqual(await store.listHandles(other, { prefix: '88.118.8', limit: 10 }), [])
      assert.equal(await registry.remove(other, '88.118.8/a'), false)
      assert.equal(await registry.remove(acme, '88.118.8/a'), true)
      assert.equal(await registry.get(acme, '88.118.8/a'), null)
    })

    it('homes, finds and unhomes prefixes', async () => {
      const { store } = await setup(engine)
      assert.deepEqual((await store.findHomedPrefixForPlatform('88.118.8.3'))?.prefix, '88.118.8')
      assert.equal(await store.findHomedPrefixForPlatform('88.118'), null)
      assert.deepEqual(
        (await store.listPrefixes(acme)).map((p) => p.prefix),
        ['88.118.8'],
      )
      assert.equal(await store.unhomePrefix(other, '88.118.8'), false)
      assert.equal(await store.unhomePrefix(acme, '88.118.8'), true)
      assert.equal(await store.findHomedPrefixForPlatform('88.118.8'), null)
    })
  })
}
