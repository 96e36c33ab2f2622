import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import type { DeviceId, TenantId } from '../../src/core/index.ts'
import { startTestPlatform, type TestPlatform } from '../support/platform.ts'

/**
 * Retention is periodic work done once per period in the installation (src/bus/periodic-jobs.ts);
 * on one node it claims every period itself. One tick drops each enterprise's samples older than its
 * own retention and keeps the rest, and another enterprise's samples by its own.
 */
describe('retention through the periodic jobs', () => {
  let p: TestPlatform | undefined
  before(async () => {
    p = await startTestPlatform({
      env: { RONGHE_MQTT_ENABLED: 'false', RONGHE_SERIES_RETENTION_DAYS: '30' },
      // the test ticks; the timer would run the hour's retention before the samples are written
      start: { periodicTickMs: 0 },
    })
  })
  after(async () => {
    if (!p) return
    await p.stop()
    rmSync(p.dataDir, { recursive: true, force: true })
  })

  it('drops samples older than each enterprise retention on a tick, once per period', async () => {
    if (!p) throw new Error('no platform')
    const day = 86_400_000
    const now = Date.now()
    const short = await p.enterprise('短保留企业')
    const long = await p.enterprise('长保留企业')
    await p.app.meta.updateTenant(short.tenant as TenantId, { retentionDays: 2 })
    const write = async (e: { tenant: string; token: string }): Promise<string> => {
      const d = await p!.device(e.token, 'meter-1')
      const r = await p!.app.pipeline.write(e.tenant as TenantId, d.id as DeviceId, [
        { key: 'energy', ts: now - 10 * day, value: 1 },
        { key: 'energy', ts: now - 3 * day, value: 2 },
        { key: 'energy', ts: now - 1 * day, value: 3 },
      ])
      assert.equal(r.accepted, 3, JSON.stringify(r.rejected))
      await p!.app.pipeline.drained()
      const pts = await p!.api<{ items: { id: string; key: string }[] }>('GET', '/api/points', {
        token: e.token,
      })
      return pts.body.items.find((x) => x.key === 'energy')?.id ?? ''
    }
    const values = async (e: { token: string }, point: string): Promise<number[]> => {
      const s = await p!.api<{ samples: { value: number }[] }>(
        'GET',
        `/api/points/${point}/series?from=${now - 20 * day}&to=${now}&limit=100`,
        { token: e.token },
      )
      return s.body.samples.map((x) => x.value)
    }
    const sp = await write(short)
    const lp = await write(long)
    assert.deepEqual(await values(short, sp), [1, 2, 3])

    const hour = Math.floor(Date.now() / 3_600_000)
    await p.app.periodic.tick()
    assert.deepEqual(await values(short, sp), [3])
    assert.deepEqual(await values(long, lp), [1, 2, 3])
    assert.equal(p.app.periodic.stats()['series-retention']?.ran, 1)
    // a second tick in the same hour does not run it again (one in the next hour does)
    await p.app.periodic.tick()
    const sameHour = Math.floor(Date.now() / 3_600_000) === hour
    assert.equal(p.app.periodic.stats()['series-retention']?.ran, sameHour ? 1 : 2)
  })
})
