import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import type { TenantId } from '../core/index.ts'
import type { CaptureItem } from './epcis/epcis-store.ts'
import type { HandleRecord } from './handle-store.ts'
import { normalizeValues, urlValue } from './handle-values.ts'
import { identifierStoreEngines } from './identifiers-engines-testing.ts'

const acme = 'ten_acme' as TenantId
const beta = 'ten_beta' as TenantId
const now = Date.UTC(2026, 2, 1)

function record(handle: string, url: string): HandleRecord {
  return {
    handle,
    prefix: handle.split('/')[0]!,
    values: normalizeValues([urlValue(1, url)], now),
    createdAt: now,
    updatedAt: now,
  }
}

function observed(eventID: string, epc: string, minute: number): CaptureItem {
  const eventTimeMs = now + minute * 60_000
  return {
    event: {
      type: 'ObjectEvent',
      eventID,
      eventTime: new Date(eventTimeMs).toISOString(),
      eventTimeZoneOffset: '+00:00',
      epcList: [epc],
      action: 'OBSERVE',
    },
    eventTimeMs,
  }
}

/** The outcome of each of several writes made at once: 'ok' or the error code. */
async function outcomes(writes: readonly Promise<unknown>[]): Promise<string[]> {
  const settled = await Promise.allSettled(writes)
  return settled
    .map((s) => (s.status === 'fulfilled' ? 'ok' : String((s.reason as { code?: unknown }).code ?? s.reason)))
    .sort()
}

const engines = await identifierStoreEngines()
after(async () => {
  for (const e of engines) await e.close()
})

/**
 * What the identifier stores promise beyond single-node use: the one-step resolution read agrees with
 * the two reads, and two writers on one database (two nodes of a cluster; on SQLite the one
 * connection) racing for the same key get the answers one node gives, never a raw constraint error.
 */
for (const engine of engines) {
  describe(`identifier stores on ${engine.name}`, { skip: engine.skip }, () => {
    it('reads the homed prefix and the handle in one step as the two reads do', async () => {
      const { handles: store } = await engine.open()
      await store.homePrefix(acme, '88.118.8', now)
      await store.homePrefix(beta, '88.118.8.2', now + 1)
      await store.putHandle(acme, record('88.118.8/P1', 'https://acme.cn/p/1'), { overwrite: false })
      await store.putHandle(
        acme,
        { ...record('88.118.8/T1', 'https://acme.cn/t/1'), template: { id: 'product', version: 2 } },
        { overwrite: false },
      )
      // beta's handle under acme's prefix is not acme's: it must not answer for 88.118.8
      await store.putHandle(beta, record('88.118.8/P2', 'https://beta.cn/p/2'), { overwrite: false })
      await store.putHandle(beta, record('88.118.8.2/Q', 'https://beta.cn/q'), { overwrite: false })
      const cases = [
        ['88.118.8', '88.118.8/P1'],
        ['88.118.8', '88.118.8/T1'],
        ['88.118.8', '88.118.8/P2'],
        ['88.118.8', '88.118.8/absent'],
        ['88.118.8.2', '88.118.8.2/Q'],
        ['88.118.8.2.7', '88.118.8.2.7/x'],
        ['86', '86/x'],
      ] as const
      for (const [prefix, handle] of cases) {
        const homed = await store.findHomedPrefixForPlatform(prefix)
        const expected = {
          homed,
          record: homed === null ? null : await store.getHandle(homed.tenant, handle),
        }
        assert.deepEqual(await store.findHandleForPlatform(prefix, handle), expected, handle)
      }
      const t1 = await store.findHandleForPlatform('88.118.8', '88.118.8/T1')
      assert.deepEqual(t1.record?.template, { id: 'product', version: 2 })
      assert.equal(t1.record?.createdAt, now)
      assert.equal((await store.findHandleForPlatform('88.118.8', '88.118.8/P2')).record, null)
      assert.equal((await store.findHandleForPlatform('88.118.8.2', '88.118.8.2/Q')).homed?.tenant, beta)
    })

    it('lists and pages handles in byte order, whatever the database locale', async () => {
      const { handles: store } = await engine.open()
      // a locale collation would put a before B and ignore the punctuation
      for (const s of ['a', 'B', '_x', 'b-2', 'b10', 'Z'])
        await store.putHandle(acme, record(`88.118.8/${s}`, 'https://acme.cn'), { overwrite: false })
      const first = await store.listHandles(acme, { prefix: '88.118.8', limit: 3 })
      const rest = await store.listHandles(acme, { prefix: '88.118.8', limit: 10, after: first[2]!.handle })
      assert.deepEqual(
        [...first, ...rest].map((r) => r.handle.slice('88.118.8/'.length)),
        ['B', 'Z', '_x', 'a', 'b-2', 'b10'],
      )
    })

    it('homes a prefix for one of two tenants racing for it', async () => {
      const a = await engine.open()
      const b = a.another()
      for (let i = 0; i < 5; i++) {
        const prefix = `88.300.${i}`
        assert.deepEqual(
          await outcomes([a.handles.homePrefix(acme, prefix, now), b.handles.homePrefix(beta, prefix, now)]),
          ['IDENT_PREFIX_EXISTS', 'ok'],
        )
        const holder = await a.handles.findHomedPrefixForPlatform(prefix)
        assert.ok(holder?.tenant === acme || holder?.tenant === beta)
      }
    })

    it('creates a handle once when two writers create it at once, and overwrites from both', async () => {
      const a = await engine.open()
      const b = a.another()
      await a.handles.homePrefix(acme, '88.118.8', now)
      for (let i = 0; i < 5; i++) {
        const h = `88.118.8/R${i}`
        assert.deepEqual(
          await outcomes([
            a.handles.putHandle(acme, record(h, 'https://acme.cn/a'), { overwrite: false }),
            b.handles.putHandle(acme, record(h, 'https://acme.cn/b'), { overwrite: false }),
          ]),
          ['IDENT_HANDLE_EXISTS', 'ok'],
        )
        const results = await Promise.all([
          a.handles.putHandle(acme, record(`${h}x`, 'https://acme.cn/a'), { overwrite: true }),
          b.handles.putHandle(acme, record(`${h}x`, 'https://acme.cn/b'), { overwrite: true }),
        ])
        assert.deepEqual(results.map((r) => r.created).sort(), [false, true], 'one creates, one replaces')
      }
      const bulk = await Promise.all([
        a.handles.putHandles(acme, [record('88.118.8/B1', 'https://a'), record('88.118.8/B2', 'https://a')], {
          overwrite: false,
        }),
        b.handles.putHandles(acme, [record('88.118.8/B2', 'https://b'), record('88.118.8/B3', 'https://b')], {
          overwrite: false,
        }),
      ])
      const b2 = bulk.flat().filter((x) => (x.ok ? x.result.handle : x.handle) === '88.118.8/B2')
      assert.deepEqual(b2.map((x) => (x.ok ? 'ok' : x.code)).sort(), ['IDENT_HANDLE_EXISTS', 'ok'])
      assert.equal((await a.handles.listHandles(acme, { prefix: '88.118.8', limit: 100 })).length, 13)
    })

    it('numbers events of captures made at once without gaps, and refuses a duplicate captured at once', async () => {
      const a = await engine.open()
      const b = a.another()
      const epc = 'urn:epc:id:sgtin:0614141.107346.1'
      const items = (from: number) => [0, 1, 2].map((k) => observed(`ev-${from + k}`, epc, from + k))
      const [x, y] = await Promise.all([
        a.epcis.capture(acme, items(0), now),
        b.epcis.capture(acme, items(10), now),
      ])
      const seqs = [...x!, ...y!].map((e) => e.seq).sort((p, q) => p - q)
      assert.equal(new Set(seqs).size, 6)
      assert.equal(seqs[5]! - seqs[0]!, 5, 'consecutive numbers')
      assert.deepEqual(
        await outcomes([
          a.epcis.capture(acme, [observed('ev-dup', epc, 30)], now),
          b.epcis.capture(acme, [observed('ev-dup', epc, 30)], now),
        ]),
        ['EPCIS_DUPLICATE_EVENT', 'ok'],
      )
      assert.equal((await a.epcis.query(acme, { perPage: 100 })).events.length, 7)
    })

    it('finds the events of every tenant that mention an identifier, and only those', async () => {
      const { epcis } = await engine.open()
      const shared = 'urn:epc:id:sgtin:0614141.107346.7'
      await epcis.capture(
        acme,
        [observed('a-1', shared, 1), observed('a-2', 'urn:epc:id:sgtin:1.1.1', 2)],
        now,
      )
      await epcis.capture(
        beta,
        [observed('b-1', shared, 3), observed('b-2', 'urn:epc:id:sgtin:2.2.2', 4)],
        now,
      )
      const found = await epcis.findByIdentifiersForPlatform([shared])
      assert.deepEqual(
        found.map((e) => [e.tenant, e.eventId]),
        [
          [acme, 'a-1'],
          [beta, 'b-1'],
        ],
      )
      assert.deepEqual(await epcis.findByIdentifiersForPlatform(['urn:epc:id:sgtin:9.9.9']), [])
    })

    it('gives a Digital Link key path to one of two enterprises racing for it', async () => {
      const a = await engine.open()
      const b = a.another()
      const clock = { now: () => now }
      const link = (href: string) => [{ linkType: 'gs1:pip', href, title: 'Product page' }]
      const path = '/01/09506000134352'
      assert.deepEqual(
        await outcomes([
          a.links(clock).put(acme, path, link('https://acme.cn/p')),
          b.links(clock).put(beta, path, link('https://beta.cn/p')),
        ]),
        ['DL_LINKS_TAKEN', 'ok'],
      )
      const owner = (await a.links(clock).list(acme)).length === 1 ? acme : beta
      const loser = owner === acme ? beta : acme
      assert.deepEqual(await b.links(clock).list(loser), [])
      await assert.rejects(b.links(clock).put(loser, path, link('https://x.cn/p')), {
        code: 'DL_LINKS_TAKEN',
      })
      await a.links(clock).put(owner, path, link('https://owner.cn/new'))
      assert.deepEqual(await b.links(clock).linksFor(path), link('https://owner.cn/new'))
    })
  })
}
