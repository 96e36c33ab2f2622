import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core'

export interface TestBrowser {
  readonly context: BrowserContext
  readonly page: Page
  close(): Promise<void>
}

/**
 * Debian's headless Chromium with a fresh, empty profile, and a page that records every console
 * error, page error, failed request and HTTP ≥ 400 response into `problems` — the browser tests
 * assert that it stays empty.
 */
export async function openTestBrowser(
  problems: string[],
  options: { acceptDownloads?: boolean } = {},
): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'ronghe-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    viewport: { width: 1440, height: 900 },
    acceptDownloads: options.acceptDownloads ?? false,
    // without the background-networking flags Chromium keeps dialling Google's hosts, which this closed network refuses
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  const page = context.pages()[0] ?? (await context.newPage())
  // a wait, not a speed check: CI runs two test files at once on two cores, and a lazily loaded page
  // behind a solver or a build can take more than 15 s to settle
  page.setDefaultTimeout(30_000)
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('requestfailed', (r) =>
    problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`),
  )
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`)
  })
  return {
    context,
    page,
    async close(): Promise<void> {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/**
 * Picks `text` in an Ant Design Select and waits until the Select shows it. On a loaded machine a
 * click on an option sometimes selects nothing and leaves the dropdown open (seen in CI, and
 * reproduced at load ≈ 4 in the identifier register dialog), so a pick that did not take is made
 * again, at most `attempts` times — what a person does on seeing the field unchanged.
 */
export async function chooseOption(page: Page, select: Locator, text: string, attempts = 5): Promise<void> {
  const option = page
    .locator('.ant-select-dropdown:visible .ant-select-item-option')
    .filter({ hasText: text })
    .first()
  for (let i = 1; ; i++) {
    const open = ((await select.getAttribute('class')) ?? '').includes('ant-select-open')
    if (!open) await select.click()
    await option.click()
    try {
      await select.filter({ hasText: text }).waitFor({ timeout: 3_000 })
      return
    } catch (err) {
      if (i >= attempts) throw err
    }
  }
}
