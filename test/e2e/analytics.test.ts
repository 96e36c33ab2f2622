import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestPlatform, type TestPlatform, testUscc } from '../support/platform.ts'

interface Page<T> {
  items: T[]
}
interface SpcBody {
  chart: string
  points: { ts: number; value: number; spread: number | null }[]
  limits: {
    center: { center: number; ucl: number; lcl: number }
    spread: { center: number; ucl: number; lcl: number }
  }
  sigmaWithin: number
  capability: { cp: number | null; cpk: number | null; pp: number | null; ppk: number | null } | null
  violations: { rule: number; index: number }[]
  samples: number
  excluded: number
}

const close = (actual: number | null | undefined, expected: number, eps = 1e-6): void =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < eps, `${actual} is not ${expected}`)

describe('analytics API', () => {
  let p: TestPlatform
  let ent: { tenant: string; token: string }
  let other: { tenant: string; token: string }
  let pointId = ''
  const t0 = Date.now() - 30 * 60_000

  before(async () => {
    p = await startTestPlatform()
    ent = await p.enterprise('Foshan Diecast')
    other = await p.enterprise('Elsewhere Ltd')
    const d = await p.device(ent.token, 'gauge-01', 'http')
    // 10, 12, 11, 13, 14, 12: hand-checkable I-MR and X̄-R (n = 3) figures
    const values = [10, 12, 11, 13, 14, 12]
    const r = await fetch(`${p.baseUrl}/api/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(values.map((v, i) => ({ key: 'bore', ts: t0 + i * 60_000, value: v }))),
    })
    assert.equal(r.status, 200)
    await p.app.pipeline.drained()
    const pts = await p.api<Page<{ id: string; key: string }>>('GET', `/api/points?deviceId=${d.id}`, {
      token: ent.token,
    })
    pointId = pts.body.items.find((x) => x.key === 'bore')?.id ?? ''
    assert.ok(pointId)
  })
  after(async () => p.stop())

  it('draws an I-MR chart with limits and capability from the stored samples', async () => {
    const r = await p.api<SpcBody>(
      'GET',
      `/api/analytics/spc?point=${pointId}&from=${t0}&to=${t0 + 3_600_000}&chart=imr&lsl=8&usl=16`,
      { token: ent.token },
    )
    assert.equal(r.status, 200, JSON.stringify(r.body))
    // mean 72/6 = 12; MRs 2,1,2,1,2 → MR̄ 1.6; σ̂ = 1.6/1.128; UCL = 12 + 2.66·1.6 = 16.256
    assert.deepEqual(
      r.body.points.map((x) => x.value),
      [10, 12, 11, 13, 14, 12],
    )
    assert.deepEqual(
      r.body.points.map((x) => x.spread),
      [null, 2, 1, 2, 1, 2],
    )
    close(r.body.limits.center.center, 12)
    close(r.body.limits.center.ucl, 12 + 3 * (1.6 / 1.128), 1e-3)
    close(r.body.limits.spread.center, 1.6)
    close(r.body.sigmaWithin, 1.6 / 1.128)
    // Cp = 8 / (6·σ̂); centred so Cpk = Cp. Overall s = √(10/5) = √2
    close(r.body.capability?.cp, 8 / (6 * (1.6 / 1.128)))
    close(r.body.capability?.cpk, 8 / (6 * (1.6 / 1.128)))
    close(r.body.capability?.pp, 8 / (6 * Math.SQRT2))
    assert.deepEqual(r.body.violations, [])
    assert.equal(r.body.samples, 6)
  })

  it('draws an X̄-R chart of consecutive subgroups', async () => {
    const r = await p.api<SpcBody>(
      'GET',
      `/api/analytics/spc?point=${pointId}&from=${t0}&to=${t0 + 3_600_000}&chart=xbar-r&subgroup=3`,
      { token: ent.token },
    )
    assert.equal(r.status, 200, JSON.stringify(r.body))
    // subgroups [10,12,11] and [13,14,12]: means 11 and 13, ranges 2 and 2; A2(3) = 1.023, D4(3) = 2.574
    assert.deepEqual(
      r.body.points.map((x) => [x.ts, x.value, x.spread]),
      [
        [t0, 11, 2],
        [t0 + 180_000, 13, 2],
      ],
    )
    close(r.body.limits.center.center, 12)
    close(r.body.limits.center.ucl, 12 + 1.023 * 2, 1e-3)
    close(r.body.limits.spread.ucl, 2.574 * 2, 1e-3)
    assert.equal(r.body.capability, null)
  })

  it('answers 404 for another enterprise’s point and 422 for too little data', async () => {
    const q = `point=${pointId}&from=${t0}&to=${t0 + 3_600_000}`
    const foreign = await p.api('GET', `/api/analytics/spc?${q}`, { token: other.token })
    assert.equal(foreign.status, 404)
    const few = await p.api<{ error: { code: string } }>(
      'GET',
      `/api/analytics/spc?point=${pointId}&from=${t0}&to=${t0 + 1}`,
      { token: ent.token },
    )
    assert.equal(few.status, 422)
    assert.equal(few.body.error.code, 'ANALYTICS_NOT_ENOUGH_DATA')
  })

  it('turns a kWh counter into 15-minute consumption, standard coal, CO₂ and time-of-use cost', async () => {
    // 2026-11-24 00:00 in Shanghai: Guangdong's valley period (00:00–08:00, 0.247 CNY/kWh)
    const day = Date.UTC(2026, 10, 23, 16)
    const d = await p.device(ent.token, 'meter-01', 'http')
    // readings every 5 min for 30 min, then nothing until 60 min (a gap), then 75 min
    const readings: [number, number][] = [
      [0, 1000],
      [5, 1010],
      [10, 1020],
      [15, 1030],
      [20, 1040],
      [25, 1050],
      [30, 1060],
      [60, 1100],
      [75, 1130],
    ]
    const r = await fetch(`${p.baseUrl}/api/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(readings.map(([m, v]) => ({ key: 'kwh', ts: day + m * 60_000, value: v }))),
    })
    assert.equal(r.status, 200)
    await p.app.pipeline.drained()
    const pts = await p.api<Page<{ id: string; key: string }>>('GET', `/api/points?deviceId=${d.id}`, {
      token: ent.token,
    })
    const kwh = pts.body.items.find((x) => x.key === 'kwh')?.id ?? ''
    const e = await p.api<{
      intervals: { start: number; delta: number | null; status: string }[]
      gaps: { from: number; to: number; delta: number | null }[]
      total: number
      standardCoal: { kgce: number }
      co2: { tonnes: number; factor: { value: number } } | null
      cost: { totalCost: number; totalKWh: number } | null
    }>('GET', `/api/analytics/energy?point=${kwh}&from=${day}&to=${day + 75 * 60_000}&carrier=electricity`, {
      token: ent.token,
    })
    assert.equal(e.status, 200, JSON.stringify(e.body))
    // intervals 00–15: 30 kWh, 15–30: 30 kWh, 30–45 and 45–60: the 30→60 gap (40 kWh) is not spread, 60–75: 30 kWh
    assert.deepEqual(
      e.body.intervals.map((x) => [x.start - day, x.delta, x.status]),
      [
        [0, 30, 'complete'],
        [15 * 60_000, 30, 'complete'],
        [30 * 60_000, null, 'missing'],
        [45 * 60_000, null, 'missing'],
        [60 * 60_000, 30, 'complete'],
      ],
    )
    assert.deepEqual(
      e.body.gaps.map((g) => [g.from - day, g.to - day, g.delta]),
      [[30 * 60_000, 60 * 60_000, 40]],
    )
    assert.equal(e.body.total, 90)
    close(e.body.standardCoal.kgce, 90 * 0.1229)
    // Guangdong is in the southern grid: 0.4042 kgCO₂/kWh (2023 factors)
    close(e.body.co2?.factor.value, 0.4042)
    close(e.body.co2?.tonnes, 0.09 * 0.4042)
    close(e.body.cost?.totalKWh, 90)
    close(e.body.cost?.totalCost, 90 * 0.247)
    const foreign = await p.api('GET', `/api/analytics/energy?point=${kwh}&carrier=electricity`, {
      token: other.token,
    })
    assert.equal(foreign.status, 404)
  })

  it('shows a city authority the rollups of its enterprises only, and 404 for their raw data', async () => {
    const day = Date.UTC(2026, 10, 23, 16)
    // one hour of a kWh counter per enterprise: 4 complete 15-minute intervals
    async function meter(
      e: { token: string },
      key: string,
      kWhPerHour: number,
    ): Promise<{ point: string; asset: string }> {
      const d = await p.device(e.token, key, 'http')
      const r = await fetch(`${p.baseUrl}/api/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(
          [0, 15, 30, 45, 60].map((m) => ({
            key: 'kwh',
            ts: day + m * 60_000,
            value: 5000 + (kWhPerHour * m) / 60,
          })),
        ),
      })
      assert.equal(r.status, 200)
      await p.app.pipeline.drained()
      const pts = await p.api<Page<{ id: string; key: string }>>('GET', `/api/points?deviceId=${d.id}`, {
        token: e.token,
      })
      const point = pts.body.items.find((x) => x.key === 'kwh')?.id ?? ''
      const u = await p.api('PATCH', `/api/points/${point}`, { token: e.token, body: { unit: 'kWh' } })
      assert.equal(u.status, 200, JSON.stringify(u.body))
      const a = await p.api<{ id: string }>('POST', '/api/assets', {
        token: e.token,
        body: { name: 'Plant', level: 'site' },
      })
      assert.equal(a.status, 201, JSON.stringify(a.body))
      return { point, asset: a.body.id }
    }
    const chancheng = await p.enterprise('Chancheng Ceramics', '440604')
    const nanhai = await p.enterprise('Nanhai Aluminium', '440605')
    const guangzhou = await p.enterprise('Guangzhou Motors', '440106')
    const big = await meter(nanhai, 'main-meter', 1000)
    await meter(chancheng, 'main-meter', 400)
    await meter(guangzhou, 'main-meter', 9000)

    const t = await p.api<{ id: string }>('POST', '/api/tenants', {
      token: p.adminToken,
      body: {
        name: 'Foshan Energy Bureau',
        uscc: testUscc('440600'),
        industryCode: 'S',
        regionCode: '440600',
      },
    })
    assert.equal(t.status, 201, JSON.stringify(t.body))
    const u = await p.api('POST', '/api/users', {
      token: p.adminToken,
      tenant: t.body.id,
      body: { username: 'foshan-bureau', role: 'regional_authority', password: 'Authority-Pass-1' },
    })
    assert.equal(u.status, 201, JSON.stringify(u.body))
    const login = await p.api<{ token: string }>('POST', '/api/auth/login', {
      body: { username: 'foshan-bureau', password: 'Authority-Pass-1' },
    })
    const bureau = login.body.token

    const r = await p.api<{
      regionCode: string
      enterprises: {
        tenant: string
        rank: number
        electricityKWh: number
        tce: number
        keyEnergyUnit: string
        completeness: number
      }[]
    }>('GET', `/api/region/energy?from=${day}&to=${day + 3_600_000}`, { token: bureau })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.regionCode, '440600')
    // Foshan's metered enterprises only (the enterprises of the earlier tests, also in 440600, have no
    // kWh-unit meter and count 0); Guangzhou's 9000 kWh never appears
    const mine = r.body.enterprises.filter((e) => e.electricityKWh > 0)
    assert.deepEqual(
      mine.map((e) => [e.tenant, e.rank, e.electricityKWh]),
      [
        [nanhai.tenant, 1, 1000],
        [chancheng.tenant, 2, 400],
      ],
    )
    close(mine[0]?.tce, (1000 * 0.1229) / 1000)
    // 0.1229 tce/h × 8760 h ≈ 1077 tce/a: below the 5 000 tce/a designation band
    assert.equal(mine[0]?.keyEnergyUnit, 'none')
    assert.ok(!r.body.enterprises.some((e) => e.tenant === guangzhou.tenant))

    // raw series and assets of an enterprise in its region: 404, not a rollup
    const raw = await p.api('GET', `/api/points/${big.point}/series?from=${day}&to=${day + 3_600_000}`, {
      token: bureau,
    })
    assert.equal(raw.status, 404)
    const asset = await p.api('GET', `/api/assets/${big.asset}`, { token: bureau })
    assert.equal(asset.status, 404)
    const energy = await p.api('GET', `/api/analytics/energy?point=${big.point}&carrier=electricity`, {
      token: bureau,
    })
    assert.equal(energy.status, 404)
    // an enterprise admin may not make such a user, and an enterprise user may not call the rollup
    const mint = await p.api('POST', '/api/users', {
      token: nanhai.token,
      body: { username: 'sneaky', role: 'regional_authority', password: 'Sneaky-Pass-12' },
    })
    assert.equal(mint.status, 403)
    const denied = await p.api('GET', '/api/region/energy', { token: nanhai.token })
    assert.equal(denied.status, 403)
  })

  it('computes OEE of an asset from its state and part-counter points', async () => {
    const day = Date.UTC(2026, 10, 23, 16)
    const at = (m: number): number => day + m * 60_000
    const d = await p.device(ent.token, 'press-07', 'http')
    // a state every 5 minutes: running 0–40, down 40–50, running 50–60 (the last sample holds 5 min)
    const states = [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55].map((m) => ({
      key: 'state',
      ts: at(m),
      value: m === 40 || m === 45 ? 'down' : 'running',
    }))
    // good 100 → 160 → 220 (120 parts), scrap 5 → 11 (6 parts)
    const counters = [
      { key: 'good', ts: at(0), value: 100 },
      { key: 'good', ts: at(30), value: 160 },
      { key: 'good', ts: at(59), value: 220 },
      { key: 'scrap', ts: at(0), value: 5 },
      { key: 'scrap', ts: at(59), value: 11 },
    ]
    const r = await fetch(`${p.baseUrl}/api/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
      body: JSON.stringify([...states, ...counters]),
    })
    assert.equal(r.status, 200, await r.text())
    await p.app.pipeline.drained()
    const a = await p.api<{ id: string }>('POST', '/api/assets', {
      token: ent.token,
      body: { name: 'Press 7', level: 'site' },
    })
    assert.equal(a.status, 201, JSON.stringify(a.body))
    const pts = await p.api<Page<{ id: string; key: string }>>('GET', `/api/points?deviceId=${d.id}`, {
      token: ent.token,
    })
    for (const pt of pts.body.items) {
      const u = await p.api('PATCH', `/api/points/${pt.id}`, {
        token: ent.token,
        body: { assetId: a.body.id },
      })
      assert.equal(u.status, 200, JSON.stringify(u.body))
    }
    const o = await p.api<{
      elements: { pot: number; apt: number; adet: number; pq: number; gq: number }
      kpis: { availability: number; effectiveness: number; qualityRate: number; oee: number }
      pareto: { state: string; duration: number; events: number }[]
    }>('GET', `/api/analytics/oee?equipment=${a.body.id}&from=${at(0)}&to=${at(60)}&idealCycleMs=20000`, {
      token: ent.token,
    })
    assert.equal(o.status, 200, JSON.stringify(o.body))
    assert.equal(o.body.elements.pot, 3_600_000)
    assert.equal(o.body.elements.apt, 50 * 60_000)
    assert.equal(o.body.elements.adet, 10 * 60_000)
    assert.equal(o.body.elements.pq, 126)
    assert.equal(o.body.elements.gq, 120)
    // A = 50/60; P = 126 × 20 s / 50 min = 0.84; Q = 120/126; OEE = 2/3
    close(o.body.kpis.availability, 50 / 60)
    close(o.body.kpis.effectiveness, 0.84)
    close(o.body.kpis.qualityRate, 120 / 126)
    close(o.body.kpis.oee, 2 / 3)
    assert.deepEqual(
      o.body.pareto.map((x) => [x.state, x.duration, x.events]),
      [['down', 10 * 60_000, 1]],
    )
    const foreign = await p.api('GET', `/api/analytics/oee?equipment=${a.body.id}&idealCycleMs=20000`, {
      token: other.token,
    })
    assert.equal(foreign.status, 404)
  })
})
