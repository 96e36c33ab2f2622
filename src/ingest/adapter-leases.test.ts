import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { type DeviceId, systemClock, type TenantId } from '../core/index.ts'
import { buildEnterprises } from '../sim/factory-catalog.ts'
import { createSimModbusServer } from '../sim/modbus-server.ts'
import {
  createScratchDatabase,
  needPostgres,
  type ScratchDatabase,
} from '../store/series/postgres-scratch.ts'
import { openPostgresAdapterConfigStore } from './adapter-config-store.ts'
import { createPostgresAdapterLeases } from './adapter-leases.ts'
import { type AdapterManager, type AdapterSettings, createAdapterManager } from './adapter-manager.ts'
import type { IngestSink } from './ingest-sink.ts'

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('adapter leases on PostgreSQL advisory locks', () => {
  let db: ScratchDatabase | undefined
  let skip: string | undefined
  before(async () => {
    skip = await needPostgres()
    if (!skip) db = await createScratchDatabase('leases')
  })
  after(async () => {
    await db?.drop()
  })

  it('gives a key to one session at a time and frees it when that session ends', async (t) => {
    if (skip || !db) return t.skip(skip)
    const a = createPostgresAdapterLeases({ url: db.url })
    const b = createPostgresAdapterLeases({ url: db.url })
    try {
      assert.equal(await a.claim('t1/d1'), true)
      assert.equal(await a.claim('t1/d1'), true, 'a holder claiming again keeps it')
      assert.equal(await b.claim('t1/d1'), false)
      assert.equal(await b.claim('t1/d2'), true, 'another key is free')
      await a.release('t1/d1')
      assert.equal(await b.claim('t1/d1'), true, 'a released key can be taken')
      assert.equal(await a.claim('t1/d1'), false)

      // b's session is killed (its node died): a learns nothing, but the locks are free for it
      const lostByB: string[][] = []
      b.onLost((keys) => lostByB.push([...keys].sort()))
      const admin = new pg.Client({ connectionString: db.url })
      await admin.connect()
      try {
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_locks
           WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
             AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = hashtext('t1/d2')::oid)`,
        )
      } finally {
        await admin.end()
      }
      await until(() => lostByB.length === 1, 5000, 'b notices its session ended')
      assert.deepEqual(lostByB, [['t1/d1', 't1/d2']])
      assert.equal(await a.claim('t1/d1'), true)
      assert.equal(await a.claim('t1/d2'), true)
      assert.equal(await b.claim('t1/d1'), false, 'b reconnects and finds them taken')
    } finally {
      await a.close()
      await b.close()
    }
  })
})

describe('adapter managers of two nodes on one PostgreSQL database', () => {
  let db: ScratchDatabase | undefined
  let skip: string | undefined
  const dirs: string[] = []
  before(async () => {
    skip = await needPostgres()
    if (!skip) db = await createScratchDatabase('adapters')
  })
  after(async () => {
    await db?.drop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it('runs each adapter on exactly one node, and the other takes it over when that node stops', async (t) => {
    if (skip || !db) return t.skip(skip)
    const url = db.url
    const ent = buildEnterprises().find((e) => e.key === 'fs-diecast')
    assert.ok(ent)
    const server = createSimModbusServer({ enterprise: ent })
    await server.start()
    const unit = server.units.find((u) => u.deviceKey === 'AC-01')
    assert.ok(unit)
    const got = new Map<string, number>()
    const sinkOf = (node: string): IngestSink => ({
      async write(_t, _d, values) {
        got.set(node, (got.get(node) ?? 0) + values.length)
        return { accepted: values.length, rejected: [] }
      },
    })
    const node = async (name: string): Promise<AdapterManager> => {
      const dataDir = mkdtempSync(join(tmpdir(), `ronghe-adapters-${name}-`))
      dirs.push(dataDir)
      const m = createAdapterManager({
        dataDir,
        sink: sinkOf(name),
        clock: systemClock,
        store: await openPostgresAdapterConfigStore(url),
        leases: createPostgresAdapterLeases({ url }),
        claimIntervalMs: 100,
      })
      await m.start()
      return m
    }
    const tenant = 'ten_lease' as TenantId
    const device = 'dev_ac01' as DeviceId
    const settings: AdapterSettings = {
      kind: 'modbus',
      host: '127.0.0.1',
      port: server.port,
      unitId: unit.unitId,
      groups: [
        {
          name: 'all',
          intervalMs: 50,
          points: unit.points.map((p) => ({
            key: p.pointKey,
            table: 'input' as const,
            address: p.address,
            type: p.type,
          })),
        },
      ],
    }
    const a = await node('a')
    const b = await node('b')
    const nodes = { a, b }
    try {
      // configured through b; b claims it at once unless a's periodic pass got there first: one node
      await b.put(tenant, device, settings)
      assert.deepEqual((await a.get(tenant, device))?.settings, settings, 'a lists what b stored')
      await new Promise((r) => setTimeout(r, 500)) // several claim passes of both nodes
      const holders = (['a', 'b'] as const).filter((n) => nodes[n].runningHere().length === 1)
      assert.equal(holders.length, 1, `exactly one node runs it, not ${JSON.stringify(holders)}`)
      const owner = holders[0] === 'a' ? 'a' : 'b'
      const other = owner === 'a' ? 'b' : 'a'
      assert.deepEqual(nodes[other].runningHere(), [])
      assert.equal((await nodes[other].health(tenant, device))?.runningHere, false)
      assert.equal((await nodes[owner].health(tenant, device))?.runningHere, true)
      await until(() => (got.get(owner) ?? 0) > 0, 5000, 'the owner polls')
      // the other node answers with the owner's last report
      await until(
        async () => (await nodes[other].health(tenant, device))?.connected === true,
        3000,
        "the owner's report of a connected adapter",
      )
      const reported = await nodes[other].health(tenant, device)
      assert.equal(reported?.runningHere, false)
      assert.equal(reported?.kind, 'modbus')
      assert.ok((reported?.counters.values ?? 0) > 0, JSON.stringify(reported))
      assert.ok(reported?.reportedAt !== undefined && reported.reportedAt <= Date.now())
      assert.equal(got.get(other) ?? 0, 0, 'the other node never polled the PLC')

      // a configuration changed through the other node is applied by the owner, which still runs it
      const slower = { ...settings, groups: settings.groups.map((g) => ({ ...g, intervalMs: 200 })) }
      const rec = await nodes[other].put(tenant, device, slower)
      assert.deepEqual(nodes[other].runningHere(), [])
      await until(
        () => nodes[owner].runningHere()[0]?.updatedAt === rec.updatedAt,
        2000,
        'the owner restarts it with the change',
      )

      // the owner stops (its node goes away): the other takes the adapter over on its next pass
      await nodes[owner].stop()
      await until(() => nodes[other].runningHere().length === 1, 3000, 'the other node takes over')
      assert.equal(nodes[other].runningHere()[0]?.updatedAt, rec.updatedAt)
      const before = got.get(other) ?? 0
      await until(() => (got.get(other) ?? 0) > before, 5000, 'the other node polls')

      // removed: nothing runs anywhere
      assert.equal(await nodes[other].remove(tenant, device), true)
      assert.deepEqual(nodes[other].runningHere(), [])
      assert.equal(await nodes[other].health(tenant, device), null)
    } finally {
      await a.stop()
      await b.stop()
      await server.stop()
    }
  })
})
