/**
 * Memory per idle MQTT connection on the broker side.
 *
 *   ulimit -n 20000; npx tsx src/ingest/mqtt/measure-idle.ts [connections=10000] [protocolVersion=4]
 *
 * The broker runs in this process; a child process opens the connections (raw net sockets + one
 * mqtt-packet CONNECT each, keepalive 60 s, waits for every CONNACK), so the clients' memory is not
 * counted. Prints one JSON line: RSS and heap before and after, and the difference per connection.
 * Not part of the test suite (it takes ~10 s and 10,000 file descriptors on each side).
 */
import { fork } from 'node:child_process'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import * as mqtt from 'mqtt-packet'
import { createMqttBroker } from './broker.ts'

const self = fileURLToPath(import.meta.url)

function gc(): void {
  setFlagsFromString('--expose-gc')
  const collect = runInNewContext('gc') as () => void
  collect()
  collect()
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 500))
  gc()
  await new Promise((r) => setTimeout(r, 200))
}

async function child(port: number, n: number, protocolVersion: 4 | 5): Promise<void> {
  const sockets: unknown[] = []
  let acked = 0
  const batch = 500
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch)
    await Promise.all(
      Array.from(
        { length: end - start },
        (_, k) =>
          new Promise<void>((resolve, reject) => {
            const s = connect({ host: '127.0.0.1', port })
            s.once('error', reject)
            s.once('connect', () => {
              s.write(
                mqtt.generate(
                  {
                    cmd: 'connect',
                    clientId: `idle-${start + k}`,
                    protocolVersion,
                    clean: true,
                    keepalive: 60,
                  },
                  { protocolVersion },
                ),
              )
            })
            // the CONNACK is the only thing the broker sends; its first byte is 0x20
            s.once('data', (d: Buffer) => {
              if (d[0] === 0x20) acked++
              resolve()
            })
            sockets.push(s)
          }),
      ),
    )
  }
  process.send?.({ ready: acked })
  // stay connected until the parent kills us
  setInterval(() => {}, 1 << 30)
}

async function parent(n: number, protocolVersion: 4 | 5): Promise<void> {
  const broker = createMqttBroker({
    hooks: {
      authenticate: async (info) => ({ device: info.clientId }),
      authorizePublish: () => true,
      authorizeSubscribe: () => true,
      onPublish: () => ({ ok: true }),
    },
  })
  const port = await broker.listen(0, '127.0.0.1')
  await settle()
  const before = process.memoryUsage()
  const kid = fork(self, ['--child', String(port), String(n), String(protocolVersion)], {
    execArgv: ['--import', 'tsx'],
  })
  const acked = await new Promise<number>((resolve, reject) => {
    kid.once('message', (m: { ready: number }) => resolve(m.ready))
    kid.once('exit', (code) => reject(new Error(`client process exited with ${code}`)))
  })
  await settle()
  const afterConnect = process.memoryUsage()
  const clients = broker.clientCount()
  kid.kill()
  await broker.close()
  const per = (k: keyof NodeJS.MemoryUsage): number =>
    Math.round((afterConnect[k] - before[k]) / Math.max(1, clients))
  console.log(
    JSON.stringify({
      bench: 'mqtt-idle-connections',
      protocolVersion,
      requested: n,
      connackReceived: acked,
      connected: clients,
      rssBeforeMiB: +(before.rss / 2 ** 20).toFixed(1),
      rssAfterMiB: +(afterConnect.rss / 2 ** 20).toFixed(1),
      rssBytesPerConnection: per('rss'),
      heapUsedBytesPerConnection: per('heapUsed'),
      externalBytesPerConnection: per('external'),
      node: process.version,
    }),
  )
}

const args = process.argv.slice(2)
if (args[0] === '--child') {
  await child(Number(args[1]), Number(args[2]), Number(args[3]) === 5 ? 5 : 4)
} else {
  await parent(Number(args[0] ?? 10_000), Number(args[1] ?? 4) === 5 ? 5 : 4)
}
