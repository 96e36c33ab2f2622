import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { connect, type MqttClient } from 'mqtt'
import { ADMIN_PASSWORD, testUscc } from '../support/platform.ts'

const root = new URL('../..', import.meta.url).pathname

interface Server {
  child: ChildProcess
  http: string
  mqtt: string
}

/** Starts `ronghe start` as a separate process and waits until it says where it listens. */
function startServer(dataDir: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), 'start'], {
    cwd: root,
    env: {
      ...process.env,
      RONGHE_DATA_DIR: dataDir,
      RONGHE_HTTP_PORT: '0',
      RONGHE_HTTP_HOST: '127.0.0.1',
      RONGHE_MQTT_PORT: '0',
      RONGHE_MQTT_HOST: '127.0.0.1',
      RONGHE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      RONGHE_DEMO: 'false',
      RONGHE_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    const onData = (d: Buffer): void => {
      out += d.toString()
      const http = /API:\s+(http:\/\/[\d.:]+)\/api/.exec(out)?.[1]
      const mqtt = /MQTT:\s+(mqtt:\/\/[\d.:]+)/.exec(out)?.[1]
      if (http && mqtt) resolve({ child, http, mqtt })
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${out}`)))
    setTimeout(() => reject(new Error(`server did not start in 60 s:\n${out}`)), 60_000).unref()
  })
}

async function api<T>(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  tenant?: string,
): Promise<T> {
  const headers: Record<string, string> = {}
  if (token) headers.authorization = `Bearer ${token}`
  if (tenant) headers['x-ronghe-tenant'] = tenant
  if (body !== undefined) headers['content-type'] = 'application/json'
  const r = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const j = (await r.json()) as T
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(j)}`)
  return j
}

describe('durability', () => {
  it('keeps every PUBACKed sample through kill -9 (count exact)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ronghe-kill9-'))
    let s = await startServer(dataDir)
    const { token } = await api<{ token: string }>(s.http, 'POST', '/api/auth/login', undefined, {
      username: 'admin',
      password: ADMIN_PASSWORD,
    })
    const t = await api<{ id: string }>(s.http, 'POST', '/api/tenants', token, {
      name: '耐久测试',
      uscc: testUscc(),
      industryCode: 'C3360',
      regionCode: '440600',
    })
    const DEVICES = 8
    const KEYS = 10
    const devices: { key: string; id: string; username: string; password: string }[] = []
    for (let i = 0; i < DEVICES; i++) {
      const d = await api<{ id: string }>(
        s.http,
        'POST',
        '/api/devices',
        token,
        { name: `m${i}`, key: `m${i}`, kind: 'machine', protocol: 'mqtt' },
        t.id,
      )
      const c = await api<{ username: string; password: string }>(
        s.http,
        'POST',
        `/api/devices/${d.id}/credentials`,
        token,
        { kind: 'password' },
        t.id,
      )
      devices.push({ ...c, key: `m${i}`, id: d.id })
    }

    // publish QoS 1 as fast as the server acknowledges, from every device at once
    const acked = new Set<string>() // `${device}/${ts}`: each message carries KEYS values at one ts
    const t0 = Date.now() - 3_600_000
    let stop = false
    const clients: MqttClient[] = []
    const loops = devices.map(async (d, di) => {
      const c = connect(s.mqtt, {
        username: d.username,
        password: d.password,
        clientId: d.key,
        reconnectPeriod: 0,
        protocolVersion: 4,
      })
      clients.push(c)
      c.on('error', () => undefined)
      await new Promise((r) => c.once('connect', r))
      let n = 0
      const inflight = new Set<Promise<void>>()
      while (!stop) {
        const ts = t0 + n++
        const values: Record<string, number> = {}
        for (let k = 0; k < KEYS; k++) values[`v${k}`] = di * 1000 + k + n / 100
        const p = new Promise<void>((resolve) => {
          c.publish(`ronghe/${t.id}/${d.key}/data`, JSON.stringify({ ts, values }), { qos: 1 }, (err) => {
            if (!err) acked.add(`${d.key}/${ts}`)
            resolve()
          })
        })
        inflight.add(p)
        void p.then(() => inflight.delete(p))
        if (inflight.size >= 32) await Promise.race(inflight)
      }
    })
    // kill at a random moment between 1.5 and 4 s into the load
    const killAfter = 1500 + Math.floor(Math.random() * 2500)
    await new Promise((r) => setTimeout(r, killAfter))
    s.child.kill('SIGKILL')
    await new Promise((r) => s.child.once('exit', r))
    stop = true
    for (const c of clients) c.end(true)
    await Promise.all(loops)
    const ackedCount = acked.size
    assert.ok(ackedCount > 100, `only ${ackedCount} messages were acknowledged before the kill`)

    s = await startServer(dataDir)
    try {
      const l = await api<{ token: string }>(s.http, 'POST', '/api/auth/login', undefined, {
        username: 'admin',
        password: ADMIN_PASSWORD,
      })
      let found = 0
      let missing = 0
      for (const d of devices) {
        const pts = await api<{ items: { id: string; key: string }[] }>(
          s.http,
          'GET',
          `/api/points?deviceId=${d.id}&limit=100`,
          l.token,
          undefined,
          t.id,
        )
        const ackedTs = [...acked]
          .filter((x) => x.startsWith(`${d.key}/`))
          .map((x) => Number(x.slice(d.key.length + 1)))
        for (const p of pts.items) {
          const r = await api<{ samples: { ts: number }[] }>(
            s.http,
            'GET',
            `/api/points/${p.id}/series?from=${t0}&to=${t0 + 3_600_000}&limit=1000000`,
            l.token,
            undefined,
            t.id,
          )
          const have = new Set(r.samples.map((x) => x.ts))
          for (const ts of ackedTs) have.has(ts) ? found++ : missing++
        }
        if (ackedTs.length > 0)
          assert.equal(
            pts.items.length,
            KEYS,
            `device ${d.key} lost points: ${JSON.stringify(pts)} acked ${ackedTs.length}`,
          )
      }
      console.log(
        `kill -9 after ${killAfter} ms: ${ackedCount} messages (${ackedCount * KEYS} samples) acknowledged, ${found} found, ${missing} missing`,
      )
      assert.equal(missing, 0)
      assert.equal(found, ackedCount * KEYS)
    } finally {
      s.child.kill('SIGTERM')
      await new Promise((r) => s.child.once('exit', r))
    }
  })
})
