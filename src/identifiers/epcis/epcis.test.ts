import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, describe, it } from 'node:test'
import { ManualClock, type TenantId } from '../../core/index.ts'
import { identifierStoreEngines } from '../identifiers-engines-testing.ts'
import { cbvTerm } from './cbv.ts'
import { createEpcisCapture, eventHashId } from './epcis-capture.ts'
import { idMatches, parseEpcisQuery, queryEvents } from './epcis-query.ts'
import type { EpcisEvent } from './epcis-types.ts'
import { parseEpcisTime, validateDocument, validateEvent } from './epcis-validate.ts'
import { formatEpcisTime, transformationFromProduction } from './production-event.ts'

const examples = JSON.parse(
  readFileSync(new URL('./fixtures/standard-examples.jsonld', import.meta.url), 'utf8'),
) as {
  epcisBody: { eventList: EpcisEvent[] }
}
const tenant = 'ten_acme' as TenantId
const engines = await identifierStoreEngines()
after(async () => {
  for (const e of engines) await e.close()
})

const base: Record<string, unknown> = {
  type: 'ObjectEvent',
  eventTime: '2026-03-01T08:00:00.000+08:00',
  eventTimeZoneOffset: '+08:00',
  epcList: ['urn:epc:id:sgtin:0614141.107346.2017'],
  action: 'OBSERVE',
}
const problemsOf = (patch: Record<string, unknown>, drop: string[] = []): string[] => {
  const e: Record<string, unknown> = { ...base, ...patch }
  for (const d of drop) delete e[d]
  return validateEvent(e, 4).map((p) => `${p.index}|${p.path}|${p.code}`)
}

describe('EPCIS validation', () => {
  it('accepts the standard example events (JSON-LD document)', () => {
    const v = validateDocument(examples)
    assert.deepEqual(v.problems, [])
    assert.equal(v.events.length, 8)
  })

  it('parses times with offsets and fractional seconds', () => {
    assert.equal(parseEpcisTime('2005-04-03T20:33:31.116-06:00'), Date.UTC(2005, 3, 4, 2, 33, 31, 116))
    assert.equal(parseEpcisTime('2023-05-23T20:33:31.116000-02:00'), Date.UTC(2023, 4, 23, 22, 33, 31, 116))
    assert.equal(parseEpcisTime('2026-02-30T00:00:00Z'), null)
    assert.equal(parseEpcisTime('2026-03-01 08:00:00'), null)
  })

  it('rejects each kind of malformed event with index, path and code', () => {
    assert.deepEqual(problemsOf({ type: 'ThingEvent' }), ['4|type|enum'])
    assert.deepEqual(problemsOf({}, ['eventTime']), ['4|eventTime|required'])
    assert.deepEqual(problemsOf({ eventTime: '2026-03-01T08:00:00' }), ['4|eventTime|format'])
    assert.deepEqual(problemsOf({ eventTimeZoneOffset: '+15:00' }), ['4|eventTimeZoneOffset|format'])
    assert.deepEqual(problemsOf({}, ['action']), ['4|action|required'])
    assert.deepEqual(problemsOf({ action: 'UPDATE' }), ['4|action|enum'])
    assert.deepEqual(problemsOf({ epcList: [] }), ['4|epcList|empty'])
    assert.deepEqual(problemsOf({ epcList: ['urn:epc:id:sgtin:0614141.10734.2017'] }), ['4|epcList[0]|epc'])
    assert.deepEqual(problemsOf({ epcList: ['https://id.gs1.org/01/09521234543214'] }), ['4|epcList[0]|epc'])
    assert.deepEqual(problemsOf({ bizStep: 'recieving' }), ['4|bizStep|vocabulary'])
    assert.deepEqual(problemsOf({ bizStep: 'urn:epcglobal:cbv:bizstep:teleporting' }), [
      '4|bizStep|vocabulary',
    ])
    assert.deepEqual(problemsOf({ disposition: 'lost' }), ['4|disposition|vocabulary'])
    assert.deepEqual(problemsOf({ readPoint: 'dock 4' }), ['4|readPoint|type'])
    assert.deepEqual(problemsOf({ bizLocation: {} }), ['4|bizLocation.id|required'])
    assert.deepEqual(problemsOf({ quantityList: [{ quantity: -1, uom: 'kg' }] }), [
      '4|quantityList[0].epcClass|required',
      '4|quantityList[0].quantity|range',
      '4|quantityList[0].uom|format',
    ])
    assert.deepEqual(problemsOf({ bizTransactionList: [{ type: 'invoice', bizTransaction: 'x' }] }), [
      '4|bizTransactionList[0].bizTransaction|uri',
      '4|bizTransactionList[0].type|vocabulary',
    ])
    assert.deepEqual(problemsOf({ sourceList: [{ source: 'urn:epc:id:pgln:4012345.00225' }] }), [
      '4|sourceList[0].type|required',
    ])
    assert.deepEqual(problemsOf({ destinationList: [{ type: 'owner', destination: 'urn:x:y' }] }), [
      '4|destinationList[0].type|vocabulary',
    ])
    assert.deepEqual(
      problemsOf({ sensorElementList: [{ sensorMetadata: { time: 'noon' }, sensorReport: [] }] }),
      ['4|sensorElementList[0].sensorMetadata.time|format', '4|sensorElementList[0].sensorReport|required'],
    )
    assert.deepEqual(
      problemsOf({ sensorElementList: [{ sensorReport: [{ type: 'gs1:Temperature', value: '26' }] }] }),
      ['4|sensorElementList[0].sensorReport[0].value|type'],
    )
    assert.deepEqual(problemsOf({ certificationInfo: 42 }), ['4|certificationInfo|type'])
    assert.deepEqual(problemsOf({ errorDeclaration: { reason: 'oops' } }), [
      '4|errorDeclaration.declarationTime|required',
      '4|errorDeclaration.reason|vocabulary',
    ])
    assert.deepEqual(problemsOf({ persistentDisposition: { set: ['completeness_inferred', 'gone'] } }), [
      '4|persistentDisposition.set[1]|vocabulary',
    ])
    assert.deepEqual(problemsOf({ inputEPCList: ['urn:epc:id:sgtin:0614141.107346.1'] }), [
      '4|inputEPCList|forbidden',
    ])
  })

  it('applies the per-type rules', () => {
    const t = (e: Record<string, unknown>): string[] =>
      validateEvent({ eventTime: base['eventTime'], eventTimeZoneOffset: '+08:00', ...e }).map(
        (p) => `${p.path}|${p.code}`,
      )
    assert.deepEqual(
      t({ type: 'AggregationEvent', action: 'ADD', childEPCs: ['urn:epc:id:sgtin:0614141.107346.1'] }),
      ['parentID|required'],
    )
    assert.deepEqual(
      t({ type: 'AggregationEvent', action: 'ADD', parentID: 'urn:epc:id:sscc:0614141.1234567890' }),
      ['childEPCs|empty'],
    )
    assert.deepEqual(
      t({ type: 'TransactionEvent', action: 'ADD', epcList: ['urn:epc:id:sgtin:0614141.107346.1'] }),
      ['bizTransactionList|required'],
    )
    assert.deepEqual(
      t({ type: 'TransformationEvent', action: 'ADD', inputEPCList: ['urn:epc:id:sgtin:0614141.107346.1'] }),
      ['action|forbidden'],
    )
    assert.deepEqual(t({ type: 'TransformationEvent' }), ['inputEPCList|empty'])
    assert.deepEqual(
      t({ type: 'AssociationEvent', action: 'ADD', childEPCs: ['urn:epc:id:giai:4000001.1'] }),
      ['parentID|required'],
    )
    assert.deepEqual(
      t({
        type: 'AssociationEvent',
        action: 'ADD',
        parentID: 'urn:epc:id:grai:4012345.55555.987',
        epcList: ['urn:epc:id:giai:4000001.1'],
      }),
      ['epcList|forbidden', 'childEPCs|empty'],
    )
  })

  it('reads CBV values in bare, URN and web-URI forms', () => {
    assert.deepEqual(cbvTerm('bizstep', 'receiving'), { ok: true, bare: 'receiving', standard: true })
    assert.deepEqual(cbvTerm('bizstep', 'urn:epcglobal:cbv:bizstep:receiving'), {
      ok: true,
      bare: 'receiving',
      standard: true,
    })
    assert.deepEqual(cbvTerm('disp', 'https://ref.gs1.org/cbv/Disp-in_transit'), {
      ok: true,
      bare: 'in_transit',
      standard: true,
    })
    assert.deepEqual(cbvTerm('bizstep', 'https://ronghe.example/bizstep/heat_treating'), {
      ok: true,
      bare: 'https://ronghe.example/bizstep/heat_treating',
      standard: false,
    })
    assert.equal(cbvTerm('btt', 'urn:epcglobal:cbv:btt:invoice').ok, false)
  })
})

for (const engine of engines) {
  describe(`EPCIS capture and query on ${engine.name}`, { skip: engine.skip }, () => {
    async function loaded() {
      const { epcis: store } = await engine.open()
      const clock = new ManualClock(Date.UTC(2026, 2, 1))
      const capture = createEpcisCapture({ store, clock })
      const r = await capture.capture(tenant, examples)
      return { store, clock, capture, captured: r.captured }
    }

    it('captures a document, fills eventID and recordTime, and refuses duplicates', async () => {
      const { capture, captured, store } = await loaded()
      assert.equal(captured.length, 8)
      assert.equal(
        captured[7]!.eventId,
        'ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0',
      )
      assert.equal(captured[0]!.eventId, eventHashId(examples.epcisBody.eventList[0]!))
      assert.match(captured[0]!.eventId, /^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/)
      assert.equal(captured[0]!.event.recordTime, '2026-03-01T00:00:00.000Z')
      await assert.rejects(capture.capture(tenant, examples), { code: 'EPCIS_DUPLICATE_EVENT' })
      // same events under another tenant are that tenant's own
      assert.equal((await capture.capture('ten_other' as TenantId, examples)).captured.length, 8)
      assert.equal((await store.get(tenant, captured[3]!.eventId))?.event.type, 'TransactionEvent')
    })

    it('rolls back a document with a bad event, or proceeds with the good ones on request', async () => {
      const { capture } = await loaded()
      const doc = {
        type: 'EPCISDocument',
        schemaVersion: '2.0',
        creationDate: '2026-03-01T00:00:00Z',
        epcisBody: {
          eventList: [
            { ...base },
            { ...base, action: 'MOVE' },
            { ...base, eventTime: '2026-03-01T09:00:00.000+08:00' },
          ],
        },
      }
      await assert.rejects(
        capture.capture(tenant, doc),
        (e: { code: string; details: { errors: { index: number; path: string }[] } }) => {
          assert.equal(e.code, 'EPCIS_INVALID_EVENT')
          assert.deepEqual(
            e.details.errors.map((x) => `${x.index}:${x.path}`),
            ['1:action'],
          )
          return true
        },
      )
      const r = await capture.capture(tenant, doc, { errorBehaviour: 'proceed' })
      assert.equal(r.captured.length, 2)
      assert.deepEqual(
        r.problems.map((p) => p.index),
        [1],
      )
      await assert.rejects(
        capture.capture(tenant, {
          type: 'EPCISDocument',
          schemaVersion: '1.2',
          creationDate: 'x',
          epcisBody: {},
        }),
        {
          code: 'EPCIS_INVALID_DOCUMENT',
        },
      )
    })

    it('answers the standard query parameters, the same in the store and in the reference filter', async () => {
      const { store, captured } = await loaded()
      const cases: [string, number[]][] = [
        ['eventType=ObjectEvent', [0, 1, 6, 7]],
        ['eventType=AggregationEvent|TransformationEvent', [2, 4]],
        ['GE_eventTime=2005-04-04T12:00:00Z&LT_eventTime=2019-11-01T14:00:00.000%2B01:00', [1, 2, 4, 6]],
        ['GE_recordTime=2026-03-01T00:00:00Z', [0, 3, 1, 2, 4, 6, 5, 7]],
        ['LT_recordTime=2026-03-01T00:00:00Z', []],
        ['EQ_bizStep=receiving', [1, 2, 7]],
        ['EQ_bizStep=urn:epcglobal:cbv:bizstep:shipping', [0, 3]],
        ['EQ_disposition=in_progress', [1, 2, 4, 7]],
        ['EQ_action=ADD', [3, 5]],
        ['MATCH_epc=urn:epc:id:sgtin:0614141.107346.2018', [0, 3, 1, 2]],
        ['MATCH_epc=urn:epc:idpat:sgtin:0614141.107346.*', [0, 3, 1, 2, 7]],
        ['MATCH_parentID=urn:epc:id:sscc:0614141.1234567890', [2]],
        ['MATCH_inputEPC=urn:epc:id:sgtin:4012345.011122.25', [4]],
        ['MATCH_outputEPC=urn:epc:idpat:sgtin:4012345.077889.*', [4]],
        ['MATCH_anyEPC=urn:epc:id:giai:4000001.12345', [5]],
        ['MATCH_anyEPC=urn:epc:id:sscc:0614141.1234567890', [2]],
        ['MATCH_anyEPCClass=urn:epc:class:lgtin:4012345.011111.4444', [4]],
        ['EQ_readPoint=urn:epc:id:sgln:0614141.07346.1234', [0, 3, 7]],
        ['EQ_bizLocation=urn:epc:id:sgln:0614141.00888.0', [3, 2]],
        ['EQ_bizStep=receiving&MATCH_epc=urn:epc:id:sgtin:0614141.107346.2017', [2, 7]],
      ]
      for (const [qs, expected] of cases) {
        const q = parseEpcisQuery(new URLSearchParams(qs))
        const want = expected.map((i) => captured[i]!.eventId)
        const fromSql = (await store.query(tenant, { ...q, perPage: 100 })).events.map((e) => e.eventId)
        const fromRef = queryEvents(captured, { ...q, perPage: 100 }).events.map((e) => e.eventId)
        assert.deepEqual(fromSql, want, `${engine.name}: ${qs}`)
        assert.deepEqual(fromRef, want, `reference: ${qs}`)
      }
      assert.throws(() => parseEpcisQuery(new URLSearchParams('LE_eventTime=2026-01-01T00:00:00Z')), {
        code: 'EPCIS_INVALID_QUERY',
      })
      assert.throws(() => parseEpcisQuery(new URLSearchParams('eventType=Thing')), {
        code: 'EPCIS_INVALID_QUERY',
      })
      assert.throws(() => parseEpcisQuery(new URLSearchParams('perPage=0')), { code: 'EPCIS_INVALID_QUERY' })
    })

    it('pages with perPage and nextPageToken, and refuses a token from another query', async () => {
      const { store, captured } = await loaded()
      const seen: string[] = []
      let token: string | undefined
      let pages = 0
      do {
        const page = await store.query(tenant, {
          perPage: 3,
          ...(token === undefined ? {} : { nextPageToken: token }),
        })
        seen.push(...page.events.map((e) => e.eventId))
        token = page.nextPageToken
        pages++
      } while (token !== undefined)
      assert.equal(pages, 3)
      const ordered = [...captured]
        .sort((a, b) => a.eventTimeMs - b.eventTimeMs || a.seq - b.seq)
        .map((e) => e.eventId)
      assert.deepEqual(seen, ordered)
      const first = await store.query(tenant, { perPage: 2, eventType: ['ObjectEvent'] })
      assert.ok(first.nextPageToken)
      await assert.rejects(store.query(tenant, { perPage: 2, nextPageToken: first.nextPageToken }), {
        code: 'EPCIS_INVALID_PAGE_TOKEN',
      })
      assert.throws(() => queryEvents(captured, { nextPageToken: 'garbage' }), {
        code: 'EPCIS_INVALID_PAGE_TOKEN',
      })
    })
  })
}

describe('EPCIS patterns and production events', () => {
  it('matches EPC patterns field by field', () => {
    assert.equal(idMatches('urn:epc:idpat:sgtin:0614141.*.*', 'urn:epc:id:sgtin:0614141.107346.2017'), true)
    assert.equal(
      idMatches('urn:epc:idpat:sgtin:0614141.107346.*', 'urn:epc:id:sgtin:0614141.107347.2017'),
      false,
    )
    assert.equal(idMatches('urn:epc:idpat:sscc:0614141.*', 'urn:epc:id:sgtin:0614141.107346.2017'), false)
  })

  it('turns a production record into a valid TransformationEvent', () => {
    const finishedAt = Date.UTC(2026, 2, 1, 2, 30) // 10:30 in UTC+8
    const e = transformationFromProduction({
      output: { epcClass: 'urn:epc:class:lgtin:6901234.056789.B2603', quantity: 500, uom: 'EA' },
      inputs: [
        { epcClass: 'urn:epc:class:lgtin:6900000.011111.S-77', quantity: 120.5, uom: 'KGM' },
        { epc: 'urn:epc:id:sgtin:6900000.022222.9001' },
      ],
      line: 'urn:epc:id:sgln:6901234.00001.L2',
      site: 'urn:epc:id:sgln:6901234.00001.0',
      machine: 'urn:epc:id:giai:6901234.M-07',
      productionOrder: 'https://acme.example/prodorder/PO-2603-17',
      finishedAt,
      lot: 'B2603',
      quality: { passed: true, measurements: [{ type: 'gs1:Length', value: 120.02, uom: 'MMT' }] },
    })
    assert.deepEqual(e, {
      type: 'TransformationEvent',
      eventTime: '2026-03-01T10:30:00.000+08:00',
      eventTimeZoneOffset: '+08:00',
      inputEPCList: ['urn:epc:id:sgtin:6900000.022222.9001'],
      inputQuantityList: [
        { epcClass: 'urn:epc:class:lgtin:6900000.011111.S-77', quantity: 120.5, uom: 'KGM' },
      ],
      outputQuantityList: [
        { epcClass: 'urn:epc:class:lgtin:6901234.056789.B2603', quantity: 500, uom: 'EA' },
      ],
      transformationID: 'https://acme.example/prodorder/PO-2603-17',
      bizStep: 'urn:epcglobal:cbv:bizstep:creating_class_instance',
      disposition: 'urn:epcglobal:cbv:disp:active',
      readPoint: { id: 'urn:epc:id:sgln:6901234.00001.L2' },
      bizLocation: { id: 'urn:epc:id:sgln:6901234.00001.0' },
      bizTransactionList: [
        {
          type: 'urn:epcglobal:cbv:btt:prodorder',
          bizTransaction: 'https://acme.example/prodorder/PO-2603-17',
        },
      ],
      sensorElementList: [
        {
          sensorMetadata: { time: '2026-03-01T10:30:00.000+08:00', deviceID: 'urn:epc:id:giai:6901234.M-07' },
          sensorReport: [{ type: 'gs1:Length', value: 120.02, uom: 'MMT' }],
        },
      ],
      ilmd: { 'cbvmda:lotNumber': 'B2603' },
    })
    assert.equal(formatEpcisTime(Date.UTC(2026, 0, 1, 0, 0), -330), '2025-12-31T18:30:00.000-05:30')
    const failed = transformationFromProduction({
      output: { epcs: ['urn:epc:id:sgtin:6901234.056789.1'] },
      inputs: [{ epcClass: 'urn:epc:class:lgtin:6900000.011111.S-77', quantity: 1 }],
      line: 'urn:epc:id:sgln:6901234.00001.L2',
      finishedAt,
      quality: { passed: false },
    })
    assert.equal(failed.bizStep, 'urn:epcglobal:cbv:bizstep:commissioning')
    assert.equal(failed.disposition, 'urn:epcglobal:cbv:disp:non_conformant')
    assert.throws(
      () =>
        transformationFromProduction({
          output: {},
          inputs: [],
          line: 'urn:epc:id:sgln:6901234.00001.L2',
          finishedAt,
        }),
      { code: 'EPCIS_INVALID_EVENT' },
    )
  })
})
