import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { connect, type MqttClient } from 'mqtt'
import WebSocket from 'ws'
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.ts'

interface Alarm {
  alarmId: string
  state: string
  equipment: string | null
  priority: string
  acknowledgedBy: string | null
  conditionActive: boolean
  activeSince: number | null
}
interface AlarmEvent {
  alarmId: string
  from: string
  to: string
  at: number
  by: string
  why: string
}
interface Received {
  url: string
  headers: IncomingHttpHeaders
  body: string
}

/** A local HTTP receiver standing in for a webhook consumer; records every request. */
async function receiver(): Promise<{ server: Server; url: string; got: Received[] }> {
  const got: Received[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      got.push({ url: req.url ?? '', headers: req.headers, body })
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got }
}

function mqttConnect(
  url: string,
  o: { username: string; password: string; clientId: string },
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = connect(url, { ...o, reconnectPeriod: 0, connectTimeout: 5000 })
    c.once('connect', () => resolve(c))
    c.once('error', reject)
  })
}

describe('alarms on the platform: a device publishes, rules raise alarms, people handle them', () => {
  let p: TestPlatform
  let ent: { tenant: string; token: string }
  let hook: Awaited<ReturnType<typeof receiver>>
  const clients: MqttClient[] = []

  before(async () => {
    p = await startTestPlatform()
    ent = await p.enterprise('佛山报警示范')
    hook = await receiver()
  })
  after(async () => {
    for (const c of clients) await c.endAsync()
    hook.server.close()
    await p.stop()
  })

  async function device(key: string, assetId?: string) {
    const d = await p.device(ent.token, key)
    if (assetId !== undefined) {
      const r = await p.api('PATCH', `/api/devices/${d.id}`, { token: ent.token, body: { assetId } })
      assert.equal(r.status, 200, JSON.stringify(r.body))
    }
    const c = await mqttConnect(p.mqttUrl, { username: d.username, password: d.password, clientId: key })
    clients.push(c)
    return {
      ...d,
      publish: async (ts: number, values: Record<string, number | string>) => {
        await c.publishAsync(`ronghe/${ent.tenant}/${key}/data`, JSON.stringify({ ts, values }), { qos: 1 })
        // acknowledged means durable; evaluation follows on the bus
        await p.app.pipeline.drained()
        await p.app.rules.idle()
      },
    }
  }

  async function alarm(id: string): Promise<Alarm | undefined> {
    const r = await p.api<{ items: Alarm[] }>('GET', '/api/alarms', { token: ent.token })
    return r.body.items.find((a) => a.alarmId === id)
  }

  it('raises a limit alarm from MQTT data, signs the webhook, is acknowledged by an operator and returns to normal', async () => {
    const secret = 'hook-secret-1'
    const ch = await p.api('PUT', '/api/notification-channels/hook', {
      token: ent.token,
      body: {
        kind: 'webhook',
        name: 'MES',
        config: { url: `${hook.url}/alarms`, secret },
        notifyOn: ['cleared'],
      },
    })
    assert.equal(ch.status, 200, JSON.stringify(ch.body))
    assert.equal((ch.body as { config: { secret: string } }).config.secret, '***')

    const press = await device('press-01')
    // device time is the time of record: publish "now" so operator actions (server time) interleave in order
    const t0 = Date.now()
    await press.publish(t0, { temperature: 50 })
    const rule = await p.api<{ id: string; definition: { point: string } }>('POST', '/api/rules', {
      token: ent.token,
      body: {
        id: 'temp-high',
        kind: 'limit',
        point: 'press-01/temperature',
        h: 80,
        deadband: 5,
        priority: 'high',
      },
    })
    assert.equal(rule.status, 201, JSON.stringify(rule.body))

    const ws = new WebSocket(`${p.baseUrl.replace('http', 'ws')}/api/alarms/live?token=${ent.token}`)
    const live: { type: string; event?: AlarmEvent }[] = []
    ws.on('message', (m) => live.push(JSON.parse(String(m))))
    await eventually(async () => live.some((m) => m.type === 'ready'), 5000, 'alarm stream ready')

    const tRaise = Date.now()
    await press.publish(tRaise, { temperature: 85 })
    const raised = await alarm('temp-high:H')
    assert.equal(raised?.state, 'unacknowledged')
    assert.equal(raised?.activeSince, tRaise)
    assert.equal(raised?.priority, 'high')
    const overview = await p.api<{ activeAlarms: number }>('GET', '/api/overview', { token: ent.token })
    assert.equal(overview.body.activeAlarms, 1)

    // the webhook: our JSON, signed over "<timestamp>.<body>"
    const msg = await eventually(async () => hook.got.find((g) => g.url === '/alarms'), 5000, 'webhook')
    const ts = String(msg.headers['x-ronghe-timestamp'])
    assert.equal(
      msg.headers['x-ronghe-signature'],
      `sha256=${createHmac('sha256', secret).update(`${ts}.${msg.body}`).digest('hex')}`,
    )
    assert.equal(msg.headers['x-ronghe-event'], 'alarm.raised')
    const body = JSON.parse(msg.body)
    assert.equal(body.type, 'alarm.notification')
    assert.equal(body.reason, 'raised')
    assert.equal(body.tenant, ent.tenant)
    assert.deepEqual(
      { id: body.alarm.id, priority: body.alarm.priority, state: body.alarm.state, value: body.alarm.value },
      { id: 'temp-high:H', priority: 'high', state: 'unacknowledged', value: 85 },
    )

    // an operator may acknowledge; a viewer may not
    const users = [
      ['op-1', 'operator'],
      ['view-1', 'viewer'],
    ] as const
    const tokens: Record<string, string> = {}
    for (const [username, role] of users) {
      const u = await p.api('POST', '/api/users', {
        token: ent.token,
        body: { username: `${username}-${ent.tenant}`, role, password: 'Operator-Pass-1' },
      })
      assert.equal(u.status, 201, JSON.stringify(u.body))
      const l = await p.api<{ token: string }>('POST', '/api/auth/login', {
        body: { username: `${username}-${ent.tenant}`, password: 'Operator-Pass-1' },
      })
      tokens[role] = l.body.token
    }
    const denied = await p.api('POST', `/api/alarms/${encodeURIComponent('temp-high:H')}/acknowledge`, {
      token: tokens.viewer,
      body: {},
    })
    assert.equal(denied.status, 403)
    const ack = await p.api<Alarm>('POST', `/api/alarms/${encodeURIComponent('temp-high:H')}/acknowledge`, {
      token: tokens.operator,
      body: { reason: 'seen, cooling water checked' },
    })
    assert.equal(ack.status, 200, JSON.stringify(ack.body))
    assert.equal(ack.body.state, 'acknowledged')
    assert.equal(ack.body.acknowledgedBy, `op-1-${ent.tenant}`)

    // inside the deadband (80 − 5) the alarm stands; below it the alarm clears
    await press.publish(Date.now(), { temperature: 77 })
    assert.equal((await alarm('temp-high:H'))?.state, 'acknowledged')
    const tClear = Date.now()
    await press.publish(tClear, { temperature: 70 })
    assert.equal((await alarm('temp-high:H'))?.state, 'normal')

    const hist = await p.api<{ items: AlarmEvent[]; total: number }>(
      'GET',
      `/api/alarm-events?alarmId=${encodeURIComponent('temp-high:H')}&order=asc`,
      { token: ent.token },
    )
    assert.equal(hist.body.total, 3)
    assert.deepEqual(
      hist.body.items.map((e) => [e.from, e.to, e.at, e.by]),
      [
        ['normal', 'unacknowledged', tRaise, 'system'],
        ['unacknowledged', 'acknowledged', hist.body.items[1]?.at, `op-1-${ent.tenant}`],
        ['acknowledged', 'normal', tClear, 'system'],
      ],
    )
    assert.equal(hist.body.items[1]?.why, 'seen, cooling water checked')
    await eventually(
      async () => live.filter((m) => m.type === 'alarm').length === 3,
      5000,
      'three live events',
    )
    assert.deepEqual(
      live.filter((m) => m.type === 'alarm').map((m) => m.event?.to),
      ['unacknowledged', 'acknowledged', 'normal'],
    )
    ws.close()
    // the channel also announces the return to normal
    await eventually(
      async () => hook.got.some((g) => JSON.parse(g.body).reason === 'cleared'),
      5000,
      'cleared',
    )

    // the preview over stored history raises and clears at the same times as live evaluation did
    const prev = await p.api<{
      episodes: { conditionId: string; raisedAt: number; clearedAt: number | null }[]
    }>('POST', '/api/rules/preview', {
      token: ent.token,
      body: { ruleIds: ['temp-high'], from: t0 - 1000, to: Date.now() + 1000 },
    })
    assert.equal(prev.status, 200, JSON.stringify(prev.body))
    assert.deepEqual(
      prev.body.episodes.map((e) => [e.conditionId, e.raisedAt, e.clearedAt]),
      [['temp-high:H', tRaise, tClear]],
    )

    const kpis = await p.api<{ annunciated: number; topFrequent: { alarmId: string; count: number }[] }>(
      'GET',
      `/api/alarm-kpis?from=${t0 - 60_000}&to=${Date.now() + 1000}`,
      { token: ent.token },
    )
    assert.equal(kpis.body.annunciated, 1)
    assert.deepEqual(kpis.body.topFrequent[0], { alarmId: 'temp-high:H', count: 1, share: 1 })
  })

  it('applies a template to every machine of a type and follows an alarm through a work order to MTTR', async () => {
    const machines: { id: string }[] = []
    for (const code of ['CNC-01', 'CNC-02']) {
      const a = await p.api<{ id: string }>('POST', '/api/assets', {
        token: ent.token,
        body: {
          level: 'equipment',
          name: `加工中心 ${code}`,
          code,
          attributes: { kind: 'cnc', ratedCurrent: 10 },
        },
      })
      assert.equal(a.status, 201, JSON.stringify(a.body))
      machines.push(a.body)
    }
    const [m1, m2] = machines as [{ id: string }, { id: string }]
    const d1 = await device('cnc-01', m1.id)
    const d2 = await device('cnc-02', m2.id)
    const t0 = Date.now() - 30_000
    await d1.publish(t0, { current: 9, state: 1 })
    await d2.publish(t0, { current: 9, state: 1 })

    const tpl = await p.api<{ ruleIds: string[]; skipped: unknown[] }>(
      'PUT',
      '/api/rule-templates/cnc-overload',
      {
        token: ent.token,
        body: {
          equipmentType: 'cnc',
          variables: ['current', 'state'],
          rules: [
            {
              id: 'overload',
              kind: 'expression',
              expression: 'current > 1.2 * ratedCurrent && state == 1',
              priority: 'high',
            },
          ],
        },
      },
    )
    assert.equal(tpl.status, 200, JSON.stringify(tpl.body))
    assert.deepEqual(tpl.body.ruleIds.sort(), [`overload@${m1.id}`, `overload@${m2.id}`].sort())
    const managed = await p.api('DELETE', `/api/rules/${encodeURIComponent(`overload@${m1.id}`)}`, {
      token: ent.token,
    })
    assert.equal(managed.status, 409)

    // 12.5 A > 1.2 × 10 A on CNC-02 only
    await d1.publish(t0 + 1000, { current: 11.5, state: 1 })
    await d2.publish(t0 + 1000, { current: 12.5, state: 1 })
    const id = `overload@${m2.id}`
    const a = await alarm(id)
    assert.equal(a?.state, 'unacknowledged')
    assert.equal(a?.equipment, m2.id)
    assert.equal(await alarm(`overload@${m1.id}`), undefined)

    // shelving needs a reason and expires; out of service too
    const noReason = await p.api('POST', `/api/alarms/${encodeURIComponent(id)}/shelve`, {
      token: ent.token,
      body: { durationMs: 60_000 },
    })
    assert.equal(noReason.status, 400)
    const shelved = await p.api<Alarm>('POST', `/api/alarms/${encodeURIComponent(id)}/shelve`, {
      token: ent.token,
      body: { durationMs: 60_000, reason: 'known: spindle being re-balanced' },
    })
    assert.equal(shelved.body.state, 'shelved')
    const unshelved = await p.api<Alarm>('POST', `/api/alarms/${encodeURIComponent(id)}/unshelve`, {
      token: ent.token,
      body: {},
    })
    assert.equal(unshelved.body.state, 'unacknowledged')

    const wo = await p.api<{
      id: string
      equipment: string
      failedAt: number
      status: string
      failure: boolean
    }>('POST', '/api/work-orders', { token: ent.token, body: { alarmId: id } })
    assert.equal(wo.status, 201, JSON.stringify(wo.body))
    assert.deepEqual(
      [wo.body.equipment, wo.body.failedAt, wo.body.status, wo.body.failure],
      [m2.id, t0 + 1000, 'open', true],
    )
    const base = `/api/work-orders/${wo.body.id}`
    assert.equal(
      (
        await p.api<{ status: string }>('POST', `${base}/assign`, {
          token: ent.token,
          body: { assignee: '王师傅' },
        })
      ).body.status,
      'assigned',
    )
    assert.equal(
      (
        await p.api('POST', `${base}/comments`, {
          token: ent.token,
          body: { text: '主轴电流偏高，检查刀具' },
        })
      ).status,
      201,
    )
    const notClosed = await p.api('POST', `${base}/close`, { token: ent.token, body: { cause: 'worn tool' } })
    assert.equal(notClosed.status, 400)
    const closed = await p.api<{ status: string; closedAt: number; cause: string }>('POST', `${base}/close`, {
      token: ent.token,
      body: { cause: 'worn tool', action: 'tool changed, current back to 9 A' },
    })
    assert.equal(closed.body.status, 'closed')
    const detail = await p.api<{ events: { kind: string; text: string }[] }>('GET', base, {
      token: ent.token,
    })
    assert.deepEqual(
      detail.body.events.map((e) => e.kind),
      ['opened', 'assigned', 'comment', 'closed'],
    )
    const history = await p.api<{ items: { id: string }[] }>('GET', `/api/work-orders?equipment=${m2.id}`, {
      token: ent.token,
    })
    assert.deepEqual(
      history.body.items.map((o) => o.id),
      [wo.body.id],
    )
    const rel = await p.api<{ failures: number; mttrMs: number; totalRepairMs: number }>(
      'GET',
      `/api/maintenance/reliability?equipment=${m2.id}&from=${t0 - 1000}&to=${closed.body.closedAt + 1}`,
      { token: ent.token },
    )
    assert.equal(rel.body.failures, 1)
    assert.equal(rel.body.mttrMs, closed.body.closedAt - (t0 + 1000))
  })

  it('raises an alarm when a measured value leaves statistical control (SPC run rules on the stream)', async () => {
    const gauge = await device('gauge-01')
    const t0 = Date.now() - 60_000
    // baseline of the bore diameter: centre 25.00 mm, σ 0.01 mm (what the SPC page computes)
    const rule = await p.api('POST', '/api/rules', {
      token: ent.token,
      body: { id: 'bore-spc', kind: 'spc', point: 'gauge-01/bore', center: 25, sigma: 0.01, clearAfter: 3 },
    })
    assert.equal(rule.status, 201, JSON.stringify(rule.body))
    const bad = await p.api<{ error: { code: string } }>('POST', '/api/rules', {
      token: ent.token,
      body: { id: 'bore-spc-2', kind: 'spc', point: 'gauge-01/bore', center: 25, sigma: 0 },
    })
    assert.equal(bad.status, 422)
    assert.equal(bad.body.error.code, 'RULES_DEFINITION_INVALID')
    const values = [25.004, 24.997, 25.002, 24.999, 25.035, 25.001, 24.998, 25.003]
    for (const [i, v] of values.entries()) await gauge.publish(t0 + i * 1000, { bore: v })
    const events = await p.api<{
      items: { from: string; to: string; at: number; why: string; value: number }[]
    }>('GET', `/api/alarm-events?alarmId=bore-spc&order=asc`, { token: ent.token })
    assert.deepEqual(
      events.body.items.map((e) => [e.from, e.to, e.at - t0]),
      [
        ['normal', 'unacknowledged', 4000], // 25.035 is 3.5σ above the centre (Western Electric 1)
        ['unacknowledged', 'rtn-unacknowledged', 7000], // the third in-control value after it
      ],
    )
    const raised = events.body.items[0]
    assert.equal(raised?.value, 25.035)
    assert.match(raised?.why ?? '', /WE 1/, 'the raise names the run rule')
  })
})
