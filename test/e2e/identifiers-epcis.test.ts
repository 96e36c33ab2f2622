import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { startTestPlatform, type TestPlatform } from '../support/platform.ts'

/**
 * EPCIS 2.0 over the platform's REST API, the cross-company trace (supplier batch → buyer's product →
 * public page) and the Digital Link resolver, on one Ronghe platform with several enterprises.
 */
const examples = JSON.parse(
  readFileSync(
    new URL('../../src/identifiers/epcis/fixtures/standard-examples.jsonld', import.meta.url),
    'utf8',
  ),
) as { epcisBody: { eventList: Record<string, unknown>[] } }

const base = {
  type: 'ObjectEvent',
  eventTime: '2026-03-01T08:00:00.000+08:00',
  eventTimeZoneOffset: '+08:00',
  epcList: ['urn:epc:id:sgtin:6901234.000001.1'],
  action: 'OBSERVE',
  bizStep: 'inspecting',
}

function doc(eventList: unknown[], context: unknown[] = []): Record<string, unknown> {
  return {
    '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', ...context],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-03-01T00:00:00Z',
    epcisBody: { eventList },
  }
}

interface Raw {
  status: number
  headers: Headers
  text: string
  json: () => Record<string, unknown>
}

describe('EPCIS 2.0, trace and Digital Link on the platform', () => {
  let p: TestPlatform
  let acme: { tenant: string; token: string }
  let supplier: { tenant: string; token: string }
  let buyer: { tenant: string; token: string }

  async function raw(
    method: string,
    path: string,
    o: { token?: string; body?: unknown; type?: string; headers?: Record<string, string> } = {},
  ): Promise<Raw> {
    const headers: Record<string, string> = { ...o.headers }
    if (o.token) headers.authorization = `Bearer ${o.token}`
    if (o.body !== undefined) headers['content-type'] = o.type ?? 'application/json'
    const r = await fetch(p.baseUrl + path, {
      method,
      headers,
      redirect: 'manual',
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    })
    const text = await r.text()
    return { status: r.status, headers: r.headers, text, json: () => JSON.parse(text) }
  }

  before(async () => {
    p = await startTestPlatform({ env: { RONGHE_MQTT_ENABLED: 'false', RONGHE_IDENT_PREFIX: '88.118' } })
    acme = await p.enterprise('示例企业 Acme')
    supplier = await p.enterprise('上游钢材供应商')
    buyer = await p.enterprise('下游整机厂')
  })
  after(async () => {
    await p?.stop()
  })

  it('captures the standard example events (JSON-LD) and queries them with paging', async () => {
    const c = await raw('POST', '/api/epcis/capture', {
      token: acme.token,
      body: examples,
      type: 'application/ld+json',
    })
    assert.equal(c.status, 202, c.text)
    const job = c.json() as { captureID: string; success: boolean; eventIDs: string[]; errors: unknown[] }
    assert.equal(c.headers.get('location'), `/api/epcis/capture/${job.captureID}`)
    assert.equal(c.headers.get('gs1-epcis-version'), '2.0.0')
    assert.equal(job.success, true)
    assert.equal(job.eventIDs.length, 8)
    assert.equal(
      job.eventIDs[7],
      'ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0',
    )
    assert.deepEqual(job.errors, [])
    const again = await raw('GET', `/api/epcis/capture/${job.captureID}`, { token: acme.token })
    assert.equal((again.json() as { eventIDs: string[] }).eventIDs.length, 8)
    assert.equal(
      (await raw('GET', `/api/epcis/capture/${job.captureID}`, { token: buyer.token })).status,
      404,
    )

    const dup = await raw('POST', '/api/epcis/capture', { token: acme.token, body: examples })
    assert.equal(dup.status, 409)
    assert.equal((dup.json() as { error: { code: string } }).error.code, 'EPCIS_DUPLICATE_EVENT')

    // paging: eventTime order, then capture order; 3 per page; the Link header carries the next page
    const types: string[][] = []
    let next: string | null = '/api/epcis/events?perPage=3'
    while (next !== null) {
      const r: Raw = await raw('GET', next, { token: acme.token })
      assert.equal(r.status, 200, r.text)
      const body = r.json() as {
        type: string
        epcisBody: { queryResults: { resultsBody: { eventList: { type: string; eventID: string }[] } } }
      }
      assert.equal(body.type, 'EPCISQueryDocument')
      types.push(body.epcisBody.queryResults.resultsBody.eventList.map((e) => e.type))
      const link = r.headers.get('link')
      next = link === null ? null : (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? null)
    }
    assert.deepEqual(types, [
      ['ObjectEvent', 'TransactionEvent', 'ObjectEvent'],
      ['AggregationEvent', 'TransformationEvent', 'ObjectEvent'],
      ['AssociationEvent', 'ObjectEvent'],
    ])
    const count = async (q: string): Promise<number> =>
      (
        (await raw('GET', `/api/epcis/events?${q}`, { token: acme.token })).json() as {
          epcisBody: { queryResults: { resultsBody: { eventList: unknown[] } } }
        }
      ).epcisBody.queryResults.resultsBody.eventList.length
    assert.equal(await count('EQ_bizStep=shipping'), 2)
    assert.equal(await count('GE_eventTime=2019-01-01T00:00:00Z'), 3)
    assert.equal(await count('GE_eventTime=2013-01-01T00:00:00Z&LT_eventTime=2019-01-01T00:00:00Z'), 2)
    assert.equal(await count('eventType=AggregationEvent'), 1)
    // receiving events 1 (epcList), 2 (childEPCs of the pallet) and 7
    assert.equal(await count('MATCH_epc=urn:epc:idpat:sgtin:0614141.107346.*&EQ_bizStep=receiving'), 3)
    assert.equal(await count('MATCH_parentID=urn:epc:id:sscc:0614141.1234567890'), 1)
    const badQ = await raw('GET', '/api/epcis/events?EQ_colour=red', { token: acme.token })
    assert.equal(badQ.status, 400)
    assert.equal((badQ.json() as { error: { code: string } }).error.code, 'EPCIS_INVALID_QUERY')
    // another enterprise sees none of them
    assert.equal(
      (
        (await raw('GET', '/api/epcis/events', { token: buyer.token })).json() as {
          epcisBody: { queryResults: { resultsBody: { eventList: unknown[] } } }
        }
      ).epcisBody.queryResults.resultsBody.eventList.length,
      0,
    )
    // one event by its eventID, percent-encoded
    const one = await raw('GET', `/api/epcis/events/${encodeURIComponent(job.eventIDs[7]!)}`, {
      token: acme.token,
    })
    assert.equal(one.status, 200, one.text)
    assert.equal((one.json() as { eventID: string }).eventID, job.eventIDs[7])
    assert.equal(
      (await raw('GET', `/api/epcis/events/${encodeURIComponent(job.eventIDs[7]!)}`, { token: buyer.token }))
        .status,
      404,
    )
  })

  it('rejects each kind of malformed event with a per-event error', async () => {
    const cases: [string, Record<string, unknown>, string, string][] = [
      ['missing eventTime', { ...base, eventTime: undefined }, 'eventTime', 'required'],
      ['eventTime without zone', { ...base, eventTime: '2026-03-01T08:00:00' }, 'eventTime', 'format'],
      ['bad offset', { ...base, eventTimeZoneOffset: '+8' }, 'eventTimeZoneOffset', 'format'],
      ['unknown event type', { ...base, type: 'FooEvent' }, 'type', 'enum'],
      ['unknown action', { ...base, action: 'MOVE' }, 'action', 'enum'],
      ['empty epcList', { ...base, epcList: [] }, 'epcList', 'empty'],
      ['malformed EPC', { ...base, epcList: ['urn:epc:id:sgtin:12.1'] }, 'epcList[0]', 'epc'],
      ['readPoint not a URI', { ...base, readPoint: { id: 'line one' } }, 'readPoint.id', 'uri'],
      ['unknown bizStep', { ...base, bizStep: 'dancing' }, 'bizStep', 'vocabulary'],
      ['unknown disposition', { ...base, disposition: 'happy' }, 'disposition', 'vocabulary'],
      [
        'negative quantity',
        {
          ...base,
          epcList: undefined,
          quantityList: [{ epcClass: 'urn:epc:class:lgtin:6901234.000001.L1', quantity: -5, uom: 'KGM' }],
        },
        'quantityList[0].quantity',
        'range',
      ],
      [
        'inputs on an ObjectEvent',
        { ...base, inputEPCList: ['urn:epc:id:sgtin:6901234.000001.2'] },
        'inputEPCList',
        'forbidden',
      ],
      [
        'AggregationEvent without parentID',
        {
          ...base,
          type: 'AggregationEvent',
          epcList: undefined,
          action: 'ADD',
          childEPCs: ['urn:epc:id:sgtin:6901234.000001.2'],
        },
        'parentID',
        'required',
      ],
    ]
    for (const [what, event, path, code] of cases) {
      const clean = JSON.parse(JSON.stringify(event)) as Record<string, unknown>
      const r = await raw('POST', '/api/epcis/capture', { token: acme.token, body: doc([base, clean]) })
      assert.equal(r.status, 400, what)
      const err = (
        r.json() as {
          error: { code: string; details: { errors: { index: number; path: string; code: string }[] } }
        }
      ).error
      assert.equal(err.code, 'EPCIS_INVALID_EVENT', what)
      assert.deepEqual(
        err.details.errors.map((e) => `${e.index}:${e.path}:${e.code}`),
        [`1:${path}:${code}`],
        what,
      )
    }
    // rollback captured nothing; proceed keeps the good event and reports the bad one
    const proceed = await raw('POST', '/api/epcis/capture', {
      token: acme.token,
      headers: { 'gs1-capture-error-behaviour': 'proceed' },
      body: doc([base, { ...base, action: 'MOVE' }]),
    })
    assert.equal(proceed.status, 202, proceed.text)
    const job = proceed.json() as { success: boolean; eventIDs: string[]; errors: { index: number }[] }
    assert.equal(job.success, false)
    assert.equal(job.eventIDs.length, 1)
    assert.deepEqual(
      job.errors.map((e) => e.index),
      [0 + 1],
    )
    const notDoc = await raw('POST', '/api/epcis/capture', { token: acme.token, body: { type: 'Nope' } })
    assert.equal(notDoc.status, 400)
    assert.equal((notDoc.json() as { error: { code: string } }).error.code, 'EPCIS_INVALID_DOCUMENT')
  })

  it('traces supplier batch → buyer product → public page, without the supplier’s private field', async () => {
    const steelLot = 'urn:epc:class:lgtin:6901234.000123.STEEL-2026-031'
    const housing = 'urn:epc:id:sgtin:6909999.000456.H-0001'
    // the supplier makes and ships the steel lot: public, except its unit cost
    const made = await raw('POST', '/api/epcis/capture?visibility=public&privateFields=example:unitCost', {
      token: supplier.token,
      body: doc(
        [
          {
            type: 'ObjectEvent',
            eventTime: '2026-02-20T09:00:00.000+08:00',
            eventTimeZoneOffset: '+08:00',
            action: 'ADD',
            quantityList: [{ epcClass: steelLot, quantity: 500, uom: 'KGM' }],
            bizStep: 'commissioning',
            disposition: 'active',
            readPoint: { id: 'urn:epc:id:sgln:6901234.00001.MILL1' },
            'example:unitCost': 'CNY 5.20/kg SECRET',
          },
          {
            type: 'ObjectEvent',
            eventTime: '2026-02-22T15:30:00.000+08:00',
            eventTimeZoneOffset: '+08:00',
            action: 'OBSERVE',
            quantityList: [{ epcClass: steelLot, quantity: 500, uom: 'KGM' }],
            bizStep: 'shipping',
            disposition: 'in_transit',
            readPoint: { id: 'urn:epc:id:sgln:6901234.00001.DOCK' },
            'example:unitCost': 'CNY 5.20/kg SECRET',
          },
        ],
        [{ example: 'http://ns.example.com/epcis/' }],
      ),
    })
    assert.equal(made.status, 202, made.text)
    // the buyer makes a housing from the lot on its line: the platform turns the production record into a TransformationEvent
    const prod = await raw('POST', '/api/epcis/production?visibility=public', {
      token: buyer.token,
      body: {
        output: { epcs: [housing] },
        inputs: [{ epcClass: steelLot, quantity: 12.5, uom: 'KGM' }],
        line: 'urn:epc:id:sgln:6909999.00001.LINE2',
        machine: 'urn:epc:id:giai:6909999.DC-07',
        finishedAt: Date.UTC(2026, 2, 1, 2, 0, 0),
        quality: { passed: true, measurements: [{ type: 'gs1:Length', value: 120.02, uom: 'MMT' }] },
      },
    })
    assert.equal(prod.status, 201, prod.text)
    assert.equal((prod.json() as { event: { type: string } }).event.type, 'TransformationEvent')

    // the public page: both companies' events, no login, no secret
    const page = await raw('GET', `/t/${housing}`)
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/)
    assert.ok(page.text.includes('产品追溯'))
    assert.ok(page.text.includes('Materials and batches'))
    assert.ok(page.text.includes(steelLot), 'the supplier lot is listed as a material')
    assert.ok(page.text.includes('上游钢材供应商'), 'the supplier is named')
    // the lot is listed with the enterprise that made it, not the one that used it
    assert.ok(
      page.text.includes(`${steelLot}</code> <span class="muted">上游钢材供应商</span>`),
      'the material is credited to its maker',
    )
    assert.ok(page.text.includes('下游整机厂'))
    assert.ok(page.text.includes('2026-03-01 10:00 (UTC+08:00)'), 'production time in plant time')
    assert.ok(page.text.includes('urn:epc:id:giai:6909999.DC-07'), 'the machine')
    assert.ok(page.text.includes('gs1:Length: 120.02MMT'), 'the quality result')
    assert.ok(page.text.includes('2026-02-22 15:30 (UTC+08:00)'), 'the shipment')
    assert.equal((page.text.match(/data-category="production"/g) ?? []).length, 2)
    assert.equal((page.text.match(/data-category="shipment"/g) ?? []).length, 1)
    assert.ok(!page.text.includes('SECRET'), 'the private field stays private')
    assert.ok(!page.text.includes('unitCost'))
    const qr = await raw('GET', `/t/${housing}/qr.svg`)
    assert.equal(qr.status, 200)
    assert.match(qr.headers.get('content-type') ?? '', /^image\/svg\+xml/)
    assert.match(qr.text, /^<svg/)

    // authenticated trace: the supplier sees its own private field, the buyer does not
    const asSupplier = await raw('GET', `/api/trace/${housing}`, { token: supplier.token })
    assert.equal(asSupplier.status, 200, asSupplier.text)
    const sTrace = asSupplier.json() as {
      nodes: { id: string; depth: number }[]
      edges: { from: string; to: string; kind: string }[]
      timeline: { type: string; event: Record<string, unknown> }[]
    }
    assert.deepEqual(sTrace.nodes, [
      { id: housing, depth: 0 },
      { id: steelLot, depth: 1 },
    ])
    assert.deepEqual(
      sTrace.edges.map((e) => `${e.from}>${e.to}:${e.kind}`),
      [`${steelLot}>${housing}:transformed`],
    )
    assert.equal(sTrace.timeline.length, 3)
    assert.equal(sTrace.timeline[0]!.event['example:unitCost'], 'CNY 5.20/kg SECRET')
    const asBuyer = (
      await raw('GET', `/api/trace/${housing}`, { token: buyer.token })
    ).json() as typeof sTrace
    assert.equal(asBuyer.timeline.length, 3)
    assert.equal(asBuyer.timeline[0]!.event['example:unitCost'], undefined)
    assert.equal((await raw('GET', `/api/trace/${housing}`)).status, 401)
  })

  it('resolves GS1 Digital Links: 307 to the default link, linkType, linkset, CORS', async () => {
    const gtinPath = '/01/09506000134352'
    const set = await raw('PUT', '/api/identifiers/links', {
      token: acme.token,
      body: {
        keyPath: `${gtinPath}/10/LOT-7`,
        links: [
          { linkType: 'gs1:pip', href: 'https://acme.example/p/134352', title: '产品信息', isDefault: true },
          {
            linkType: 'gs1:traceability',
            href: `${p.baseUrl}/t/urn:epc:id:sgtin:0950600.013435.1`,
            title: '追溯',
          },
        ],
      },
    })
    assert.equal(set.status, 200, set.text)
    assert.equal((set.json() as { keyPath: string }).keyPath, `${gtinPath}/10/LOT-7`)
    const taken = await raw('PUT', '/api/identifiers/links', {
      token: buyer.token,
      body: {
        keyPath: `${gtinPath}/10/LOT-7`,
        links: [{ linkType: 'gs1:pip', href: 'https://x.example', title: 'x' }],
      },
    })
    assert.equal(taken.status, 409)

    const r = await raw('GET', `${gtinPath}/10/LOT-7/21/S1?foo=bar`)
    assert.equal(r.status, 307)
    assert.equal(r.headers.get('location'), 'https://acme.example/p/134352?foo=bar')
    assert.equal(r.headers.get('access-control-allow-origin'), '*')
    const t = await raw('GET', `${gtinPath}/10/LOT-7?linkType=gs1:traceability`)
    assert.equal(t.status, 307)
    assert.equal(t.headers.get('location'), `${p.baseUrl}/t/urn:epc:id:sgtin:0950600.013435.1`)
    const ls = await raw('GET', `${gtinPath}/10/LOT-7?linkType=linkset`)
    assert.equal(ls.status, 200)
    assert.match(ls.headers.get('content-type') ?? '', /^application\/linkset\+json/)
    const linkset = (ls.json() as { linkset: Record<string, unknown>[] }).linkset
    assert.equal(linkset.length, 1)
    assert.equal(linkset[0]!['anchor'], `${p.baseUrl}${gtinPath}/10/LOT-7`)
    assert.deepEqual(Object.keys(linkset[0]!).sort(), [
      'anchor',
      'https://gs1.org/voc/defaultLink',
      'https://gs1.org/voc/pip',
      'https://gs1.org/voc/traceability',
    ])
    const badCheck = await raw('GET', '/01/09506000134353')
    assert.equal(badCheck.status, 400)
    assert.equal(badCheck.headers.get('access-control-allow-origin'), '*')
    const unknown = await raw('GET', '/01/09506000134352/10/OTHER')
    assert.equal(unknown.status, 404)
    const pre = await raw('OPTIONS', `${gtinPath}/10/LOT-7`)
    assert.equal(pre.status, 204)
    assert.equal(pre.headers.get('access-control-allow-methods'), 'GET, HEAD, OPTIONS')
  })

  it('registers in bulk with per-item results and generates identifiers for produced parts', async () => {
    const assigned = await p.api<{ prefix: string }>('POST', '/api/identifiers/prefixes', {
      token: p.adminToken,
      tenant: acme.tenant,
      body: {},
    })
    assert.equal(assigned.status, 201)
    assert.equal(assigned.body.prefix, '88.118.1', 'the first free prefix under the node prefix')
    const bulk = await p.api<{
      accepted: number
      rejected: number
      items: { ok: boolean; error?: { code: string } }[]
    }>('POST', '/api/identifiers/bulk', {
      token: acme.token,
      body: {
        items: [
          { handle: '88.118.1/A1', values: [{ index: 1, type: 'URL', data: 'https://acme.example/a1' }] },
          {
            handle: '88.118.1/A2',
            template: 'part',
            fields: {
              model: 'DC-HOUSING-7',
              serial: 'A2',
              manufacturer: 'Acme',
              productionDate: '2026-03-01',
            },
          },
          { handle: '88.118.1/A3', template: 'part', fields: { model: 'X', gtin: '09506000134353' } },
          { handle: '88.119/A4', values: [{ index: 1, type: 'URL', data: 'https://acme.example/a4' }] },
        ],
      },
    })
    assert.equal(bulk.status, 200, JSON.stringify(bulk.body))
    assert.equal(bulk.body.accepted, 2)
    assert.equal(bulk.body.rejected, 2)
    assert.deepEqual(
      bulk.body.items.map((i) => (i.ok ? 'ok' : i.error?.code)),
      ['ok', 'ok', 'IDENT_TEMPLATE_VIOLATION', 'IDENT_PREFIX_NOT_HELD'],
    )
    const gen = await p.api<{ handles: string[]; result: { accepted: number } }>(
      'POST',
      '/api/identifiers/generate',
      {
        token: acme.token,
        body: { pattern: '{prefix}/{line}-{yyyymmdd}-{seq:4}', vars: { line: 'L2' }, count: 3 },
      },
    )
    assert.equal(gen.status, 201, JSON.stringify(gen.body))
    const day = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10).replace(/-/g, '')
    assert.deepEqual(gen.body.handles, [
      `88.118.1/L2-${day}-0001`,
      `88.118.1/L2-${day}-0002`,
      `88.118.1/L2-${day}-0003`,
    ])
    assert.equal(gen.body.result.accepted, 3)
    const resolved = await p.api<{ responseCode: number }>('GET', `/api/handles/88.118.1/L2-${day}-0002`)
    assert.equal(resolved.status, 200)
    assert.equal(resolved.body.responseCode, 1)
  })
})
