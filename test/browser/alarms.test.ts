// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright locators, not DOM nodes
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect, type MqttClient } from 'mqtt'
import type { Page } from 'playwright-core'
import { openTestBrowser, type TestBrowser } from '../support/browser.ts'
import { ADMIN_PASSWORD, eventually, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { commandExists, needService } from '../support/services.ts'

const root = new URL('../..', import.meta.url).pathname
const shots = join(root, 'test-results', 'alarms')
const skip = await needService('chromium', commandExists('chromium'))
const MIN = 60_000
const ALARM = 'temp-high:H'

function mqttConnect(
  url: string,
  o: { username: string; password: string; clientId: string },
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = connect(url, { ...o, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 5 })
    c.once('connect', () => resolve(c))
    c.once('error', reject)
  })
}

describe('alarm pages of the web console in headless Chromium', { skip }, () => {
  let p: TestPlatform
  let page: Page
  let testBrowser: TestBrowser | undefined
  let tenant: string
  let mqtt: MqttClient
  /** when the historical excursion above 80 began and ended (3 h of minute samples) */
  let spike: { from: number; to: number }
  const problems: string[] = []

  const publish = async (values: Record<string, number>): Promise<void> => {
    await mqtt.publishAsync(`ronghe/${tenant}/press-01/data`, JSON.stringify({ ts: Date.now(), values }), {
      qos: 1,
    })
    await p.app.pipeline.drained()
    await p.app.rules.idle()
  }

  before(async () => {
    const b = spawnSync(process.execPath, [join(root, 'web', 'ensure-built.mjs')], { stdio: 'inherit' })
    assert.equal(b.status, 0, 'the console builds')
    rmSync(shots, { recursive: true, force: true })
    mkdirSync(shots, { recursive: true })

    p = await startTestPlatform()
    const ent = await p.enterprise('佛山精密压铸有限公司')
    tenant = ent.tenant
    const device = await p.device(ent.token, 'press-01')
    mqtt = await mqttConnect(p.mqttUrl, {
      username: device.username,
      password: device.password,
      clientId: 'press-01',
    })
    // three hours of history at one sample a minute: 60 °C, with 85 °C from 120 to 110 minutes ago
    const now = Date.now()
    const start = now - 180 * MIN
    spike = { from: now - 120 * MIN, to: now - 110 * MIN }
    const samples = Array.from({ length: 179 }, (_, i) => {
      const ts = start + i * MIN
      return { key: 'temperature', ts, value: ts >= spike.from && ts < spike.to ? 85 : 60 }
    })
    const r = await fetch(`${p.baseUrl}/api/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${device.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(samples),
    })
    assert.equal(r.status, 200)
    await p.app.pipeline.drained()

    testBrowser = await openTestBrowser(problems)
    page = testBrowser.page
  })

  after(async () => {
    mqtt?.end(true)
    await testBrowser?.close()
    await p?.stop()
  })

  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
  const menu = (label: string) => page.locator('[data-testid=main-menu]').getByText(label, { exact: true })

  it('signs in, picks the enterprise and shows an empty active alarm list', async () => {
    await page.goto(`${p.baseUrl}/`)
    await page.waitForURL('**/login')
    await page.locator('#username').fill('admin')
    await page.locator('#password').fill(ADMIN_PASSWORD)
    await page.locator('[data-testid=login-submit]').click()
    await page.waitForURL('**/overview')
    await page.locator('[data-testid=tenant-switcher]').click()
    await page.locator('.ant-select-item-option').filter({ hasText: '佛山精密压铸有限公司' }).click()
    await page.locator('[data-testid=overview-page]').waitFor()
    await menu('活动报警').click()
    await page.locator('[data-testid=active-alarms-page]').getByText('当前没有活动报警').waitFor()
    await page.locator('[data-testid=alarm-live]').getByText('实时连接').waitFor()
  })

  it('creates a limit rule in the editor and previews the historical excursion on the chart', async () => {
    await menu('报警规则').click()
    await page.locator('[data-testid=rule-editor-page]').getByText('还没有规则').waitFor()
    await page.locator('#rule-id').fill('temp-high')
    await page.locator('#rule-name').fill('压铸机温度高')
    await page.locator('#rule-point').fill('press-01/temperature')
    await page.locator('#rule-h').fill('80')
    await page.locator('#rule-deadband').fill('5')
    await page.locator('[data-testid=rule-preview]').click()
    await page.locator('[data-testid=preview-count]').getByText('最近 7 天将触发 1 次').waitFor()
    const episodes = page.locator('[data-testid=preview-episode]')
    assert.equal(await episodes.count(), 1)
    assert.match(await episodes.first().innerText(), /temp-high:H/)
    await page.locator('[data-testid=rule-preview-result] [data-chart=ready]').waitFor()
    await page.waitForTimeout(300)
    await shot('rule-preview')
    // the API's own answer on the same rule: raised at the first sample above 80, cleared at the first ≤ 75
    const pr = await p.api<{ episodes: { raisedAt: number; clearedAt: number | null }[] }>(
      'POST',
      '/api/rules/preview',
      {
        token: p.adminToken,
        tenant,
        body: {
          ruleIds: [] as string[],
          rules: [{ id: 'x', kind: 'limit', point: 'press-01/temperature', h: 80, deadband: 5 }],
        },
      },
    )
    assert.equal(pr.status, 200, JSON.stringify(pr.body))
    assert.deepEqual(
      pr.body.episodes.map((e) => [e.raisedAt, e.clearedAt]),
      [[spike.from, spike.to]],
    )
    await page.locator('[data-testid=rule-save]').click()
    await page.locator('[data-rule=temp-high]').waitFor()
    const rule = await p.api<{ definition: Record<string, unknown> }>('GET', '/api/rules/temp-high', {
      token: p.adminToken,
      tenant,
    })
    assert.equal(rule.status, 200)
    assert.deepEqual(
      {
        point: rule.body.definition.point,
        h: rule.body.definition.h,
        deadband: rule.body.definition.deadband,
      },
      { point: 'press-01/temperature', h: 80, deadband: 5 },
    )
  })

  it('shows the alarm live when the device publishes a violating value, and acknowledges it', async () => {
    await menu('活动报警').click()
    await page.locator('[data-testid=alarm-live]').getByText('实时连接').waitFor()
    await publish({ temperature: 86.5 })
    // no reload: the row arrives over the alarm WebSocket
    const row = page.locator(`[data-alarm="${ALARM}"]`)
    await row.waitFor()
    assert.equal(await row.getAttribute('data-alarm-state'), 'unacknowledged')
    assert.match(await row.innerText(), /86\.5/)
    assert.match(await row.innerText(), /未确认/)
    await shot('active-alarm')
    await row.locator('[data-testid=ack]').click()
    await page.locator(`[data-alarm="${ALARM}"][data-alarm-state=acknowledged]`).waitFor()
    const a = await p.api<{ alarm: { state: string; acknowledgedBy: string } }>(
      'GET',
      `/api/alarms/${encodeURIComponent(ALARM)}`,
      { token: p.adminToken, tenant },
    )
    assert.equal(a.body.alarm.state, 'acknowledged')
    assert.equal(a.body.alarm.acknowledgedBy, 'admin')
    await shot('active-alarm-acknowledged')
  })

  it('lists the transitions in the history and filters them by state', async () => {
    await menu('报警历史').click()
    await page.locator(`[data-event="${ALARM}>unacknowledged"]`).waitFor()
    await page.locator(`[data-event="${ALARM}>acknowledged"]`).waitFor()
    assert.equal(await page.locator('[data-testid=alarm-history-page] .ant-table-row').count(), 2)
    await page.locator('[data-testid=filter-state]').click()
    await page.locator('.ant-select-item-option').filter({ hasText: '已确认' }).first().click()
    await page.keyboard.press('Escape')
    await eventually(
      async () => (await page.locator('[data-testid=alarm-history-page] .ant-table-row').count()) === 1,
      10_000,
      'one acknowledged row',
    )
    await page.locator(`[data-event="${ALARM}>acknowledged"]`).waitFor()
    await shot('alarm-history')
  })

  it('shelves the alarm with a reason and unshelves it', async () => {
    await menu('活动报警').click()
    await page.locator(`[data-alarm="${ALARM}"] [data-testid=shelve]`).click()
    await page.locator('#shelve-reason').fill('更换热电偶期间')
    await page.locator('.ant-modal .ant-btn-primary').click()
    await page.locator(`[data-alarm="${ALARM}"][data-alarm-state=shelved]`).waitFor()
    const a = await p.api<{ alarm: { state: string; shelvedUntil: number } }>(
      'GET',
      `/api/alarms/${encodeURIComponent(ALARM)}`,
      { token: p.adminToken, tenant },
    )
    assert.equal(a.body.alarm.state, 'shelved')
    // one hour, the dialog's default
    assert.ok(Math.abs(a.body.alarm.shelvedUntil - (Date.now() + 60 * MIN)) < 30_000)
    await shot('active-alarm-shelved')
    await page.locator(`[data-alarm="${ALARM}"] [data-testid=unshelve]`).click()
    // the condition is still active: leaving the shelf annunciates it again (ISA-18.2)
    await page.locator(`[data-alarm="${ALARM}"][data-alarm-state=unacknowledged]`).waitFor()
  })

  it('previews the saved rule again: the historical episode and the live one still active', async () => {
    await menu('报警规则').click()
    await page.locator('[data-rule=temp-high]').click()
    await page.locator('[data-testid=rule-preview]').click()
    await page.locator('[data-testid=preview-count]').getByText('最近 7 天将触发 2 次').waitFor()
    await page.locator('[data-testid=preview-episode]').getByText('仍在报警').waitFor()
    await page.locator('[data-testid=rule-preview-result] [data-chart=ready]').waitFor()
    await page.waitForTimeout(300)
    await shot('rule-preview-live')
  })

  it('opens a work order from the alarm, assigns, comments and closes it with cause and action', async () => {
    await menu('活动报警').click()
    await page.locator(`[data-alarm="${ALARM}"] [data-testid=open-order]`).click()
    await page.waitForURL('**/work-orders?open=*')
    const detail = page.locator('[data-testid=wo-detail]')
    await detail.waitFor()
    assert.equal(await detail.getAttribute('data-status'), 'open')
    assert.match(await detail.innerText(), /temp-high:H/)
    await page.locator('#wo-assign-input').fill('张工')
    await page.locator('[data-testid=wo-assign]').click()
    await page.locator('[data-testid=wo-detail][data-status=assigned]').waitFor()
    await page.locator('#wo-comment-input').fill('冷却水流量偏低，已清洗过滤器')
    await page.locator('[data-testid=wo-comment]').click()
    await page.locator('[data-testid=wo-event]').getByText('冷却水流量偏低，已清洗过滤器').waitFor()
    await page.locator('#wo-cause').fill('冷却水过滤器堵塞')
    await page.locator('#wo-action').fill('清洗过滤器，恢复冷却水流量')
    await page.locator('[data-testid=wo-close]').click()
    await page.locator('[data-testid=wo-detail][data-status=closed]').waitFor()
    await shot('work-order-closed')
    await page.keyboard.press('Escape')
    await page.locator('[data-testid=work-orders-page] .ant-table-row').getByText('已关闭').waitFor()
    // one closed corrective order: MTTR is shown, not "n/a"
    await eventually(
      async () => !(await page.locator('[data-testid=wo-reliability]').innerText()).includes('n/a'),
      10_000,
      'MTTR shown',
    )
    await shot('work-orders')
  })

  it('opens a work order by hand', async () => {
    await page.locator('[data-testid=wo-new]').click()
    await page.locator('#wo-title').fill('月度点检：压铸机 01')
    await page.locator('[data-testid=wo-create-ok]').click()
    const detail = page.locator('[data-testid=wo-detail]')
    await detail.locator('.ant-descriptions').getByText('月度点检：压铸机 01').waitFor()
    assert.equal(await detail.getAttribute('data-status'), 'open')
    await page.keyboard.press('Escape')
    assert.equal(await page.locator('[data-testid=work-orders-page] .ant-table-row').count(), 2)
  })

  it('shows the alarm KPIs with the alarm in the top 10', async () => {
    await menu('报警绩效').click()
    await page.locator('[data-testid=alarm-kpis-page] [data-chart=ready]').waitFor()
    // annunciations: raised, and annunciated again when it left the shelf still active
    assert.equal((await page.locator('[data-testid=kpi-annunciated]').innerText()).match(/\d+/)?.[0], '2')
    const top = page.locator('[data-testid=kpi-top]')
    assert.equal(await top.count(), 1)
    assert.match(await top.first().innerText(), /temp-high:H\s+2\s+100 %/)
    await page.waitForTimeout(300)
    await shot('alarm-kpis')
  })

  it('saw no console errors and no failed requests', () => {
    assert.deepEqual(problems, [])
  })
})
