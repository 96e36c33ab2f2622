import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestPlatform, type TestPlatform } from '../support/platform.ts'

const MIN = 60_000
const CST = 8 * 60 * MIN

describe('enterprise overview', () => {
  let p: TestPlatform
  before(async () => {
    p = await startTestPlatform()
  })
  after(() => p.stop())

  it("shows today's electricity from the enterprise's kWh meters, and null while it has none", async (t) => {
    const e = await p.enterprise('Shunde Motors', '440606')
    const none = await p.api<{ energyTodayKwh: number | null }>('GET', '/api/overview', { token: e.token })
    assert.equal(none.status, 200)
    assert.equal(none.body.energyTodayKwh, null)

    const now = Date.now()
    const dayStart = Math.floor((now + CST) / (1440 * MIN)) * 1440 * MIN - CST
    // meter readings on today's quarter hours of the last two hours, 100 kWh an hour
    const first = Math.ceil(Math.max(dayStart, now - 120 * MIN) / (15 * MIN)) * 15 * MIN
    const stamps: number[] = []
    for (let ts = first; ts <= now; ts += 15 * MIN) stamps.push(ts)
    if (stamps.length < 2) return t.skip('less than 30 min of today has passed in China: no two readings yet')
    const d = await p.device(e.token, 'meter-1', 'http')
    const r = await fetch(`${p.baseUrl}/api/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(stamps.map((ts, i) => ({ key: 'kwh', ts, value: 8000 + 25 * i }))),
    })
    assert.equal(r.status, 200, await r.text())
    await p.app.pipeline.drained()
    const pts = await p.api<{ items: { id: string; key: string }[] }>('GET', `/api/points?deviceId=${d.id}`, {
      token: e.token,
    })
    const point = pts.body.items.find((x) => x.key === 'kwh')?.id ?? ''
    const u = await p.api('PATCH', `/api/points/${point}`, { token: e.token, body: { unit: 'kWh' } })
    assert.equal(u.status, 200, JSON.stringify(u.body))

    const o = await p.api<{ energyTodayKwh: number | null }>('GET', '/api/overview', { token: e.token })
    assert.equal(o.status, 200)
    assert.equal(o.body.energyTodayKwh, 25 * (stamps.length - 1))
  })
})
