import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startTestPlatform, type TestPlatform, testUscc } from '../support/platform.ts'

interface Page<T> {
  items: T[]
}
const MIN = 60_000
// 2026-11-24 00:00 in Shanghai; the same day a year earlier for year-on-year
const DAY = Date.UTC(2026, 10, 23, 16)
const LAST_YEAR = Date.UTC(2025, 10, 23, 16)
const close = (actual: number | null | undefined, expected: number, eps = 1e-6): void =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < eps, `${actual} is not ${expected}`)

const dir = mkdtempSync(join(tmpdir(), 'ronghe-reports-'))
const hasPdftotext = spawnSync('pdftotext', ['-v']).error === undefined

/** A PDF's xref table must point at each object it lists. */
function checkPdf(pdf: Buffer): void {
  const s = pdf.toString('latin1')
  assert.ok(s.startsWith('%PDF-'), 'starts with %PDF-')
  const startxref = Number(/startxref\n(\d+)\n%%EOF\n?$/.exec(s)?.[1])
  assert.equal(s.slice(startxref, startxref + 4), 'xref')
  const head = /^xref\n0 (\d+)\n/.exec(s.slice(startxref))
  assert.ok(head)
  const n = Number(head[1])
  const entries = s
    .slice(startxref + head[0].length)
    .split('\n')
    .slice(0, n)
  assert.equal(entries[0], '0000000000 65535 f ')
  for (let id = 1; id < n; id++) {
    const offset = Number(entries[id]?.slice(0, 10))
    assert.equal(s.slice(offset, offset + `${id} 0 obj`.length), `${id} 0 obj`, `object ${id}`)
  }
}

function pdfText(pdf: Buffer, name: string): string | null {
  if (!hasPdftotext) return null
  const path = join(dir, name)
  writeFileSync(path, pdf)
  const r = spawnSync('pdftotext', ['-enc', 'UTF-8', path, '-'], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  return r.stdout
}

function unzipPart(xlsx: Buffer, name: string, part: string): string {
  const path = join(dir, name)
  writeFileSync(path, xlsx)
  const r = spawnSync('unzip', ['-p', path, part], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  return r.stdout
}

describe('energy reports (daily / monthly, xlsx / pdf / json)', () => {
  let p: TestPlatform
  let nanhai: { tenant: string; token: string }
  let chancheng: { tenant: string; token: string }
  let bureau = ''
  let rawPoint = ''

  async function ingest(token: string, body: unknown[]): Promise<void> {
    const r = await fetch(`${p.baseUrl}/api/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    assert.equal(r.status, 200, await r.text())
    await p.app.pipeline.drained()
  }

  /** a kWh meter (unit kWh) on a line asset, read at 00:00…01:00 of `start`'s day */
  async function meter(e: { token: string }, key: string, kWhPerHour: number, starts: number[]) {
    const d = await p.device(e.token, key, 'http')
    const rows = starts.flatMap((start) =>
      [0, 15, 30, 45, 60].map((m) => ({
        key: 'kwh',
        ts: start + m * MIN,
        value: 5000 + (kWhPerHour * m) / 60,
      })),
    )
    await ingest(d.token, rows)
    const pts = await p.api<Page<{ id: string; key: string }>>('GET', `/api/points?deviceId=${d.id}`, {
      token: e.token,
    })
    const point = pts.body.items.find((x) => x.key === 'kwh')?.id ?? ''
    const site = await p.api<{ id: string }>('POST', '/api/assets', {
      token: e.token,
      body: { name: 'Plant', level: 'site' },
    })
    assert.equal(site.status, 201, JSON.stringify(site.body))
    const line = await p.api<{ id: string }>('POST', '/api/assets', {
      token: e.token,
      body: { name: '压铸线', level: 'line', parentId: site.body.id },
    })
    assert.equal(line.status, 201, JSON.stringify(line.body))
    const u = await p.api('PATCH', `/api/points/${point}`, {
      token: e.token,
      body: { unit: 'kWh', assetId: line.body.id },
    })
    assert.equal(u.status, 200, JSON.stringify(u.body))
    return { device: d, point }
  }

  before(async () => {
    p = await startTestPlatform()
    nanhai = await p.enterprise('Nanhai Aluminium', '440605')
    chancheng = await p.enterprise('Chancheng Ceramics', '440604')
    const guangzhou = await p.enterprise('Guangzhou Motors', '440106')
    const n = await meter(nanhai, 'main-meter', 1000, [DAY, LAST_YEAR])
    rawPoint = n.point
    await meter(chancheng, 'main-meter', 400, [DAY])
    await meter(guangzhou, 'main-meter', 9000, [DAY])
    // Nanhai's good-part counter: 500 parts in the hour
    await ingest(n.device.token, [
      { key: 'good', ts: DAY, value: 0 },
      { key: 'good', ts: DAY + 60 * MIN, value: 500 },
    ])
    const t = await p.api<{ id: string }>('POST', '/api/tenants', {
      token: p.adminToken,
      body: { name: '佛山市能源管理中心', uscc: testUscc('440600'), industryCode: 'S', regionCode: '440600' },
    })
    assert.equal(t.status, 201, JSON.stringify(t.body))
    const u = await p.api('POST', '/api/users', {
      token: p.adminToken,
      tenant: t.body.id,
      body: { username: 'foshan-energy', role: 'regional_authority', password: 'Authority-Pass-1' },
    })
    assert.equal(u.status, 201, JSON.stringify(u.body))
    const login = await p.api<{ token: string }>('POST', '/api/auth/login', {
      body: { username: 'foshan-energy', password: 'Authority-Pass-1' },
    })
    bureau = login.body.token
  })
  after(async () => {
    await p.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const get = (path: string, token: string) =>
    fetch(`${p.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } })

  it('gives an enterprise its daily report: by carrier, by line, cost, energy per good part', async () => {
    const r = await get(
      '/api/reports/energy?scope=enterprise&period=day&date=2026-11-24&format=json',
      nanhai.token,
    )
    assert.equal(r.status, 200)
    assert.match(
      r.headers.get('content-disposition') ?? '',
      /^attachment; filename="energy-day-enterprise-2026-11-24\.json"$/,
    )
    const body = (await r.json()) as {
      total: { electricityKWh: number; tce: number }
      byLine: { name: string; electricityKWh: number }[]
      costCny: number
      goodParts: number
      kWhPerGoodPart: number
      kgcePerGoodPart: number
      days: { date: string; electricityKWh: number }[]
      completeness: { ratio: number; ok: boolean }
    }
    close(body.total.electricityKWh, 1000)
    close(body.total.tce, 0.1229)
    assert.deepEqual(
      body.byLine.map((l) => [l.name, l.electricityKWh]),
      [['压铸线', 1000]],
    )
    // Guangdong valley period 00:00–08:00 at 0.247 CNY/kWh
    close(body.costCny, 247)
    assert.equal(body.goodParts, 500)
    close(body.kWhPerGoodPart, 2)
    close(body.kgcePerGoodPart, 122.9 / 500)
    assert.deepEqual(
      body.days.map((d) => d.date),
      ['2026-11-24'],
    )
    // 4 complete 15-minute intervals of 96
    close(body.completeness.ratio, 4 / 96)
    assert.equal(body.completeness.ok, false)
  })

  it('writes the enterprise report as an .xlsx that unzips to the figures', async () => {
    const r = await get(
      '/api/reports/energy?scope=enterprise&period=month&date=2026-11-24&format=xlsx',
      nanhai.token,
    )
    assert.equal(r.status, 200)
    assert.equal(
      r.headers.get('content-type'),
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    )
    assert.match(
      r.headers.get('content-disposition') ?? '',
      /attachment; filename="energy-month-enterprise-2026-11\.xlsx"/,
    )
    const xlsx = Buffer.from(await r.arrayBuffer())
    const summary = unzipPart(xlsx, 'e.xlsx', 'xl/worksheets/sheet1.xml')
    assert.match(summary, /企业能源月报/)
    assert.match(summary, /<t xml:space="preserve">电 electricity<\/t><\/is><\/c><c r="B6"><v>1000<\/v>/)
    const workbook = unzipPart(xlsx, 'e.xlsx', 'xl/workbook.xml')
    assert.match(workbook, /name="汇总 summary"/)
    const days = unzipPart(xlsx, 'e.xlsx', 'xl/worksheets/sheet3.xml')
    assert.match(days, /2026-11-24<\/t><\/is><\/c><c r="B\d+"><v>1000<\/v>/)
    assert.match(days, /2026-11-30/)
  })

  it('writes the enterprise report as a PDF with a valid xref and a Chinese title', async (t) => {
    const r = await get(
      '/api/reports/energy?scope=enterprise&period=day&date=2026-11-24&format=pdf',
      nanhai.token,
    )
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('content-type'), 'application/pdf')
    const pdf = Buffer.from(await r.arrayBuffer())
    checkPdf(pdf)
    const text = pdfText(pdf, 'e.pdf')
    if (text === null) {
      t.skip('pdftotext not installed (apt package poppler-utils): text extraction not checked')
      return
    }
    assert.match(text, /企业能源日报/)
    assert.match(text, /1000\.00/)
  })

  it('gives the authority its region’s monthly report: ranking, key units, year-on-year, data quality', async () => {
    const r = await get('/api/reports/energy?scope=region&period=month&date=2026-11-01&format=json', bureau)
    assert.equal(r.status, 200)
    const body = (await r.json()) as {
      regionCode: string
      total: { electricityKWh: number }
      enterprises: {
        tenant: string
        rank: number
        electricityKWh: number
        keyEnergyUnit: string
        yearOnYear: { previous: number | null; changeRatio: number | null }
        completeness: { ok: boolean } | null
        dailyVsMonthly: { ok: boolean; deviation: number | null } | null
      }[]
      days: { date: string }[]
    }
    assert.equal(body.regionCode, '440600')
    const metered = body.enterprises.filter((e) => e.electricityKWh > 0)
    assert.deepEqual(
      metered.map((e) => [e.tenant, e.rank, e.electricityKWh]),
      [
        [nanhai.tenant, 1, 1000],
        [chancheng.tenant, 2, 400],
      ],
    )
    close(body.total.electricityKWh, 1400)
    assert.equal(body.days.length, 30)
    const n = metered[0]
    // a year ago the same meter read the same 1000 kWh in November: no change
    close(n?.yearOnYear.previous, 0.1229)
    close(n?.yearOnYear.changeRatio, 0)
    assert.equal(metered[1]?.yearOnYear.previous, null) // no readings last November: unknown, not 0
    assert.equal(n?.keyEnergyUnit, 'none')
    assert.equal(n?.completeness?.ok, false) // one hour of a month
    assert.equal(n?.dailyVsMonthly?.ok, true)
    close(n?.dailyVsMonthly?.deviation, 0)
  })

  it('gives the region’s 15-minute load in the daily report, and a PDF and xlsx of it', async (t) => {
    const r = await get('/api/reports/energy?scope=region&period=day&date=2026-11-24&format=json', bureau)
    assert.equal(r.status, 200)
    const body = (await r.json()) as { load15m: { start: number; kWh: number | null }[] }
    assert.equal(body.load15m.length, 96)
    assert.deepEqual(
      body.load15m.slice(0, 5).map((x) => [x.start - DAY, x.kWh]),
      [
        [0, 350],
        [15 * MIN, 350],
        [30 * MIN, 350],
        [45 * MIN, 350],
        [60 * MIN, null],
      ],
    )
    const x = await get('/api/reports/energy?scope=region&period=day&date=2026-11-24&format=xlsx', bureau)
    assert.equal(x.status, 200)
    const sheet = unzipPart(Buffer.from(await x.arrayBuffer()), 'r.xlsx', 'xl/worksheets/sheet1.xml')
    assert.match(sheet, /区域能源日报/)
    assert.match(sheet, /Nanhai Aluminium/)
    assert.doesNotMatch(sheet, /Guangzhou Motors/)
    const pdfR = await get('/api/reports/energy?scope=region&period=month&date=2026-11-24&format=pdf', bureau)
    assert.equal(pdfR.status, 200)
    assert.match(pdfR.headers.get('content-disposition') ?? '', /energy-month-region-440600-2026-11\.pdf/)
    const pdf = Buffer.from(await pdfR.arrayBuffer())
    checkPdf(pdf)
    const text = pdfText(pdf, 'r.pdf')
    if (text === null) {
      t.skip('pdftotext not installed (apt package poppler-utils): text extraction not checked')
      return
    }
    assert.match(text, /区域能源月报/)
    assert.match(text, /佛山市能源管理中心/)
  })

  it('answers 400 with REPORT_INVALID_PARAMETER for a bad parameter', async () => {
    for (const [q, parameter] of [
      ['scope=plant&period=day&date=2026-11-24', 'scope'],
      ['scope=enterprise&period=week&date=2026-11-24', 'period'],
      ['scope=enterprise&period=day&date=2026-02-30', 'date'],
      ['scope=enterprise&period=day', 'date'],
      ['scope=enterprise&period=day&date=2026-11-24&format=docx', 'format'],
    ] as const) {
      const r = await p.api<{ error: { code: string; details: { parameter: string } } }>(
        'GET',
        `/api/reports/energy?${q}`,
        { token: nanhai.token },
      )
      assert.equal(r.status, 400, q)
      assert.equal(r.body.error.code, 'REPORT_INVALID_PARAMETER')
      assert.equal(r.body.error.details.parameter, parameter)
    }
  })

  it('keeps the rules: enterprises get no region report, the authority no raw data', async () => {
    const denied = await get('/api/reports/energy?scope=region&period=day&date=2026-11-24', nanhai.token)
    assert.equal(denied.status, 403)
    const own = await get('/api/reports/energy?scope=enterprise&period=day&date=2026-11-24', bureau)
    assert.equal(own.status, 403)
    const raw = await get(`/api/points/${rawPoint}/series?from=${DAY}&to=${DAY + 3_600_000}`, bureau)
    assert.equal(raw.status, 404)
    const energy = await get(`/api/analytics/energy?point=${rawPoint}&carrier=electricity`, bureau)
    assert.equal(energy.status, 404)
  })
})
