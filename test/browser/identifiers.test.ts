// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright locators, not DOM nodes
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { chooseOption, openTestBrowser, type TestBrowser } from '../support/browser.ts'
import { ADMIN_PASSWORD, eventually, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { commandExists, needService } from '../support/services.ts'

const root = new URL('../..', import.meta.url).pathname
const shots = join(root, 'test-results', 'identifiers')
const skip = await needService('chromium', commandExists('chromium'))

const STEEL_LOT = 'urn:epc:class:lgtin:6901234.000123.STEEL-2026-031'
const HOUSING = 'urn:epc:id:sgtin:6909999.000456.H-0001'

/**
 * The identifier console in headless Chromium: a platform admin assigns the buyer's prefix, registers an
 * identifier (template fields + EPC) and a bulk of them, browses them; events captured through the API
 * (a supplier's lot, the buyer's production from it, inspections) are found in the EPCIS explorer by
 * business step, EPC and time, paged; the trace graph joins both companies; the public page needs no login.
 */
describe('identifier console in headless Chromium', { skip }, () => {
  let p: TestPlatform
  let page: Page
  let testBrowser: TestBrowser | undefined
  let buyer: { tenant: string; token: string }
  let supplier: { tenant: string; token: string }
  const problems: string[] = []

  const capture = async (token: string, query: string, eventList: unknown[]): Promise<void> => {
    const r = await fetch(`${p.baseUrl}/api/epcis/capture${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
        type: 'EPCISDocument',
        schemaVersion: '2.0',
        creationDate: '2026-03-01T00:00:00Z',
        epcisBody: { eventList },
      }),
    })
    assert.equal(r.status, 202, await r.text())
  }

  before(async () => {
    const b = spawnSync(process.execPath, [join(root, 'web', 'ensure-built.mjs')], { stdio: 'inherit' })
    assert.equal(b.status, 0, 'the console builds')
    rmSync(shots, { recursive: true, force: true })
    mkdirSync(shots, { recursive: true })
    p = await startTestPlatform({ env: { RONGHE_MQTT_ENABLED: 'false', RONGHE_IDENT_PREFIX: '88.118' } })
    supplier = await p.enterprise('上游钢材供应商')
    buyer = await p.enterprise('下游整机厂')
    testBrowser = await openTestBrowser(problems)
    page = testBrowser.page
  })

  after(async () => {
    await testBrowser?.close()
    await p?.stop()
  })

  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
  const menu = (label: string) => page.locator('[data-testid=main-menu]').getByText(label, { exact: true })
  const option = (text: string) =>
    page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: text }).first()

  it('assigns the enterprise a prefix and lists the metadata templates', async () => {
    await page.goto(`${p.baseUrl}/`)
    await page.waitForURL('**/login')
    await page.locator('#username').fill('admin')
    await page.locator('#password').fill(ADMIN_PASSWORD)
    await page.locator('[data-testid=login-submit]').click()
    await page.waitForURL('**/overview')
    await page.locator('[data-testid=tenant-switcher]').click()
    await page.locator('.ant-select-item-option').filter({ hasText: '下游整机厂' }).click()
    await menu('标识前缀与模板').click()
    const pg = page.locator('[data-testid=ident-prefixes-page]')
    await pg.getByText('本企业还没有标识前缀').waitFor()
    await pg.locator('[data-testid=ident-node]').getByText('二级节点 + 企业节点').waitFor()
    await page.locator('[data-testid=prefix-input]').fill('88.118.8')
    await page.locator('[data-testid=assign-prefix]').click()
    await pg.locator('[data-testid=prefix-table]').getByText('88.118.8', { exact: true }).waitFor()
    const templates = pg.locator('[data-testid=template-table]')
    await templates.getByText('零部件 / produced part').waitFor()
    await templates.getByText('批次 / production batch').waitFor()
    // a template opens to its fields
    await templates.locator('.ant-table-row-expand-icon').first().click()
    await templates.getByText('productionDate').first().waitFor()
    await shot('prefixes-templates')
  })

  it('registers an identifier through a template, then a bulk of them, and browses them', async () => {
    await menu('标识注册与查询').click()
    const pg = page.locator('[data-testid=identifiers-page]')
    await pg.getByText('该前缀下还没有标识').waitFor()
    await page.locator('[data-testid=register-handle]').click()
    await page.locator('[data-testid=register-suffix]').fill('H-0001')
    await chooseOption(page, page.locator('[data-testid=register-template]'), '零部件 / produced part')
    await page.locator('[data-testid=register-field-model]').fill('DC-H120')
    await page.locator('[data-testid=register-field-serial]').fill('H-0001')
    await page.locator('[data-testid=register-field-manufacturer]').fill('下游整机厂')
    await page.locator('[data-testid=register-field-productionDate]').fill('2026-03-01')
    await page.locator('[data-testid=register-url]').fill('https://buyer.example.cn/p/H-0001')
    await page.locator('[data-testid=register-epc]').fill(HOUSING)
    await shot('register')
    await page.locator('[data-testid=register-ok]').click()
    await page.locator('[data-testid="handle-88.118.8/H-0001"]').waitFor()

    await page.locator('[data-testid=bulk-register]').click()
    await page
      .locator('[data-testid=bulk-text]')
      .fill('B-0001,https://buyer.example.cn/b/1\nB-0002\nB-0003,https://buyer.example.cn/b/3')
    await page.locator('[data-testid=bulk-ok]').click()
    const result = page.locator('[data-testid=bulk-result]')
    await result.getByText('成功 3 条，失败 0 条').waitFor()
    await shot('bulk')
    await page.locator('[data-testid=bulk-ok]').click()
    for (const h of ['B-0001', 'B-0002', 'B-0003', 'H-0001'])
      await page.locator(`[data-testid="handle-88.118.8/${h}"]`).waitFor()
    const rows = await pg.locator('[data-testid=handle-table] .ant-table-row').count()
    assert.equal(rows, 4)

    // open one: its Handle values, the QR code and the public page link
    await page.locator('[data-testid="handle-88.118.8/H-0001"]').click()
    const detail = page.locator('[data-testid=handle-detail]')
    await detail.waitFor()
    const values = await detail.locator('[data-testid=handle-values]').innerText()
    for (const v of ['https://buyer.example.cn/p/H-0001', HOUSING, 'DC-H120', '2026-03-01', 'HS_ADMIN'])
      assert.ok(values.includes(v), `${v} in ${values}`)
    await eventually(
      async () =>
        (await detail
          .locator('[data-testid=handle-qr]')
          .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) > 0,
      10_000,
      'the QR code image loads',
    )
    assert.equal(
      await detail.locator('[data-testid=public-page-link]').getAttribute('href'),
      '/t/88.118.8/H-0001',
    )
    await shot('identifier-detail')
    await page.keyboard.press('Escape')

    // resolve by the search box
    await page
      .locator('[data-testid=handle-search] input, input[data-testid=handle-search]')
      .first()
      .fill('88.118.8/B-0003')
    await page
      .locator('[data-testid=handle-search] input, input[data-testid=handle-search]')
      .first()
      .press('Enter')
    await page.locator('[data-testid=handle-drawer-title]').getByText('88.118.8/B-0003').waitFor()
    await detail.getByText('https://buyer.example.cn/b/3').waitFor()
    await page.keyboard.press('Escape')
  })

  it('finds events captured through the API in the EPCIS explorer: filters, paging, detail', async () => {
    // the supplier's lot (public but its unit cost), the buyer's production from it (public), and 24 inspections
    await capture(supplier.token, '?visibility=public&privateFields=example:unitCost', [
      {
        type: 'ObjectEvent',
        eventTime: '2026-02-20T09:00:00.000+08:00',
        eventTimeZoneOffset: '+08:00',
        action: 'ADD',
        quantityList: [{ epcClass: STEEL_LOT, quantity: 500, uom: 'KGM' }],
        bizStep: 'commissioning',
        readPoint: { id: 'urn:epc:id:sgln:6901234.00001.MILL1' },
        'example:unitCost': 'CNY 5.20/kg SECRET',
      },
      {
        type: 'ObjectEvent',
        eventTime: '2026-02-22T15:30:00.000+08:00',
        eventTimeZoneOffset: '+08:00',
        action: 'OBSERVE',
        quantityList: [{ epcClass: STEEL_LOT, quantity: 500, uom: 'KGM' }],
        bizStep: 'shipping',
        readPoint: { id: 'urn:epc:id:sgln:6901234.00001.DOCK' },
        'example:unitCost': 'CNY 5.20/kg SECRET',
      },
    ])
    const prod = await fetch(`${p.baseUrl}/api/epcis/production?visibility=public`, {
      method: 'POST',
      headers: { authorization: `Bearer ${buyer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        output: { epcs: [HOUSING] },
        inputs: [{ epcClass: STEEL_LOT, quantity: 12.5, uom: 'KGM' }],
        line: 'urn:epc:id:sgln:6909999.00001.LINE2',
        machine: 'urn:epc:id:giai:6909999.DC-07',
        finishedAt: Date.UTC(2026, 2, 1, 2, 0, 0),
        quality: { passed: true, measurements: [{ type: 'gs1:Length', value: 120.02, uom: 'MMT' }] },
      }),
    })
    assert.equal(prod.status, 201, await prod.text())
    await capture(
      buyer.token,
      '',
      Array.from({ length: 24 }, (_, i) => ({
        type: 'ObjectEvent',
        eventTime: new Date(Date.UTC(2026, 2, 2, 0, i)).toISOString(),
        eventTimeZoneOffset: '+08:00',
        action: 'OBSERVE',
        epcList: [`urn:epc:id:sgtin:6909999.000456.Q-${String(i).padStart(4, '0')}`],
        bizStep: 'inspecting',
        readPoint: { id: 'urn:epc:id:sgln:6909999.00001.QC' },
      })),
    )

    await menu('EPCIS 事件').click()
    const pg = page.locator('[data-testid=epcis-page]')
    const table = pg.locator('[data-testid=event-table]')
    const rowCount = () => table.locator('.ant-table-row').count()
    // the buyer sees its own 25 events only (the supplier's are another enterprise's): 20 + 5
    await eventually(async () => (await rowCount()) === 20, 10_000, 'first page of 20')
    await page.locator('[data-testid=events-next]').click()
    await eventually(async () => (await rowCount()) === 5, 10_000, 'second page of 5')
    assert.equal(await page.locator('[data-testid=events-page]').innerText(), '第 2 页')
    assert.equal(await page.locator('[data-testid=events-next]').isDisabled(), true)
    await page.locator('[data-testid=events-prev]').click()
    await eventually(async () => (await rowCount()) === 20, 10_000, 'back to page 1')

    // EQ_bizStep: the 24 inspections, 20 + 4
    await page.locator('[data-testid=filter-bizstep]').click()
    await page.keyboard.type('inspect')
    await option('inspecting').click()
    await page.keyboard.press('Escape')
    await page.locator('[data-testid=events-next]').click()
    await eventually(async () => (await rowCount()) === 4, 10_000, 'the 4 inspections on page 2')
    assert.match(await table.locator('.ant-table-row').first().innerText(), /inspecting/)
    await page.locator('[data-testid=filter-bizstep] .ant-select-clear').click({ force: true })

    // the step filter cleared: all 25 again, 20 + 5
    await eventually(async () => (await rowCount()) === 20, 10_000, 'step filter cleared, page 1')
    await page.locator('[data-testid=events-next]').click()
    await eventually(async () => (await rowCount()) === 5, 10_000, 'step filter cleared, page 2')

    // MATCH_epc (epcList, childEPCs) with a pattern: the 24 inspected units; the production output is no epcList entry
    const epc = page.locator('[data-testid=filter-epc] input, input[data-testid=filter-epc]').first()
    await epc.fill('urn:epc:idpat:sgtin:6909999.000456.*')
    await epc.press('Enter')
    await eventually(async () => (await rowCount()) === 20, 10_000, 'sgtin pattern, page 1')
    await page.locator('[data-testid=events-next]').click()
    await eventually(async () => (await rowCount()) === 4, 10_000, 'sgtin pattern, page 2')
    await epc.fill(HOUSING)
    await epc.press('Enter')
    await pg.getByText('所选条件下没有事件').waitFor()
    // MATCH_anyEPC: any role, so the TransformationEvent that made the housing
    await chooseOption(page, page.locator('[data-testid=filter-epc-param]'), 'MATCH_anyEPC')
    await eventually(async () => (await rowCount()) === 1, 10_000, 'one event names the housing')
    assert.match(await table.locator('.ant-table-row').first().innerText(), /TransformationEvent/)
    await epc.fill('')
    await epc.press('Enter')
    await eventually(async () => (await rowCount()) === 20, 10_000, 'filter cleared')

    // GE_eventTime / LT_eventTime: 2026-03-02 08:00–08:10 (UTC+8 in the picker's local time is the machine's)
    const from = new Date(Date.UTC(2026, 2, 2, 0, 0))
    const to = new Date(Date.UTC(2026, 2, 2, 0, 10))
    const local = (d: Date): string => {
      const z = (n: number) => String(n).padStart(2, '0')
      return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())} ${z(d.getHours())}:${z(d.getMinutes())}:${z(d.getSeconds())}`
    }
    const inputs = page
      .locator('[data-testid=filter-time] input, .ant-picker-range input')
      .filter({ visible: true })
    await inputs.nth(0).click()
    await inputs.nth(0).fill(local(from))
    await inputs.nth(0).press('Enter')
    await inputs.nth(1).fill(local(to))
    await inputs.nth(1).press('Enter')
    await eventually(async () => (await rowCount()) === 10, 10_000, 'ten inspections in the ten minutes')
    await shot('epcis-explorer')

    // one event in detail
    await table.locator('.ant-table-row').first().click()
    const detail = page.locator('[data-testid=event-detail]')
    await detail.waitFor()
    const json = await detail.locator('[data-testid=event-json]').innerText()
    assert.ok(json.includes('urn:epc:id:sgtin:6909999.000456.Q-0000'), json)
    assert.ok(json.includes('"eventID"'))
    await shot('epcis-event')
    await page.keyboard.press('Escape')
  })

  it('draws the cross-company trace graph from the identifier and opens its public page', async () => {
    await menu('标识注册与查询').click()
    await page.locator('[data-testid="handle-88.118.8/H-0001"]').click()
    await page.locator('[data-testid=open-trace]').click()
    await page.waitForURL('**/trace?id=*')
    const pg = page.locator('[data-testid=trace-page]')
    await pg.locator('[data-testid=trace-graph] [data-chart=ready]').waitFor()
    assert.equal(await pg.locator('[data-testid=trace-stats]').innerText(), '2 个对象 · 1 条关系 · 3 个事件')
    const timeline = await pg.locator('[data-testid=trace-timeline]').innerText()
    assert.ok(timeline.includes('上游钢材供应商'), timeline)
    assert.ok(timeline.includes('下游整机厂（本企业）'), timeline)
    assert.ok(timeline.includes('TransformationEvent'))
    await page.waitForTimeout(400) // let the graph finish its first frame
    await shot('trace-graph')

    // in English too
    await page.locator('[data-testid=lang-switch]').click()
    await menu('Trace graph').waitFor()
    assert.equal(await pg.locator('[data-testid=trace-stats]').innerText(), '2 objects · 1 links · 3 events')
    assert.ok((await pg.locator('[data-testid=trace-timeline]').innerText()).includes('(this enterprise)'))
    await shot('trace-graph-en')
    await page.locator('[data-testid=lang-switch]').click()
    await menu('追溯图谱').waitFor()

    // the public page the QR code opens: no session in a fresh context
    const href = await pg.locator('[data-testid=trace-public-link]').getAttribute('href')
    assert.equal(href, '/t/88.118.8/H-0001')
    // a plain navigation: the console's token lives in localStorage and is not sent, as for a phone scanning the QR code
    const pub = await testBrowser!.context.newPage()
    const res = await pub.goto(`${p.baseUrl}${href}`)
    assert.equal(res?.status(), 200)
    const text = await pub.locator('body').innerText()
    assert.ok(text.includes('产品追溯'), text.slice(0, 200))
    assert.ok(text.includes('上游钢材供应商'))
    assert.ok(text.includes(STEEL_LOT))
    assert.ok(!text.includes('SECRET'), 'the supplier’s private field stays private')
    await pub.screenshot({ path: join(shots, 'public-trace-page.png'), fullPage: true })
    await pub.setViewportSize({ width: 390, height: 844 })
    await pub.screenshot({ path: join(shots, 'public-trace-page-phone.png'), fullPage: true })
    await pub.close()
  })

  it('saw no console errors and no failed requests', () => {
    assert.deepEqual(problems, [])
  })
})
