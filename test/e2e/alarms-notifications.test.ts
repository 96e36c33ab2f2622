import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { ManualClock, type TenantId } from '../../src/core/index.ts'
import {
  type AlarmEvent,
  type AlarmRecord,
  createNotifier,
  type DeliveryRecord,
  type NotificationChannel,
} from '../../src/rules/index.ts'
import { commandExists, needService, tcpReachable } from '../support/services.ts'
import { eventually } from '../support/platform.ts'

const T = 'ten_test' as TenantId
const T0 = Date.UTC(2026, 2, 2, 2, 0, 0) // 10:00 in China

interface Hit {
  path: string
  query: URLSearchParams
  body: Record<string, unknown>
}

/** Answers like the real robot services do: HTTP 200 with their own success / error JSON. */
async function robotReceiver(): Promise<{ server: Server; url: string; hits: Hit[] }> {
  const hits: Hit[] = []
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (c) => {
      raw += c
    })
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x')
      hits.push({ path: u.pathname, query: u.searchParams, body: JSON.parse(raw) })
      const reply =
        u.pathname === '/feishu'
          ? { code: 0, msg: 'success', data: {} }
          : u.pathname === '/dingtalk-bad'
            ? { errcode: 310000, errmsg: 'sign not match' }
            : { errcode: 0, errmsg: 'ok' }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits }
}

function channel(
  id: string,
  kind: NotificationChannel['kind'],
  config: Record<string, unknown>,
  extra: Partial<NotificationChannel> = {},
): NotificationChannel {
  return {
    id,
    kind,
    name: id,
    enabled: true,
    minPriority: 'low',
    escalateAfterMs: null,
    notifyOn: ['raised'],
    dedupeWindowMs: 600_000,
    equipment: [],
    config,
    ...extra,
  } as NotificationChannel
}

const record: AlarmRecord = {
  alarmId: 'vib@ast_1:H',
  ruleId: 'vib@ast_1',
  equipment: 'ast_1',
  state: 'unacknowledged',
  conditionActive: true,
  priority: 'high',
  message: 'CNC-01/vibrationRms above H (7.2 > 6)',
  value: 7.2,
  activeSince: T0,
  acknowledgedBy: null,
  acknowledgedAt: null,
  shelvedUntil: null,
  shelvedBy: null,
  suppressedByDesign: false,
  outOfService: false,
  activations: 1,
  lastChangeAt: T0,
}
const raised: AlarmEvent = {
  alarmId: record.alarmId,
  from: 'normal',
  to: 'unacknowledged',
  at: T0,
  by: 'system',
  why: record.message,
  priority: 'high',
}
const TEXT = [
  '【告警·高】CNC-01/vibrationRms above H (7.2 > 6)',
  '设备 Equipment: 加工中心 (CNC-01)',
  '报警 Alarm: vib@ast_1:H',
  '状态 State: unacknowledged',
  '数值 Value: 7.2',
  '发生时间 Since: 2026-03-02 10:00:00 (UTC+8)',
].join('\n')

function setup(channels: NotificationChannel[], clock = new ManualClock(T0)) {
  const deliveries: Omit<DeliveryRecord, 'seq'>[] = []
  const n = createNotifier({
    clock,
    channelsOf: () => channels,
    record: async (_t, d) => {
      deliveries.push(d)
    },
    describe: () => ({ equipmentName: '加工中心 (CNC-01)', link: null }),
    attempts: 1,
  })
  return { n, deliveries, clock }
}

describe('notifications: the exact messages each service expects, escalation and de-duplication', () => {
  let rx: Awaited<ReturnType<typeof robotReceiver>>
  before(async () => {
    rx = await robotReceiver()
  })
  after(() => rx.server.close())

  it('sends DingTalk, WeCom and Feishu robot messages with their signatures', async () => {
    const dSecret = 'SEC-dingtalk-0123'
    const fSecret = 'feishu-secret-xyz'
    const { n, deliveries, clock } = setup([
      channel('ding', 'dingtalk', {
        url: `${rx.url}/dingtalk?access_token=abc`,
        secret: dSecret,
        mentionMobiles: ['13800000000'],
      }),
      channel('wecom', 'wecom', { url: `${rx.url}/wecom?key=k1`, mentionMobiles: ['13900000000'] }),
      channel('feishu', 'feishu', { url: `${rx.url}/feishu`, secret: fSecret }),
    ])
    clock.set(T0 + 1234)
    n.onTransition(T, raised, record)
    await n.idle()
    assert.deepEqual(deliveries.map((d) => [d.channelId, d.outcome, d.reason]).sort(), [
      ['ding', 'sent', 'raised'],
      ['feishu', 'sent', 'raised'],
      ['wecom', 'sent', 'raised'],
    ])

    const ding = rx.hits.find((h) => h.path === '/dingtalk') as Hit
    assert.equal(ding.query.get('access_token'), 'abc')
    assert.equal(ding.query.get('timestamp'), String(T0 + 1234))
    // DingTalk: base64 HMAC-SHA256 keyed with the secret over "<ms>\n<secret>"
    assert.equal(
      ding.query.get('sign'),
      createHmac('sha256', dSecret)
        .update(`${T0 + 1234}\n${dSecret}`)
        .digest('base64'),
    )
    assert.deepEqual(ding.body, {
      msgtype: 'text',
      text: { content: `${TEXT}\n@13800000000` },
      at: { atMobiles: ['13800000000'], isAtAll: false },
    })

    const wecom = rx.hits.find((h) => h.path === '/wecom') as Hit
    assert.equal(wecom.query.get('key'), 'k1')
    assert.deepEqual(wecom.body, {
      msgtype: 'text',
      text: { content: TEXT, mentioned_mobile_list: ['13900000000'] },
    })

    const feishu = rx.hits.find((h) => h.path === '/feishu') as Hit
    const s = Math.floor((T0 + 1234) / 1000)
    // Feishu: base64 HMAC-SHA256 keyed with "<s>\n<secret>" over an empty message
    assert.deepEqual(feishu.body, {
      timestamp: String(s),
      sign: createHmac('sha256', `${s}\n${fSecret}`).update('').digest('base64'),
      msg_type: 'text',
      content: { text: TEXT },
    })
  })

  it('records a robot that refuses the message as failed, with its error', async () => {
    const { n, deliveries } = setup([
      channel('ding', 'dingtalk', { url: `${rx.url}/dingtalk-bad`, secret: 'x' }),
    ])
    n.onTransition(T, raised, record)
    await n.idle()
    assert.equal(deliveries[0]?.outcome, 'failed')
    assert.equal(deliveries[0]?.error, 'dingtalk refused the message: 310000 sign not match')
  })

  it('escalates once when an alarm stays unacknowledged, and not after it is acknowledged', async () => {
    const before = rx.hits.length
    const { n, deliveries, clock } = setup([
      channel('shift', 'wecom', { url: `${rx.url}/wecom?key=shift` }),
      channel('manager', 'wecom', { url: `${rx.url}/wecom?key=manager` }, { escalateAfterMs: 15 * 60_000 }),
    ])
    n.onTransition(T, raised, record)
    n.tick(clock.advance(14 * 60_000))
    await n.idle()
    assert.deepEqual(
      deliveries.map((d) => [d.channelId, d.reason]),
      [['shift', 'raised']],
    )
    n.tick(clock.advance(60_000))
    n.tick(clock.advance(60_000))
    await n.idle()
    assert.deepEqual(
      deliveries.map((d) => [d.channelId, d.reason]),
      [
        ['shift', 'raised'],
        ['manager', 'escalated'],
      ],
    )
    const esc = rx.hits.slice(before).find((h) => h.query.get('key') === 'manager') as Hit
    assert.match(String((esc.body.text as { content: string }).content), /^【告警升级·高】/)
    assert.match(String((esc.body.text as { content: string }).content), /Unacknowledged for: 15 min$/)

    // a second alarm, acknowledged in time, is never escalated
    const other = { ...record, alarmId: 'temp@ast_1:H' }
    n.onTransition(T, { ...raised, alarmId: other.alarmId, at: clock.now() }, other)
    clock.advance(5 * 60_000)
    n.onTransition(
      T,
      {
        ...raised,
        alarmId: other.alarmId,
        from: 'unacknowledged',
        to: 'acknowledged',
        by: 'op',
        at: clock.now(),
      },
      { ...other, state: 'acknowledged' },
    )
    n.tick(clock.advance(60 * 60_000))
    await n.idle()
    assert.equal(deliveries.filter((d) => d.channelId === 'manager').length, 1)
    assert.equal(n.pendingCount(), 1) // the first alarm, still unacknowledged
  })

  it('announces a chattering alarm once per de-duplication window', async () => {
    const { n, deliveries, clock } = setup([
      channel('shift', 'wecom', { url: `${rx.url}/wecom?key=d` }, { dedupeWindowMs: 10 * 60_000 }),
    ])
    const cleared = { ...raised, from: 'unacknowledged', to: 'rtn-unacknowledged' } as const
    for (let i = 0; i < 3; i++) {
      n.onTransition(T, { ...raised, at: clock.now() }, record)
      n.onTransition(T, { ...cleared, at: clock.advance(60_000) }, { ...record, state: 'rtn-unacknowledged' })
      clock.advance(60_000)
    }
    clock.advance(10 * 60_000)
    n.onTransition(T, { ...raised, at: clock.now() }, record)
    await n.idle()
    // raised at 0, 2 and 4 min: the first is sent, the others fall in its window; 16 min is sent again
    assert.deepEqual(
      deliveries.map((d) => [d.at - T0, d.outcome]).sort((a, b) => Number(a[0]) - Number(b[0])),
      [
        [0, 'sent'],
        [120_000, 'deduplicated'],
        [240_000, 'deduplicated'],
        [960_000, 'sent'],
      ],
    )
  })

  describe('e-mail over SMTP to a real peer (Python smtpd)', () => {
    let py: ChildProcess | null = null
    let port = 0
    let out = ''
    let skip: string | undefined
    before(async () => {
      skip = await needService('python3 with the smtpd module', commandExists('python3'))
      if (skip) return
      port = 20000 + (process.pid % 20000)
      // a minimal SMTP sink: prints each message as one JSON line (smtpd ships with Python ≤ 3.11)
      const script = [
        'import smtpd, asyncore, json, sys, warnings',
        'class S(smtpd.SMTPServer):',
        '    def process_message(self, peer, mailfrom, rcpttos, data, **kw):',
        '        print(json.dumps({"from": mailfrom, "to": rcpttos, "data": data.decode("utf-8")}), flush=True)',
        `S(("127.0.0.1", ${port}), None, decode_data=False)`,
        'print("ready", flush=True)',
        'asyncore.loop()',
      ].join('\n')
      py = spawn('python3', ['-W', 'ignore', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] })
      py.stdout?.on('data', (c) => {
        out += c
      })
      let err = ''
      py.stderr?.on('data', (c) => {
        err += c
      })
      const up = await eventually(async () => out.includes('ready') || err.length > 0, 5000, 'smtpd').catch(
        () => false,
      )
      skip = await needService(
        'python3 smtpd (removed in Python 3.12)',
        up === true && err === '' && tcpReachable('127.0.0.1', port),
      )
    })
    after(() => py?.kill())

    it('delivers the alarm as a UTF-8 e-mail to every recipient', async (t) => {
      if (skip) return t.skip(skip)
      const { n, deliveries } = setup([
        channel('mail', 'email', {
          host: '127.0.0.1',
          port,
          from: 'Ronghe 告警 <alarms@ronghe.local>',
          to: ['maint@factory.local', '王工 <wang@factory.local>'],
        }),
      ])
      n.onTransition(T, raised, record)
      await n.idle()
      assert.equal(deliveries[0]?.outcome, 'sent', deliveries[0]?.error ?? '')
      const line = await eventually(async () => out.split('\n').find((l) => l.startsWith('{')), 5000, 'mail')
      const mail = JSON.parse(line) as { from: string; to: string[]; data: string }
      assert.equal(mail.from, 'alarms@ronghe.local')
      assert.deepEqual(mail.to, ['maint@factory.local', 'wang@factory.local'])
      const [head, body] = mail.data.split(/\r?\n\r?\n/) as [string, string]
      const subject = /^Subject: =\?UTF-8\?B\?([^?]+)\?=$/m.exec(head)?.[1] as string
      assert.equal(
        Buffer.from(subject, 'base64').toString('utf8'),
        '[Ronghe 告警/high] 加工中心 (CNC-01) CNC-01/vibrationRms above H (7.2 > 6)',
      )
      assert.match(head, /^Content-Type: text\/plain; charset=utf-8$/m)
      assert.equal(
        Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8'),
        TEXT.replace(/\n/g, '\r\n'),
      )
    })
  })
})
