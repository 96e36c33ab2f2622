import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { connectAsync, type MqttClient } from 'mqtt'
import pg from 'pg'
import {
  createScratchDatabase,
  needPostgres,
  type ScratchDatabase,
} from '../../src/store/series/postgres-scratch.ts'
import { discardMqttSessions } from '../support/mqtt-sessions.ts'
import { eventually } from '../support/platform.ts'
import { adminToken, api, killNode, type Node, startNode, tenantWithDevices } from '../support/ronghe-node.ts'
import { needService, tcpReachable } from '../support/services.ts'

/**
 * The front door on an external MQTT broker end to end: two Ronghe nodes (`ronghe start` child
 * processes, one PostgreSQL database) share one subscription group on a real Mosquitto 2. A device
 * publishes QoS 1 messages; one node is killed with SIGKILL while both are working, more messages
 * come while it is dead, and it comes back with the same client id. Every message the broker
 * acknowledged to the device must be stored exactly once.
 *
 * Mosquitto keeps the messages it had handed to the dead member (in flight, not acknowledged) — and
 * the share of new messages it queues for that member's session — until the member returns; the test
 * asserts that too, because it is why a node's client id must survive its restart on Mosquitto.
 */
const url = process.env.RONGHE_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883'
const u = new URL(url)
const DEVICES = 3
const MESSAGES = 200 // per device; half before the kill, half after
const POINTS_PER_MESSAGE = 2

describe('two Ronghe nodes on one shared subscription of an external MQTT broker', () => {
  let skip: string | undefined
  let db: ScratchDatabase | undefined
  let publisher: MqttClient | undefined
  const nodes: Node[] = []
  const run = randomBytes(4).toString('hex')
  const root = `e${run}`
  const env = (name: string): Record<string, string> => ({
    RONGHE_DATABASE_URL: db?.url ?? '',
    RONGHE_MQTT_UPSTREAM_URL: url,
    RONGHE_MQTT_UPSTREAM_GROUP: `g${run}`,
    RONGHE_MQTT_UPSTREAM_FILTERS: `${root}/+/+/data`,
    RONGHE_MQTT_UPSTREAM_CLIENT_ID: `ronghe-${run}-${name}`,
    // two sessions per node, `{clientId}-1` and `-2`: a node's messages wait in both
    RONGHE_MQTT_UPSTREAM_CONNECTIONS: '2',
  })

  before(async () => {
    skip =
      (await needPostgres()) ??
      (await needService(
        `an MQTT broker (Mosquitto 2) at ${u.hostname}:${u.port || 1883}`,
        tcpReachable(u.hostname, Number(u.port || 1883)),
      ))
    if (skip) return
    db = await createScratchDatabase('mqttup')
    // one after the other: the first creates the schema and the platform admin
    nodes.push(await startNode('a', env('a')))
    nodes.push(await startNode('b', env('b')))
    publisher = await connectAsync(url, { clientId: `dev-${run}`, clean: true })
  })

  after(async () => {
    await publisher?.endAsync()
    for (const n of nodes) {
      await killNode(n, 'SIGTERM')
      rmSync(n.dataDir, { recursive: true, force: true })
    }
    // two sessions per node, `{clientId}-1…2`
    if (!skip)
      await discardMqttSessions(
        url,
        ['a', 'b'].flatMap((n) => [1, 2].map((i) => `ronghe-${run}-${n}-${i}`)),
      )
    await db?.drop()
  })

  it('stores every acknowledged sample exactly once when a node is killed and comes back', async (t) => {
    if (skip || !db || !publisher) return t.skip(skip)
    const pub = publisher
    const [a, b] = nodes as [Node, Node]
    const admin = await adminToken(a)
    const keys = Array.from({ length: DEVICES }, (_, i) => `cnc-${i + 1}`)
    const tenant = await tenantWithDevices(a, admin, '外部代理集群测试企业', keys)

    const sql = new pg.Client({ connectionString: db.url })
    await sql.connect()
    const count = async (): Promise<number> =>
      (await sql.query('SELECT count(*)::int AS n FROM ronghe_series.samples WHERE tenant_id = $1', [tenant]))
        .rows[0].n as number
    const base = Date.now() - MESSAGES * 1000 - 60_000
    // the broker's PUBACK to the device is what "acknowledged" means; publishAsync resolves on it
    const publish = async (from: number, to: number): Promise<void> => {
      await Promise.all(
        keys.map(async (key) => {
          for (let i = from; i < to; i++)
            await pub.publishAsync(
              `${root}/${tenant}/${key}/data`,
              JSON.stringify({ ts: base + i * 1000, values: { spindle: 1000 + i, seq: i } }),
              { qos: 1 },
            )
        }),
      )
    }
    const total = DEVICES * MESSAGES * POINTS_PER_MESSAGE
    try {
      await publish(0, MESSAGES / 2)
      // both nodes are storing when node a dies
      await eventually(async () => (await count()) >= total / 10, 30_000, 'a tenth of the samples')
      await killNode(a, 'SIGKILL')
      const atKill = await count()
      await publish(MESSAGES / 2, MESSAGES)

      // node b stores what the broker gives it; what node a's session holds waits for node a
      let last = -1
      let steady = 0
      await eventually(
        async () => {
          const n = await count()
          steady = n === last ? steady + 1 : 0
          last = n
          return steady >= 40 // unchanged for about 2 s
        },
        60_000,
        'node b to finish its share',
      )
      const whileDead = await count()
      assert.ok(whileDead > atKill, `node b went on storing (${atKill} → ${whileDead})`)
      assert.ok(
        whileDead < total,
        `Mosquitto keeps the dead member's unacknowledged messages (${whileDead} of ${total} stored)`,
      )

      // node a comes back with the same client id: its session is delivered to it again
      const a2 = await startNode('a', env('a'))
      nodes[0] = a2
      rmSync(a.dataDir, { recursive: true, force: true })
      await eventually(async () => (await count()) >= total, 60_000, 'every sample').catch(() => undefined)
      await new Promise((r) => setTimeout(r, 1000)) // anything delivered twice would land now
      assert.equal(await count(), total, `samples stored (node a log: ${a2.log.slice(-2000)})`)
      const dup = await sql.query(
        `SELECT count(*)::int AS n FROM (SELECT point_id, ts FROM ronghe_series.samples
           WHERE tenant_id = $1 GROUP BY 1, 2 HAVING count(*) > 1) d`,
        [tenant],
      )
      assert.equal(dup.rows[0].n, 0)
      const perDevice = await sql.query(
        `SELECT count(DISTINCT ts)::int AS n FROM ronghe_series.samples WHERE tenant_id = $1
           GROUP BY point_id ORDER BY 1`,
        [tenant],
      )
      assert.deepEqual(
        perDevice.rows.map((r) => r.n),
        Array.from({ length: DEVICES * POINTS_PER_MESSAGE }, () => MESSAGES),
      )
      // what the dead node's sessions held went to the node that came back under its client ids
      type Health = {
        mqttUpstream: { connected: number; subscribed: number; stored: number; refused: object }
      }
      const ha = (await api<Health>(a2, 'GET', '/api/health')).body.mqttUpstream
      const hb = (await api<Health>(b, 'GET', '/api/health')).body.mqttUpstream
      assert.ok(
        ha.stored >= (total - whileDead) / POINTS_PER_MESSAGE,
        `node a stored ${ha.stored} messages after it returned; ${(total - whileDead) / POINTS_PER_MESSAGE} waited for it`,
      )
      assert.ok(hb.stored > 0)
      assert.deepEqual([ha.subscribed, hb.subscribed, ha.refused, hb.refused], [2, 2, {}, {}])
      t.diagnostic(
        JSON.stringify({
          total,
          storedWhenKilled: atKill,
          storedWhileDead: whileDead,
          afterReturn: total,
          messagesStoredByReturnedNode: ha.stored,
          messagesStoredBySurvivor: hb.stored,
        }),
      )
    } finally {
      await sql.end()
    }
    // both nodes serve the data
    for (const n of [nodes[0] as Node, b]) {
      const pts = await api<{ items: unknown[] }>(n, 'GET', '/api/points?limit=100', { token: admin, tenant })
      assert.equal(pts.body.items.length, DEVICES * POINTS_PER_MESSAGE)
    }
  })
})
