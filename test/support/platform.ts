import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RongheApp, type StartOptions, startRonghe } from '../../src/app.ts'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { loadConfig } from '../../src/config.ts'
import { createLogger, usccCheckChar } from '../../src/core/index.ts'

export const ADMIN_PASSWORD = 'Test-Admin-Pass-1'

let serial = 0
/** A valid unified social credit code, different on every call. */
export function testUscc(region = '440600'): string {
  const body = `91${region}MA${String(process.pid % 10000).padStart(4, '0')}${String(++serial).padStart(3, '0')}`
  const first17 = body.slice(0, 17).padEnd(17, '0')
  return first17 + usccCheckChar(first17)
}

export interface TestPlatform {
  readonly app: RongheApp
  readonly dataDir: string
  readonly baseUrl: string
  readonly mqttUrl: string
  readonly adminToken: string
  api<T = unknown>(
    method: string,
    path: string,
    options?: { token?: string; tenant?: string; body?: unknown },
  ): Promise<{ status: number; body: T }>
  /** creates an enterprise with an enterprise admin; returns its id and the admin's token */
  enterprise(name: string, region?: string): Promise<{ tenant: string; token: string }>
  /** creates a device with a password credential */
  device(
    token: string,
    key: string,
    protocol?: string,
  ): Promise<{ id: string; username: string; password: string; token: string }>
  stop(): Promise<void>
}

export async function startTestPlatform(
  options: { dataDir?: string; env?: Record<string, string>; start?: Omit<StartOptions, 'log'> } = {},
): Promise<TestPlatform> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ronghe-e2e-'))
  const config = loadConfig({
    file: null,
    env: {
      RONGHE_DATA_DIR: dataDir,
      RONGHE_HTTP_PORT: '0',
      RONGHE_HTTP_HOST: '127.0.0.1',
      RONGHE_MQTT_PORT: '0',
      RONGHE_MQTT_HOST: '127.0.0.1',
      RONGHE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      RONGHE_DEMO: 'false',
      RONGHE_LOG_LEVEL: 'error',
      // platforms of one test file on the shared NATS server form one cluster; other files' (and
      // other checkouts') platforms must not take its rule partitions or share its consumers
      ...(options.env?.RONGHE_NATS_URL === undefined ? {} : { RONGHE_RULE_LEASE_GROUP: leaseGroup }),
      ...options.env,
    },
  })
  const group = config.natsUrl === undefined ? undefined : config.rules.leaseGroup
  if (group !== undefined) groupUsers.set(group, (groupUsers.get(group) ?? 0) + 1)
  const app = await startRonghe(config, { ...options.start, log: createLogger('error') })
  const baseUrl = `http://127.0.0.1:${app.httpPort}`

  async function api<T>(
    method: string,
    path: string,
    o: { token?: string; tenant?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {}
    if (o.token) headers.authorization = `Bearer ${o.token}`
    if (o.tenant) headers['x-ronghe-tenant'] = o.tenant
    if (o.body !== undefined) headers['content-type'] = 'application/json'
    const r = await fetch(baseUrl + path, {
      method,
      headers,
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    })
    const text = await r.text()
    let body: unknown = text
    try {
      body = text ? JSON.parse(text) : null
    } catch {
      // not JSON (CSV)
    }
    return { status: r.status, body: body as T }
  }

  const login = await api<{ token: string }>('POST', '/api/auth/login', {
    body: { username: 'admin', password: ADMIN_PASSWORD },
  })
  if (login.status !== 200) throw new Error(`admin login failed: ${JSON.stringify(login.body)}`)
  const adminToken = login.body.token

  return {
    app,
    dataDir,
    baseUrl,
    mqttUrl: `mqtt://127.0.0.1:${app.mqttPort}`,
    adminToken,
    api,
    async enterprise(name, region = '440600') {
      const t = await api<{ id: string }>('POST', '/api/tenants', {
        token: adminToken,
        body: { name, uscc: testUscc(region), industryCode: 'C3360', regionCode: region },
      })
      if (t.status !== 201) throw new Error(`tenant: ${JSON.stringify(t.body)}`)
      const username = `admin-${t.body.id}`
      const u = await api('POST', '/api/users', {
        token: adminToken,
        tenant: t.body.id,
        body: { username, role: 'enterprise_admin', password: 'Enterprise-Pass-1' },
      })
      if (u.status !== 201) throw new Error(`user: ${JSON.stringify(u.body)}`)
      const l = await api<{ token: string }>('POST', '/api/auth/login', {
        body: { username, password: 'Enterprise-Pass-1' },
      })
      return { tenant: t.body.id, token: l.body.token }
    },
    async device(token, key, protocol = 'mqtt') {
      const d = await api<{ id: string }>('POST', '/api/devices', {
        token,
        body: { name: key, key, kind: 'gateway', protocol },
      })
      if (d.status !== 201) throw new Error(`device: ${JSON.stringify(d.body)}`)
      const c = await api<{ username: string; password: string }>(
        'POST',
        `/api/devices/${d.body.id}/credentials`,
        { token, body: { kind: 'password' } },
      )
      const t = await api<{ token: string }>('POST', `/api/devices/${d.body.id}/credentials`, {
        token,
        body: { kind: 'token' },
      })
      return { id: d.body.id, username: c.body.username, password: c.body.password, token: t.body.token }
    },
    async stop() {
      await app.stop()
      if (group === undefined || config.natsUrl === undefined) return
      const left = (groupUsers.get(group) ?? 1) - 1
      groupUsers.set(group, left)
      if (left === 0) await dropLeaseGroup(config.natsUrl, group)
    },
  }
}

const leaseGroup = `t${process.pid}${randomBytes(3).toString('hex')}`
const groupUsers = new Map<string, number>()

/** The test's lease stream and its partitions' durable consumers, once no platform of the file uses them. */
async function dropLeaseGroup(url: string, group: string): Promise<void> {
  const nc = await connect({ servers: url.split(',') })
  try {
    const jsm = await jetstreamManager(nc)
    await jsm.streams.delete(`RONGHE_RULE_LEASES_${group}`).catch(() => false)
    for await (const c of jsm.consumers.list('RONGHE_SAMPLES')) {
      if (c.name.includes(group)) await jsm.consumers.delete('RONGHE_SAMPLES', c.name).catch(() => false)
    }
  } finally {
    await nc.close()
  }
}

/** Polls until `check` returns a value or the time is up (for asynchronous effects, not for speed). */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
