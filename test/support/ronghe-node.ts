import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './nats-cluster.ts'
import { ADMIN_PASSWORD, eventually, testUscc } from './platform.ts'

/**
 * A Ronghe node as a child process (`ronghe start` through tsx), for cluster tests and benchmarks:
 * its own data directory and HTTP port, no embedded MQTT broker, no demo. `env` adds or overrides
 * settings (RONGHE_DATABASE_URL, RONGHE_NATS_URL, …).
 */
const ROOT = new URL('../..', import.meta.url).pathname

export interface Node {
  readonly name: string
  readonly port: number
  readonly dataDir: string
  proc: ChildProcess
  log: string
}

export async function startNode(name: string, env: Record<string, string>): Promise<Node> {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), `ronghe-cluster-${name}-`))
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'start'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      RONGHE_DATA_DIR: dataDir,
      RONGHE_HTTP_HOST: '127.0.0.1',
      RONGHE_HTTP_PORT: String(port),
      RONGHE_MQTT_ENABLED: 'false',
      RONGHE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      RONGHE_DEMO: 'false',
      RONGHE_LOG_LEVEL: 'warn',
      RONGHE_NATS_MQTT_ACK_WAIT_MS: '3000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const node: Node = { name, port, dataDir, proc, log: '' }
  const keep = (b: Buffer): void => {
    node.log = (node.log + b.toString()).slice(-20_000)
  }
  proc.stdout?.on('data', keep)
  proc.stderr?.on('data', keep)
  await eventually(
    async () => {
      if (proc.exitCode !== null) throw new Error(`node ${name} exited: ${node.log}`)
      return fetch(`http://127.0.0.1:${port}/api/health`).then(
        (r) => r.ok,
        () => false,
      )
    },
    60_000,
    `Ronghe node ${name} to serve its API`,
  )
  return node
}

export async function killNode(n: Node | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!n || n.proc.exitCode !== null || n.proc.signalCode !== null) return
  const exited = new Promise((r) => n.proc.once('exit', r))
  n.proc.kill(signal)
  await exited
}

export async function api<T>(
  n: Node,
  method: string,
  path: string,
  o: { token?: string; tenant?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {}
  if (o.token) headers.authorization = `Bearer ${o.token}`
  if (o.tenant) headers['x-ronghe-tenant'] = o.tenant
  if (o.body !== undefined) headers['content-type'] = 'application/json'
  const r = await fetch(`http://127.0.0.1:${n.port}${path}`, {
    method,
    headers,
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
  })
  const text = await r.text()
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T }
}

/**
 * The platform admin's token. A node serves its API a moment before it has created the first
 * platform admin, so a fresh installation is asked until the admin exists.
 */
export async function adminToken(n: Node): Promise<string> {
  return eventually(
    async () => {
      const r = await api<{ token?: string }>(n, 'POST', '/api/auth/login', {
        body: { username: 'admin', password: ADMIN_PASSWORD },
      })
      return r.status === 200 ? r.body.token : undefined
    },
    30_000,
    `node ${n.name}: the platform admin`,
  )
}

/**
 * A new enterprise (region 440600) with one MQTT gateway device per key, through node `n`'s API;
 * fails the test on any refusal. Returns the tenant id.
 */
export async function tenantWithDevices(
  n: Node,
  admin: string,
  name: string,
  keys: readonly string[],
): Promise<string> {
  const ten = await api<{ id: string }>(n, 'POST', '/api/tenants', {
    token: admin,
    body: { name, uscc: testUscc(), industryCode: 'C3360', regionCode: '440600' },
  })
  if (ten.status !== 201) throw new Error(`tenant not created: ${ten.status} ${JSON.stringify(ten.body)}`)
  for (const key of keys) {
    const d = await api(n, 'POST', '/api/devices', {
      token: admin,
      tenant: ten.body.id,
      body: { name: key, key, kind: 'gateway', protocol: 'mqtt' },
    })
    if (d.status !== 201) throw new Error(`device ${key} not created: ${d.status} ${JSON.stringify(d.body)}`)
  }
  return ten.body.id
}
