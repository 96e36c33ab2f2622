/**
 * Scale-out benchmark (issue 10): `npm run bench:cluster` (RONGHE_BENCH_QUICK=1 for a short run).
 * Prints ONE JSON line on stdout; progress goes to stderr. Needs PostgreSQL (RONGHE_TEST_DATABASE_URL,
 * default the local trust-auth server) and nats-server; works in a throw-away database and a
 * throw-away three-node NATS cluster (JetStream + MQTT listener, loopback ephemeral ports).
 *
 *  1. endToEnd   points/s from devices to PostgreSQL: DEVICES MQTT devices (mqtt.js, QoS 1, WINDOW
 *                messages in flight each, VALUES values per message) spread over the three NATS nodes'
 *                MQTT listeners; clock from the first publish to the moment every sample is counted in
 *                ronghe_series.samples. Once with one Ronghe node, then with two (each phase its own
 *                tenant and devices). All processes share this machine's cores: NATS, PostgreSQL, the
 *                publishers and the Ronghe nodes.
 *  2. store      the PostgreSQL series store's appendForPlatform of 10,000-row batches against a raw
 *                COPY of the same rows into a plain unindexed table, same run, same database.
 *  3. size       bytes per point of the sample partitions (heap + primary key + BRIN) for 100 points x
 *                SIZE_SECONDS s at 1 Hz, analog with two decimals; the hourly rollup apart.
 */
import { rmSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { connect, type MqttClient } from 'mqtt'
import pg from 'pg'
import { measurePostgresSeriesStore } from '../src/store/series/measure-postgres.ts'
import { createScratchDatabase } from '../src/store/series/postgres-scratch.ts'
import { natsServerBinary, startNatsCluster } from '../test/support/nats-cluster.ts'
import { testUscc } from '../test/support/platform.ts'
import { adminToken, api, killNode, type Node, startNode } from '../test/support/ronghe-node.ts'

const QUICK = process.argv.includes('--quick') || process.env.RONGHE_BENCH_QUICK === '1'
const DEVICES = 8
const VALUES = 10
const MESSAGES = QUICK ? 300 : 1500 // per device and phase
const WINDOW = 32
const STORE_ROWS = QUICK ? 100_000 : 500_000
const SIZE_SECONDS = QUICK ? 1800 : 7200

const say = (m: string): void => {
  process.stderr.write(`${m}\n`)
}

async function provision(
  node: Node,
  admin: string,
  label: string,
): Promise<{ tenant: string; keys: string[] }> {
  const t = await api<{ id: string }>(node, 'POST', '/api/tenants', {
    token: admin,
    body: { name: `压测企业 ${label}`, uscc: testUscc(), industryCode: 'C3360', regionCode: '440600' },
  })
  if (t.status !== 201) throw new Error(`tenant: ${JSON.stringify(t.body)}`)
  const keys = Array.from({ length: DEVICES }, (_, i) => `m${i + 1}`)
  for (const key of keys) {
    const d = await api(node, 'POST', '/api/devices', {
      token: admin,
      tenant: t.body.id,
      body: { name: key, key, kind: 'gateway', protocol: 'mqtt' },
    })
    if (d.status !== 201) throw new Error(`device: ${JSON.stringify(d.body)}`)
  }
  return { tenant: t.body.id, keys }
}

async function publishAll(
  clients: MqttClient[],
  tenant: string,
  keys: string[],
  base: number,
  messages: number,
): Promise<void> {
  await Promise.all(
    keys.map(async (key, d) => {
      const c = clients[d] as MqttClient
      const topic = `ronghe/${tenant}/${key}/data`
      let next = 0
      const lane = async (): Promise<void> => {
        for (;;) {
          const i = next++
          if (i >= messages) return
          const values: Record<string, number> = {}
          for (let v = 0; v < VALUES; v++)
            values[`v${v}`] = Math.round((50 + 10 * Math.sin(i / 60 + v)) * 100) / 100
          await c.publishAsync(topic, JSON.stringify({ ts: base + i * 1000, values }), { qos: 1 })
        }
      }
      await Promise.all(Array.from({ length: WINDOW }, lane))
    }),
  )
}

async function countOf(sql: pg.Client, tenant: string): Promise<number> {
  const r = await sql.query('SELECT count(*)::int AS n FROM ronghe_series.samples WHERE tenant_id = $1', [
    tenant,
  ])
  return r.rows[0].n as number
}

/** devices → NATS MQTT → Ronghe node(s) → PostgreSQL, points/s until every sample is stored */
async function endToEnd(
  nodes: Node[],
  admin: string,
  mqttPorts: number[],
  sql: pg.Client,
  label: string,
  messages: number,
): Promise<{ pointsPerSec: number; points: number; seconds: number }> {
  const { tenant, keys } = await provision(nodes[0] as Node, admin, label)
  const clients = keys.map((key, i) =>
    connect({
      host: '127.0.0.1',
      port: mqttPorts[i % mqttPorts.length] as number,
      clientId: `${tenant}-${key}`,
      clean: true,
      protocolVersion: 4,
    }),
  )
  await Promise.all(clients.map((c) => new Promise((r) => c.once('connect', r))))
  const points = keys.length * messages * VALUES
  const base = Date.now() - messages * 1000 - 60_000
  const t0 = performance.now()
  await publishAll(clients, tenant, keys, base, messages)
  const until = Date.now() + 300_000
  for (;;) {
    const n = await countOf(sql, tenant)
    if (n >= points) break
    if (Date.now() > until) throw new Error(`only ${n} of ${points} samples stored`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const seconds = (performance.now() - t0) / 1000
  for (const c of clients) c.end(true)
  return { pointsPerSec: Math.round(points / seconds), points, seconds: Math.round(seconds * 10) / 10 }
}

async function main(): Promise<void> {
  if (natsServerBinary() === undefined)
    throw new Error('nats-server is not installed (Debian package nats-server)')
  const load = loadavg().map((x) => Math.round(x * 100) / 100)
  say('starting a three-node NATS cluster and a scratch PostgreSQL database')
  const nats = await startNatsCluster(3)
  const db = await createScratchDatabase('bench_cluster')
  const nodes: Node[] = []
  const sql = new pg.Client({ connectionString: db.url })
  try {
    const env = { RONGHE_DATABASE_URL: db.url, RONGHE_NATS_URL: nats.url, RONGHE_LOG_LEVEL: 'error' }
    nodes.push(await startNode('a', env))
    await sql.connect()
    const admin = await adminToken(nodes[0] as Node)
    const ports = nats.nodes.map((n) => n.mqttPort)
    say('warm-up')
    await endToEnd(nodes, admin, ports, sql, 'warm-up', 50)
    say('end to end, one Ronghe node')
    const one = await endToEnd(nodes, admin, ports, sql, 'one', MESSAGES)
    say(JSON.stringify(one))
    nodes.push(await startNode('b', env))
    say('end to end, two Ronghe nodes')
    await endToEnd(nodes, admin, ports, sql, 'warm-up-2', 50)
    const two = await endToEnd(nodes, admin, ports, sql, 'two', MESSAGES)
    say(JSON.stringify(two))
    for (const n of nodes) await killNode(n, 'SIGTERM')
    say('series store against raw COPY; bytes per point')
    const {
      rows: storeRows,
      batch: _batch,
      ...figures
    } = await measurePostgresSeriesStore(db.url, {
      prefix: 'bench',
      appendRows: STORE_ROWS,
      sizePoints: 100,
      sizeSeconds: SIZE_SECONDS,
    })
    const store = { storeRows, ...figures }
    console.log(
      JSON.stringify({
        bench: 'cluster',
        quick: QUICK,
        cpus: cpus().length,
        loadavgAtStart: load,
        natsServers: 3,
        devices: DEVICES,
        valuesPerMessage: VALUES,
        inFlightPerDevice: WINDOW,
        endToEndOneNode: one,
        endToEndTwoNodes: two,
        twoToOneRatio: Math.round((two.pointsPerSec / one.pointsPerSec) * 100) / 100,
        ...store,
        loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
      }),
    )
  } finally {
    for (const n of nodes) {
      await killNode(n, 'SIGTERM')
      rmSync(n.dataDir, { recursive: true, force: true })
    }
    await sql.end().catch(() => undefined)
    await nats.stop()
    await db.drop()
  }
}

await main()
