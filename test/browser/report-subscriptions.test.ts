// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright locators, not DOM nodes
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { chooseOption, openTestBrowser, type TestBrowser } from '../support/browser.ts'
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { commandExists, needService } from '../support/services.ts'

const root = new URL('../..', import.meta.url).pathname
const shots = join(root, 'test-results', 'report-subscriptions')
const skip = await needService('chromium', commandExists('chromium'))

describe('report subscriptions on the energy page in headless Chromium', { skip }, () => {
  let p: TestPlatform
  let page: Page
  let testBrowser: TestBrowser | undefined
  let server: Server
  const hits: { period: string; files: { name: string }[] }[] = []
  let ent: { tenant: string; token: string }
  const problems: string[] = []

  before(async () => {
    const b = spawnSync(process.execPath, [join(root, 'web', 'ensure-built.mjs')], { stdio: 'inherit' })
    assert.equal(b.status, 0, 'the console builds')
    mkdirSync(shots, { recursive: true })
    server = createServer((req, res) => {
      let raw = ''
      req.on('data', (c) => {
        raw += c
      })
      req.on('end', () => {
        hits.push(JSON.parse(raw))
        res.writeHead(200).end()
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    p = await startTestPlatform()
    ent = await p.enterprise('佛山订阅测试有限公司', '440606')
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/reports`
    const c = await p.api('PUT', '/api/notification-channels/energy-hook', {
      token: ent.token,
      body: { kind: 'webhook', name: '能源报表接收', config: { url } },
    })
    assert.equal(c.status, 200, JSON.stringify(c.body))
    testBrowser = await openTestBrowser(problems)
    page = testBrowser.page
  })
  after(async () => {
    await testBrowser?.close()
    await p?.stop()
    server?.close()
  })

  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })

  it('creates a subscription, sends it now, disables and deletes it', async () => {
    await page.goto(`${p.baseUrl}/login`)
    await page.locator('#username').fill(`admin-${ent.tenant}`)
    await page.locator('#password').fill('Enterprise-Pass-1')
    await page.locator('[data-testid=login-submit]').click()
    await page.locator('[data-testid=main-menu]').getByText('能源管理', { exact: true }).click()
    const section = page.locator('[data-testid=report-subscriptions]')
    await section.getByText('报表订阅', { exact: true }).waitFor()
    await section.locator('[data-state=empty]').getByText('还没有报表订阅').waitFor()

    await section.locator('[data-testid=subs-add]').click()
    const form = page.locator('[data-testid=subs-form]')
    await form.getByLabel('名称').fill('能源日报 · 财务部')
    await chooseOption(page, form.locator('.ant-select').last(), '能源报表接收 (webhook)')
    // Ant Design spaces out two-character Chinese button labels (创 建)
    await page.getByRole('button', { name: /^创\s?建$/ }).click()
    await page.getByText('订阅已创建').waitFor()
    const row = section.locator('.ant-table-row').filter({ hasText: '能源日报 · 财务部' })
    await row.getByText('尚未发送').waitFor()
    await shot('created')

    const list = await p.api<{
      items: { id: string; channelId: string; formats: string[]; enabled: boolean }[]
    }>('GET', '/api/report-subscriptions', { token: ent.token })
    assert.equal(list.body.items.length, 1)
    const sub = list.body.items[0] as { id: string; channelId: string; formats: string[] }
    assert.deepEqual([sub.channelId, sub.formats], ['energy-hook', ['xlsx', 'pdf']])

    await row.getByRole('button', { name: '立即发送' }).click()
    await page.getByText(/^报表已发送/).waitFor()
    await row.locator('[data-testid=subs-status]').getByText('已发送').waitFor()
    await eventually(async () => hits.length === 1, 5000, 'the webhook')
    assert.deepEqual(
      hits[0]?.files.map((f) => f.name.replace(/\d{4}-\d{2}-\d{2}/, 'DATE')),
      ['energy-day-enterprise-DATE.xlsx', 'energy-day-enterprise-DATE.pdf'],
    )
    await shot('sent')

    await row.locator('.ant-switch').click()
    await eventually(
      async () =>
        (
          await p.api<{ enabled: boolean }>('GET', `/api/report-subscriptions/${sub.id}`, {
            token: ent.token,
          })
        ).body.enabled === false,
      5000,
      'disabled',
    )
    await row.getByRole('button', { name: /^删\s?除$/ }).click()
    await page.locator('.ant-popconfirm').getByRole('button').last().click()
    await section.locator('[data-state=empty]').waitFor()
    assert.equal(
      (await p.api('GET', `/api/report-subscriptions/${sub.id}`, { token: ent.token })).status,
      404,
    )
    // the same section in English
    await page.locator('[data-testid=lang-switch]').click()
    await section.getByText('Report subscriptions', { exact: true }).waitFor()
    await section.getByText('No report subscriptions yet').waitFor()
    await shot('empty-en')
    assert.deepEqual(problems, [])
  })
})
