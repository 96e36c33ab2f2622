import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import QRCode from 'qrcode'
import { ManualClock, type TenantId } from '../../core/index.ts'
import { createEpcisCapture } from '../epcis/epcis-capture.ts'
import type { EpcisEvent, EventVisibility } from '../epcis/epcis-types.ts'
import { transformationFromProduction } from '../epcis/production-event.ts'
import { createSqliteEpcisStore } from '../epcis/sqlite-epcis-store.ts'
import { openMemoryIdentifiersDb } from '../sqlite-testing.ts'
import { identifierPublicUrl, identifierQrSvg, qrSvg } from './qr-code.ts'
import { combineTraceSources, redactEvent, traceProduct } from './trace-graph.ts'

const supplier = 'ten_steel' as TenantId
const buyer = 'ten_pumps' as TenantId
const ORE = 'urn:epc:class:lgtin:6900000.000001.ORE-9'
const COIL = 'urn:epc:class:lgtin:6900000.011111.S-77'
const PUMPS = 'urn:epc:class:lgtin:6901234.056789.B2603'
const PUMP = 'urn:epc:id:sgtin:6901234.056789.1001'
const PALLET = 'urn:epc:id:sscc:6901234.0000000042'
const PUBLIC = { kind: 'public' } as const

const ev = (e: Partial<EpcisEvent> & Pick<EpcisEvent, 'type' | 'eventTime'>): EpcisEvent =>
  ({ eventTimeZoneOffset: '+08:00', ...e }) as EpcisEvent

async function world() {
  const clock = new ManualClock(Date.UTC(2026, 2, 10))
  // the supplier and the buyer run separate nodes: two stores, combined as trace sources
  const supplierStore = createSqliteEpcisStore(await openMemoryIdentifiersDb())
  const buyerStore = createSqliteEpcisStore(await openMemoryIdentifiersDb())
  const cap = (store: typeof supplierStore) => createEpcisCapture({ store, clock })
  const put = async (
    store: typeof supplierStore,
    tenant: TenantId,
    e: EpcisEvent,
    visibility: EventVisibility,
  ) => (await cap(store).capture(tenant, [e], { visibility })).captured[0]!.eventId

  const smelt = await put(
    supplierStore,
    supplier,
    ev({
      type: 'TransformationEvent',
      eventTime: '2026-02-20T09:00:00.000+08:00',
      inputQuantityList: [{ epcClass: ORE, quantity: 30, uom: 'TNE' }],
      outputQuantityList: [{ epcClass: COIL, quantity: 25, uom: 'TNE' }],
      bizStep: 'creating_class_instance',
      readPoint: { id: 'urn:epc:id:sgln:6900000.00001.F1' },
      'example:unitCost': 4100,
    }),
    {
      event: PUBLIC,
      fields: {
        'example:unitCost': { kind: 'private' },
        inputQuantityList: { kind: 'shared', tenants: [buyer] },
      },
    },
  )
  const inspect = await put(
    supplierStore,
    supplier,
    ev({
      type: 'ObjectEvent',
      eventTime: '2026-02-21T09:00:00.000+08:00',
      action: 'OBSERVE',
      quantityList: [{ epcClass: COIL, quantity: 25, uom: 'TNE' }],
      bizStep: 'inspecting',
      disposition: 'non_conformant',
    }),
    { event: { kind: 'private' } },
  )
  const ship = await put(
    supplierStore,
    supplier,
    ev({
      type: 'ObjectEvent',
      eventTime: '2026-02-22T09:00:00.000+08:00',
      action: 'OBSERVE',
      quantityList: [{ epcClass: COIL, quantity: 25, uom: 'TNE' }],
      bizStep: 'shipping',
      disposition: 'in_transit',
      bizTransactionList: [{ type: 'inv', bizTransaction: 'urn:epcglobal:cbv:bt:6900000000017:INV-88' }],
    }),
    { event: PUBLIC, fields: { bizTransactionList: { kind: 'private' } } },
  )
  const receive = await put(
    buyerStore,
    buyer,
    ev({
      type: 'ObjectEvent',
      eventTime: '2026-02-24T10:00:00.000+08:00',
      action: 'OBSERVE',
      quantityList: [{ epcClass: COIL, quantity: 25, uom: 'TNE' }],
      bizStep: 'receiving',
      disposition: 'in_progress',
    }),
    { event: PUBLIC },
  )
  const make = await put(
    buyerStore,
    buyer,
    transformationFromProduction({
      output: { epcClass: PUMPS, quantity: 200, uom: 'EA', epcs: [PUMP] },
      inputs: [{ epcClass: COIL, quantity: 2.4, uom: 'TNE' }],
      line: 'urn:epc:id:sgln:6901234.00001.L2',
      machine: 'urn:epc:id:giai:6901234.M-07',
      finishedAt: Date.UTC(2026, 2, 1, 2, 30),
      lot: 'B2603',
      quality: { passed: true, measurements: [{ type: 'gs1:Length', value: 120.02, uom: 'MMT' }] },
    }),
    { event: PUBLIC },
  )
  const pack = await put(
    buyerStore,
    buyer,
    ev({
      type: 'AggregationEvent',
      eventTime: '2026-03-02T08:00:00.000+08:00',
      action: 'ADD',
      parentID: PALLET,
      childEPCs: [PUMP],
      bizStep: 'packing',
    }),
    { event: PUBLIC },
  )
  const dispatch = await put(
    buyerStore,
    buyer,
    ev({
      type: 'ObjectEvent',
      eventTime: '2026-03-03T08:00:00.000+08:00',
      action: 'OBSERVE',
      epcList: [PALLET],
      bizStep: 'shipping',
      disposition: 'in_transit',
    }),
    { event: PUBLIC },
  )
  const source = combineTraceSources(
    { findByIdentifiers: (ids) => supplierStore.findByIdentifiersForPlatform(ids) },
    { findByIdentifiers: (ids) => buyerStore.findByIdentifiersForPlatform(ids) },
  )
  return { source, ids: { smelt, inspect, ship, receive, make, pack, dispatch } }
}

describe('cross-company trace', () => {
  it('shows the public a pump’s life back to the supplier batch, without the supplier’s private data', async () => {
    const { source, ids } = await world()
    const r = await traceProduct({ source, viewer: {}, start: PUMP })
    assert.deepEqual(
      r.timeline.map((t) => [t.tenant, t.eventId, t.bizStep]),
      [
        [supplier, ids.smelt, 'creating_class_instance'],
        [supplier, ids.ship, 'shipping'],
        [buyer, ids.receive, 'receiving'],
        [buyer, ids.make, 'urn:epcglobal:cbv:bizstep:creating_class_instance'],
        [buyer, ids.pack, 'packing'],
        [buyer, ids.dispatch, 'shipping'],
      ],
    )
    const smelt = r.timeline[0]!.event
    assert.equal(smelt['example:unitCost'], undefined)
    assert.equal(smelt.inputQuantityList, undefined)
    assert.deepEqual(smelt.outputQuantityList, [{ epcClass: COIL, quantity: 25, uom: 'TNE' }])
    assert.equal(r.timeline[1]!.event.bizTransactionList, undefined)
    assert.deepEqual(r.nodes, [
      { id: PUMP, depth: 0 },
      { id: COIL, depth: 1 },
      { id: PALLET, depth: 1 },
    ])
    assert.deepEqual(
      r.edges.map((e) => [e.from, e.to, e.kind, e.tenant]),
      [
        [COIL, PUMP, 'transformed', buyer],
        [PUMP, PALLET, 'contained', buyer],
      ],
    )
    // the production facts are there for the public page: line, machine, quality
    const made = r.timeline[3]!
    assert.equal(made.readPoint, 'urn:epc:id:sgln:6901234.00001.L2')
    assert.deepEqual(made.event.sensorElementList?.[0]?.sensorReport, [
      { type: 'gs1:Length', value: 120.02, uom: 'MMT' },
    ])
    assert.equal(r.truncated, false)
  })

  it('shows the buyer what the supplier shared with it, and the supplier everything of its own', async () => {
    const { source, ids } = await world()
    const asBuyer = await traceProduct({ source, viewer: { tenant: buyer }, start: PUMP })
    assert.deepEqual(
      asBuyer.nodes.map((n) => n.id),
      [PUMP, COIL, PALLET, ORE],
    )
    const smelt = asBuyer.timeline.find((t) => t.eventId === ids.smelt)!.event
    assert.deepEqual(smelt.inputQuantityList, [{ epcClass: ORE, quantity: 30, uom: 'TNE' }])
    assert.equal(smelt['example:unitCost'], undefined)
    assert.equal(
      asBuyer.timeline.some((t) => t.eventId === ids.inspect),
      false,
    )
    const asSupplier = await traceProduct({
      source,
      viewer: { tenant: supplier },
      start: COIL,
      direction: 'both',
    })
    const own = asSupplier.timeline.filter((t) => t.tenant === supplier).map((t) => t.eventId)
    assert.deepEqual(own, [ids.smelt, ids.inspect, ids.ship])
    assert.equal(asSupplier.timeline.find((t) => t.eventId === ids.smelt)!.event['example:unitCost'], 4100)
    // downstream from the coil the supplier sees the buyer's public production and the pump
    assert.ok(asSupplier.nodes.some((n) => n.id === PUMP))
  })

  it('stops at maxDepth and says so', async () => {
    const { source } = await world()
    const r = await traceProduct({ source, viewer: { tenant: buyer }, start: PUMP, maxDepth: 1 })
    assert.deepEqual(
      r.nodes.map((n) => n.id),
      [PUMP, COIL, PALLET],
    )
    assert.equal(r.truncated, true)
  })

  it('redacts nested fields', () => {
    const e = redactEvent(
      {
        tenant: 'a',
        event: ev({
          type: 'ObjectEvent',
          eventTime: '2026-01-01T00:00:00Z',
          ilmd: { 'cbvmda:lotNumber': 'L1', 'example:cost': 3 },
        }),
        visibility: { event: PUBLIC, fields: { 'ilmd.example:cost': { kind: 'shared', tenants: ['b'] } } },
      },
      {},
    )
    assert.deepEqual(e?.ilmd, { 'cbvmda:lotNumber': 'L1' })
    assert.equal(
      redactEvent({ tenant: 'a', event: ev({ type: 'ObjectEvent', eventTime: 'x' }) }, { tenant: 'b' }),
      null,
    )
  })
})

describe('QR codes', () => {
  it('encodes an identifier’s public URL as an SVG QR code', async () => {
    const url = identifierPublicUrl('https://trace.acme.cn/', '88.118.8/P-1001')
    assert.equal(url, 'https://trace.acme.cn/t/88.118.8/P-1001')
    // 39 bytes at level M need version 3: 29 modules, plus a 4-module quiet zone each side = 37
    assert.equal(QRCode.create(url, { errorCorrectionLevel: 'M' }).version, 3)
    const svg = await identifierQrSvg('https://trace.acme.cn/', '88.118.8/P-1001')
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* viewBox="0 0 37 37"/)
    assert.match(svg, /<path [^>]*d="M/)
    assert.equal(svg, await qrSvg(url))
    const bigger = await qrSvg(url, { errorCorrectionLevel: 'H', margin: 2 })
    // level H holds 34 bytes in version 4, 44 in version 5: 39 bytes need 37 modules, + 2×2 quiet zone = 41
    assert.match(bigger, /viewBox="0 0 41 41"/)
    assert.notEqual(bigger, svg)
  })
})
