/**
 * A cheap HTTP/1.1 load client for the benchmarks, run in its own process so that it takes as little of
 * the shared cores from the server under test as it can:
 * - raw `net` sockets, keep-alive, one request in flight per connection, `concurrency` connections;
 * - every request's bytes encoded once before the clock starts (a GET with no body);
 * - an answer is delimited by its Content-Length (or a chunked body's last chunk) and only its status
 *   code is read: no header objects, no strings per answer.
 * The same client drives every server compared in one run (Ronghe and nginx), so the ratio of their rates
 * is a ratio of servers, not of clients.
 *
 * `node --import tsx bench/http-load-client.ts '<job JSON>'` prints one JSON line (LoadResult).
 */
import { connect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'

export interface LoadJob {
  readonly host: string
  readonly port: number
  /** path with `{i}` replaced by first…first+n-1 in turn */
  readonly path: string
  readonly n: number
  /** first value of `{i}` (default 0) */
  readonly first?: number
  readonly concurrency: number
  readonly durationMs: number
}

export interface LoadResult {
  requests: number
  /** answers other than 200, malformed answers and connection errors */
  errors: number
  perSec: number
  p50Ms: number
  p99Ms: number
  /** CPU time of this client process per request, µs (user + system) */
  clientCpuUs: number
}

const CRLFCRLF = Buffer.from('\r\n\r\n')
const CONTENT_LENGTH = [Buffer.from('content-length:'), Buffer.from('Content-Length:')]
const CHUNKED = [Buffer.from('transfer-encoding: chunked'), Buffer.from('Transfer-Encoding: chunked')]
const LAST_CHUNK = Buffer.from('\r\n0\r\n\r\n')

/**
 * Where the answer starting at `buf[0]` ends, and its status; null while incomplete. Throws on an answer
 * it cannot delimit (neither Content-Length nor chunked).
 */
export function answerEnd(buf: Buffer): { end: number; status: number } | null {
  const headEnd = buf.indexOf(CRLFCRLF)
  if (headEnd < 0) return null
  const bodyStart = headEnd + 4
  // "HTTP/1.1 200 …": three digits at 9..11
  const status = (buf[9]! - 48) * 100 + (buf[10]! - 48) * 10 + (buf[11]! - 48)
  for (const name of CONTENT_LENGTH) {
    const at = buf.indexOf(name)
    if (at >= 0 && at < headEnd) {
      let i = at + name.length
      while (buf[i] === 32) i++
      let len = 0
      for (let c = buf[i]!; c >= 48 && c <= 57; c = buf[++i]!) len = len * 10 + (c - 48)
      const end = bodyStart + len
      return buf.length >= end ? { end, status } : null
    }
  }
  for (const name of CHUNKED) {
    const at = buf.indexOf(name)
    if (at >= 0 && at < headEnd) {
      const last = buf.indexOf(LAST_CHUNK, headEnd)
      return last < 0 ? null : { end: last + LAST_CHUNK.length, status }
    }
  }
  if (status === 204 || status === 304) return { end: bodyStart, status }
  throw new Error(`answer without Content-Length: ${buf.subarray(0, headEnd).toString('latin1')}`)
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const requests: Buffer[] = []
  for (let i = 0; i < job.n; i++)
    requests.push(
      Buffer.from(
        `GET ${job.path.replace('{i}', String((job.first ?? 0) + i))} HTTP/1.1\r\nHost: ${job.host}:${job.port}\r\n\r\n`,
      ),
    )
  let lat = new Float64Array(1 << 16)
  let count = 0
  let errors = 0
  let next = 0
  let measuring = false
  let until = Number.POSITIVE_INFINITY

  /** One connection: send, wait for the whole answer, send the next, until `until`. */
  const loop = (warmup: boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const sock: Socket = connect({ host: job.host, port: job.port, noDelay: true })
      let pending: Buffer | null = null
      let sentAt = 0
      let done = false
      const finish = (): void => {
        if (done) return
        done = true
        sock.destroy()
        resolve()
      }
      const send = (): void => {
        if (!warmup && performance.now() >= until) {
          finish()
          return
        }
        sentAt = performance.now()
        sock.write(requests[next++ % job.n]!)
      }
      sock.on('connect', send)
      sock.on('data', (chunk: Buffer) => {
        let buf = pending === null ? chunk : Buffer.concat([pending, chunk])
        for (;;) {
          let a: { end: number; status: number } | null
          try {
            a = answerEnd(buf)
          } catch (err) {
            sock.destroy()
            reject(err)
            return
          }
          if (a === null) {
            pending = buf
            return
          }
          const t = performance.now()
          if (a.status !== 200) errors++
          if (measuring && !warmup) {
            if (count === lat.length) {
              const bigger = new Float64Array(lat.length * 2)
              bigger.set(lat)
              lat = bigger
            }
            lat[count++] = t - sentAt
          }
          buf = buf.subarray(a.end)
          if (buf.length === 0) break
        }
        pending = null
        if (warmup) return finish()
        send()
      })
      sock.on('error', (err) => {
        errors++
        if (!done) {
          done = true
          reject(err)
        }
      })
      // a server closing a kept-alive connection mid-run is a failure of that server
      sock.on('close', () => {
        if (!done) errors++
        finish()
      })
    })

  // open and warm every connection once, then measure on fresh ones kept for the whole run
  await Promise.all(Array.from({ length: job.concurrency }, () => loop(true)))
  errors = 0
  measuring = true
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  until = start + job.durationMs
  await Promise.all(Array.from({ length: job.concurrency }, () => loop(false)))
  const secs = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpu0)
  const sorted = lat.subarray(0, count).sort()
  const pct = (p: number): number =>
    Math.round((sorted[Math.min(count - 1, Math.floor(p * count))] ?? 0) * 1000) / 1000
  return {
    requests: count,
    errors,
    perSec: Math.round(count / secs),
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    clientCpuUs: count === 0 ? 0 : Math.round((cpu.user + cpu.system) / count),
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runLoad(JSON.parse(process.argv[2] ?? '{}') as LoadJob).then(
    (r) => console.log(JSON.stringify(r)),
    (err) => {
      console.error(err)
      process.exit(1)
    },
  )
}
