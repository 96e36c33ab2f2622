/**
 * External-broker front door benchmark (issue 10): `npm run bench:mqtt-upstream`
 * (RONGHE_BENCH_QUICK=1 for a short run). Prints ONE JSON line on stdout; progress goes to stderr.
 * Needs PostgreSQL (RONGHE_TEST_DATABASE_URL, default the local trust-auth server) and an MQTT broker
 * (RONGHE_TEST_MQTT_URL, default mqtt://127.0.0.1:1883, Mosquitto 2 here); works in a throw-away
 * database, its own topic root, share groups and client ids, and removes its sessions at the end.
 *
 * endToEnd: points/s from devices to PostgreSQL — DEVICES mqtt.js devices publish QoS 1 (VALUES values
 * per message) to the broker; `ronghe start` node(s) take them through one shared subscription and
 * acknowledge after the samples are stored; the clock runs from the first publish until every sample
 * is counted in ronghe_series.samples. The devices stop publishing while more than BACKLOG messages per
 * session are not stored yet: Mosquitto keeps at most `max_queued_messages` (default 1000) per session
 * and drops what is beyond. Phases: one node with one, four and sixteen sessions, then two nodes with
 * four sessions each. Everything shares this machine's cores.
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { connectAsync, type MqttClient } from 'mqtt'
import pg from 'pg'
import { createScratchDatabase } from '../src/store/series/postgres-scratch.ts'
import { discardMqttSessions } from '../test/support/mqtt-sessions.ts'
import { testUscc } from '../test/support/platform.ts'
import { adminToken, api, killNode, type Node, startNode } from '../test/support/ronghe-node.ts'

const QUICK = process.argv.includes('--quick') || process.env.RONGHE_BENCH_QUICK === '1'
const URL_ = process.env.RONGHE_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883'
const DEVICES = 8
const VALUES = 10
const MESSAGES = QUICK ? 100 : 400 // per device and phase
const BACKLOG = 500 // unstored messages per session before the devices wait
const run = randomBytes(4).toString('hex')

const say = (m: string): void => {
  process.stderr.write(`${m}\n`)
}

async function countOf(sql: pg.Client, tenant: string): Promise<number> {
  const r = await sql.query('SELECT count(*)::int AS n FROM ronghe_series.samples WHERE tenant_id = $1', [
    tenant,
  ])
  return r.rows[0].n as number
}

async function phase(
  dbUrl: string,
  sql: pg.Client,
  label: string,
  nodeCount: number,
  connections: number,
  clientIds: string[],
): Promise<{
  pointsPerSec: number
  points: number
  seconds: number
  nodes: number
  sessionsPerNode: number
}> {
  const root = `b${run}${label}`
  const nodes: Node[] = []
  try {
    for (let i = 0; i < nodeCount; i++) {
      const clientId = `ronghe-${run}-${label}-${i}`
      for (let c = 1; c <= connections; c++) clientIds.push(connections === 1 ? clientId : `${clientId}-${c}`)
      nodes.push(
        await startNode(`${label}${i}`, {
          RONGHE_DATABASE_URL: dbUrl,
          RONGHE_LOG_LEVEL: 'error',
          RONGHE_MQTT_UPSTREAM_URL: URL_,
          RONGHE_MQTT_UPSTREAM_GROUP: `g${run}${label}`,
          RONGHE_MQTT_UPSTREAM_FILTERS: `${root}/+/+/data`,
          RONGHE_MQTT_UPSTREAM_CLIENT_ID: clientId,
          RONGHE_MQTT_UPSTREAM_CONNECTIONS: String(connections),
        }),
      )
    }
    const first = nodes[0] as Node
    const admin = await adminToken(first)
    const t = await api<{ id: string }>(first, 'POST', '/api/tenants', {
      token: admin,
      body: { name: `外部代理压测 ${label}`, uscc: testUscc(), industryCode: 'C3360', regionCode: '440600' },
    })
    if (t.status !== 201) throw new Error(`tenant: ${JSON.stringify(t.body)}`)
    const tenant = t.body.id
    const keys = Array.from({ length: DEVICES }, (_, i) => `m${i + 1}`)
    for (const key of keys) {
      const d = await api(first, 'POST', '/api/devices', {
        token: admin,
        tenant,
        body: { name: key, key, kind: 'gateway', protocol: 'mqtt' },
      })
      if (d.status !== 201) throw new Error(`device: ${JSON.stringify(d.body)}`)
    }
    // the nodes subscribe a moment after they serve their API
    await new Promise((r) => setTimeout(r, 1500))
    const clients: MqttClient[] = await Promise.all(
      keys.map((key) => connectAsync(URL_, { clientId: `${run}-${label}-${key}`, clean: true })),
    )
    const points = DEVICES * MESSAGES * VALUES
    const base = Date.now() - MESSAGES * 1000 - 60_000
    let storedMessages = 0
    let published = 0
    let polling = true
    const t0 = performance.now()
    const poll = (async () => {
      while (polling) {
        storedMessages = (await countOf(sql, tenant)) / VALUES
        await new Promise((r) => setTimeout(r, 20))
      }
    })()
    const limit = BACKLOG * nodeCount * connections
    await Promise.all(
      keys.map(async (key, d) => {
        const c = clients[d] as MqttClient
        for (let i = 0; i < MESSAGES; i++) {
          while (published - storedMessages >= limit) await new Promise((r) => setTimeout(r, 10))
          published++
          const values: Record<string, number> = {}
          for (let v = 0; v < VALUES; v++)
            values[`v${v}`] = Math.round((50 + 10 * Math.sin(i / 60 + v)) * 100) / 100
          await c.publishAsync(
            `${root}/${tenant}/${key}/data`,
            JSON.stringify({ ts: base + i * 1000, values }),
            {
              qos: 1,
            },
          )
        }
      }),
    )
    const until = Date.now() + 300_000
    for (;;) {
      const n = await countOf(sql, tenant)
      if (n >= points) break
      if (Date.now() > until) throw new Error(`only ${n} of ${points} samples stored`)
      await new Promise((r) => setTimeout(r, 20))
    }
    const seconds = (performance.now() - t0) / 1000
    polling = false
    await poll
    for (const c of clients) await c.endAsync()
    return {
      pointsPerSec: Math.round(points / seconds),
      points,
      seconds: Math.round(seconds * 10) / 10,
      nodes: nodeCount,
      sessionsPerNode: connections,
    }
  } finally {
    for (const n of nodes) {
      await killNode(n, 'SIGTERM')
      rmSync(n.dataDir, { recursive: true, force: true })
    }
  }
}

async function main(): Promise<void> {
  const load = loadavg().map((x) => Math.round(x * 100) / 100)
  const db = await createScratchDatabase('bench_mqttup')
  const sql = new pg.Client({ connectionString: db.url })
  const clientIds: string[] = []
  try {
    await sql.connect()
    say('one node, one session')
    const one = await phase(db.url, sql, 'a', 1, 1, clientIds)
    say(JSON.stringify(one))
    say('one node, four sessions')
    const four = await phase(db.url, sql, 'b', 1, 4, clientIds)
    say(JSON.stringify(four))
    say('one node, sixteen sessions')
    const sixteen = await phase(db.url, sql, 'd', 1, 16, clientIds)
    say(JSON.stringify(sixteen))
    say('two nodes, four sessions each')
    const two = await phase(db.url, sql, 'c', 2, 4, clientIds)
    say(JSON.stringify(two))
    console.log(
      JSON.stringify({
        bench: 'mqtt-upstream',
        quick: QUICK,
        broker: URL_,
        cpus: cpus().length,
        loadavgAtStart: load,
        devices: DEVICES,
        valuesPerMessage: VALUES,
        messagesPerDevice: MESSAGES,
        oneNodeOneSession: one,
        oneNodeFourSessions: four,
        oneNodeSixteenSessions: sixteen,
        twoNodesFourSessions: two,
        loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
      }),
    )
  } finally {
    await sql.end().catch(() => undefined)
    await discardMqttSessions(URL_, clientIds)
    await db.drop()
  }
}

await main()
