import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { connect } from 'mqtt'
import {
  createScratchDatabase,
  needPostgres,
  type ScratchDatabase,
} from '../../src/store/series/postgres-scratch.ts'
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { needService, tcpReachable } from '../support/services.ts'

/** One node in the scale-out shape: metadata and series on PostgreSQL, the bus on NATS JetStream. */
describe('a node on PostgreSQL and NATS JetStream', () => {
  let db: ScratchDatabase | undefined
  let p: TestPlatform | undefined
  let skip: string | undefined

  before(async () => {
    skip =
      (await needPostgres()) ?? (await needService('NATS at 127.0.0.1:4222', tcpReachable('127.0.0.1', 4222)))
    if (skip) return
    db = await createScratchDatabase('node')
    p = await startTestPlatform({
      env: { RONGHE_DATABASE_URL: db.url, RONGHE_NATS_URL: 'nats://127.0.0.1:4222' },
    })
  })
  after(async () => {
    await p?.stop()
    await db?.drop()
  })

  it('takes a device’s MQTT data into PostgreSQL and serves it back through the API and the live stream', async (t) => {
    if (skip || !p) return t.skip(skip)
    assert.equal(p.app.meta.capabilities.engine, 'postgres')
    assert.equal(p.app.series.capabilities.engine, 'postgres')
    const ent = await p.enterprise('集群企业')
    const d = await p.device(ent.token, 'pg-01')
    const c = connect(p.mqttUrl, {
      username: d.username,
      password: d.password,
      clientId: 'pg-01',
      protocolVersion: 5,
    })
    await new Promise((r) => c.once('connect', r))
    const ts = Date.now() - 1000
    await c.publishAsync(
      `ronghe/${ent.tenant}/pg-01/data`,
      JSON.stringify({ ts, values: { pressure: 3.25 } }),
      { qos: 1 },
    )
    c.end()
    const pts = await eventually(
      async () => {
        const r = await p?.api<{ items: { id: string; key: string }[] }>(
          'GET',
          `/api/points?deviceId=${d.id}`,
          { token: ent.token },
        )
        return r?.body.items.length === 1 ? r.body.items : undefined
      },
      5000,
      'the point',
    )
    const samples = await eventually(
      async () => {
        const r = await p?.api<{ samples: { ts: number; value: number }[] }>(
          'GET',
          `/api/points/${pts[0]?.id}/series?from=${ts - 1}&to=${ts + 1}`,
          {
            token: ent.token,
          },
        )
        return r?.body.samples.length === 1 ? r.body.samples : undefined
      },
      5000,
      'the sample',
    )
    assert.deepEqual(
      samples.map((s) => [s.ts, s.value]),
      [[ts, 3.25]],
    )
  })

  it('holds every rule partition while it is the only node, and says so on /api/health', async (t) => {
    if (skip || !p) return t.skip(skip)
    type Health = { rules?: { partitions: { held: number[]; total: number } | null } }
    const held = await eventually(
      async () => {
        const r = await p?.api<Health>('GET', '/api/health')
        const parts = r?.body.rules?.partitions
        return parts !== null && parts !== undefined && parts.held.length === parts.total ? parts : undefined
      },
      10_000,
      'every rule partition',
    )
    assert.equal(held.total, 16)
    assert.deepEqual(
      held.held,
      Array.from({ length: 16 }, (_, i) => i),
    )
  })
})
