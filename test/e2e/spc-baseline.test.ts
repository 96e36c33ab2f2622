import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestPlatform, type TestPlatform } from '../support/platform.ts'

interface Limits {
  center: number
  ucl: number
  lcl: number
}
interface SpcBody {
  chart: string
  baseline: { from: number; to: number } | null
  points: { ts: number; value: number; spread: number | null }[]
  limits: { center: Limits; spread: Limits }
}

const close = (actual: number | undefined, expected: number, eps = 1e-9): void =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < eps, `${actual} is not ${expected}`)

describe('SPC with X̄-S and a baseline period (the console’s SPC page)', () => {
  let p: TestPlatform
  let token = ''
  let point = ''
  const t0 = Date.UTC(2026, 10, 20, 2)
  const at = (i: number): number => t0 + i * 60_000

  before(async () => {
    p = await startTestPlatform()
    const ent = await p.enterprise('Jiangmen Bearings')
    token = ent.token
    const d = await p.device(token, 'gauge-02', 'http')
    const r = await fetch(`${p.baseUrl}/api/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
      body: JSON.stringify([10, 12, 11, 13, 14, 12].map((v, i) => ({ key: 'bore', ts: at(i), value: v }))),
    })
    assert.equal(r.status, 200)
    await p.app.pipeline.drained()
    const pts = await p.api<{ items: { id: string }[] }>('GET', `/api/points?deviceId=${d.id}`, { token })
    point = pts.body.items[0]?.id ?? ''
  })
  after(async () => p.stop())

  it('draws X̄-S: subgroups (10,12,11) and (13,14,12) give X̿ 12, S̄ 1, UCL 12 + A3·1', async () => {
    const r = await p.api<SpcBody>(
      'GET',
      `/api/analytics/spc?point=${point}&from=${at(0)}&to=${at(6)}&chart=xbar-s&subgroup=3`,
      { token },
    )
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.chart, 'xbar-s')
    assert.deepEqual(
      r.body.points.map((x) => [x.value, x.spread]),
      [
        [11, 1],
        [13, 1],
      ],
    )
    close(r.body.limits.center.center, 12)
    close(r.body.limits.center.ucl, 12 + 1.954, 1e-3)
    close(r.body.limits.spread.ucl, 2.568, 1e-3)
  })

  it('takes I-MR limits from the baseline period and plots only the window', async () => {
    const r = await p.api<SpcBody>(
      'GET',
      `/api/analytics/spc?point=${point}&from=${at(4)}&to=${at(6)}&chart=imr&baselineFrom=${at(0)}&baselineTo=${at(4)}`,
      { token },
    )
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.deepEqual(r.body.baseline, { from: at(0), to: at(4) })
    assert.deepEqual(
      r.body.points.map((x) => x.value),
      [14, 12],
    )
    // baseline 10, 12, 11, 13: x̄ 11.5, MR̄ 5/3, UCL = 11.5 + 2.66 · 5/3
    close(r.body.limits.center.center, 11.5)
    close(r.body.limits.center.ucl, 11.5 + (2.66 * 5) / 3, 1e-9)
    const half = await p.api('GET', `/api/analytics/spc?point=${point}&baselineFrom=${at(0)}`, { token })
    assert.equal(half.status, 400)
  })
})
