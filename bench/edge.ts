/**
 * Field-protocol and edge benchmark (issue 5): `npm run bench:edge` (`tsx bench/edge.ts`; add `--quick`
 * for shorter runs). Prints ONE JSON line on stdout; progress goes to stderr.
 *
 *  1. modbus   registers/s one Modbus adapter sustains: back-to-back polls of one group of 100 holding
 *              registers (one coalesced FC 3 request each, decoded to 100 uint16 values, handed to a sink)
 *              against the virtual factory's Modbus server running in a child process
 *  2. opcua    monitored-item data changes/s one OPC UA adapter receives: 5,000 Double variables whose
 *              values change on every read, sampled every 50 ms (node-opcua's fastest sampling; offered
 *              100,000 changes/s), publishing every 100 ms, served by a plain node-opcua server in a child
 *              process; security None
 *  3. catchUp  the edge gateway's catch-up after an outage: a backlog of samples in its queue (as an
 *              outage leaves it), drained to the uplink at QoS 1 with 500 samples per message, 8 in
 *              flight and no rate limit (maxSendRate 0), samples/s until every one is PUBACKed and removed from the queue;
 *              to Debian's Mosquitto (if it is on 127.0.0.1:1883) and to Ronghe's own broker in this
 *              process (whose PUBACK means the samples are durable in the series store)
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect as netConnect } from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DeviceId, TenantId } from '../src/core/index.ts'
import { createEdgeGateway } from '../src/ingest/edge/index.ts'
import { openStoreForwardQueue } from '../src/ingest/edge/store-forward-queue.ts'
import type { IngestSink, RawValue } from '../src/ingest/ingest-sink.ts'
import { createModbusAdapter } from '../src/ingest/modbus/index.ts'
import { createOpcuaAdapter } from '../src/ingest/opcua/index.ts'

const quick = process.argv.includes('--quick') || process.env.RONGHE_BENCH_QUICK === '1'
const SELF = fileURLToPath(import.meta.url)
const log = (msg: string): void => {
  process.stderr.write(`[bench:edge] ${msg}\n`)
}

// ------------------------------------------------------------------ child-process servers
async function serveModbus(): Promise<void> {
  const { buildEnterprises } = await import('../src/sim/factory-catalog.ts')
  const { createSimModbusServer } = await import('../src/sim/modbus-server.ts')
  const ent = buildEnterprises()[0]
  if (ent === undefined) throw new Error('no enterprise')
  const server = createSimModbusServer({ enterprise: ent })
  await server.start()
  process.stdout.write(`${JSON.stringify({ port: server.port })}\n`)
}

async function serveOpcua(items: number, pkiDir: string): Promise<void> {
  const { DataType, OPCUACertificateManager, OPCUAServer, Variant } = await import('node-opcua')
  const cm = new OPCUACertificateManager({ rootFolder: pkiDir, disableFileWatchers: true })
  await cm.initialize()
  const server = new OPCUAServer({ port: 0, hostname: '127.0.0.1', serverCertificateManager: cm })
  await server.initialize()
  const as = server.engine.addressSpace
  if (as === null) throw new Error('no address space')
  const ns = as.getOwnNamespace()
  const folder = ns.addFolder(as.rootFolder.objects, { browseName: 'Bench' })
  let n = 0
  for (let i = 0; i < items; i++) {
    ns.addVariable({
      organizedBy: folder,
      browseName: `v${i}`,
      nodeId: `s=v${i}`,
      dataType: 'Double',
      minimumSamplingInterval: 50,
      // a new value on every sample, so every sample is a data change
      value: { get: () => new Variant({ dataType: DataType.Double, value: ++n }) },
    })
  }
  await server.start()
  process.stdout.write(`${JSON.stringify({ port: server.endpoints[0]?.port })}\n`)
}

function startChild(args: string[]): Promise<{ child: ChildProcess; info: { port: number } }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SELF, ...args], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    let buf = ''
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const line = buf.split('\n').find((l) => l.startsWith('{'))
      if (line !== undefined) resolve({ child, info: JSON.parse(line) as { port: number } })
    })
    child.once('exit', (code) => reject(new Error(`child ${args[0]} exited with ${code}`)))
  })
}

function countingSink(): IngestSink & { n: number } {
  const s = {
    n: 0,
    async write(_t: TenantId, _d: DeviceId, vs: readonly RawValue[]) {
      s.n += vs.length
      return { accepted: vs.length, rejected: [] }
    },
  }
  return s
}

const tenant = 'bench' as TenantId
const device = 'bench-device' as DeviceId

// ------------------------------------------------------------------ 1. Modbus
async function benchModbus(): Promise<{
  registersPerSec: number
  requestsPerSec: number
  registersPerRequest: number
}> {
  const { child, info } = await startChild(['--serve-modbus'])
  try {
    const adapter = createModbusAdapter({
      tenant,
      device,
      host: '127.0.0.1',
      port: info.port,
      unitId: 1,
      groups: [
        {
          name: 'bench',
          intervalMs: 3_600_000,
          points: Array.from({ length: 100 }, (_, i) => ({
            key: `hr${i}`,
            table: 'holding' as const,
            address: i,
          })),
        },
      ],
    })
    await adapter.start(countingSink())
    // warm up, then measure back-to-back polls
    for (let i = 0; i < 200; i++) await adapter.pollNow('bench')
    const before = adapter.status().counters
    const t0 = performance.now()
    const end = t0 + (quick ? 2000 : 5000)
    while (performance.now() < end) await adapter.pollNow('bench')
    const secs = (performance.now() - t0) / 1000
    const after = adapter.status().counters
    await adapter.stop()
    const regs = (after.registersRead ?? 0) - (before.registersRead ?? 0)
    const reqs = (after.requests ?? 0) - (before.requests ?? 0)
    if ((after.errors ?? 0) > 0) throw new Error(`modbus errors: ${adapter.status().lastError}`)
    return {
      registersPerSec: Math.round(regs / secs),
      requestsPerSec: Math.round(reqs / secs),
      registersPerRequest: 100,
    }
  } finally {
    child.kill()
  }
}

// ------------------------------------------------------------------ 2. OPC UA
async function benchOpcua(
  dir: string,
): Promise<{ changesPerSec: number; items: number; offeredPerSec: number }> {
  const items = 5000
  const { child, info } = await startChild(['--serve-opcua', String(items), join(dir, 'server-pki')])
  try {
    const sink = countingSink()
    const adapter = createOpcuaAdapter({
      tenant,
      device,
      endpointUrl: `opc.tcp://127.0.0.1:${info.port}`,
      pkiDir: join(dir, 'client-pki'),
      samplingIntervalMs: 50,
      publishingIntervalMs: 100,
      items: Array.from({ length: items }, (_, i) => ({
        nodeId: `ns=1;s=v${i}`,
        key: `v${i}`,
        queueSize: 20,
      })),
    })
    await adapter.start(sink)
    if (!adapter.status().connected) throw new Error(`opcua: ${adapter.status().lastError}`)
    await new Promise((r) => setTimeout(r, 2000))
    const c0 = adapter.status().counters.dataChanges ?? 0
    const t0 = performance.now()
    await new Promise((r) => setTimeout(r, quick ? 3000 : 8000))
    const c1 = adapter.status().counters.dataChanges ?? 0
    const secs = (performance.now() - t0) / 1000
    await adapter.stop()
    return { changesPerSec: Math.round((c1 - c0) / secs), items, offeredPerSec: items * 20 }
  } finally {
    child.kill()
  }
}

// ------------------------------------------------------------------ 3. catch-up
function fillQueue(dataDir: string, deviceKey: string, n: number, t0: number): void {
  const q = openStoreForwardQueue({ dataDir, synchronous: 'normal' })
  const batch: RawValue[] = []
  for (let i = 0; i < n; i++) {
    // 10 points at 1 Hz, as an outage of n / 10 seconds leaves them
    batch.push({
      key: `p${i % 10}`,
      ts: t0 + Math.floor(i / 10) * 1000,
      value: Math.round(Math.sin(i) * 1e4) / 100,
      quality: 'good',
    })
    if (batch.length === 10_000) {
      q.append(deviceKey, batch)
      batch.length = 0
    }
  }
  q.append(deviceKey, batch)
  q.close()
}

async function drainTo(
  dataDir: string,
  tenantId: string,
  n: number,
  uplink: { url: string; edgeNodeId: string; username?: string; password?: string },
): Promise<number> {
  const gw = createEdgeGateway({ tenant: tenantId, dataDir, uplink, sources: [], maxSendRate: 0 })
  const t0 = performance.now()
  await gw.start()
  await gw.drained(600_000)
  const secs = (performance.now() - t0) / 1000
  const st = gw.status()
  await gw.stop()
  if (st.counters.sent !== n) throw new Error(`catch-up sent ${st.counters.sent} of ${n}`)
  return Math.round(n / secs)
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host, port })
    s.setTimeout(500, () => {
      s.destroy()
      resolve(false)
    })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

async function benchCatchUp(
  dir: string,
): Promise<{ backlog: number; mosquitto: number | null; ronghe: number }> {
  const n = quick ? 50_000 : 200_000
  const t0 = Date.now() - Math.ceil(n / 10) * 1000
  let mosquitto: number | null = null
  if (await reachable('127.0.0.1', 1883)) {
    const d = join(dir, 'edge-mosquitto')
    fillQueue(d, 'bench-edge', n, t0)
    log(`catch-up of ${n} samples to Mosquitto`)
    mosquitto = await drainTo(d, `bench-${process.pid}`, n, {
      url: 'mqtt://127.0.0.1:1883',
      edgeNodeId: 'bench-edge',
    })
  } else log('Mosquitto is not on 127.0.0.1:1883: skipped')
  const { startTestPlatform } = await import('../test/support/platform.ts')
  const p = await startTestPlatform({ dataDir: join(dir, 'platform') })
  try {
    const ent = await p.enterprise('边缘基准')
    const dev = await p.device(ent.token, 'bench-edge', 'sparkplug')
    const d = join(dir, 'edge-ronghe')
    fillQueue(d, 'bench-edge', n, t0)
    log(`catch-up of ${n} samples to Ronghe's broker`)
    const ronghe = await drainTo(d, ent.tenant, n, {
      url: p.mqttUrl,
      edgeNodeId: 'bench-edge',
      username: dev.username,
      password: dev.password,
    })
    return { backlog: n, mosquitto, ronghe }
  } finally {
    await p.stop()
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ronghe-bench-edge-'))
  try {
    log('Modbus')
    const modbus = await benchModbus()
    log(`Modbus: ${modbus.registersPerSec} registers/s; OPC UA`)
    const opcua = await benchOpcua(dir)
    log(`OPC UA: ${opcua.changesPerSec} changes/s; catch-up`)
    const catchUp = await benchCatchUp(dir)
    process.stdout.write(
      `${JSON.stringify({
        bench: 'edge',
        quick,
        cpus: cpus().length,
        modbusRegistersPerSec: modbus.registersPerSec,
        modbusRequestsPerSec: modbus.requestsPerSec,
        modbusRegistersPerRequest: modbus.registersPerRequest,
        opcuaChangesPerSec: opcua.changesPerSec,
        opcuaItems: opcua.items,
        opcuaOfferedChangesPerSec: opcua.offeredPerSec,
        catchUpBacklog: catchUp.backlog,
        catchUpMosquittoSamplesPerSec: catchUp.mosquitto,
        catchUpRongheSamplesPerSec: catchUp.ronghe,
      })}\n`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const arg = process.argv[2]
if (arg === '--serve-modbus') {
  serveModbus().catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
} else if (arg === '--serve-opcua') {
  serveOpcua(Number(process.argv[3]), process.argv[4] ?? join(tmpdir(), 'ronghe-bench-opcua-pki')).catch(
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
}
