import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestPlatform, type TestPlatform } from '../support/platform.ts'

interface Pareto {
  state: string
  reason: string
  duration: number
  events: number
}
interface OeeBody {
  pareto: Pareto[]
  lossIntervals: { start: number; end: number; state: string; reason: string | null }[]
}

describe('downtime reason codes', () => {
  let p: TestPlatform
  let ent: { tenant: string; token: string }
  let other: { tenant: string; token: string }
  let equipment = ''
  let operator = ''
  let viewer = ''
  const day = Date.UTC(2026, 10, 24, 16)
  const at = (m: number): number => day + m * 60_000
  const oee = (token: string) =>
    p.api<OeeBody>(
      'GET',
      `/api/analytics/oee?equipment=${equipment}&from=${at(0)}&to=${at(60)}&idealCycleMs=20000`,
      { token },
    )
  const key = async (role: string): Promise<string> => {
    const k = await p.api<{ key: string }>('POST', '/api/api-keys', {
      token: ent.token,
      body: { name: `downtime ${role}`, role },
    })
    assert.equal(k.status, 201, JSON.stringify(k.body))
    return k.body.key
  }

  before(async () => {
    p = await startTestPlatform()
    ent = await p.enterprise('Shunde Moulding')
    other = await p.enterprise('Elsewhere Moulding')
    const d = await p.device(ent.token, 'moulder-01', 'http')
    // running 0–20, down 20–35, running 35–45, setup 45–50, running 50–60 (samples every 5 min)
    const stateAt = (m: number): string =>
      m >= 20 && m < 35 ? 'down' : m >= 45 && m < 50 ? 'setup' : 'running'
    const states = Array.from({ length: 12 }, (_, i) => ({
      key: 'state',
      ts: at(i * 5),
      value: stateAt(i * 5),
    }))
    const r = await fetch(`${p.baseUrl}/api/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(states),
    })
    assert.equal(r.status, 200, await r.text())
    await p.app.pipeline.drained()
    const a = await p.api<{ id: string }>('POST', '/api/assets', {
      token: ent.token,
      body: { name: 'Moulder 1', level: 'site' },
    })
    equipment = a.body.id
    const pts = await p.api<{ items: { id: string }[] }>('GET', `/api/points?deviceId=${d.id}`, {
      token: ent.token,
    })
    for (const pt of pts.body.items) {
      const u = await p.api('PATCH', `/api/points/${pt.id}`, {
        token: ent.token,
        body: { assetId: equipment },
      })
      assert.equal(u.status, 200)
    }
    operator = await key('operator')
    viewer = await key('viewer')
  })
  after(async () => p.stop())

  it('starts every enterprise with the built-in catalogue and lets an engineer add a code', async () => {
    const r = await p.api<{ items: { code: string; label: { 'zh-CN': string } }[] }>(
      'GET',
      '/api/downtime-reasons',
      { token: viewer },
    )
    assert.equal(r.status, 200)
    assert.deepEqual(
      r.body.items.slice(0, 5).map((x) => [x.code, x.label['zh-CN']]),
      [
        ['setup', '换模换线'],
        ['breakdown', '设备故障'],
        ['no-material', '待料'],
        ['planned-stop', '计划停机'],
        ['quality', '质量问题'],
      ],
    )
    const denied = await p.api('POST', '/api/downtime-reasons', {
      token: operator,
      body: { code: 'mould-change', label: { 'zh-CN': '换模具', en: 'Mould change' } },
    })
    assert.equal(denied.status, 403)
    const added = await p.api('POST', '/api/downtime-reasons', {
      token: ent.token,
      body: { code: 'mould-change', label: { 'zh-CN': '换模具', en: 'Mould change' } },
    })
    assert.equal(added.status, 201, JSON.stringify(added.body))
    const again = await p.api('POST', '/api/downtime-reasons', {
      token: ent.token,
      body: { code: 'mould-change', label: { 'zh-CN': '换模具', en: 'Mould change' } },
    })
    assert.equal(again.status, 409)
    // another enterprise's catalogue does not have it
    const theirs = await p.api<{ items: { code: string }[] }>('GET', '/api/downtime-reasons', {
      token: other.token,
    })
    assert.equal(
      theirs.body.items.some((x) => x.code === 'mould-change'),
      false,
    )
  })

  it('moves loss time from unassigned to the reason an operator assigns, audited', async () => {
    const before = await oee(operator)
    assert.equal(before.status, 200, JSON.stringify(before.body))
    assert.deepEqual(
      before.body.lossIntervals.map((x) => [x.start, x.end, x.state, x.reason]),
      [
        [at(20), at(35), 'down', null],
        [at(45), at(50), 'setup', null],
      ],
    )
    assert.deepEqual(
      before.body.pareto.map((x) => [x.state, x.reason, x.duration]),
      [
        ['down', 'unassigned', 15 * 60_000],
        ['setup', 'unassigned', 5 * 60_000],
      ],
    )
    const a = await p.api('POST', '/api/downtime-assignments', {
      token: operator,
      body: { equipment, start: at(20), end: at(35), reason: 'breakdown' },
    })
    assert.equal(a.status, 201, JSON.stringify(a.body))
    const b = await p.api('POST', '/api/downtime-assignments', {
      token: operator,
      body: { equipment, start: at(45), end: at(50), reason: 'mould-change' },
    })
    assert.equal(b.status, 201, JSON.stringify(b.body))
    const after = await oee(viewer)
    assert.deepEqual(
      after.body.pareto.map((x) => [x.state, x.reason, x.duration, x.events]),
      [
        ['down', 'breakdown', 15 * 60_000, 1],
        ['setup', 'mould-change', 5 * 60_000, 1],
      ],
    )
    assert.deepEqual(
      after.body.lossIntervals.map((x) => x.reason),
      ['breakdown', 'mould-change'],
    )
    // a correction (same start) replaces the earlier reason
    const fix = await p.api('POST', '/api/downtime-assignments', {
      token: operator,
      body: { equipment, start: at(20), end: at(35), reason: 'no-material' },
    })
    assert.equal(fix.status, 201)
    const list = await p.api<{ items: { start: number; reason: string }[] }>(
      'GET',
      `/api/downtime-assignments?equipment=${equipment}&from=${at(0)}&to=${at(60)}`,
      { token: viewer },
    )
    assert.deepEqual(
      list.body.items.map((x) => [x.start, x.reason]),
      [
        [at(20), 'no-material'],
        [at(45), 'mould-change'],
      ],
    )
    const audit = await p.api<{ items: { action: string; target: string; details: { reason: string } }[] }>(
      'GET',
      '/api/audit?action=downtime.assign',
      { token: ent.token },
    )
    assert.equal(audit.status, 200, JSON.stringify(audit.body))
    assert.deepEqual(audit.body.items.map((x) => x.details.reason).sort(), [
      'breakdown',
      'mould-change',
      'no-material',
    ])
  })

  it('refuses viewers, unknown codes, backwards intervals and other tenants’ equipment', async () => {
    const body = { equipment, start: at(20), end: at(35), reason: 'breakdown' }
    const v = await p.api<{ error: { code: string } }>('POST', '/api/downtime-assignments', {
      token: viewer,
      body,
    })
    assert.equal(v.status, 403)
    assert.equal(v.body.error.code, 'AUTH_FORBIDDEN')
    const unknown = await p.api<{ error: { code: string } }>('POST', '/api/downtime-assignments', {
      token: operator,
      body: { ...body, reason: 'gremlins' },
    })
    assert.equal(unknown.status, 400)
    assert.equal(unknown.body.error.code, 'VALIDATION_FAILED')
    const backwards = await p.api('POST', '/api/downtime-assignments', {
      token: operator,
      body: { ...body, start: at(35), end: at(20) },
    })
    assert.equal(backwards.status, 400)
    const foreign = await p.api('POST', '/api/downtime-assignments', { token: other.token, body })
    assert.equal(foreign.status, 404)
    const foreignRead = await p.api(
      'GET',
      `/api/downtime-assignments?equipment=${equipment}&from=${at(0)}&to=${at(60)}`,
      { token: other.token },
    )
    assert.equal(foreignRead.status, 404)
    // nothing the refused calls sent changed the figures
    const o = await oee(viewer)
    assert.deepEqual(
      o.body.pareto.map((x) => x.reason),
      ['no-material', 'mould-change'],
    )
  })
})
