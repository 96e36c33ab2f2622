import type { EnergyReport } from '../analytics/energy-report.ts'
import { type PdfBlock, writePdf } from './pdf.ts'
import { type Cell, type Sheet, writeXlsx } from './xlsx.ts'

/** Energy reports (日报 / 月报) as .xlsx and .pdf files. */

export function reportTitle(r: EnergyReport): string {
  const kind = r.window.period === 'day' ? '日报' : '月报'
  return r.scope === 'enterprise' ? `企业能源${kind}` : `区域能源${kind}`
}

export function reportFileName(r: EnergyReport, ext: 'xlsx' | 'pdf'): string {
  const who = r.scope === 'enterprise' ? 'enterprise' : `region-${r.regionCode}`
  return `energy-${r.window.period}-${who}-${r.window.label}.${ext}`
}

const r2 = (x: number): number => Math.round(x * 100) / 100
const r4 = (x: number): number => Math.round(x * 10_000) / 10_000
const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`
const fixed = (x: number | null | undefined, d = 2): string =>
  x === null || x === undefined ? '—' : x.toFixed(d)
const KEY_UNIT: Record<string, string> = { key: '重点用能单位', 'designation-band': '可指定', none: '' }

function headerRows(r: EnergyReport): Cell[][] {
  const who = r.scope === 'enterprise' ? `企业: ${r.name}` : `主管部门: ${r.authority} (${r.regionCode})`
  return [[reportTitle(r)], [who], [`报告期: ${r.window.label}`, `折标系数: ${r.coefficientVersion}`], []]
}

export function energyReportXlsx(r: EnergyReport): Buffer {
  const sheets: Sheet[] = []
  const days: Cell[][] = [
    ['日期 date', '电 kWh', '天然气 m³', '综合能耗 tce', 'CO₂ t'],
    ...r.days.map((d) => [d.date, r2(d.electricityKWh), r2(d.naturalGasM3), r4(d.tce), r4(d.co2Tonnes)]),
  ]
  if (r.scope === 'enterprise') {
    const summary: Cell[][] = [
      ...headerRows(r),
      ['指标 item', '数值 value', '单位 unit'],
      ['电 electricity', r2(r.total.electricityKWh), 'kWh'],
      ['天然气 natural gas', r2(r.total.naturalGasM3), 'm³'],
      ['综合能耗 energy', r4(r.total.tce), 'tce'],
      ['二氧化碳 CO₂', r4(r.total.co2Tonnes), 't'],
      ['电费 cost', r.costCny === null ? null : r2(r.costCny), 'CNY'],
      ['合格品 good parts', r.goodParts, 'pcs'],
      ['单件能耗 energy per good part', r.kgcePerGoodPart === null ? null : r4(r.kgcePerGoodPart), 'kgce/pc'],
      [
        '单件电耗 electricity per good part',
        r.kWhPerGoodPart === null ? null : r4(r.kWhPerGoodPart),
        'kWh/pc',
      ],
      ['数据完整率 completeness', r.completeness === null ? null : r4(r.completeness.ratio), ''],
    ]
    sheets.push({ name: '汇总 summary', rows: summary, boldRows: [0, 4] })
    sheets.push({
      name: '产线 by line',
      rows: [
        ['产线 line', '电 kWh', '天然气 m³', 'tce', 'CO₂ t'],
        ...r.byLine.map((l) => [
          l.name,
          r2(l.electricityKWh),
          r2(l.naturalGasM3),
          r4(l.tce),
          r4(l.co2Tonnes),
        ]),
      ],
      boldRows: [0],
    })
    sheets.push({ name: '逐日 days', rows: days, boldRows: [0] })
  } else {
    const head: Cell[] = [
      '排名 rank',
      '企业 enterprise',
      '区划 region',
      '电 kWh',
      '天然气 m³',
      'tce',
      'CO₂ t',
      '年化 tce/a',
      '重点用能单位 key unit',
      '同比 YoY',
      '完整率 completeness',
      '日/月偏差 daily vs monthly',
    ]
    const rows: Cell[][] = r.enterprises.map((e) => [
      e.rank,
      e.name,
      e.regionCode,
      r2(e.electricityKWh),
      r2(e.naturalGasM3),
      r4(e.tce),
      r4(e.co2Tonnes),
      r2(e.annualizedTce),
      KEY_UNIT[e.keyEnergyUnit] ?? '',
      e.yearOnYear.changeRatio === null ? null : r4(e.yearOnYear.changeRatio),
      e.completeness === null ? null : r4(e.completeness.ratio),
      e.dailyVsMonthly?.deviation === null || e.dailyVsMonthly === null
        ? null
        : r4(e.dailyVsMonthly.deviation),
    ])
    sheets.push({
      name: '企业 enterprises',
      rows: [
        ...headerRows(r),
        [
          '合计 total',
          null,
          null,
          r2(r.total.electricityKWh),
          r2(r.total.naturalGasM3),
          r4(r.total.tce),
          r4(r.total.co2Tonnes),
        ],
        [],
        head,
        ...rows,
      ],
      boldRows: [0, 4, 6],
    })
    sheets.push({ name: '逐日 days', rows: days, boldRows: [0] })
    if (r.load15m.length > 0) {
      sheets.push({
        name: '15分钟 load',
        rows: [
          ['时刻 start (UTC ms)', '时刻 local', '电 kWh'],
          ...r.load15m.map((x) => [x.start, localClock(x.start), x.kWh === null ? null : r2(x.kWh)]),
        ],
        boldRows: [0],
      })
    }
  }
  return writeXlsx(sheets)
}

function localClock(ms: number): string {
  const d = new Date(ms + 8 * 3_600_000)
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`
}

export function energyReportPdf(r: EnergyReport): Buffer {
  const title = reportTitle(r)
  const blocks: PdfBlock[] = [
    { text: title, size: 18 },
    { gap: 6 },
    {
      text: r.scope === 'enterprise' ? `企业: ${r.name}` : `主管部门: ${r.authority}  区划 ${r.regionCode}`,
    },
    { text: `报告期: ${r.window.label}   折标系数: ${r.coefficientVersion}` },
    { gap: 8 },
    {
      text: `电 ${fixed(r.total.electricityKWh)} kWh   天然气 ${fixed(r.total.naturalGasM3)} m³   综合能耗 ${fixed(r.total.tce, 4)} tce   CO₂ ${fixed(r.total.co2Tonnes, 4)} t`,
    },
  ]
  if (r.scope === 'enterprise') {
    blocks.push(
      {
        text: `电费 ${fixed(r.costCny)} 元   合格品 ${r.goodParts ?? '—'} 件   单件能耗 ${fixed(r.kgcePerGoodPart, 4)} kgce   数据完整率 ${pct(r.completeness?.ratio)}`,
      },
      { gap: 10 },
      { text: '分产线', size: 12 },
      { cells: ['产线', '电 kWh', '天然气 m³', 'tce', 'CO₂ t'] },
      ...r.byLine.map((l) => ({
        cells: [
          l.name,
          fixed(l.electricityKWh),
          fixed(l.naturalGasM3),
          fixed(l.tce, 4),
          fixed(l.co2Tonnes, 4),
        ],
      })),
    )
  } else {
    blocks.push(
      { text: `重点用能单位 ${r.keyUnits} 家   同比 ${pct(r.totalYearOnYear.changeRatio)}` },
      { gap: 10 },
      { text: '企业排名', size: 12 },
      { cells: ['排名 企业', 'kWh', 'tce', '同比', '完整率', '日/月偏差'] },
      ...r.enterprises.map((e) => ({
        cells: [
          `${e.rank}. ${e.name}${e.keyEnergyUnit === 'key' ? ' ★' : ''}`,
          fixed(e.electricityKWh),
          fixed(e.tce, 4),
          pct(e.yearOnYear.changeRatio),
          pct(e.completeness?.ratio),
          pct(e.dailyVsMonthly?.deviation),
        ],
      })),
    )
  }
  blocks.push(
    { gap: 10 },
    { text: '逐日', size: 12 },
    { cells: ['日期', '电 kWh', '天然气 m³', 'tce', 'CO₂ t'] },
    ...r.days.map((d) => ({
      cells: [d.date, fixed(d.electricityKWh), fixed(d.naturalGasM3), fixed(d.tce, 4), fixed(d.co2Tonnes, 4)],
    })),
  )
  return writePdf({ title, blocks, columns: [0, 190, 260, 330, 400, 460] })
}
