import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connectAsync, type MqttClient } from 'mqtt'
import { discardMqttSessions } from '../../test/support/mqtt-sessions.ts'
import { eventually, startTestPlatform, type TestPlatform } from '../../test/support/platform.ts'
import { needService, tcpReachable } from '../../test/support/services.ts'
import { createLogger, systemClock } from '../core/index.ts'
import { createSqliteMetaStore } from '../store/meta/sqlite-meta-store.ts'
import type { MetaStore } from '../store/meta/index.ts'
import { createMqttUpstreamIngest, type MqttUpstreamIngest, redactUrl } from './mqtt-upstream-ingest.ts'

/**
 * The external-broker front door against a real Mosquitto (127.0.0.1:1883 unless
 * RONGHE_TEST_MQTT_URL says otherwise), on an embedded platform (SQLite + DuckDB). Every run has its
 * own topic root, share group and client ids, so parallel runs do not see each other's messages.
 */
const url = process.env.RONGHE_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883'
const u = new URL(url)
const skip = await needService(
  `an MQTT broker (Mosquitto 2) at ${u.hostname}:${u.port || 1883}`,
  tcpReachable(u.hostname, Number(u.port || 1883)),
)

const run = randomBytes(4).toString('hex')
const root = `t${run}`

describe('the front door on an external MQTT broker (shared subscription, persistent session)', () => {
  let p: TestPlatform | undefined
  let publisher: MqttClient | undefined
  const ingests: MqttUpstreamIngest[] = []

  before(async () => {
    if (skip) return
    p = await startTestPlatform({ env: { RONGHE_MQTT_ENABLED: 'false' } })
    publisher = await connectAsync(url, { clientId: `pub-${run}`, clean: true })
  })
  after(async () => {
    for (const i of ingests) await i.stop()
    await publisher?.endAsync()
    if (!skip) await discardMqttSessions(url, [`ronghe-${run}-v5`, `ronghe-${run}-v4`])
    if (p) {
      await p.stop()
      rmSync(p.dataDir, { recursive: true, force: true })
    }
  })

  function ingest(version: 4 | 5, meta?: MetaStore): MqttUpstreamIngest {
    if (!p) throw new Error('no platform')
    const i = createMqttUpstreamIngest({
      url,
      group: `g${run}v${version}`,
      filters: [`${root}v${version}/#`],
      clientId: `ronghe-${run}-v${version}`,
      protocolVersion: version,
      meta: meta ?? p.app.meta,
      pipeline: p.app.pipeline,
      clock: systemClock,
      log: createLogger('silent'),
    })
    ingests.push(i)
    return i
  }

  async function storesAndResumes(version: 4 | 5): Promise<void> {
    if (!p || !publisher) throw new Error('no platform')
    const pub = publisher
    const topicRoot = `${root}v${version}`
    const { tenant, token } = await p.enterprise(`外部代理测试企业 v${version}`)
    await p.device(token, 'press-1')
    const first = ingest(version)
    await first.start()
    await eventually(async () => first.stats().subscribed === 1, 10_000, 'the shared subscription')

    const base = Date.now() - 3_600_000
    const good = (i: number): string =>
      JSON.stringify({ ts: base + i * 1000, values: { temperature: 20 + i, seq: i } })
    for (let i = 0; i < 20; i++)
      await pub.publishAsync(`${topicRoot}/${tenant}/press-1/data`, good(i), { qos: 1 })
    await pub.publishAsync(`${topicRoot}/${tenant}/press-1/data`, '{"temperature": 2', { qos: 1 })
    await pub.publishAsync(`${topicRoot}/${tenant}/ghost/data`, good(0), { qos: 1 })
    await pub.publishAsync(`${topicRoot}/${tenant}/press-1/status`, 'online', { qos: 1 })
    await pub.publishAsync(`${topicRoot}/${tenant}/press-1/data`, good(20), { qos: 1 })

    await eventually(async () => first.stats().stored === 21, 20_000, '21 stored messages')
    await eventually(
      async () => Object.values(first.stats().refused).reduce((a, b) => a + b, 0) === 3,
      5000,
      'three refusals',
    )
    assert.deepEqual(first.stats().refused, {
      INGEST_MALFORMED_PAYLOAD: 1,
      INGEST_UNREGISTERED_DEVICE: 1,
      INGEST_UNMAPPED_TOPIC: 1,
    })
    const points = await p.api<{ items: { id: string; key: string }[] }>('GET', '/api/points?limit=100', {
      token,
    })
    const temp = points.body.items.find((x) => x.key === 'temperature')
    assert.ok(temp, JSON.stringify(points.body))
    const series = async (): Promise<number[]> => {
      const s = await p!.api<{ samples: { ts: number; value: number }[] }>(
        'GET',
        `/api/points/${temp.id}/series?from=${base}&to=${base + 60_000}&limit=1000`,
        { token },
      )
      return s.body.samples.map((x) => x.value)
    }
    assert.deepEqual(
      await series(),
      Array.from({ length: 21 }, (_, i) => 20 + i),
    )

    // the node goes away; its session (and the subscription in it) stays on the broker
    await first.stop()
    for (let i = 21; i < 26; i++)
      await pub.publishAsync(`${topicRoot}/${tenant}/press-1/data`, good(i), { qos: 1 })

    // back with the same client id: it gets what was published meanwhile, and nothing it acknowledged
    const second = ingest(version)
    await second.start()
    await eventually(async () => second.stats().subscribed === 1, 10_000, 'the session again')
    await pub.publishAsync(`${topicRoot}/${tenant}/press-1/data`, good(26), { qos: 1 })
    await eventually(async () => second.stats().stored === 6, 20_000, 'the 6 messages sent since')
    // the message after the away-time is the last in the session's order: once it is stored, anything
    // the broker wrongly delivered again (stored or refused before) would have come before it
    assert.equal(second.stats().stored, 6)
    assert.deepEqual(second.stats().refused, {})
    assert.deepEqual(
      await series(),
      Array.from({ length: 27 }, (_, i) => 20 + i),
    )
    await second.stop()

    // a message whose samples cannot be stored is not acknowledged: here the node's metadata
    // database is closed under it (a real SQLite handle, closed), so it retries until it is stopped
    const closed = await createSqliteMetaStore({ path: join(p.dataDir, 'meta.db') })
    await closed.close()
    const third = ingest(version, closed)
    await third.start()
    await eventually(async () => third.stats().subscribed === 1, 10_000, 'the session, third time')
    await pub.publishAsync(`${topicRoot}/${tenant}/press-1/data`, good(27), { qos: 1 })
    await eventually(async () => third.stats().retried >= 1, 10_000, 'a failed attempt')
    await third.stop()
    assert.equal(third.stats().stored, 0)
    // the broker delivers it again to the session's next connection, which stores it
    const fourth = ingest(version)
    await fourth.start()
    await eventually(async () => fourth.stats().stored === 1, 20_000, 'the message delivered again')
    assert.deepEqual(
      await series(),
      Array.from({ length: 28 }, (_, i) => 20 + i),
    )
  }

  it('stores QoS 1 messages (MQTT 5), refuses bad ones with a stable code, and gets what was published while it was away', async (t) => {
    if (skip) return t.skip(skip)
    await storesAndResumes(5)
  })
  it('does the same as an MQTT 3.1.1 client with a persistent session', async (t) => {
    if (skip) return t.skip(skip)
    await storesAndResumes(4)
  })

  it('never logs the password in the broker URL', () => {
    assert.equal(redactUrl('mqtt://ronghe:s3cret@broker:1883'), 'mqtt://ronghe:***@broker:1883')
    assert.doesNotMatch(redactUrl('mqtts://u:pa%40ss@b:8883/'), /pa/)
  })
})
