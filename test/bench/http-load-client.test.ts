import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import { answerEnd, runLoad } from '../../bench/http-load-client.ts'

describe('bench load client', () => {
  it('delimits answers by Content-Length or the last chunk, and waits for incomplete ones', () => {
    const a = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhelloHTTP/1.1 404 Not Found\r\n')
    assert.deepEqual(answerEnd(a), { end: a.indexOf('hello') + 5, status: 200 })
    assert.equal(answerEnd(a.subarray(0, a.indexOf('hello') + 4)), null)
    const c = Buffer.from('HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n')
    assert.deepEqual(answerEnd(c), { end: c.length, status: 503 })
    assert.equal(answerEnd(c.subarray(0, c.length - 2)), null)
    assert.throws(() => answerEnd(Buffer.from('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nx')))
  })

  it('counts every answer over kept-alive connections and reports non-200 answers as errors', async () => {
    const seen = new Set<string>()
    let sockets = 0
    const server = createServer((req, res) => {
      seen.add(req.url ?? '')
      const body = JSON.stringify({ url: req.url })
      // one path in three answers 404
      res.writeHead(req.url?.endsWith('/2') ? 404 : 200, { 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
    server.on('connection', () => sockets++)
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
    try {
      const port = (server.address() as AddressInfo).port
      const r = await runLoad({
        host: '127.0.0.1',
        port,
        path: '/x/{i}',
        n: 3,
        concurrency: 4,
        durationMs: 300,
      })
      assert.ok(r.requests > 30, `only ${r.requests} requests`)
      assert.deepEqual([...seen].sort(), ['/x/0', '/x/1', '/x/2'])
      // ± the connections' last round
      assert.ok(Math.abs(r.errors - r.requests / 3) <= 4, `${r.errors} errors of ${r.requests}`)
      // 4 warm-up connections, then 4 kept for the whole run
      assert.equal(sockets, 8)
      assert.ok(r.p50Ms > 0 && r.p99Ms >= r.p50Ms)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((ok) => server.close(() => ok()))
    }
  })
})
