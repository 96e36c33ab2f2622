import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  createScratchDatabase,
  needPostgres,
  type ScratchDatabase,
} from '../../src/store/series/postgres-scratch.ts'
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { needService, tcpReachable } from '../support/services.ts'

interface Resolved {
  status: number
  source: string | null
  urls: string[]
}

/** GET /api/handles/{handle} without a token: the public resolution any caller gets. */
async function resolve(node: TestPlatform, handle: string): Promise<Resolved> {
  const r = await fetch(`${node.baseUrl}/api/handles/${handle}`)
  const body = (await r.json()) as { values?: { type: string; data: { value: unknown } }[] }
  return {
    status: r.status,
    source: r.headers.get('x-ronghe-resolution-source'),
    urls: (body.values ?? []).filter((v) => v.type === 'URL').map((v) => String(v.data.value)),
  }
}

const urlValues = (url: string) => ({
  // an hour's ttl: without invalidation another node would serve its cached answer that long
  values: [{ index: 1, type: 'URL', data: { format: 'string', value: url }, ttl: 3600 }],
})

const eventDoc = (epc: string) => ({
  type: 'EPCISDocument',
  schemaVersion: '2.0',
  creationDate: '2026-12-07T00:00:00Z',
  epcisBody: {
    eventList: [
      {
        type: 'ObjectEvent',
        eventTime: '2026-12-07T08:00:00.000+08:00',
        eventTimeZoneOffset: '+08:00',
        epcList: [epc],
        action: 'OBSERVE',
        bizStep: 'inspecting',
      },
    ],
  },
})

/**
 * Two nodes of one cluster (in-process platforms on one PostgreSQL database and one NATS server):
 * a prefix homed and an identifier registered through one node resolve through the other, a change
 * through one node is served by the other at once (not after its cached answer expires), and EPCIS
 * events captured through one node are queried through the other.
 */
describe('two nodes on one PostgreSQL database share identifiers and EPCIS events', () => {
  let db: ScratchDatabase | undefined
  let a: TestPlatform | undefined
  let b: TestPlatform | undefined
  let skip: string | undefined
  let ent: { tenant: string; token: string }
  let other: { tenant: string; token: string }

  before(async () => {
    skip =
      (await needPostgres()) ?? (await needService('NATS at 127.0.0.1:4222', tcpReachable('127.0.0.1', 4222)))
    if (skip) return
    db = await createScratchDatabase('identifiers')
    const env = {
      RONGHE_DATABASE_URL: db.url,
      RONGHE_NATS_URL: 'nats://127.0.0.1:4222',
      RONGHE_NATS_MQTT_ENABLED: 'false',
      RONGHE_MQTT_ENABLED: 'false',
      RONGHE_IDENT_PREFIX: '88.118',
    }
    // one after the other: the first creates the platform admin in the shared database
    const first = await startTestPlatform({ env })
    a = first
    b = await startTestPlatform({ env })
    ent = await first.enterprise('集群标识企业')
    other = await first.enterprise('另一家企业')
  })
  after(async () => {
    await a?.stop()
    await b?.stop()
    await db?.drop()
  })

  it('resolves through node B a prefix homed and an identifier registered through node A', async (t) => {
    if (skip || !a || !b) return t.skip(skip)
    const homed = await a.api<{ prefix: string }>('POST', '/api/identifiers/prefixes', {
      token: a.adminToken,
      tenant: ent.tenant,
      body: { prefix: '88.118.5' },
    })
    assert.equal(homed.status, 201, JSON.stringify(homed.body))
    const listed = await b.api<{ items: { prefix: string }[] }>('GET', '/api/identifiers/prefixes', {
      token: ent.token,
    })
    assert.deepEqual(
      listed.body.items.map((p) => p.prefix),
      ['88.118.5'],
    )
    const again = await b.api<{ error: { code: string } }>('POST', '/api/identifiers/prefixes', {
      token: b.adminToken,
      tenant: other.tenant,
      body: { prefix: '88.118.5' },
    })
    assert.equal(again.status, 409, 'node B knows the prefix is homed')
    assert.equal(again.body.error.code, 'IDENT_PREFIX_EXISTS')

    assert.equal((await resolve(b, '88.118.5/P-1')).status, 404, 'not registered yet')
    const put = await a.api('PUT', '/api/handles/88.118.5/P-1', {
      token: ent.token,
      body: urlValues('https://acme.example/p/1'),
    })
    assert.equal(put.status, 201, JSON.stringify(put.body))
    const got = await resolve(b, '88.118.5/P-1')
    assert.equal(got.status, 200)
    assert.deepEqual(got.urls, ['https://acme.example/p/1'])
    // another enterprise cannot write under it through either node
    const theirs = await b.api('PUT', '/api/handles/88.118.5/P-2', {
      token: other.token,
      body: urlValues('https://other.example'),
    })
    assert.equal(theirs.status, 403)
  })

  it('serves on node B a change made through node A without waiting for its cached answer to expire', async (t) => {
    if (skip || !a || !b) return t.skip(skip)
    const nodeB = b
    const h = '88.118.5/P-cache'
    const put = await a.api('PUT', `/api/handles/${h}`, {
      token: ent.token,
      body: urlValues('https://v1.example'),
    })
    assert.equal(put.status, 201, JSON.stringify(put.body))
    assert.deepEqual((await resolve(b, h)).urls, ['https://v1.example'])
    const cached = await resolve(b, h)
    assert.equal(cached.source, 'cache', 'node B answers from its cache')
    assert.deepEqual(cached.urls, ['https://v1.example'])

    const edit = await a.api('PUT', `/api/handles/${h}`, {
      token: ent.token,
      body: urlValues('https://v2.example'),
    })
    assert.equal(edit.status, 200, JSON.stringify(edit.body))
    await eventually(
      async () => (await resolve(nodeB, h)).urls[0] === 'https://v2.example',
      3000,
      'node B serving the new value',
    )
    const del = await a.api('DELETE', `/api/handles/${h}`, { token: ent.token })
    assert.equal(del.status, 200, JSON.stringify(del.body))
    await eventually(async () => (await resolve(nodeB, h)).status === 404, 3000, 'node B answering not found')
  })

  it('queries through node B an EPCIS event captured through node A', async (t) => {
    if (skip || !a || !b) return t.skip(skip)
    const epc = 'urn:epc:id:sgtin:6901234.000001.42'
    const c = await a.api<{ success: boolean; eventIDs: string[] }>('POST', '/api/epcis/capture', {
      token: ent.token,
      body: eventDoc(epc),
    })
    assert.equal(c.status, 202, JSON.stringify(c.body))
    assert.equal(c.body.eventIDs.length, 1)
    const q = await b.api<{
      epcisBody: { queryResults: { resultsBody: { eventList: { eventID: string }[] } } }
    }>('GET', `/api/epcis/events?MATCH_epc=${encodeURIComponent(epc)}`, { token: ent.token })
    assert.equal(q.status, 200, JSON.stringify(q.body))
    assert.deepEqual(
      q.body.epcisBody.queryResults.resultsBody.eventList.map((e) => e.eventID),
      c.body.eventIDs,
    )
    const dup = await b.api<{ error: { code: string } }>('POST', '/api/epcis/capture', {
      token: ent.token,
      body: eventDoc(epc),
    })
    assert.equal(dup.status, 409, 'node B refuses the event node A captured')
    assert.equal(dup.body.error.code, 'EPCIS_DUPLICATE_EVENT')
    const theirs = await b.api<{
      epcisBody: { queryResults: { resultsBody: { eventList: unknown[] } } }
    }>('GET', '/api/epcis/events', { token: other.token })
    assert.deepEqual(
      theirs.body.epcisBody.queryResults.resultsBody.eventList,
      [],
      'another enterprise sees none',
    )
  })
})
