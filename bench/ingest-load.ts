/**
 * The ingest benchmark's load generator: a child process (forked by bench/ingest.ts) that holds the
 * device connections, so only the server side runs in the benchmark's own process. Driven over IPC,
 * one command at a time; every command is answered with `{ op: 'ok', ... }` or `{ op: 'error' }`.
 */
import { performance } from 'node:perf_hooks'
import { ddataPayload, dbirthPayload, jsonPayload, nbirthPayload, SPB_DEVICE } from './ingest-data.ts'
import { openPeers, publishPacket, type WirePeer } from './ingest-wire.ts'

export interface PeerSpec {
  readonly clientId: string
  readonly username?: string
  readonly password?: string
  readonly keepalive?: number
}

export type LoadCommand =
  | { op: 'connect'; group: string; port: number; specs: PeerSpec[]; parallel?: number }
  | { op: 'close'; group: string }
  /** NBIRTH + DBIRTH from every connection of the group (connection i is edge node nodes[i]) */
  | { op: 'birth'; group: string; tenant: string; nodes: string[]; ts: number }
  /** builds `messages` DDATA per edge node, timestamps tsBase + k × tsStep, before any timing */
  | {
      op: 'prepare-sparkplug'
      group: string
      tenant: string
      nodes: string[]
      messages: number
      tsBase: number
      tsStep: number
    }
  /** builds `messages` JSON messages per connection on topics[i] */
  | {
      op: 'prepare-json'
      group: string
      topics: string[]
      messages: number
      tsBase: number
      tsStep: number
      kBase: number
    }
  /** sends everything prepared, at most `window` unacknowledged per connection; answers when all are acknowledged */
  | { op: 'blast'; group: string; window: number }
  /** DDATA at a steady rate with the current time as timestamp; reports every `trackEvery`-th message */
  | {
      op: 'paced'
      group: string
      tenant: string
      nodes: string[]
      messagesPerSec: number
      durationMs: number
      trackEvery: number
      kBase: number
      window: number
    }

export interface TrackedMessage {
  readonly node: number
  readonly ts: number
  /** performance.timeOrigin + performance.now() just before the socket write */
  readonly sentAt: number
}

interface Group {
  peers: WirePeer[]
  nextId: number[]
  seq: number[]
  prepared: Buffer[][] | null
}

const groups = new Map<string, Group>()
const wallNow = (): number => performance.timeOrigin + performance.now()

function reply(m: Record<string, unknown>): void {
  process.send?.(m)
}

function groupOf(name: string): Group {
  const g = groups.get(name)
  if (!g) throw new Error(`no connection group ${name}`)
  return g
}

function takeId(g: Group, i: number): number {
  const id = g.nextId[i]!
  g.nextId[i] = id === 65535 ? 1 : id + 1
  return id
}

function takeSeq(g: Group, i: number): number {
  const s = g.seq[i]!
  g.seq[i] = (s + 1) % 256
  return s
}

/** Fails the running command if a connection closes: the broker refused something. */
function watchClose(g: Group, fail: (e: Error) => void): void {
  g.peers.forEach((p, i) => {
    p.handlers.onClose = () => fail(new Error(`connection ${i} closed by the broker`))
  })
}

/**
 * Sends each connection's list with at most `window` in flight; resolves when every message is
 * acknowledged.
 */
function send(
  g: Group,
  lists: Buffer[][],
  window: number,
): Promise<{ acked: number; ms: number; cpuMs: number }> {
  const total = lists.reduce((s, l) => s + l.length, 0)
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const cpuMs = (): number => {
    const c = process.cpuUsage(cpu0)
    return (c.user + c.system) / 1000
  }
  return new Promise((resolve, reject) => {
    if (total === 0) return resolve({ acked: 0, ms: 0, cpuMs: 0 })
    let acked = 0
    watchClose(g, reject)
    g.peers.forEach((peer, i) => {
      const list = lists[i] ?? []
      let next = 0
      let inflight = 0
      const pump = (): void => {
        if (next >= list.length || inflight >= window) return
        peer.socket.cork()
        while (next < list.length && inflight < window) {
          peer.socket.write(list[next]!)
          list[next++] = EMPTY
          inflight++
        }
        peer.socket.uncork()
      }
      peer.handlers.onPuback = () => {
        inflight--
        if (++acked === total) {
          for (const p of g.peers) p.handlers.onClose = undefined
          resolve({ acked, ms: performance.now() - t0, cpuMs: cpuMs() })
        } else pump()
      }
      pump()
    })
  })
}
const EMPTY = Buffer.alloc(0)

async function run(cmd: LoadCommand): Promise<Record<string, unknown>> {
  switch (cmd.op) {
    case 'connect': {
      const t0 = performance.now()
      const peers = await openPeers(cmd.port, cmd.specs, cmd.parallel ?? 200)
      groups.set(cmd.group, {
        peers,
        nextId: peers.map(() => 1),
        seq: peers.map(() => 0),
        prepared: null,
      })
      return { connected: peers.length, ms: performance.now() - t0 }
    }
    case 'close': {
      const g = groups.get(cmd.group)
      if (g) for (const p of g.peers) p.destroy()
      groups.delete(cmd.group)
      return {}
    }
    case 'birth': {
      const g = groupOf(cmd.group)
      const lists = cmd.nodes.map((node, i) => {
        g.seq[i] = 0
        const nb = publishPacket(`spBv1.0/${cmd.tenant}/NBIRTH/${node}`, nbirthPayload(cmd.ts), takeId(g, i))
        takeSeq(g, i)
        const db = publishPacket(
          `spBv1.0/${cmd.tenant}/DBIRTH/${node}/${SPB_DEVICE}`,
          dbirthPayload(i, cmd.ts, takeSeq(g, i)),
          takeId(g, i),
        )
        return [nb, db]
      })
      // one at a time per node: the DBIRTH must follow the NBIRTH
      return send(g, lists, 1)
    }
    case 'prepare-sparkplug': {
      const g = groupOf(cmd.group)
      const t0 = performance.now()
      let bytes = 0
      g.prepared = cmd.nodes.map((node, i) => {
        const topic = `spBv1.0/${cmd.tenant}/DDATA/${node}/${SPB_DEVICE}`
        const list: Buffer[] = new Array(cmd.messages)
        for (let k = 0; k < cmd.messages; k++) {
          const payload = ddataPayload(i, k, cmd.tsBase + k * cmd.tsStep, takeSeq(g, i))
          list[k] = publishPacket(topic, payload, takeId(g, i))
          bytes += list[k]!.length
        }
        return list
      })
      return { bytes, ms: performance.now() - t0 }
    }
    case 'prepare-json': {
      const g = groupOf(cmd.group)
      let bytes = 0
      g.prepared = cmd.topics.map((topic, i) => {
        const list: Buffer[] = new Array(cmd.messages)
        for (let k = 0; k < cmd.messages; k++) {
          const kk = cmd.kBase + k
          list[k] = publishPacket(topic, jsonPayload(i, kk, cmd.tsBase + kk * cmd.tsStep), takeId(g, i))
          bytes += list[k]!.length
        }
        return list
      })
      return { bytes }
    }
    case 'blast': {
      const g = groupOf(cmd.group)
      const lists = g.prepared
      if (!lists) throw new Error('nothing prepared')
      g.prepared = null
      const sent = lists.reduce((s, l) => s + l.length, 0)
      const r = await send(g, lists, cmd.window)
      return { sent, ...r }
    }
    case 'paced':
      return paced(groupOf(cmd.group), cmd)
  }
}

/**
 * Sends DDATA round-robin over the edge nodes at `messagesPerSec`, each stamped with the time it
 * is built. Every `trackEvery`-th message is reported (node, ts, sent time) so the benchmark can
 * watch for it in the series store; its PUBACK time is kept for the durable-latency figure.
 */
function paced(g: Group, cmd: Extract<LoadCommand, { op: 'paced' }>): Promise<Record<string, unknown>> {
  const n = cmd.nodes.length
  const topics = cmd.nodes.map((node) => `spBv1.0/${cmd.tenant}/DDATA/${node}/${SPB_DEVICE}`)
  const inflight = new Array<number>(n).fill(0)
  const lastTs = new Array<number>(n).fill(0)
  const trackedAck = g.peers.map(() => new Map<number, number>())
  const ackLatencies: number[] = []
  let sent = 0
  let acked = 0
  let skipped = 0
  let k = cmd.kBase
  let rr = 0
  let finished = false
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    watchClose(g, reject)
    const maybeDone = (): void => {
      if (finished && acked === sent) {
        for (const p of g.peers) p.handlers.onClose = undefined
        resolve({ sent, acked, skipped, ackLatencies, elapsedMs: performance.now() - t0 })
      }
    }
    g.peers.forEach((peer, i) => {
      peer.handlers.onPuback = (id) => {
        inflight[i]!--
        acked++
        const at = trackedAck[i]!.get(id)
        if (at !== undefined) {
          ackLatencies.push(wallNow() - at)
          trackedAck[i]!.delete(id)
        }
        maybeDone()
      }
    })
    const tick = (): void => {
      const elapsed = performance.now() - t0
      const due = Math.min(
        Math.floor((Math.min(elapsed, cmd.durationMs) * cmd.messagesPerSec) / 1000),
        Math.round((cmd.durationMs * cmd.messagesPerSec) / 1000),
      )
      let budget = due - sent - skipped
      let misses = 0
      while (budget > 0) {
        const i = rr
        rr = (rr + 1) % n
        if (inflight[i]! >= cmd.window) {
          // this node is backed up: its message is not sent (counted), the schedule stays honest
          skipped++
          budget--
          if (++misses > n) break
          continue
        }
        const now = Date.now()
        const ts = now > lastTs[i]! ? now : lastTs[i]! + 1
        lastTs[i] = ts
        const id = takeId(g, i)
        const packet = publishPacket(topics[i]!, ddataPayload(i, k++, ts, takeSeq(g, i)), id)
        const track = sent % cmd.trackEvery === 0
        const at = wallNow()
        g.peers[i]!.socket.write(packet)
        inflight[i]!++
        sent++
        budget--
        if (track) {
          trackedAck[i]!.set(id, at)
          reply({ op: 'track', node: i, ts, sentAt: at })
        }
      }
      if (elapsed >= cmd.durationMs) {
        finished = true
        maybeDone()
      } else setTimeout(tick, 2)
    }
    tick()
  })
}

process.on('message', (raw: unknown) => {
  const cmd = raw as LoadCommand
  run(cmd).then(
    (r) => reply({ op: 'ok', ...r }),
    (err: unknown) => reply({ op: 'error', message: err instanceof Error ? err.message : String(err) }),
  )
})
process.on('disconnect', () => process.exit(0))
reply({ op: 'ready' })
