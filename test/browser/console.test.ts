// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright locators, not DOM nodes
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect, type MqttClient } from 'mqtt'
import type { Page } from 'playwright-core'
import { openTestBrowser, type TestBrowser } from '../support/browser.ts'
import { ADMIN_PASSWORD, eventually, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { commandExists, needService } from '../support/services.ts'

const root = new URL('../..', import.meta.url).pathname
const shots = join(root, 'test-results', 'console')
const skip = await needService('chromium', commandExists('chromium'))

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

function publish(c: MqttClient, topic: string, doc: unknown): Promise<void> {
  return new Promise((resolve, reject) =>
    c.publish(topic, JSON.stringify(doc), { qos: 1 }, (err) => (err ? reject(err) : resolve())),
  )
}

describe('web console in headless Chromium', { skip }, () => {
  let p: TestPlatform
  let page: Page
  let testBrowser: TestBrowser | undefined
  let tenant: string
  let tenantName: string
  let device: { id: string; username: string; password: string; token: string }
  let mqtt: MqttClient
  const problems: string[] = []

  before(async () => {
    // the server serves web/dist only if it exists when it starts: build it first when stale
    const b = spawnSync(process.execPath, [join(root, 'web', 'ensure-built.mjs')], { stdio: 'inherit' })
    assert.equal(b.status, 0, 'the console builds')
    rmSync(shots, { recursive: true, force: true })
    mkdirSync(shots, { recursive: true })

    p = await startTestPlatform()
    tenantName = '佛山精密压铸有限公司'
    const ent = await p.enterprise(tenantName)
    tenant = ent.tenant
    const api = <T>(method: string, path: string, body?: unknown) =>
      p.api<T>(method, path, { token: ent.token, body }).then((r) => {
        if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`)
        return r.body
      })

    // ISA-95: site / area / line / cell / equipment
    let parentId: string | null = null
    const levels = [
      ['site', '佛山工厂', 'SITE-FS'],
      ['area', '压铸车间', 'AREA-DC'],
      ['line', '1号压铸线', 'LINE-1'],
      ['cell', '压铸单元 A', 'CELL-A'],
      ['equipment', '压铸机 01', 'EQ-01'],
    ] as const
    for (const [level, name, code] of levels) {
      const a: { id: string } = await api<{ id: string }>('POST', '/api/assets', {
        level,
        name,
        code,
        parentId,
      })
      parentId = a.id
    }
    device = await p.device(ent.token, 'press-01')
    mqtt = await mqttConnect(p.mqttUrl, {
      username: device.username,
      password: device.password,
      clientId: 'press-01',
    })
    const topic = `ronghe/${tenant}/press-01/data`
    await publish(mqtt, topic, { values: { temperature: 61.5, pressure: 12.25 } })
    const points = await eventually(async () => {
      const r = await api<{ items: { id: string; key: string }[] }>(
        'GET',
        `/api/points?deviceId=${device.id}`,
      )
      return r.items.length === 2 ? r.items : undefined
    })
    for (const pt of points) await api('PATCH', `/api/points/${pt.id}`, { assetId: parentId })
    // an hour of history at 0.7 s: 5,000 samples, more than the chart draws raw, so it starts bucketed
    const now = Date.now()
    for (let chunk = 0; chunk < 5; chunk++) {
      const samples = Array.from({ length: 1000 }, (_, i) => {
        const k = chunk * 1000 + i
        return { key: 'temperature', ts: now - 3_550_000 + k * 700, value: 60 + 5 * Math.sin(k / 200) }
      })
      const r = await fetch(`${p.baseUrl}/api/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${device.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(samples),
      })
      assert.equal(r.status, 200)
    }

    testBrowser = await openTestBrowser(problems, { acceptDownloads: true })
    page = testBrowser.page
  })

  after(async () => {
    mqtt?.end(true)
    await testBrowser?.close()
    await p?.stop()
  })

  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
  const menu = (label: string) => page.locator('[data-testid=main-menu]').getByText(label, { exact: true })

  it('logs in as the platform admin and picks an enterprise in the tenant switcher', async () => {
    await page.goto(`${p.baseUrl}/`)
    await page.waitForURL('**/login')
    await page.getByText('融合工业互联网平台').waitFor()
    await shot('login')
    await page.locator('#username').fill('admin')
    await page.locator('#password').fill(ADMIN_PASSWORD)
    await page.locator('[data-testid=login-submit]').click()
    await page.waitForURL('**/overview')
    await page.getByText('请先在右上角选择一个企业').waitFor()
    await page.locator('[data-testid=tenant-switcher]').click()
    await page.locator('.ant-select-item-option').filter({ hasText: tenantName }).click()
    await page.locator('[data-testid=overview-page]').waitFor()
    await page.getByText('今日采集样本').waitFor()
    await page.locator('[data-chart=ready]').waitFor()
    await page.getByText('未配置电表').waitFor() // the test enterprise has no kWh meter
    const samplesToday = await page.locator('[data-testid=samples-today]').innerText()
    assert.match(samplesToday, /\d/)
    await page.waitForTimeout(300) // let the chart finish its first frame
    await shot('overview')
    // the README's screenshot is refreshed on request, so a test run leaves the work tree clean
    if (process.env.RONGHE_UPDATE_SCREENSHOTS === '1') {
      mkdirSync(join(root, 'docs'), { recursive: true })
      copyFileSync(join(shots, 'overview.png'), join(root, 'docs', 'screenshot-overview.png'))
    }
  })

  it('shows live values in the asset tree and updates them when the device publishes', async () => {
    await menu('资产与实时值').click()
    await page.locator('[data-testid=asset-EQ-01]').click()
    const value = page.locator('[data-testid=value-temperature]')
    await eventually(async () => (await value.innerText()).trim() !== '—', 10_000, 'initial value')
    await publish(mqtt, `ronghe/${tenant}/press-01/data`, {
      values: { temperature: 72.25 },
    })
    await eventually(async () => (await value.innerText()).trim() === '72.25', 10_000, 'live value 72.25')
    const row = page.locator('tr').filter({ has: value })
    assert.equal(await row.locator('[data-quality]').getAttribute('data-quality'), 'good')
    assert.match(await page.locator('[data-testid=seen-temperature]').innerText(), /秒|现在/)
    await shot('assets')
  })

  it('opens a point history bucketed by the server and shows raw values when zoomed in', async () => {
    await page.locator('[data-testid=point-link-temperature]').click()
    const mode = page.locator('[data-testid=history-mode]')
    await eventually(async () => (await mode.getAttribute('data-mode')) === 'bucketed', 10_000, 'bucketed')
    assert.match(await mode.innerText(), /聚合：每/)
    await page.locator('[data-testid=history-chart] [data-chart=ready]').waitFor()
    await shot('point-history')
    const box = await page.locator('[data-testid=history-chart]').boundingBox()
    assert.ok(box)
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.4)
    for (let i = 0; i < 6; i++) {
      await page.mouse.wheel(0, -400)
      await page.waitForTimeout(60)
    }
    await eventually(async () => (await mode.getAttribute('data-mode')) === 'raw', 10_000, 'raw after zoom')
    assert.equal(await mode.innerText(), '原始值')
    await eventually(
      async () =>
        (await page.locator('[data-testid=history-chart]').getAttribute('data-loading')) === 'false',
    )
    await shot('point-history-zoomed')
  })

  it('creates a device and shows how to connect it', async () => {
    await menu('设备').click()
    await page.locator('[data-testid=devices-page]').getByText('press-01').first().waitFor()
    await shot('devices')
    await page.locator('[data-testid=create-device]').click()
    await page.locator('#device-name').fill('注塑机 07')
    await page.locator('#device-key').fill('inj-07')
    // Under load (CI) the dialog once stayed open with no request sent: a click during its opening
    // animation that did not take. Click again only while nothing was sent, so no device is created twice.
    for (let i = 1; ; i++) {
      const sent = page.waitForRequest(
        (r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/devices',
        { timeout: 5_000 },
      )
      await page.locator('[data-testid=create-device-ok]').click()
      try {
        await sent
        break
      } catch (err) {
        if (i >= 3) throw err
      }
    }
    const panel = page.locator('[data-testid=connection-panel]')
    await panel.waitFor()
    await page.locator('[data-testid=issue-password]').click()
    const username = await page.locator('[data-testid=issued-username]').innerText()
    assert.ok(username.length > 0)
    assert.ok((await page.locator('[data-testid=issued-password]').innerText()).length >= 16)
    assert.equal(
      await panel.locator('[data-testid=conn-data-topic]').innerText(),
      `ronghe/${tenant}/inj-07/data`,
    )
    const example = await page.locator('[data-testid=mosquitto-pub]').innerText()
    assert.match(example, /^mosquitto_pub /)
    assert.ok(example.includes(`-t 'ronghe/${tenant}/inj-07/data'`), example)
    assert.ok(example.includes('-i inj-07'), example)
    await shot('device-connection')
    await page.keyboard.press('Escape')
  })

  it('lists users with roles and filters the audit log', async () => {
    await menu('用户与角色').click()
    await page.locator('[data-testid=users-page]').getByText(`admin-${tenant}`).first().waitFor()
    await page.getByText('企业管理员').first().waitFor()
    await shot('users')
    await menu('审计日志').click()
    await page.locator('[data-testid=audit-page] .ant-table-row').first().waitFor()
    const search = page.locator('[data-testid=filter-action] input, input[data-testid=filter-action]').first()
    await search.fill('device.create')
    await search.press('Enter')
    await eventually(
      async () => {
        const rows = await page.locator('[data-testid=audit-page] .ant-table-row').allInnerTexts()
        return rows.length === 2 && rows.every((r) => r.includes('device.create'))
      },
      10_000,
      'two device.create rows',
    )
    await shot('audit')
  })

  it('switches zh-CN ⇄ English and remembers the choice', async () => {
    await menu('设备').waitFor()
    await page.locator('[data-testid=lang-switch]').click()
    await menu('Devices').waitFor()
    await page.getByText('Audit log', { exact: true }).first().waitFor()
    await page.reload()
    await menu('Devices').waitFor()
    await page.locator('[data-testid=audit-page]').getByText('Outcome').first().waitFor()
    await shot('audit-en')
    await page.locator('[data-testid=lang-switch]').click()
    await menu('设备').waitFor()
    await menu('审计日志').waitFor()
  })

  it('saw no console errors and no failed requests', () => {
    assert.deepEqual(problems, [])
  })
})
