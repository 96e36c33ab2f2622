import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import mqttjs, { type IClientOptions, type MqttClient } from 'mqtt'
import { ManualClock, RongheError } from '../../core/index.ts'
import {
  type BrokerHooks,
  createMqttBroker,
  type InboundMessage,
  type MqttBroker,
  type MqttBrokerOptions,
  MqttErrorCodes,
  type PublishVerdict,
} from './index.ts'
import { connectRaw, openRaw } from './raw-test-client.ts'

interface Seen {
  client: string | null
  topic: string
  payload: string
  qos: number
  retain: boolean
}

interface Harness {
  broker: MqttBroker
  port: number
  url: string
  published: Seen[]
  willOwners: { clientId: string; principal: unknown }[]
  rejected: { client: string | null; code: string; topic?: string }[]
  disconnects: { id: string; graceful: boolean; reason: string }[]
  verdict: (client: string | null, msg: InboundMessage) => Promise<PublishVerdict> | PublishVerdict
}

const brokers: MqttBroker[] = []
const clients: MqttClient[] = []
after(async () => {
  for (const c of clients) c.end(true)
  await Promise.all(brokers.map((b) => b.close()))
})

async function start(
  hooks: Partial<BrokerHooks> = {},
  options: Omit<MqttBrokerOptions, 'hooks'> = {},
): Promise<Harness> {
  const h = {
    published: [],
    willOwners: [],
    rejected: [],
    disconnects: [],
    verdict: () => ({ ok: true }),
  } as unknown as Harness
  const broker = createMqttBroker({
    ...options,
    hooks: {
      authenticate: async (info) => ({ user: info.username ?? 'anonymous' }),
      authorizePublish: () => true,
      authorizeSubscribe: () => true,
      onPublish: (client, msg, will) => {
        if (will !== undefined) h.willOwners.push({ clientId: will.clientId, principal: will.principal })
        h.published.push({
          client: client?.id ?? null,
          topic: msg.topic,
          payload: msg.payload.toString(),
          qos: msg.qos,
          retain: msg.retain,
        })
        return h.verdict(client?.id ?? null, msg)
      },
      onRejected: (client, info) => {
        h.rejected.push({
          client: client?.id ?? null,
          code: info.code,
          ...(info.topic !== undefined ? { topic: info.topic } : {}),
        })
      },
      onDisconnect: (client, info) => {
        h.disconnects.push({ id: client.id, graceful: info.graceful, reason: info.reason })
      },
      ...hooks,
    },
  })
  brokers.push(broker)
  h.broker = broker
  h.port = await broker.listen(0, '127.0.0.1')
  h.url = `mqtt://127.0.0.1:${h.port}`
  return h
}

async function client(h: Harness, opts: IClientOptions): Promise<MqttClient> {
  const c = await mqttjs.connectAsync(h.url, { reconnectPeriod: 0, connectTimeout: 3000, ...opts })
  clients.push(c)
  return c
}

function collect(
  c: MqttClient,
): { topic: string; payload: string; qos: number; retain: boolean; dup: boolean }[] {
  const got: { topic: string; payload: string; qos: number; retain: boolean; dup: boolean }[] = []
  c.on('message', (topic, payload, packet) => {
    got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain, dup: packet.dup })
  })
  return got
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

describe('MQTT broker: connect, publish, subscribe', () => {
  for (const protocolVersion of [4, 5] as const) {
    it(`round-trips QoS 0 and QoS 1 for MQTT ${protocolVersion === 4 ? '3.1.1' : '5'} clients`, async () => {
      const h = await start()
      const sub = await client(h, { protocolVersion, clientId: `sub-${protocolVersion}` })
      const got = collect(sub)
      const granted = await sub.subscribeAsync({ 'plant/+/temp': { qos: 1 }, 'plant/line1/#': { qos: 0 } })
      assert.deepEqual(
        granted.map((g) => [g.topic, g.qos]),
        [
          ['plant/+/temp', 1],
          ['plant/line1/#', 0],
        ],
      )
      const pub = await client(h, { protocolVersion, clientId: `pub-${protocolVersion}` })
      await pub.publishAsync('plant/line1/temp', '21.5', { qos: 1 })
      await pub.publishAsync('plant/line2/temp', '19', { qos: 0 })
      await waitFor(() => got.length === 2, 'two messages')
      // one delivery per subscriber even when two filters match, at the highest granted QoS
      assert.deepEqual(got, [
        { topic: 'plant/line1/temp', payload: '21.5', qos: 1, retain: false, dup: false },
        { topic: 'plant/line2/temp', payload: '19', qos: 0, retain: false, dup: false },
      ])
      assert.deepEqual(h.published, [
        {
          client: `pub-${protocolVersion}`,
          topic: 'plant/line1/temp',
          payload: '21.5',
          qos: 1,
          retain: false,
        },
        { client: `pub-${protocolVersion}`, topic: 'plant/line2/temp', payload: '19', qos: 0, retain: false },
      ])
      assert.equal(h.broker.clientCount(), 2)
      const s = h.broker.stats()
      assert.equal(s.messagesIn, 2)
      assert.equal(s.messagesOut, 2)
    })
  }

  it('writes PUBACK only after onPublish resolves, and routes only then', async () => {
    const h = await start()
    const hold = deferred<PublishVerdict>()
    h.verdict = () => hold.promise
    const sub = await client(h, { protocolVersion: 5, clientId: 'watcher' })
    const got = collect(sub)
    await sub.subscribeAsync('held/#', { qos: 1 })
    const pub = await client(h, { protocolVersion: 5, clientId: 'holder' })
    let acked = false
    const ackedP = new Promise<void>((resolve, reject) =>
      pub.publish('held/1', 'x', { qos: 1 }, (err) => {
        acked = true
        if (err) reject(err)
        else resolve()
      }),
    )
    await waitFor(() => h.published.length === 1, 'onPublish call')
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(acked, false, 'PUBACK arrived before the platform said the data is durable')
    assert.equal(got.length, 0, 'routed before the verdict')
    hold.resolve({ ok: true })
    await ackedP
    assert.equal(acked, true)
    await waitFor(() => got.length === 1, 'routed message')
    assert.equal(got[0]!.payload, 'x')
  })

  it('keeps PUBACKs in arrival order when verdicts resolve out of order', async () => {
    const h = await start()
    const holds = [deferred<PublishVerdict>(), deferred<PublishVerdict>()]
    let n = 0
    h.verdict = () => holds[n++]!.promise
    const { client: raw } = await connectRaw(h.port, { clientId: 'order', protocolVersion: 4 })
    raw.send({ cmd: 'publish', topic: 't/1', payload: 'a', qos: 1, messageId: 11, dup: false, retain: false })
    raw.send({ cmd: 'publish', topic: 't/2', payload: 'b', qos: 1, messageId: 12, dup: false, retain: false })
    await waitFor(() => h.published.length === 2, 'both onPublish calls')
    holds[1]!.resolve({ ok: true })
    await new Promise((r) => setTimeout(r, 50))
    assert.equal(
      raw.received.filter((p) => p.cmd === 'puback').length,
      0,
      'second acked before first was durable',
    )
    holds[0]!.resolve({ ok: true })
    const a1 = await raw.next('puback')
    const a2 = await raw.next('puback')
    assert.deepEqual([a1.messageId, a2.messageId], [11, 12])
    raw.destroy()
  })

  it('pauses reading a client while maxInflightPerClient onPublish calls are pending', async () => {
    const h = await start({}, { maxInflightPerClient: 2 })
    const hold = deferred<PublishVerdict>()
    h.verdict = () => hold.promise
    const { client: raw } = await connectRaw(h.port, { clientId: 'flood', protocolVersion: 4 })
    for (let i = 1; i <= 5; i++) {
      raw.send({
        cmd: 'publish',
        topic: 'f',
        payload: String(i),
        qos: 1,
        messageId: i,
        dup: false,
        retain: false,
      })
      await new Promise((r) => setTimeout(r, 30))
    }
    assert.equal(h.published.length, 2, 'read past the in-flight limit')
    hold.resolve({ ok: true })
    await waitFor(() => raw.received.filter((p) => p.cmd === 'puback').length === 5, 'five PUBACKs')
    assert.deepEqual(
      h.published.map((p) => p.payload),
      ['1', '2', '3', '4', '5'],
    )
    raw.destroy()
  })

  it('assigns a client id to an empty one (v5 assignedClientIdentifier) and refuses it without clean session on v3', async () => {
    const h = await start()
    const { client: v5, connack } = await connectRaw(h.port, { clientId: '', protocolVersion: 5 })
    assert.equal(connack.reasonCode, 0)
    assert.match(connack.properties?.assignedClientIdentifier ?? '', /^ronghe-[0-9a-f]{16}$/)
    assert.equal(connack.properties?.maximumPacketSize, 256 * 1024)
    v5.destroy()
    // mqtt-packet will not generate this CONNECT (empty id, cleanSession 0), so write its bytes
    const v3 = await openRaw(h.port)
    v3.writeBytes(Buffer.from([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x00, 0, 0, 0, 0]))
    assert.equal((await v3.next('connack')).returnCode, 2)
    await v3.closed()
  })

  it('accepts MQTT 3.1 (MQIsdp) clients', async () => {
    const h = await start()
    const { client: raw, connack } = await connectRaw(h.port, { clientId: 'old-plc', protocolVersion: 3 })
    assert.equal(connack.returnCode, 0)
    raw.send({
      cmd: 'publish',
      topic: 'legacy/x',
      payload: '1',
      qos: 1,
      messageId: 3,
      dup: false,
      retain: false,
    })
    assert.equal((await raw.next('puback')).messageId, 3)
    assert.equal(h.published[0]!.topic, 'legacy/x')
    raw.destroy()
  })
})

describe('MQTT broker: refusals', () => {
  it('refuses authentication with v3 return codes 4 and 5 and v5 reason codes 0x86 and 0x87', async () => {
    const h = await start({
      authenticate: async (info) => {
        if (info.username === 'banned') throw new RongheError('AUTH_FORBIDDEN', 'device disabled')
        if (info.password?.toString() !== 'secret')
          throw new RongheError('AUTH_INVALID_CREDENTIALS', 'bad password')
        return { device: info.clientId }
      },
    })
    const cases = [
      { v: 4, username: 'dev', password: 'wrong', want: 4 },
      { v: 4, username: 'banned', password: 'secret', want: 5 },
      { v: 5, username: 'dev', password: 'wrong', want: 0x86 },
      { v: 5, username: 'banned', password: 'secret', want: 0x87 },
    ] as const
    for (const c of cases) {
      const { client: raw, connack } = await connectRaw(h.port, {
        clientId: 'd1',
        protocolVersion: c.v,
        username: c.username,
        password: Buffer.from(c.password),
      })
      assert.equal(c.v === 5 ? connack.reasonCode : connack.returnCode, c.want, JSON.stringify(c))
      await raw.closed()
    }
    // and mqtt.js sees the v5 code as the error code
    await assert.rejects(
      mqttjs.connectAsync(h.url, {
        protocolVersion: 5,
        clientId: 'd2',
        username: 'dev',
        password: 'x',
        reconnectPeriod: 0,
      }),
      (err: { code?: number }) => err.code === 0x86,
    )
    const ok = await client(h, { protocolVersion: 5, clientId: 'd3', username: 'dev', password: 'secret' })
    assert.equal(ok.connected, true)
    assert.equal(h.rejected.filter((r) => r.code === MqttErrorCodes.authFailed).length, 5)
  })

  it('answers a publish ACL denial with PUBACK 0x87 (v5) and by closing the connection (v3), never routing it', async () => {
    const h = await start({ authorizePublish: (_c, topic) => !topic.startsWith('forbidden/') })
    const sub = await client(h, { protocolVersion: 5, clientId: 'acl-sub' })
    const got = collect(sub)
    await sub.subscribeAsync('#', { qos: 1 })
    const v5 = await client(h, { protocolVersion: 5, clientId: 'acl-v5' })
    const err = await new Promise<{ code?: number } | undefined>((resolve) =>
      v5.publish('forbidden/x', 'no', { qos: 1 }, (e) => resolve(e as { code?: number } | undefined)),
    )
    assert.equal(err?.code, 0x87)
    const v3 = await client(h, { protocolVersion: 4, clientId: 'acl-v3' })
    const closed = new Promise<void>((r) => v3.once('close', () => r()))
    v3.publish('forbidden/y', 'no', { qos: 1 })
    await closed
    await v5.publishAsync('allowed/z', 'yes', { qos: 1 })
    await waitFor(() => got.length === 1, 'allowed message')
    assert.deepEqual(
      got.map((m) => m.topic),
      ['allowed/z'],
    )
    assert.deepEqual(
      h.published.map((p) => p.topic),
      ['allowed/z'],
    )
    assert.deepEqual(
      h.rejected.filter((r) => r.code === MqttErrorCodes.publishDenied).map((r) => [r.client, r.topic]),
      [
        ['acl-v5', 'forbidden/x'],
        ['acl-v3', 'forbidden/y'],
      ],
    )
  })

  it('denies a subscription in its SUBACK slot only (v3 0x80, v5 0x87)', async () => {
    const h = await start({ authorizeSubscribe: (_c, filter) => !filter.startsWith('secret/') })
    for (const v of [4, 5] as const) {
      const { client: raw } = await connectRaw(h.port, { clientId: `subacl-${v}`, protocolVersion: v })
      raw.send({
        cmd: 'subscribe',
        messageId: 5,
        subscriptions: [
          { topic: 'open/#', qos: 1 },
          { topic: 'secret/#', qos: 1 },
          { topic: 'open/+/x', qos: 0 },
          { topic: 'bad/#/x', qos: 0 },
        ],
      })
      const suback = await raw.next('suback')
      assert.deepEqual(suback.granted, v === 4 ? [1, 0x80, 0, 0x80] : [1, 0x87, 0, 0x8f])
      raw.destroy()
    }
  })

  it('passes a refusing verdict to a v5 client as PUBACK reason code and reasonString', async () => {
    const h = await start()
    h.verdict = () => ({ ok: false, reasonCode: 0x99, reason: 'payload is not a Sparkplug B protobuf' })
    const c = await client(h, { protocolVersion: 5, clientId: 'bad-payload' })
    const { err, packet } = await new Promise<{ err?: { code?: number }; packet?: unknown }>((resolve) =>
      c.publish('spBv1.0/g/NDATA/e', 'not protobuf', { qos: 1 }, (e, p) =>
        resolve({ err: e as { code?: number }, packet: p }),
      ),
    )
    assert.equal(err?.code, 0x99)
    const puback = packet as { cmd: string; reasonCode: number; properties?: { reasonString?: string } }
    assert.equal(puback.cmd, 'puback')
    assert.equal(puback.reasonCode, 0x99)
    assert.equal(puback.properties?.reasonString, 'payload is not a Sparkplug B protobuf')
    assert.equal(c.connected, true)
  })

  it('closes a v3 client on a refusing verdict with disconnect:true, and PUBACKs when disconnect is not asked', async () => {
    const h = await start()
    h.verdict = (_c, msg) =>
      msg.topic === 'drop' ? { ok: false, reason: 'ignored' } : { ok: false, reason: 'bad', disconnect: true }
    const { client: raw } = await connectRaw(h.port, { clientId: 'v3-verdict', protocolVersion: 4 })
    raw.send({ cmd: 'publish', topic: 'drop', payload: 'x', qos: 1, messageId: 1, dup: false, retain: false })
    assert.equal((await raw.next('puback')).messageId, 1)
    raw.send({ cmd: 'publish', topic: 'kill', payload: 'x', qos: 1, messageId: 2, dup: false, retain: false })
    await raw.closed()
    assert.equal(raw.received.filter((p) => p.cmd === 'puback').length, 1)
  })

  it('answers onPublish throwing with PUBACK 0x83 (v5)', async () => {
    const h = await start()
    h.verdict = () => Promise.reject(new Error('disk full'))
    const { client: raw } = await connectRaw(h.port, { clientId: 'throws', protocolVersion: 5 })
    raw.send({ cmd: 'publish', topic: 'x', payload: 'x', qos: 1, messageId: 9, dup: false, retain: false })
    const puback = await raw.next('puback')
    assert.equal(puback.reasonCode, 0x83)
    assert.match(puback.properties?.reasonString ?? '', /disk full/)
    raw.destroy()
  })
})

describe('MQTT broker: bad input', () => {
  it('sends DISCONNECT 0x95 to a v5 client over maxPacketBytes, closes a v3 one, and keeps serving others', async () => {
    const h = await start({}, { maxPacketBytes: 1024 })
    const other = await client(h, { protocolVersion: 4, clientId: 'bystander' })
    const got = collect(other)
    await other.subscribeAsync('ok/#', { qos: 1 })

    const big = await client(h, { protocolVersion: 5, clientId: 'big-v5' })
    const disconnect = new Promise<number | undefined>((r) => big.once('disconnect', (p) => r(p.reasonCode)))
    big.publish('ok/big', Buffer.alloc(4000, 1), { qos: 1 })
    assert.equal(await disconnect, 0x95)

    const { client: v3 } = await connectRaw(h.port, { clientId: 'big-v3', protocolVersion: 4 })
    v3.send({
      cmd: 'publish',
      topic: 'ok/big',
      payload: Buffer.alloc(4000),
      qos: 0,
      dup: false,
      retain: false,
    })
    await v3.closed()

    await other.publishAsync('ok/small', 'fine', { qos: 1 })
    await waitFor(() => got.length === 1, 'bystander message')
    assert.equal(got[0]!.payload, 'fine')
    assert.equal(h.published.filter((p) => p.topic === 'ok/big').length, 0)
    assert.equal(h.rejected.filter((r) => r.code === MqttErrorCodes.tooLarge).length, 2)
  })

  it('refuses an oversize packet from its header, before the body arrives', async () => {
    const h = await start({}, { maxPacketBytes: 1024 })
    const { client: raw } = await connectRaw(h.port, { clientId: 'liar', protocolVersion: 4 })
    // PUBLISH QoS 0 claiming 10 MB remaining length (varint 0x80 0xAD 0xE2 0x04), then 3 bytes
    raw.writeBytes(Buffer.from([0x30, 0x80, 0xad, 0xe2, 0x04, 0x00, 0x01, 0x61]))
    await raw.closed()
    assert.deepEqual(
      h.rejected.map((r) => r.code),
      [MqttErrorCodes.tooLarge],
    )
  })

  it('closes a connection that sends malformed bytes and still serves a fresh client', async () => {
    const h = await start()
    const raw = await openRaw(h.port)
    raw.writeBytes(Buffer.from([0x10, 0x05, 0x00, 0x03, 0x58, 0x59, 0x5a])) // CONNECT with protocol id "XYZ"
    await raw.closed()

    const { client: v5 } = await connectRaw(h.port, { clientId: 'garbler', protocolVersion: 5 })
    v5.writeBytes(Buffer.from([0x36, 0x00])) // PUBLISH with both QoS bits set
    const d = await v5.next('disconnect')
    assert.equal(d.reasonCode, 0x81)
    await v5.closed()

    const fresh = await client(h, { protocolVersion: 4, clientId: 'fresh' })
    await fresh.publishAsync('still/alive', '1', { qos: 1 })
    assert.deepEqual(
      h.published.map((p) => p.topic),
      ['still/alive'],
    )
    assert.deepEqual(
      h.rejected.map((r) => [r.code, r.client]),
      [
        [MqttErrorCodes.malformed, null],
        [MqttErrorCodes.malformed, 'garbler'],
      ],
    )
  })

  it('closes a client whose first packet is not CONNECT', async () => {
    const h = await start()
    const raw = await openRaw(h.port)
    raw.send({ cmd: 'pingreq' })
    await raw.closed()
    assert.equal(h.rejected[0]!.code, MqttErrorCodes.protocol)
  })
})

describe('MQTT broker: wills and keep-alive', () => {
  const will = {
    topic: 'spBv1.0/g/NDEATH/edge',
    payload: Buffer.from('dead'),
    qos: 1 as const,
    retain: false,
  }

  it('publishes the will through onPublish (client null) on an abrupt close, not on DISCONNECT', async () => {
    const h = await start()
    const sub = await client(h, { protocolVersion: 4, clientId: 'host-app' })
    const got = collect(sub)
    await sub.subscribeAsync('spBv1.0/#', { qos: 1 })

    const clean = await client(h, { protocolVersion: 4, clientId: 'edge-clean', will })
    await clean.endAsync()
    await waitFor(() => h.disconnects.some((d) => d.id === 'edge-clean'), 'clean disconnect')
    assert.equal(h.published.length, 0)

    const abrupt = await client(h, {
      protocolVersion: 4,
      clientId: 'edge-abrupt',
      will,
      username: 'edge-user',
    })
    abrupt.stream.destroy()
    await waitFor(() => got.length === 1, 'will delivered')
    assert.deepEqual(h.published, [
      { client: null, topic: will.topic, payload: 'dead', qos: 1, retain: false },
    ])
    assert.deepEqual(got[0], { topic: will.topic, payload: 'dead', qos: 1, retain: false, dup: false })
    assert.deepEqual(h.willOwners, [{ clientId: 'edge-abrupt', principal: { user: 'edge-user' } }])
    assert.deepEqual(
      h.disconnects.map((d) => [d.id, d.graceful]),
      [
        ['edge-clean', true],
        ['edge-abrupt', false],
      ],
    )
  })

  it('publishes the will on a v5 DISCONNECT with reason 0x04', async () => {
    const h = await start()
    const c = await client(h, { protocolVersion: 5, clientId: 'edge-04', will })
    await new Promise<void>((r) => c.end(false, { reasonCode: 0x04 }, () => r()))
    await waitFor(() => h.published.length === 1, 'will')
    assert.equal(h.published[0]!.client, null)
    assert.equal(h.published[0]!.topic, will.topic)
  })

  it('closes a client silent for 1.5 x keepalive (one shared sweep) and publishes its will', async () => {
    const clock = new ManualClock()
    const h = await start({}, { clock, sweepIntervalMs: 60_000 })
    const { client: raw } = await connectRaw(h.port, {
      clientId: 'sleepy',
      protocolVersion: 5,
      keepalive: 10,
      will: { topic: 'wills/sleepy', payload: Buffer.from('gone'), qos: 0, retain: false },
    })
    clock.advance(14_000)
    h.broker.sweep()
    assert.equal(raw.isClosed, false)
    assert.equal(h.published.length, 0)
    clock.advance(1_500)
    h.broker.sweep()
    const d = await raw.next('disconnect')
    assert.equal(d.reasonCode, 0x8d)
    await raw.closed()
    assert.deepEqual(
      h.published.map((p) => [p.client, p.topic, p.payload]),
      [[null, 'wills/sleepy', 'gone']],
    )
    assert.equal(h.rejected[0]!.code, MqttErrorCodes.timeout)
  })

  it('keeps a client that pings inside the keep-alive window', async () => {
    const clock = new ManualClock()
    const h = await start({}, { clock, sweepIntervalMs: 60_000 })
    const { client: raw } = await connectRaw(h.port, {
      clientId: 'pinger',
      protocolVersion: 4,
      keepalive: 10,
    })
    clock.advance(14_000)
    raw.send({ cmd: 'pingreq' })
    await raw.next('pingresp')
    clock.advance(14_000)
    h.broker.sweep()
    raw.send({ cmd: 'pingreq' })
    await raw.next('pingresp')
    assert.equal(raw.isClosed, false)
    raw.destroy()
  })

  it('delays a v5 will by willDelayInterval and drops it when the session resumes in time', async () => {
    const clock = new ManualClock()
    const h = await start({}, { clock, sweepIntervalMs: 60_000 })
    const connect = {
      clientId: 'delayed',
      protocolVersion: 5 as const,
      clean: false,
      properties: { sessionExpiryInterval: 300 },
      will: {
        topic: 'wills/delayed',
        payload: Buffer.from('late'),
        qos: 0 as const,
        retain: false,
        properties: { willDelayInterval: 30 },
      },
    }
    const { client: a } = await connectRaw(h.port, connect)
    a.destroy()
    await waitFor(() => h.broker.clientCount() === 0, 'offline')
    clock.advance(29_000)
    h.broker.sweep()
    assert.equal(h.published.length, 0)
    clock.advance(2_000)
    h.broker.sweep()
    assert.deepEqual(
      h.published.map((p) => [p.client, p.topic]),
      [[null, 'wills/delayed']],
    )
    // again, but back within the delay: no will
    const { client: b, connack } = await connectRaw(h.port, connect)
    assert.equal(connack.sessionPresent, true)
    b.destroy()
    await waitFor(() => h.broker.clientCount() === 0, 'offline again')
    clock.advance(10_000)
    const { client: c } = await connectRaw(h.port, connect)
    clock.advance(60_000)
    h.broker.sweep()
    assert.equal(h.published.length, 1)
    c.destroy()
  })

  it('forgets a v5 session after its sessionExpiryInterval', async () => {
    const clock = new ManualClock()
    const h = await start({}, { clock, sweepIntervalMs: 60_000 })
    const connect = {
      clientId: 'expiring',
      protocolVersion: 5 as const,
      clean: false,
      properties: { sessionExpiryInterval: 10 },
    }
    const { client: a } = await connectRaw(h.port, connect)
    a.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x/#', qos: 1 }] })
    await a.next('suback')
    a.send({ cmd: 'disconnect', reasonCode: 0 })
    await a.closed()
    clock.advance(9_000)
    h.broker.sweep()
    const { client: b, connack: c1 } = await connectRaw(h.port, connect)
    assert.equal(c1.sessionPresent, true)
    b.send({ cmd: 'disconnect', reasonCode: 0 })
    await b.closed()
    clock.advance(10_001)
    h.broker.sweep()
    const { client: c, connack: c2 } = await connectRaw(h.port, connect)
    assert.equal(c2.sessionPresent, false)
    c.destroy()
  })

  it('closes a socket that never sends CONNECT after connectTimeoutMs', async () => {
    const clock = new ManualClock()
    const h = await start({}, { clock, sweepIntervalMs: 60_000, connectTimeoutMs: 5000 })
    const raw = await openRaw(h.port)
    await waitFor(() => h.broker.stats().connections === 1, 'socket accepted')
    clock.advance(5001)
    h.broker.sweep()
    await raw.closed()
    assert.equal(h.broker.stats().connections, 0)
  })
})

describe('MQTT broker: routing features', () => {
  it('keeps $-topics away from first-level wildcards', async () => {
    const h = await start()
    const all = await client(h, { protocolVersion: 4, clientId: 'all' })
    const allGot = collect(all)
    await all.subscribeAsync(['#', '+/status'], { qos: 0 })
    const sys = await client(h, { protocolVersion: 4, clientId: 'sys' })
    const sysGot = collect(sys)
    await sys.subscribeAsync('$SYS/#', { qos: 0 })
    await h.broker.publish('$SYS/status', 'internal')
    await h.broker.publish('line/status', 'public')
    await waitFor(() => allGot.length === 1 && sysGot.length === 1, 'deliveries')
    await new Promise((r) => setTimeout(r, 30))
    assert.deepEqual(
      allGot.map((m) => m.topic),
      ['line/status'],
    )
    assert.deepEqual(
      sysGot.map((m) => m.topic),
      ['$SYS/status'],
    )
  })

  it('gives each message of a $share group to one member, round robin', async () => {
    const h = await start()
    const m1 = await client(h, { protocolVersion: 5, clientId: 'worker-1' })
    const m2 = await client(h, { protocolVersion: 4, clientId: 'worker-2' })
    const plain = await client(h, { protocolVersion: 5, clientId: 'plain' })
    const g1 = collect(m1)
    const g2 = collect(m2)
    const gp = collect(plain)
    await m1.subscribeAsync('$share/workers/jobs/#', { qos: 1 })
    await m2.subscribeAsync('$share/workers/jobs/#', { qos: 1 })
    await plain.subscribeAsync('jobs/#', { qos: 1 })
    for (let i = 1; i <= 4; i++) await h.broker.publish(`jobs/${i}`, String(i), { qos: 1 })
    await waitFor(() => g1.length + g2.length === 4 && gp.length === 4, 'deliveries')
    assert.deepEqual(
      g1.map((m) => m.payload),
      ['1', '3'],
    )
    assert.deepEqual(
      g2.map((m) => m.payload),
      ['2', '4'],
    )
    assert.deepEqual(
      gp.map((m) => m.payload),
      ['1', '2', '3', '4'],
    )
  })

  it('stores retained messages, delivers them on subscribe with retain set, and deletes them on empty payload', async () => {
    const h = await start()
    const live = await client(h, { protocolVersion: 4, clientId: 'live' })
    const liveGot = collect(live)
    await live.subscribeAsync('state/#', { qos: 1 })
    const pub = await client(h, { protocolVersion: 5, clientId: 'stater' })
    await pub.publishAsync('state/a', 'ONLINE', { qos: 1, retain: true })
    await pub.publishAsync('state/b', 'B', { qos: 0, retain: true })
    await waitFor(() => liveGot.length === 2, 'live deliveries')
    assert.deepEqual(
      liveGot.map((m) => [m.topic, m.retain]),
      [
        ['state/a', false],
        ['state/b', false],
      ],
    )
    const late = await client(h, { protocolVersion: 4, clientId: 'late' })
    const lateGot = collect(late)
    await late.subscribeAsync('state/+', { qos: 1 })
    await waitFor(() => lateGot.length === 2, 'retained deliveries')
    assert.deepEqual(
      lateGot.map((m) => [m.topic, m.payload, m.retain, m.qos]),
      [
        ['state/a', 'ONLINE', true, 1],
        ['state/b', 'B', true, 0],
      ],
    )
    await pub.publishAsync('state/a', '', { qos: 1, retain: true })
    const later = await client(h, { protocolVersion: 5, clientId: 'later' })
    const laterGot = collect(later)
    await later.subscribeAsync('state/#', { qos: 1 })
    await h.broker.publish('state/marker', 'm')
    await waitFor(() => laterGot.some((m) => m.topic === 'state/marker'), 'marker')
    assert.deepEqual(
      laterGot.map((m) => m.topic),
      ['state/b', 'state/marker'],
    )
  })

  it('takes over a client id: the old connection gets DISCONNECT 0x8E and its will is published', async () => {
    const h = await start()
    const old = await client(h, {
      protocolVersion: 5,
      clientId: 'dup',
      will: { topic: 'wills/dup', payload: Buffer.from('old'), qos: 0, retain: false },
    })
    const kicked = new Promise<number | undefined>((r) => old.once('disconnect', (p) => r(p.reasonCode)))
    const fresh = await client(h, { protocolVersion: 5, clientId: 'dup' })
    assert.equal(await kicked, 0x8e)
    await fresh.publishAsync('after/takeover', '1', { qos: 1 })
    assert.deepEqual(
      h.published.map((p) => [p.client, p.topic]),
      [
        [null, 'wills/dup'],
        ['dup', 'after/takeover'],
      ],
    )
    assert.equal(h.broker.clientCount(), 1)
  })

  for (const protocolVersion of [4, 5] as const) {
    it(`queues QoS 1 for an offline persistent session and delivers on reconnect (MQTT ${protocolVersion})`, async () => {
      const h = await start()
      const persistent: IClientOptions =
        protocolVersion === 5
          ? { protocolVersion, clientId: 'keeper', clean: false, properties: { sessionExpiryInterval: 3600 } }
          : { protocolVersion, clientId: 'keeper', clean: false }
      const first = await client(h, persistent)
      await first.subscribeAsync('orders/#', { qos: 1 })
      await first.endAsync()
      await waitFor(() => h.broker.clientCount() === 0, 'offline')
      await h.broker.publish('orders/1', 'a', { qos: 1 })
      await h.broker.publish('orders/2', 'b', { qos: 1 })
      await h.broker.publish('orders/3', 'qos0 is not kept', { qos: 0 })
      const c = mqttjs.connect(h.url, { ...persistent, reconnectPeriod: 0 })
      clients.push(c)
      const got = collect(c)
      const connack = await new Promise<{ sessionPresent: boolean }>((r) => c.once('connect', (p) => r(p)))
      assert.equal(connack.sessionPresent, true)
      await waitFor(() => got.length === 2, 'queued messages')
      assert.deepEqual(
        got.map((m) => [m.topic, m.payload, m.qos]),
        [
          ['orders/1', 'a', 1],
          ['orders/2', 'b', 1],
        ],
      )
    })
  }

  it('resends an unacknowledged QoS 1 delivery with DUP and the same packet id on reconnect', async () => {
    const h = await start()
    const { client: a } = await connectRaw(h.port, {
      clientId: 'slow-acker',
      protocolVersion: 4,
      clean: false,
    })
    a.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'cmd/#', qos: 1 }] })
    await a.next('suback')
    await h.broker.publish('cmd/reboot', 'now', { qos: 1 })
    const first = await a.next('publish')
    assert.equal(first.dup, false)
    a.destroy()
    await waitFor(() => h.broker.clientCount() === 0, 'offline')
    const { client: b, connack } = await connectRaw(h.port, {
      clientId: 'slow-acker',
      protocolVersion: 4,
      clean: false,
    })
    assert.equal(connack.sessionPresent, true)
    const again = await b.next('publish')
    assert.equal(again.dup, true)
    assert.equal(again.messageId, first.messageId)
    assert.equal(again.payload.toString(), 'now')
    b.send({ cmd: 'puback', messageId: again.messageId! })
    b.send({ cmd: 'disconnect' })
    await b.closed()
    // acknowledged: a third connection gets nothing resent
    const { client: c } = await connectRaw(h.port, {
      clientId: 'slow-acker',
      protocolVersion: 4,
      clean: false,
    })
    c.send({ cmd: 'pingreq' })
    await c.next('pingresp')
    assert.equal(c.received.filter((p) => p.cmd === 'publish').length, 0)
    c.destroy()
  })

  it('delivers an inbound QoS 2 message once despite a resent PUBLISH, and downgrades it to QoS 1 outbound', async () => {
    const h = await start()
    const sub = await client(h, { protocolVersion: 5, clientId: 'q2-sub' })
    const got = collect(sub)
    await sub.subscribeAsync('q2/#', { qos: 2 })
    const { client: raw } = await connectRaw(h.port, { clientId: 'q2-pub', protocolVersion: 4 })
    const publish = {
      cmd: 'publish',
      topic: 'q2/x',
      payload: 'once',
      qos: 2,
      messageId: 7,
      retain: false,
    } as const
    raw.send({ ...publish, dup: false })
    assert.equal((await raw.next('pubrec')).messageId, 7)
    raw.send({ ...publish, dup: true })
    assert.equal((await raw.next('pubrec')).messageId, 7)
    raw.send({ cmd: 'pubrel', messageId: 7 })
    assert.equal((await raw.next('pubcomp')).messageId, 7)
    await h.broker.publish('q2/marker', 'm')
    await waitFor(() => got.length === 2, 'deliveries')
    assert.deepEqual(
      got.map((m) => [m.topic, m.qos]),
      [
        ['q2/x', 1],
        ['q2/marker', 0],
      ],
    )
    assert.equal(h.published.length, 1)
    // mqtt.js end to end at QoS 2
    const q2 = await client(h, { protocolVersion: 5, clientId: 'q2-js' })
    await q2.publishAsync('q2/js', 'x', { qos: 2 })
    assert.equal(h.published.length, 2)
    raw.destroy()
  })

  it('limits unacknowledged QoS 1 deliveries to the window and bounds the queue behind it', async () => {
    const h = await start({}, { maxOutboundInflight: 5, maxQueuedPerSession: 10 })
    const { client: raw } = await connectRaw(h.port, { clientId: 'no-acks', protocolVersion: 4 })
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'w/#', qos: 1 }] })
    await raw.next('suback')
    for (let i = 1; i <= 30; i++) await h.broker.publish('w/m', String(i), { qos: 1 })
    raw.send({ cmd: 'pingreq' })
    await raw.next('pingresp')
    const firstFive = raw.received.filter((p) => p.cmd === 'publish')
    assert.deepEqual(
      firstFive.map((p) => p.payload.toString()),
      ['1', '2', '3', '4', '5'],
    )
    // 30 published, 5 in flight, 10 queued: the 15 oldest queued were dropped
    assert.equal(h.broker.stats().dropped, 15)
    for (const p of firstFive) raw.send({ cmd: 'puback', messageId: p.messageId! })
    await waitFor(() => raw.received.filter((p) => p.cmd === 'publish').length === 10, 'next five')
    assert.deepEqual(
      raw.received
        .filter((p) => p.cmd === 'publish')
        .slice(5)
        .map((p) => p.payload.toString()),
      ['21', '22', '23', '24', '25'],
    )
    raw.destroy()
  })

  it('sheds QoS 0 deliveries to a client that does not read', async () => {
    const h = await start({}, { maxWriteBufferBytes: 64 * 1024 })
    const { client: raw } = await connectRaw(h.port, { clientId: 'not-reading', protocolVersion: 4 })
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flood', qos: 0 }] })
    await raw.next('suback')
    raw.socket.pause()
    const chunk = Buffer.alloc(64 * 1024, 7)
    for (let i = 0; i < 400; i++) await h.broker.publish('flood', chunk)
    const s = h.broker.stats()
    assert.ok(s.dropped > 0, `expected drops, stats ${JSON.stringify(s)}`)
    assert.equal(s.messagesOut + s.dropped, 400)
    raw.destroy()
  })

  it('rejects an invalid topic from the platform and closes idempotently', async () => {
    const h = await start()
    await assert.rejects(
      h.broker.publish('a/+', 'x'),
      (e: RongheError) => e.code === MqttErrorCodes.topicInvalid,
    )
    const c = await client(h, { protocolVersion: 5, clientId: 'to-close' })
    const reason = new Promise<number | undefined>((r) => c.once('disconnect', (p) => r(p.reasonCode)))
    await Promise.all([h.broker.close(), h.broker.close()])
    assert.equal(await reason, 0x8b)
    assert.equal(h.broker.clientCount(), 0)
    await assert.rejects(h.broker.publish('a', 'x'), (e: RongheError) => e.code === MqttErrorCodes.closed)
  })
})
