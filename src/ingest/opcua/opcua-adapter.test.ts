import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  DataType,
  makeEUInformation,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  type UAVariable,
  Variant,
  VariantArrayType,
} from 'node-opcua'
import type { DeviceId, TenantId } from '../../core/index.ts'
import { buildEnterprises } from '../../sim/factory-catalog.ts'
import { createSimOpcuaServer } from '../../sim/opcua-server.ts'
import { createVirtualFactory } from '../../sim/virtual-factory.ts'
import type { IngestSink, RawValue } from '../ingest-sink.ts'
import {
  browseEndpoint,
  createOpcuaAdapter,
  type OpcuaBrowseNode,
  qualityOf,
  rawValueOf,
} from './opcua-adapter.ts'

const tenant = 't1' as TenantId
const device = 'press-1' as DeviceId
const tmp = mkdtempSync(join(tmpdir(), 'ronghe-opcua-'))

function recordingSink(): IngestSink & { values: RawValue[] } {
  const values: RawValue[] = []
  return {
    values,
    async write(_t, _d, vs) {
      values.push(...vs)
      return { accepted: vs.length, rejected: [] }
    },
  }
}

async function until(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

interface TestServer {
  readonly server: OPCUAServer
  readonly temp: UAVariable
  readonly count: UAVariable
  readonly program: UAVariable
  readonly total: UAVariable
  readonly url: string
}

/** A plain node-opcua server with a small address space, independent of Ronghe's simulator. */
async function startTestServer(port = 0): Promise<TestServer> {
  const cm = new OPCUACertificateManager({
    rootFolder: join(tmp, 'server-pki'),
    automaticallyAcceptUnknownCertificate: true,
    disableFileWatchers: true,
  })
  await cm.initialize()
  const server = new OPCUAServer({
    port,
    hostname: '127.0.0.1',
    serverCertificateManager: cm,
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.SignAndEncrypt],
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    allowAnonymous: true,
    userManager: { isValidUser: (u: string, p: string) => u === 'operator' && p === 'S3cret-pw' },
  })
  await server.initialize()
  const as = server.engine.addressSpace
  assert.ok(as)
  const ns = as.getOwnNamespace()
  const press = ns.addObject({ organizedBy: as.rootFolder.objects, browseName: 'Press1', nodeId: 's=Press1' })
  const temp = ns.addAnalogDataItem({
    componentOf: press,
    browseName: 'OilTemp',
    nodeId: 's=Press1.OilTemp',
    dataType: 'Double',
    engineeringUnitsRange: { low: 0, high: 100 },
    engineeringUnits: makeEUInformation('CEL', '°C', 'degree Celsius'),
    minimumSamplingInterval: 0,
  })
  const count = ns.addVariable({
    componentOf: press,
    browseName: 'Strokes',
    nodeId: 's=Press1.Strokes',
    dataType: 'Int32',
  })
  const program = ns.addVariable({
    componentOf: press,
    browseName: 'Program',
    nodeId: 's=Press1.Program',
    dataType: 'String',
  })
  const total = ns.addVariable({
    componentOf: press,
    browseName: 'Total',
    nodeId: 's=Press1.Total',
    dataType: 'Int64',
  })
  temp.setValueFromSource(new Variant({ dataType: DataType.Double, value: 20 }))
  count.setValueFromSource(new Variant({ dataType: DataType.Int32, value: 7 }))
  program.setValueFromSource(new Variant({ dataType: DataType.String, value: 'P-100' }))
  total.setValueFromSource(
    new Variant({ dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: [1, 5] }),
  )
  await server.start()
  const bound = server.endpoints[0]?.port ?? 0
  return { server, temp, count, program, total, url: `opc.tcp://127.0.0.1:${bound}` }
}

const ITEMS = [
  { nodeId: 'ns=1;s=Press1.OilTemp', key: 'oilTemp', samplingIntervalMs: 50 },
  { nodeId: 'ns=1;s=Press1.Strokes', key: 'strokes', samplingIntervalMs: 50 },
  { nodeId: 'ns=1;s=Press1.Program', key: 'program', samplingIntervalMs: 50 },
  { nodeId: 'ns=1;s=Press1.Total', key: 'total', samplingIntervalMs: 50 },
]

function latest(values: readonly RawValue[], key: string): RawValue | undefined {
  return values.filter((v) => v.key === key).at(-1)
}

describe('OPC UA helpers', () => {
  it('maps status code severity to quality and 64-bit integers to numbers', () => {
    assert.equal(qualityOf(StatusCodes.Good.value), 'good')
    assert.equal(qualityOf(StatusCodes.UncertainLastUsableValue.value), 'uncertain')
    assert.equal(qualityOf(StatusCodes.BadNoCommunication.value), 'bad')
    assert.equal(
      rawValueOf(
        new Variant({ dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: [1, 5] }),
      ),
      4294967301,
    )
    assert.equal(
      rawValueOf(
        new Variant({
          dataType: DataType.Int64,
          arrayType: VariantArrayType.Scalar,
          value: [-1, 0xfffffffe],
        }),
      ),
      -2,
    )
    assert.equal(rawValueOf(new Variant({ dataType: DataType.Float, value: 1.5 })), 1.5)
  })
})

describe('OPC UA adapter against a node-opcua server', () => {
  let ts: TestServer
  before(async () => {
    ts = await startTestServer()
  })
  after(async () => {
    await ts.server.shutdown(0)
  })

  it('browses the address space with data types and units', async () => {
    const tree = await browseEndpoint({ endpointUrl: ts.url, pkiDir: join(tmp, 'client-pki') })
    const press = tree.children.find((c) => c.browseName === 'Press1')
    assert.ok(press)
    const vars = Object.fromEntries(
      press.children.map((c: OpcuaBrowseNode) => [c.browseName, [c.nodeId, c.dataType, c.unit]]),
    )
    assert.deepEqual(vars, {
      OilTemp: ['ns=1;s=Press1.OilTemp', 'Double', '°C'],
      Strokes: ['ns=1;s=Press1.Strokes', 'Int32', undefined],
      Program: ['ns=1;s=Press1.Program', 'String', undefined],
      Total: ['ns=1;s=Press1.Total', 'Int64', undefined],
    })
  })

  it('delivers monitored items with keys, types and quality (None, anonymous)', async () => {
    const sink = recordingSink()
    const adapter = createOpcuaAdapter({
      tenant,
      device,
      endpointUrl: ts.url,
      pkiDir: join(tmp, 'client-pki'),
      items: ITEMS,
      publishingIntervalMs: 50,
    })
    await adapter.start(sink)
    try {
      assert.equal(adapter.status().connected, true)
      assert.equal(adapter.status().counters.itemsMonitored, 4)
      await until(() => sink.values.length >= 4, 5000, 'initial values')
      assert.deepEqual(
        ['oilTemp', 'strokes', 'program', 'total'].map((k) => latest(sink.values, k)?.value),
        [20, 7, 'P-100', 4294967301],
      )
      const when = new Date(Date.UTC(2026, 0, 5, 8, 0))
      ts.temp.setValueFromSource(
        new Variant({ dataType: DataType.Double, value: 42.5 }),
        StatusCodes.Good,
        when,
      )
      await until(() => latest(sink.values, 'oilTemp')?.value === 42.5, 5000, '42.5')
      assert.equal(latest(sink.values, 'oilTemp')?.ts, when.getTime())
      ts.temp.setValueFromSource(
        new Variant({ dataType: DataType.Double, value: 42.5 }),
        StatusCodes.BadSensorFailure,
      )
      await until(() => latest(sink.values, 'oilTemp')?.quality === 'bad', 5000, 'bad')
      assert.equal(latest(sink.values, 'oilTemp')?.value, null)
      ts.temp.setValueFromSource(
        new Variant({ dataType: DataType.Double, value: 43 }),
        StatusCodes.UncertainSensorNotAccurate,
      )
      await until(() => latest(sink.values, 'oilTemp')?.quality === 'uncertain', 5000, 'uncertain')
      assert.equal(latest(sink.values, 'oilTemp')?.value, 43)
      const tree = await adapter.browse({ root: 'ns=1;s=Press1' })
      assert.equal(tree.children.length, 4)
    } finally {
      await adapter.stop()
    }
  })

  it('applies absolute and percent deadbands on the server', async () => {
    const abs = recordingSink()
    const pct = recordingSink()
    const mk = (type: 'absolute' | 'percent', value: number) =>
      createOpcuaAdapter({
        tenant,
        device,
        endpointUrl: ts.url,
        pkiDir: join(tmp, 'client-pki'),
        publishingIntervalMs: 50,
        items: [
          { nodeId: 'ns=1;s=Press1.OilTemp', key: 't', samplingIntervalMs: 20, deadband: { type, value } },
        ],
      })
    // 5 °C absolute; 10 % of the 0…100 °C EURange
    const a = mk('absolute', 5)
    const p = mk('percent', 10)
    await a.start(abs)
    await p.start(pct)
    try {
      const set = async (v: number): Promise<void> => {
        ts.temp.setValueFromSource(new Variant({ dataType: DataType.Double, value: v }))
        await new Promise((r) => setTimeout(r, 250))
      }
      // let the initial value (reported when an item is created) arrive, then count from here
      await new Promise((r) => setTimeout(r, 300))
      const a0 = abs.values.length
      const p0 = pct.values.length
      await set(50)
      await set(53) // within both deadbands
      await set(56) // 6 from 50: passes the absolute 5, not the percent 10 (of 0…100)
      await set(61) // 11 from 50: passes the percent; 5 from 56 is not more than 5: not the absolute
      await set(75) // passes both
      await until(() => latest(abs.values, 't')?.value === 75 && latest(pct.values, 't')?.value === 75, 3000)
      assert.deepEqual(
        abs.values.slice(a0).map((v) => v.value),
        [50, 56, 75],
      )
      assert.deepEqual(
        pct.values.slice(p0).map((v) => v.value),
        [50, 61, 75],
      )
    } finally {
      await a.stop()
      await p.stop()
    }
  })

  it('opens a SignAndEncrypt Basic256Sha256 session with user and password; a wrong password is reported', async () => {
    const sink = recordingSink()
    const adapter = createOpcuaAdapter({
      tenant,
      device,
      endpointUrl: ts.url,
      pkiDir: join(tmp, 'client-pki'),
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      identity: { type: 'username', username: 'operator', password: 'S3cret-pw' },
      items: ITEMS.slice(1, 2),
      publishingIntervalMs: 50,
    })
    await adapter.start(sink)
    try {
      assert.equal(adapter.status().connected, true)
      ts.count.setValueFromSource(new Variant({ dataType: DataType.Int32, value: 1234 }))
      await until(() => latest(sink.values, 'strokes')?.value === 1234, 5000, '1234')
    } finally {
      await adapter.stop()
    }
    const refused = createOpcuaAdapter({
      tenant,
      device,
      endpointUrl: ts.url,
      pkiDir: join(tmp, 'client-pki'),
      securityMode: 'SignAndEncrypt',
      identity: { type: 'username', username: 'operator', password: 'wrong' },
      items: ITEMS.slice(1, 2),
      startWaitMs: 1500,
      reconnect: { initialMs: 5000 },
    })
    await refused.start(recordingSink())
    try {
      const st = refused.status()
      assert.equal(st.connected, false)
      assert.ok((st.counters.connectErrors ?? 0) >= 1)
      assert.match(st.lastError ?? '', /OPC UA session/)
    } finally {
      await refused.stop()
    }
  })

  it('resumes data after the server stops and restarts on the same port', async () => {
    const own = await startTestServer()
    const port = Number(own.url.split(':').at(-1))
    const sink = recordingSink()
    const adapter = createOpcuaAdapter({
      tenant,
      device,
      endpointUrl: own.url,
      pkiDir: join(tmp, 'client-pki'),
      items: ITEMS.slice(0, 1),
      publishingIntervalMs: 50,
      reconnect: { initialMs: 100, maxMs: 500 },
    })
    await adapter.start(sink)
    let again: TestServer | null = null
    try {
      own.temp.setValueFromSource(new Variant({ dataType: DataType.Double, value: 31 }))
      await until(() => latest(sink.values, 'oilTemp')?.value === 31, 5000, '31')
      await own.server.shutdown(0)
      await until(() => !adapter.status().connected, 10_000, 'disconnect')
      again = await startTestServer(port)
      const restarted = again
      // the new server process knows nothing of the old session: the client must build a new one and
      // recreate the subscription and its monitored items
      await until(() => adapter.status().connected, 20_000, 'reconnect')
      restarted.temp.setValueFromSource(new Variant({ dataType: DataType.Double, value: 77 }))
      await until(() => latest(sink.values, 'oilTemp')?.value === 77, 10_000, '77 after restart')
      const c = adapter.status().counters
      assert.ok((c.connectionLosses ?? 0) >= 1)
      assert.ok((c.reconnects ?? 0) + (c.sessionRestores ?? 0) >= 1)
    } finally {
      await adapter.stop()
      await again?.server.shutdown(0)
    }
  })
})

describe('OPC UA adapter against the virtual factory', () => {
  it('reads die-casting machine values and browses enterprise / site / line / equipment', async () => {
    const ent = buildEnterprises().find((e) => e.key === 'fs-diecast')
    assert.ok(ent)
    const server = createSimOpcuaServer({
      enterprises: [ent],
      pkiDir: join(tmp, 'sim-pki'),
      users: { edge: 'Edge-pw-1' },
    })
    await server.start()
    const start = Date.UTC(2026, 2, 2, 2, 0)
    const factory = createVirtualFactory({ seed: 3, start, enterprises: [ent] })
    const expected = new Map<string, SimValueLike>()
    for (const v of factory.step(start + 60_000)) {
      server.apply(v)
      if (v.deviceKey === 'DC-01') expected.set(v.pointKey, v)
    }
    const sink = recordingSink()
    const pts = ['hydraulicPressure', 'state', 'partsGood', 'program']
    const adapter = createOpcuaAdapter({
      tenant,
      device,
      endpointUrl: server.endpointUrl,
      pkiDir: join(tmp, 'client-pki'),
      securityMode: 'SignAndEncrypt',
      identity: { type: 'certificate' },
      items: pts.map((p) => ({
        nodeId: server.nodeIdOf('fs-diecast', 'DC-01', p),
        key: p,
        samplingIntervalMs: 50,
      })),
      publishingIntervalMs: 50,
    })
    await adapter.start(sink)
    try {
      await until(() => pts.every((p) => latest(sink.values, p) !== undefined), 5000, 'sim values')
      for (const p of pts) {
        const want = expected.get(p)
        assert.ok(want, p)
        const got = latest(sink.values, p)
        assert.equal(got?.value, p === 'hydraulicPressure' ? Math.fround(Number(want.value)) : want.value, p)
        assert.equal(got?.ts, want.ts, p)
      }
      const tree = await adapter.browse({ root: 'ns=1;s=fs-diecast', maxDepth: 4 })
      const line = tree.children
        .find((s) => s.browseName === 'FS1')
        ?.children.find((l) => l.browseName === 'DC-L1')
      const dc01 = line?.children.find((e) => e.browseName === 'DC-01')
      assert.ok(dc01)
      const pressure = dc01.children.find((c) => c.browseName === 'hydraulicPressure')
      assert.deepEqual([pressure?.dataType, pressure?.unit], ['Float', 'bar'])
      assert.equal(dc01.children.length, 10)
    } finally {
      await adapter.stop()
      await server.stop()
    }
  })
})

interface SimValueLike {
  readonly value: number | string | null
  readonly ts: number
}
