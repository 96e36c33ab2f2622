import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect as natsConnect } from '@nats-io/transport-node'
import { connect, type MqttClient } from 'mqtt'
import pg from 'pg'
import {
  createScratchDatabase,
  needPostgres,
  type ScratchDatabase,
} from '../../src/store/series/postgres-scratch.ts'
import { type NatsCluster, natsServerBinary, startNatsCluster } from '../support/nats-cluster.ts'
import { eventually } from '../support/platform.ts'
import { adminToken, api, killNode, type Node, startNode, tenantWithDevices } from '../support/ronghe-node.ts'
import { needService } from '../support/services.ts'

/**
 * The scale-out shape end to end: a three-node NATS cluster (JetStream + MQTT listener), two Ronghe
 * nodes (`ronghe start` as child processes) on one PostgreSQL database. Devices publish QoS 1 through
 * the NATS nodes' MQTT listeners. Mid-stream one Ronghe node and then one NATS node are killed with
 * SIGKILL; every sample a device had acknowledged must be stored exactly once, and each alarm raised
 * exactly once. Rule evaluation is split: each node holds a disjoint share of the rule partitions
 * (leases on JetStream), and the survivor takes the dead node's share.
 */

const DEVICES = 4
const MESSAGES = 120 // per device
// temperature crosses its limit once at MESSAGES / 4 (both Ronghe nodes alive, both evaluate it);
// pressure crosses its limit once at 3/4 (after the kills: one node left, redelivered messages)
const LIMIT = 80
const POINTS_PER_MESSAGE = 3
const PARTITIONS = 16
// leases renewed every 300 ms and lost after 1.2 s; what a dead node held unacknowledged comes back
// after 2 s — seconds instead of the production defaults' (2 s, 6 s, 30 s), to keep the test short
const FAST_FAILOVER = {
  RONGHE_RULE_PARTITIONS: String(PARTITIONS),
  RONGHE_RULE_LEASE_RENEW_MS: '300',
  RONGHE_RULE_LEASE_TTL_MS: '1200',
  RONGHE_BUS_ACK_WAIT_MS: '2000',
  // the bus's streams and the rule leases survive the NATS node the test kills
  RONGHE_NATS_REPLICAS: '3',
}

interface Health {
  rules?: {
    samplesEvaluated: number
    transitionConflicts: number
    partitions: { held: number[]; total: number } | null
  }
}
const partitionsOf = async (n: Node): Promise<number[]> =>
  (await api<Health>(n, 'GET', '/api/health')).body.rules?.partitions?.held ?? []
const evaluatedOn = async (n: Node): Promise<number> =>
  (await api<Health>(n, 'GET', '/api/health')).body.rules?.samplesEvaluated ?? 0

/** A device that publishes its messages one after the other, each until NATS acknowledged it. */
function runDevice(
  client: MqttClient,
  topic: string,
  base: number,
  progress: (i: number) => void,
): Promise<number> {
  return (async () => {
    let acked = 0
    for (let i = 0; i < MESSAGES; i++) {
      const temperature = i < MESSAGES / 4 ? 20 + (i % 10) : LIMIT + 10 + (i % 5)
      const pressure = i < (3 * MESSAGES) / 4 ? 1 + (i % 3) / 10 : 9 + (i % 3) / 10
      const body = JSON.stringify({ ts: base + i * 1000, values: { temperature, pressure, seq: i } })
      for (;;) {
        try {
          await client.publishAsync(topic, body, { qos: 1 })
          break
        } catch {
          // the connection dropped before the PUBACK: publish the same message again (same ts)
          await new Promise((r) => setTimeout(r, 100))
        }
      }
      acked++
      progress(i)
    }
    return acked
  })()
}

describe('a cluster: three NATS nodes, two Ronghe nodes, one PostgreSQL', () => {
  let skip: string | undefined
  let nats: NatsCluster | undefined
  let db: ScratchDatabase | undefined
  const nodes: Node[] = []

  before(async () => {
    skip =
      (await needPostgres()) ??
      (await needService('nats-server (Debian package nats-server)', natsServerBinary() !== undefined))
    if (skip) return
    nats = await startNatsCluster(3)
    db = await createScratchDatabase('cluster')
    const env = { RONGHE_DATABASE_URL: db.url, RONGHE_NATS_URL: nats.url, ...FAST_FAILOVER }
    // one after the other: the first creates the schema and the platform admin
    nodes.push(await startNode('a', env))
    nodes.push(await startNode('b', env))
  })

  after(async () => {
    for (const n of nodes) {
      await killNode(n, 'SIGTERM')
      rmSync(n.dataDir, { recursive: true, force: true })
    }
    await nats?.stop()
    await db?.drop()
  })

  it('loses no acknowledged sample and raises each alarm once when a Ronghe node and a NATS node die', async (t) => {
    if (skip || !nats || !db) return t.skip(skip)
    const [a, b] = nodes as [Node, Node]
    const admin = await adminToken(a)
    const keys = Array.from({ length: DEVICES }, (_, i) => `press-${i + 1}`)
    const tenant = await tenantWithDevices(a, admin, '集群测试企业', keys)
    for (const key of keys) {
      const r = await api(a, 'POST', '/api/rules', {
        token: admin,
        tenant,
        body: { id: `hot-${key}`, kind: 'limit', point: `${key}/temperature`, h: LIMIT, priority: 'high' },
      })
      assert.equal(r.status, 201, JSON.stringify(r.body))
      const q = await api(a, 'POST', '/api/rules', {
        token: admin,
        tenant,
        body: { id: `over-${key}`, kind: 'limit', point: `${key}/pressure`, h: 8, priority: 'medium' },
      })
      assert.equal(q.status, 201, JSON.stringify(q.body))
    }

    // devices spread over the three NATS nodes; each falls over to the others when its node dies
    const servers = nats.nodes.map((n) => ({ host: '127.0.0.1', port: n.mqttPort }))
    const clients = keys.map((key, i) =>
      connect({
        servers: [...servers.slice(i % 3), ...servers.slice(0, i % 3)],
        clientId: `${tenant}-${key}`,
        clean: false,
        protocolVersion: 4,
        reconnectPeriod: 200,
        connectTimeout: 2000,
      }),
    )
    await Promise.all(clients.map((c) => new Promise((r) => c.once('connect', r))))
    const base = Date.now() - MESSAGES * 1000 - 60_000
    let done = 0
    const lastAcked = keys.map(() => -1)
    const total = DEVICES * MESSAGES
    const reached = (n: number): Promise<void> =>
      eventually(async () => done >= n, 60_000, `${n} acknowledged messages`).then(() => undefined)
    const running = keys.map((key, i) =>
      runDevice(clients[i] as MqttClient, `ronghe/${tenant}/${key}/data`, base, (seq) => {
        done++
        lastAcked[i] = seq
      }),
    )

    // the data reaches PostgreSQL through either node, and either node serves it
    await reached(total / 6)
    const points = await eventually(
      async () => {
        const r = await api<{ items: { id: string; key: string; deviceId: string }[] }>(
          b,
          'GET',
          '/api/points?limit=100',
          { token: admin, tenant },
        )
        const temps = r.body.items.filter((p) => p.key === 'temperature')
        return temps.length === DEVICES ? temps : undefined
      },
      20_000,
      'the points of every device',
    )
    for (const n of [a, b]) {
      const s = await api<{ samples: unknown[] }>(
        n,
        'GET',
        `/api/points/${points[0]?.id}/series?from=${base}&to=${base + MESSAGES * 1000}`,
        { token: admin, tenant },
      )
      assert.equal(s.status, 200, JSON.stringify(s.body))
      assert.ok(s.body.samples.length > 0, `node ${n.name} serves the samples`)
    }

    // rule evaluation is split: disjoint shares of the partitions that together cover all of them,
    // and so far each sample was evaluated by one node (the sum of both counters is at most what
    // was acknowledged; every node evaluating everything would give twice that)
    const shares = await eventually(
      async () => {
        const [pa, pb] = [await partitionsOf(a), await partitionsOf(b)]
        return pa.length === PARTITIONS / 2 && pb.length === PARTITIONS / 2 ? [pa, pb] : undefined
      },
      20_000,
      'both nodes holding half the rule partitions',
    )
    const [shareA, shareB] = shares as [number[], number[]]
    assert.deepEqual(
      [...shareA, ...shareB].sort((x, y) => x - y),
      Array.from({ length: PARTITIONS }, (_, i) => i),
      `partitions of a ${JSON.stringify(shareA)} and b ${JSON.stringify(shareB)}`,
    )
    const [evA, evB] = [await evaluatedOn(a), await evaluatedOn(b)]
    // a sample is evaluated after NATS acknowledged its message to the device, never before
    const acknowledgedSoFar = done
    assert.ok(evA + evB > 0, 'samples are being evaluated')
    // one tenant: its partition is on one node, which evaluates everything, the other nothing
    assert.ok(evA === 0 || evB === 0, `evaluated on a ${evA}, on b ${evB}`)
    assert.ok(
      evA + evB <= acknowledgedSoFar * POINTS_PER_MESSAGE,
      `${evA} + ${evB} evaluated, ${acknowledgedSoFar} messages acknowledged`,
    )

    // kill -9 a Ronghe node mid-stream, then a NATS node (the first device's home)
    await reached(total / 3)
    const killedAt = Date.now()
    await killNode(a, 'SIGKILL')
    // the survivor takes the dead node's partitions once their leases ran out
    await eventually(
      async () => (await partitionsOf(b)).length === PARTITIONS,
      20_000,
      'the surviving node holding every rule partition',
    )
    t.diagnostic(
      `rule partitions held by the survivor ${Date.now() - killedAt} ms after kill -9 (lease TTL 1200 ms)`,
    )
    await reached(total / 2 + DEVICES)
    const natsKilledAt = Date.now()
    const progressAtKills = [...lastAcked]
    await nats.kill(0)
    const acked = await Promise.all(running)
    assert.deepEqual(
      acked,
      keys.map(() => MESSAGES),
    )
    for (const c of clients) c.end(true)

    // every acknowledged sample is stored, exactly once (every point of every message)
    const sql = new pg.Client({ connectionString: db.url })
    await sql.connect()
    try {
      const count = async (): Promise<number> => {
        const r = await sql.query(
          'SELECT count(*)::int AS n FROM ronghe_series.samples WHERE tenant_id = $1',
          [tenant],
        )
        return r.rows[0].n as number
      }
      await eventually(
        async () => (await count()) >= total * POINTS_PER_MESSAGE,
        30_000,
        'every sample in PostgreSQL',
      ).catch(() => undefined)
      let stored = await count()
      let missing = ''
      if (stored !== total * POINTS_PER_MESSAGE) {
        // what NATS still holds for the ingest consumer, then whether the rest arrives late
        const nc = await natsConnect({ servers: nats.url.split(',').slice(1) })
        try {
          const info = await (await jetstreamManager(nc)).consumers.info('$MQTT_msgs', 'ronghe_ingest')
          missing += `consumer: pending ${info.num_pending}, ack pending ${info.num_ack_pending}, redelivered ${info.num_redelivered}, leader ${info.cluster?.leader}; `
        } catch (err) {
          missing += `consumer info failed: ${String(err)}; `
        } finally {
          await nc.close()
        }
        const lateFrom = Date.now()
        await eventually(async () => (await count()) >= total * POINTS_PER_MESSAGE, 60_000, 'late').catch(
          () => undefined,
        )
        missing += `stored ${stored} at first, ${await count()} after ${Date.now() - lateFrom} ms more; `
        stored = await count()
        // slower than the first wait but complete: not a loss, but say so in the test's output
        if (stored === total * POINTS_PER_MESSAGE) t.diagnostic(`samples arrived late: ${missing}`)
      }
      if (stored !== total * POINTS_PER_MESSAGE) {
        // which messages are missing, per device: the seq values that never arrived
        const all = await api<{ items: { id: string; key: string; deviceId: string }[] }>(
          b,
          'GET',
          '/api/points?limit=100',
          { token: admin, tenant },
        )
        const seqPoints = all.body.items.filter((p) => p.key === 'seq')
        const r = await sql.query(
          'SELECT point_id, value FROM ronghe_series.samples WHERE tenant_id = $1 AND point_id = ANY($2)',
          [tenant, seqPoints.map((p) => p.id)],
        )
        const seen = new Map<string, Set<number>>()
        for (const row of r.rows) {
          const set = seen.get(row.point_id) ?? new Set<number>()
          set.add(Number(row.value))
          seen.set(row.point_id, set)
        }
        missing = seqPoints
          .map((p) => {
            const got = seen.get(p.id) ?? new Set<number>()
            const lost = Array.from({ length: MESSAGES }, (_, i) => i).filter((i) => !got.has(i))
            return `${p.deviceId}: ${lost.length} missing [${lost.join(',')}]`
          })
          .join('; ')
      }
      assert.equal(
        stored,
        total * POINTS_PER_MESSAGE,
        `samples stored; missing seq per device: ${missing}; kills at a ${killedAt}, NATS at ${natsKilledAt}, last seq each device had acknowledged then ${progressAtKills.join('/')} (node b log: ${b.log.slice(-2000)})`,
      )
      const dup = await sql.query(
        `SELECT count(*)::int AS n FROM (SELECT point_id, ts FROM ronghe_series.samples
           WHERE tenant_id = $1 GROUP BY 1, 2 HAVING count(*) > 1) d`,
        [tenant],
      )
      assert.equal(dup.rows[0].n, 0)
    } finally {
      await sql.end()
    }

    // the surviving node serves everything, and every device's alarm was raised once
    const s = await api<{ samples: unknown[] }>(
      b,
      'GET',
      `/api/points/${points[0]?.id}/series?from=${base}&to=${base + MESSAGES * 1000}&limit=10000`,
      { token: admin, tenant },
    )
    assert.equal(s.body.samples.length, MESSAGES)
    type Ev = { alarmId: string; from: string; to: string; at: number }
    const events = async (): Promise<Ev[]> =>
      (await api<{ items: Ev[] }>(b, 'GET', '/api/alarm-events?limit=1000', { token: admin, tenant })).body
        .items
    const raisedOf = (evs: Ev[]): string[] =>
      evs
        .filter((e) => e.from === 'normal' && e.to === 'unacknowledged')
        .map((e) => e.alarmId)
        .sort()
    const expected = keys.flatMap((k) => [`hot-${k}:H`, `over-${k}:H`]).sort()
    await eventually(
      async () => raisedOf(await events()).length >= expected.length,
      20_000,
      'two alarms per device',
    ).catch(() => undefined)
    const all = await events()
    assert.deepEqual(raisedOf(all), expected, `${JSON.stringify(all)}\nnode b log: ${b.log.slice(-4000)}`)
  })
})
