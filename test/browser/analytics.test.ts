// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright locators, not DOM nodes
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { chooseOption, openTestBrowser, type TestBrowser } from '../support/browser.ts'
import { eventually, startTestPlatform, type TestPlatform, testUscc } from '../support/platform.ts'
import { commandExists, needService } from '../support/services.ts'

const root = new URL('../..', import.meta.url).pathname
const shots = join(root, 'test-results', 'analytics')
const skip = await needService('chromium', commandExists('chromium'))

const MIN = 60_000
const CST = 8 * 3_600_000
const beijingDate = (ts: number): string => new Date(ts + CST).toISOString().slice(0, 10)
/** a figure as the page prints it ("1,234.5 kWh", "87.3 %") → number */
const figure = (text: string): number => Number(text.replace(/[^\d.-]/g, ''))

describe('analytics pages in headless Chromium', { skip }, () => {
  let p: TestPlatform
  let page: Page
  let testBrowser: TestBrowser | undefined
  let entToken = ''
  const tenantName = '佛山精密压铸有限公司'
  const assets: Record<string, string> = {}
  const problems: string[] = []
  // three hours of one-minute data, never before this Beijing day's midnight (the energy page shows a day)
  const now = Date.now()
  const dayStart = Math.floor((now + CST) / 86_400_000) * 86_400_000 - CST
  const t0 = Math.max(Math.floor((now - 180 * MIN) / MIN) * MIN, dayStart)
  const minutes = Math.floor((now - t0) / MIN) - 1

  before(async () => {
    const b = spawnSync(process.execPath, [join(root, 'web', 'ensure-built.mjs')], { stdio: 'inherit' })
    assert.equal(b.status, 0, 'the console builds')
    rmSync(shots, { recursive: true, force: true })
    mkdirSync(shots, { recursive: true })

    p = await startTestPlatform()
    // 顺德区 (440606) of 佛山市 (440600)
    const ent = await p.enterprise(tenantName, '440606')
    entToken = ent.token
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const r = await p.api<T>(method, path, { token: ent.token, body })
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`)
      return r.body
    }
    // ISA-95: site / line / two machines
    const tree = [
      ['site', '佛山工厂', 'SITE', null],
      ['line', '1号压铸线', 'LINE-1', 'SITE'],
      ['equipment', '压铸机 01', 'DC-01', 'LINE-1'],
      ['equipment', '压铸机 02', 'DC-02', 'LINE-1'],
    ] as const
    for (const [level, name, code, parent] of tree) {
      const a = await api<{ id: string }>('POST', '/api/assets', {
        level,
        name,
        code,
        parentId: parent ? assets[parent] : null,
        attributes: { idealCycleMs: 20_000 },
      })
      assets[code] = a.id
    }
    // machine 01 is down 60–90 and in set-up 120–130 minutes in; machine 02 is down 30–45
    const stateOf = (machine: 1 | 2, m: number): string =>
      machine === 1
        ? m >= 60 && m < 90
          ? 'down'
          : m >= 120 && m < 130
            ? 'setup'
            : 'running'
        : m >= 30 && m < 45
          ? 'down'
          : 'running'
    for (const machine of [1, 2] as const) {
      const code = `DC-0${machine}`
      const d = await p.device(ent.token, `press-0${machine}`, 'http')
      const samples: { key: string; ts: number; value: number | string }[] = []
      let good = 1000
      let scrap = 10
      let kWh = 52_000
      for (let m = 0; m <= minutes; m++) {
        const ts = t0 + m * MIN
        const state = stateOf(machine, m)
        samples.push({ key: 'state', ts, value: state })
        if (state === 'running') {
          good += 2 + (m % 3 === 0 ? 1 : 0)
          if (m % 17 === 0) scrap += 1
          kWh += 3.5
        } else kWh += 0.25
        samples.push({ key: 'good', ts, value: good }, { key: 'scrap', ts, value: scrap })
        if (machine === 1) {
          samples.push({ key: 'kwh', ts, value: kWh })
          // a bore diameter with a shift in the last half hour (SPC rule violations)
          const shift = m > minutes - 30 ? 0.04 : 0
          samples.push({
            key: 'bore',
            ts,
            value: 25 + shift + 0.01 * Math.sin(m * 1.7) + 0.006 * Math.cos(m * 0.31),
          })
        }
      }
      const r = await fetch(`${p.baseUrl}/api/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(samples),
      })
      assert.equal(r.status, 200, await r.text())
      await p.app.pipeline.drained()
      const pts = await api<{ items: { id: string; key: string }[] }>('GET', `/api/points?deviceId=${d.id}`)
      for (const pt of pts.items) {
        const patch: Record<string, unknown> = { assetId: assets[pt.key === 'kwh' ? 'LINE-1' : code] }
        if (pt.key === 'kwh') Object.assign(patch, { unit: 'kWh', kind: 'counter', name: '1号线总电表' })
        if (pt.key === 'bore') Object.assign(patch, { unit: 'mm', kind: 'analog', name: '缸孔直径' })
        await api('PATCH', `/api/points/${pt.id}`, patch)
      }
    }
    await api('POST', '/api/users', { username: 'op-li', role: 'operator', password: 'Operator-Pass-12' })

    // the city's energy bureau: a regional authority over 440600
    const bureau = await p.api<{ id: string }>('POST', '/api/tenants', {
      token: p.adminToken,
      body: {
        name: '佛山市工业和信息化局',
        uscc: testUscc('440600'),
        industryCode: 'S',
        regionCode: '440600',
      },
    })
    assert.equal(bureau.status, 201, JSON.stringify(bureau.body))
    const u = await p.api('POST', '/api/users', {
      token: p.adminToken,
      tenant: bureau.body.id,
      body: { username: 'foshan-bureau', role: 'regional_authority', password: 'Authority-Pass-1' },
    })
    assert.equal(u.status, 201, JSON.stringify(u.body))

    testBrowser = await openTestBrowser(problems)
    page = testBrowser.page
  })

  after(async () => {
    await testBrowser?.close()
    await p?.stop()
  })

  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
  const menu = (label: string) => page.locator('[data-testid=main-menu]').getByText(label, { exact: true })
  const login = async (username: string, password: string): Promise<void> => {
    await page.goto(`${p.baseUrl}/login`)
    await page.locator('#username').fill(username)
    await page.locator('#password').fill(password)
    await page.locator('[data-testid=login-submit]').click()
    await page
      .locator('[data-testid=main-menu]')
      .waitFor()
      .catch(async (e: Error) => {
        await shot(`login-failed-${username}`)
        throw e
      })
  }
  /** the same request the page made, asked again of the API with `token` */
  const again = async <T>(url: string, token: string): Promise<T> => {
    const u = new URL(url)
    const r = await p.api<T>('GET', `${u.pathname}${u.search}`, { token })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    return r.body
  }

  it('drills down enterprise → line → machine and shows the OEE the API computes', async () => {
    await login('op-li', 'Operator-Pass-12')
    await menu('OEE 分析').click()
    await page.locator('[data-testid=oee-page]').waitFor()
    await page.locator('[data-testid=kpi-oee]').waitFor()
    await page.locator('[data-testid=oee-children]').getByText('佛山工厂').waitFor()
    await page.locator('[data-testid=oee-pareto] [data-chart=ready]').waitFor()
    await shot('oee-enterprise')
    // drill: enterprise → site → line (the children table) → machine (the tree)
    await page.locator('[data-testid=oee-children]').getByText('佛山工厂').click()
    await page.locator('[data-testid=oee-children]').getByText('1号压铸线').click()
    await page.locator('[data-testid=oee-children]').getByText('压铸机 01').waitFor()
    const lineOee = await page.locator('[data-testid=kpi-oee]').innerText()
    const machine = page.waitForResponse((r) => r.url().includes(`equipment=${assets['DC-01']}`))
    await page.locator('[data-testid=oee-tree]').getByText('压铸机 01').click()
    const api = await again<{ kpis: { oee: number; availability: number } }>((await machine).url(), entToken)
    await eventually(
      async () =>
        figure(await page.locator('[data-testid=kpi-oee]').innerText()) ===
        Number((api.kpis.oee * 100).toFixed(1)),
      10_000,
      'machine OEE as the API has it',
    )
    assert.equal(
      figure(await page.locator('[data-testid=kpi-availability]').innerText()),
      Number((api.kpis.availability * 100).toFixed(1)),
    )
    // machine 01 alone is not the line (machine 02 runs better)
    assert.notEqual(await page.locator('[data-testid=kpi-oee]').innerText(), lineOee)
    await page.locator('[data-testid=loss-intervals]').waitFor()
    await shot('oee-machine')
  })

  it('assigns a downtime reason to a down interval and sees the loss Pareto change', async () => {
    const pareto = page.locator('[data-testid=pareto-table]')
    await pareto.getByText('故障 · 未指定').waitFor()
    assert.equal(await pareto.getByText('故障 · 设备故障').count(), 0)
    const row = page
      .locator('[data-testid=loss-intervals] .ant-table-row')
      .filter({ hasText: '故障' })
      .first()
    await chooseOption(page, row.locator('.ant-select'), '设备故障')
    await page.getByText('已记录停机原因').waitFor()
    await pareto.getByText('故障 · 设备故障').waitFor()
    assert.equal(await pareto.getByText('故障 · 未指定').count(), 0)
    // the set-up stretch is still unassigned
    await pareto.getByText('换型 · 未指定').waitFor()
    const audit = await p.api<{ items: { details: { reason: string } }[] }>(
      'GET',
      '/api/audit?action=downtime.assign',
      {
        token: entToken,
      },
    )
    assert.deepEqual(
      audit.body.items.map((x) => x.details.reason),
      ['breakdown'],
    )
    await shot('oee-reason-assigned')
  })

  it('draws an SPC chart with limits, violations and the Cpk the API computes', async () => {
    await menu('SPC 控制图').click()
    await page.locator('[data-testid=spc-form]').waitFor()
    await chooseOption(page, page.locator('[data-testid=spc-point]'), '缸孔直径')
    await page.locator('input[data-testid=spc-lsl], [data-testid=spc-lsl] input').first().fill('24.9')
    await page.locator('input[data-testid=spc-usl], [data-testid=spc-usl] input').first().fill('25.1')
    const spc = page.waitForResponse((r) => r.url().includes('/api/analytics/spc'))
    await page.locator('[data-testid=spc-apply]').click()
    const api = await again<{ capability: { cpk: number }; violations: unknown[] }>(
      (await spc).url(),
      entToken,
    )
    const cpk = page.locator('[data-testid=spc-cpk]')
    await eventually(
      async () => figure(await cpk.innerText()) === Number(api.capability.cpk.toFixed(3)),
      10_000,
      'Cpk',
    )
    assert.ok(api.violations.length > 0, 'the shifted half hour breaks a rule')
    await page.locator('[data-testid=spc-violations]').waitFor()
    await page.locator('[data-chart=ready]').first().waitFor()
    await shot('spc')
  })

  it('shows the energy dashboard with the day’s kWh the API computes and report links', async () => {
    const energy = page.waitForResponse((r) => r.url().includes('/api/analytics/energy'))
    await menu('能源管理').click()
    const api = await again<{ total: number; standardCoal: { tce: number } }>((await energy).url(), entToken)
    const kwh = page.locator('[data-testid=energy-kwh]')
    await kwh.waitFor()
    assert.equal(figure(await kwh.innerText()), Number(api.total.toFixed(1)))
    assert.ok(api.total > 0)
    await page.locator('[data-testid=energy-by-line]').getByText('1号压铸线').waitFor()
    assert.equal(
      await page.locator('[data-testid=report-month-pdf]').getAttribute('href'),
      `/api/reports/energy?scope=enterprise&period=month&date=${beijingDate(now)}&format=pdf`,
    )
    await page.locator('[data-chart=ready]').first().waitFor()
    await shot('energy')
  })

  it('shows a regional authority its enterprises’ rollups, in English too', async () => {
    await page.getByText('退出登录').click()
    await page.waitForURL('**/login')
    await login('foshan-bureau', 'Authority-Pass-1')
    const region = page.waitForResponse((r) => r.url().includes('/api/region/energy'))
    await menu('区域能源监测').click()
    const token = (
      await p.api<{ token: string }>('POST', '/api/auth/login', {
        body: { username: 'foshan-bureau', password: 'Authority-Pass-1' },
      })
    ).body.token
    const api = await again<{ totalTce: number; enterprises: { name: string }[] }>(
      (await region).url(),
      token,
    )
    await page.locator('[data-testid=region-table]').getByText(tenantName).waitFor()
    assert.equal(
      figure(await page.locator('[data-testid=region-total-tce]').innerText()),
      Number(api.totalTce.toFixed(4)),
    )
    assert.equal(figure(await page.locator('[data-testid=region-count]').innerText()), api.enterprises.length)
    assert.equal(
      await page.locator('[data-testid=report-day-xlsx]').getAttribute('href'),
      `/api/reports/energy?scope=region&period=day&date=${beijingDate(now)}&format=xlsx`,
    )
    await page.locator('[data-chart=ready]').first().waitFor()
    await shot('region')
    await page.locator('[data-testid=lang-switch]').click()
    await menu('Regional energy').waitFor()
    await page.getByText('Regional energy monitoring').waitFor()
    await page.getByText('Key energy-consuming units').waitFor()
    await shot('region-en')
    await page.locator('[data-testid=lang-switch]').click()
    await menu('区域能源监测').waitFor()
  })

  it('saw no console errors and no failed requests', () => {
    assert.deepEqual(problems, [])
  })
})
