import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { commandExists, tcpReachable } from './services.ts'

/** The nats-server binary: NATS_SERVER, else the one on PATH, else Debian's /usr/sbin one. */
export function natsServerBinary(): string | undefined {
  const env = process.env.NATS_SERVER
  if (env !== undefined && env !== '') return env
  if (commandExists('nats-server')) return 'nats-server'
  if (commandExists('/usr/sbin/nats-server')) return '/usr/sbin/nats-server'
  return undefined
}

/** A free loopback port (bind 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a ? a.port : 0
      s.close(() => resolve(port))
    })
  })
}

export interface NatsNode {
  readonly name: string
  readonly clientPort: number
  readonly mqttPort: number
  readonly clusterPort: number
  process: ChildProcess | null
}

export interface NatsCluster {
  readonly nodes: readonly NatsNode[]
  /** nats://127.0.0.1:p1,nats://127.0.0.1:p2,… */
  readonly url: string
  /** SIGKILL one server (no shutdown, no flush) */
  kill(i: number): Promise<void>
  /** start a killed server again on the same ports and store */
  restart(i: number): Promise<void>
  stop(): Promise<void>
}

/**
 * Starts `size` nats-server processes forming one cluster with JetStream (file store in a temp dir,
 * no `sync_interval`: nats-server 2.9 does not know it, and a SIGKILL does not lose the page cache)
 * and the MQTT listener, all on loopback ephemeral ports. MQTT in NATS
 * needs JetStream and a server_name.
 */
export async function startNatsCluster(size = 3, options: { bin?: string } = {}): Promise<NatsCluster> {
  const bin = options.bin ?? natsServerBinary()
  if (bin === undefined) throw new Error('nats-server not found')
  const dir = mkdtempSync(join(tmpdir(), 'ronghe-nats-'))
  const nodes: NatsNode[] = []
  for (let i = 0; i < size; i++) {
    nodes.push({
      name: `n${i + 1}`,
      clientPort: await freePort(),
      mqttPort: await freePort(),
      clusterPort: await freePort(),
      process: null,
    })
  }
  const routes = nodes.map((n) => `nats-route://127.0.0.1:${n.clusterPort}`).join(', ')
  for (const n of nodes) {
    mkdirSync(join(dir, n.name), { recursive: true })
    writeFileSync(
      join(dir, `${n.name}.conf`),
      [
        `server_name: ${n.name}`,
        'listen: 127.0.0.1:' + n.clientPort,
        'jetstream {',
        `  store_dir: "${join(dir, n.name)}"`,
        '}',
        'cluster {',
        '  name: ronghe-test',
        `  listen: 127.0.0.1:${n.clusterPort}`,
        `  routes: [${routes}]`,
        '}',
        'mqtt {',
        `  listen: 127.0.0.1:${n.mqttPort}`,
        '}',
        '',
      ].join('\n'),
    )
  }
  const logs = new Map<string, string>()
  function launch(n: NatsNode): void {
    const p = spawn(bin as string, ['-c', join(dir, `${n.name}.conf`)], { stdio: ['ignore', 'pipe', 'pipe'] })
    const keep = (b: Buffer): void => {
      const s = (logs.get(n.name) ?? '') + b.toString()
      logs.set(n.name, s.slice(-20_000))
    }
    p.stdout?.on('data', keep)
    p.stderr?.on('data', keep)
    n.process = p
  }
  async function waitUp(n: NatsNode): Promise<void> {
    const until = Date.now() + 15_000
    while (Date.now() < until) {
      if (await tcpReachable('127.0.0.1', n.mqttPort, 300)) return
      if (n.process?.exitCode !== null && n.process?.exitCode !== undefined)
        throw new Error(`nats-server ${n.name} exited: ${logs.get(n.name) ?? ''}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`nats-server ${n.name} did not come up: ${logs.get(n.name) ?? ''}`)
  }
  async function killNode(i: number): Promise<void> {
    const n = nodes[i]
    const p = n?.process
    if (!n || !p || p.exitCode !== null) return
    const exited = new Promise((r) => p.once('exit', r))
    p.kill('SIGKILL')
    await exited
    n.process = null
  }
  for (const n of nodes) launch(n)
  try {
    for (const n of nodes) await waitUp(n)
  } catch (err) {
    for (let i = 0; i < nodes.length; i++) await killNode(i)
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return {
    nodes,
    url: nodes.map((n) => `nats://127.0.0.1:${n.clientPort}`).join(','),
    kill: killNode,
    async restart(i: number): Promise<void> {
      const n = nodes[i]
      if (!n || n.process) return
      launch(n)
      await waitUp(n)
    },
    async stop(): Promise<void> {
      for (let i = 0; i < nodes.length; i++) await killNode(i)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** for diagnostics in a failing test */
export function describeCluster(c: NatsCluster): string {
  return c.nodes.map((n) => `${n.name} client ${n.clientPort} mqtt ${n.mqttPort}`).join('; ')
}

export { tcpReachable }
