import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { after, describe, it } from 'node:test'
import { commandExists, needService } from '../../../test/support/services.ts'
import { RongheError } from '../../core/index.ts'
import { createMqttBroker, type InboundMessage, type MqttBroker } from './index.ts'

const skipPub = await needService('mosquitto_pub', commandExists('mosquitto_pub'))
const skipSub = await needService('mosquitto_sub', commandExists('mosquitto_sub'))

function run(
  cmd: string,
  args: string[],
  timeoutMs = 5000,
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error(`${cmd} timed out; stderr: ${stderr}`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout })
    })
  })
}

describe('MQTT broker with Mosquitto clients', () => {
  const seen: { client: string | null; version: number | undefined; msg: InboundMessage }[] = []
  let broker: MqttBroker | undefined
  let port = 0
  const versions = new Map<string, number>()
  const ready = (async () => {
    broker = createMqttBroker({
      hooks: {
        authenticate: async (info) => {
          versions.set(info.clientId, info.protocolVersion)
          if (info.username !== 'edge' || info.password?.toString() !== 'pw') {
            throw new RongheError('AUTH_INVALID_CREDENTIALS', 'bad password')
          }
          return { device: info.clientId }
        },
        authorizePublish: () => true,
        authorizeSubscribe: () => true,
        onPublish: async (client, msg) => {
          // resolve later than the PUBLISH arrives: mosquitto_pub -q 1 must wait for it
          await new Promise((r) => setTimeout(r, 20))
          seen.push({ client: client?.id ?? null, version: versions.get(client?.id ?? ''), msg })
          return { ok: true }
        },
      },
    })
    port = await broker.listen(0, '127.0.0.1')
  })()
  after(() => broker?.close())

  for (const [flag, version] of [
    ['mqttv311', 4],
    ['mqttv5', 5],
  ] as const) {
    it(`receives a QoS 1 publish from mosquitto_pub -V ${flag}`, { skip: skipPub }, async () => {
      await ready
      const id = `mosq-${flag}`
      const r = await run('mosquitto_pub', [
        ...['-h', '127.0.0.1', '-p', String(port), '-V', flag, '-q', '1', '-i', id],
        ...['-u', 'edge', '-P', 'pw', '-t', `plant/${flag}/temp`, '-m', '42.5'],
      ])
      assert.equal(r.code, 0)
      const hit = seen.find((s) => s.client === id)
      assert.ok(hit, 'onPublish saw the message')
      assert.equal(hit.version, version)
      assert.equal(hit.msg.topic, `plant/${flag}/temp`)
      assert.equal(hit.msg.payload.toString(), '42.5')
      assert.equal(hit.msg.qos, 1)
    })
  }

  it('makes mosquitto_pub fail on bad credentials', { skip: skipPub }, async () => {
    await ready
    const r = await run('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv5', '-q', '1', '-i', 'intruder'],
      ...['-u', 'edge', '-P', 'wrong', '-t', 'x', '-m', '1'],
    ])
    assert.notEqual(r.code, 0)
    assert.equal(
      seen.some((s) => s.client === 'intruder'),
      false,
    )
  })

  it('delivers a platform publish to mosquitto_sub', { skip: skipSub }, async () => {
    await ready
    const sub = run(
      'mosquitto_sub',
      [
        ...['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv5', '-q', '1', '-i', 'mosq-sub'],
        ...['-u', 'edge', '-P', 'pw', '-t', 'spBv1.0/g1/NCMD/#', '-C', '1', '-v'],
      ],
      8000,
    )
    // publish until the subscription is in place (mosquitto_sub connects in its own time)
    let exited = false
    const markExited = (): void => {
      exited = true
    }
    sub.then(markExited, markExited)
    const started = Date.now()
    while (!exited && broker!.stats().messagesOut === 0) {
      if (Date.now() - started > 5000) break
      await broker!.publish('spBv1.0/g1/NCMD/edge-1', 'rebirth', { qos: 1 })
      await new Promise((r) => setTimeout(r, 50))
    }
    const r = await sub
    assert.equal(r.code, 0)
    assert.equal(r.stdout.trim(), 'spBv1.0/g1/NCMD/edge-1 rebirth')
  })
})
