import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ADMIN_PASSWORD } from '../support/platform.ts'

const root = new URL('../..', import.meta.url).pathname

/**
 * Issue 5's promise to a newcomer: `ronghe start` on a new data directory shows the virtual factory's
 * three enterprises with data flowing within 60 s. This runs the real CLI as its own process, exactly as
 * `npm start` does, only with ephemeral ports.
 */
describe('first start on a new data directory', () => {
  it('shows three enterprises in two provinces with data flowing within 60 s', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ronghe-demo-'))
    const started = Date.now()
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
        RONGHE_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      const base = await listening(child)
      const api = async <T>(path: string, token?: string, tenant?: string, body?: unknown): Promise<T> => {
        const headers: Record<string, string> = {}
        if (token) headers.authorization = `Bearer ${token}`
        if (tenant) headers['x-ronghe-tenant'] = tenant
        if (body !== undefined) headers['content-type'] = 'application/json'
        const r = await fetch(base + path, {
          method: body === undefined ? 'GET' : 'POST',
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        })
        const j = (await r.json()) as T
        assert.ok(r.status < 300, `${path}: ${r.status} ${JSON.stringify(j)}`)
        return j
      }
      const { token } = await api<{ token: string }>('/api/auth/login', undefined, undefined, {
        username: 'admin',
        password: ADMIN_PASSWORD,
      })
      const tenants = await api<{ items: { id: string; name: string; regionCode: string }[] }>(
        '/api/tenants',
        token,
      )
      const list = tenants.items
      assert.ok(list.length >= 3, `expected the three demo enterprises, got ${JSON.stringify(list)}`)
      const provinces = new Set(list.map((t) => t.regionCode.slice(0, 2)))
      assert.ok(provinces.size >= 2, `enterprises in two provinces, got ${[...provinces].join(', ')}`)

      // every enterprise's sample count must rise between two looks, within 60 s of the start
      const deadline = started + 60_000
      const first = new Map<string, number>()
      const flowing = new Set<string>()
      while (flowing.size < list.length && Date.now() < deadline) {
        for (const t of list) {
          if (flowing.has(t.id)) continue
          const o = await api<{ samplesToday: number; devices: number; points: number }>(
            '/api/overview',
            token,
            t.id,
          )
          const before = first.get(t.id)
          if (before === undefined) first.set(t.id, o.samplesToday)
          else if (o.samplesToday > before && o.points > 0) flowing.add(t.id)
        }
        await new Promise((r) => setTimeout(r, 1000))
      }
      const stalled = list.filter((t) => !flowing.has(t.id)).map((t) => t.name)
      assert.deepEqual(stalled, [], `no data flowing within 60 s for: ${stalled.join(', ')}`)
      console.log(
        `# demo: three enterprises flowing ${((Date.now() - started) / 1000).toFixed(1)} s after start`,
      )
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL')
          r(null)
        }, 10_000)
        child.once('exit', () => {
          clearTimeout(t)
          r(null)
        })
      })
    }
  })
})

function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    const onData = (d: Buffer): void => {
      out += d.toString()
      const http = /API:\s+(http:\/\/[\w.:]+)\/api/.exec(out)?.[1]
      if (http) resolve(http.replace('localhost', '127.0.0.1'))
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => reject(new Error(`ronghe exited (${code}) before listening:\n${out}`)))
    setTimeout(() => reject(new Error(`ronghe did not listen within 60 s:\n${out}`)), 60_000).unref()
  })
}
