import { canonicalCbv } from '../epcis/cbv.ts'
import type { EpcisEvent } from '../epcis/epcis-types.ts'
import type { HandleValue } from '../handle-values.ts'
import { mentionedIds, type TimelineEntry, type TraceResult } from './trace-graph.ts'

/**
 * The public trace page a product's QR code opens: server-rendered HTML, no script, Chinese first with
 * English secondary labels. It shows only what the trace already let the public see (the caller passes
 * a trace walked with the public viewer and the handle's public values).
 */
export interface TracePageInput {
  readonly identifier: string
  readonly trace: TraceResult
  /** the identifier's public handle values, when it is a handle */
  readonly handle?: { readonly handle: string; readonly values: readonly HandleValue[] }
  /** URL of the QR code SVG shown on the page */
  readonly qrUrl: string
  /** display names of tenants (enterprises), when known */
  readonly tenantNames?: Readonly<Record<string, string>>
}

export type TraceCategory = 'production' | 'shipment' | 'quality' | 'other'

const SHIPPING = new Set([
  'shipping',
  'departing',
  'arriving',
  'receiving',
  'accepting',
  'transporting',
  'loading',
  'unloading',
  'staging_outbound',
  'dispensing',
  'retail_selling',
])
const PRODUCTION = new Set([
  'commissioning',
  'creating_class_instance',
  'assembling',
  'packing',
  'repackaging',
  'encoding',
])

/** Which part of a product's life an event belongs to. */
export function categorize(e: Pick<EpcisEvent, 'type' | 'bizStep'>): TraceCategory {
  const step = e.bizStep === undefined ? '' : canonicalCbv('bizstep', e.bizStep)
  if (e.type === 'TransformationEvent' || PRODUCTION.has(step)) return 'production'
  if (SHIPPING.has(step) || e.type === 'TransactionEvent') return 'shipment'
  if (step === 'inspecting') return 'quality'
  return 'other'
}

const LABELS: Readonly<Record<TraceCategory, { zh: string; en: string }>> = {
  production: { zh: '生产', en: 'Production' },
  shipment: { zh: '发运', en: 'Shipment' },
  quality: { zh: '检验', en: 'Inspection' },
  other: { zh: '记录', en: 'Record' },
}

const STEP_ZH: Readonly<Record<string, string>> = {
  commissioning: '赋码',
  creating_class_instance: '批次生产',
  assembling: '装配',
  packing: '包装',
  shipping: '发货',
  receiving: '收货',
  departing: '出发',
  arriving: '到达',
  inspecting: '检验',
  storing: '入库',
  transforming: '加工',
}

const DISP_ZH: Readonly<Record<string, string>> = {
  active: '正常',
  in_transit: '运输中',
  in_progress: '进行中',
  non_conformant: '不合格',
  conformant: '合格',
  recalled: '召回',
  expired: '过期',
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  )
}

/** `2026-03-01T10:00:00.000+08:00` → `2026-03-01 10:00 (UTC+08:00)`: the event's own local time. */
function localTime(t: TimelineEntry): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(t.eventTime)
  if (m === null) return t.eventTime
  const zone = /(Z|[+-]\d{2}:\d{2})$/.exec(t.eventTime)?.[1] ?? t.eventTimeZoneOffset
  return `${m[1]} ${m[2]} (UTC${zone === 'Z' ? '' : zone})`
}

function row(zh: string, en: string, value: string): string {
  return `<tr><th>${zh}<small>${en}</small></th><td>${value}</td></tr>`
}

function code(s: string): string {
  return `<code>${escapeHtml(s)}</code>`
}

function eventDetails(e: EpcisEvent): string {
  const rows: string[] = []
  const step = e.bizStep === undefined ? undefined : canonicalCbv('bizstep', e.bizStep)
  if (step !== undefined)
    rows.push(row('业务步骤', 'Business step', `${escapeHtml(STEP_ZH[step] ?? step)} ${code(step)}`))
  if (e.disposition !== undefined) {
    const d = canonicalCbv('disp', e.disposition)
    rows.push(row('状态', 'Disposition', `${escapeHtml(DISP_ZH[d] ?? d)} ${code(d)}`))
  }
  if (e.readPoint !== undefined) rows.push(row('产线/地点', 'Line / read point', code(e.readPoint.id)))
  if (e.bizLocation !== undefined) rows.push(row('工厂/场所', 'Site', code(e.bizLocation.id)))
  const inputs = [
    ...(e.inputEPCList ?? []),
    ...(e.inputQuantityList ?? []).map(
      (q) => `${q.epcClass}${q.quantity === undefined ? '' : ` × ${q.quantity}${q.uom ?? ''}`}`,
    ),
  ]
  if (inputs.length > 0) rows.push(row('投入物料', 'Inputs', inputs.map(code).join('<br>')))
  const outputs = [
    ...(e.outputEPCList ?? []),
    ...(e.outputQuantityList ?? []).map(
      (q) => `${q.epcClass}${q.quantity === undefined ? '' : ` × ${q.quantity}${q.uom ?? ''}`}`,
    ),
  ]
  if (outputs.length > 0) rows.push(row('产出', 'Outputs', outputs.map(code).join('<br>')))
  const objects = [...(e.epcList ?? []), ...(e.quantityList ?? []).map((q) => q.epcClass)]
  if (objects.length > 0) rows.push(row('对象', 'Objects', objects.map(code).join('<br>')))
  if (e.parentID !== undefined) rows.push(row('容器', 'Container', code(e.parentID)))
  for (const s of e.sensorElementList ?? []) {
    const machine = s.sensorMetadata?.['deviceID']
    if (typeof machine === 'string') rows.push(row('设备', 'Machine', code(machine)))
    const results = s.sensorReport
      .map(
        (r) =>
          `${escapeHtml(String(r.type ?? ''))}: ${escapeHtml(String(r.value ?? ''))}${escapeHtml(r.uom ?? '')}`,
      )
      .join('<br>')
    if (results !== '') rows.push(row('质量结果', 'Quality results', results))
  }
  for (const s of e.sourceList ?? []) rows.push(row('发出方', 'From', code(s.source)))
  for (const d of e.destinationList ?? []) rows.push(row('接收方', 'To', code(d.destination)))
  if (e.ilmd !== undefined)
    for (const [k, v] of Object.entries(e.ilmd))
      rows.push(
        row(
          '批次属性',
          `Lot data · ${escapeHtml(k)}`,
          escapeHtml(typeof v === 'string' ? v : JSON.stringify(v)),
        ),
      )
  return `<table>${rows.join('')}</table>`
}

const STYLE = `body{font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1f2329}
main{max-width:760px;margin:0 auto;padding:16px}h1{font-size:20px;margin:8px 0}h2{font-size:17px;margin:24px 0 8px}
small{display:block;color:#8f959e;font-weight:normal;font-size:12px}h1 small,h2 small{display:inline;margin-left:8px}
.card{background:#fff;border-radius:8px;padding:12px 16px;margin:8px 0;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.tag{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;margin-right:6px;color:#fff}
.production{background:#3370ff}.shipment{background:#00a870}.quality{background:#ff8800}.other{background:#8f959e}
table{border-collapse:collapse;width:100%;margin-top:6px}th{text-align:left;vertical-align:top;width:32%;padding:4px 8px 4px 0;font-size:14px}
td{padding:4px 0;font-size:14px;word-break:break-all}code{font-size:12px;background:#f2f3f5;padding:1px 4px;border-radius:3px}
.qr{float:right;width:120px;height:120px}.muted{color:#8f959e;font-size:13px}`

/** The whole page. Every text from data is escaped. */
export function renderTracePage(input: TracePageInput): string {
  const { trace } = input
  const names = input.tenantNames ?? {}
  const parts: string[] = []
  parts.push(
    `<img class="qr" src="${escapeHtml(input.qrUrl)}" alt="QR">`,
    `<h1>产品追溯<small>Product trace</small></h1>`,
    `<p>${code(input.identifier)}</p>`,
  )
  if (input.handle !== undefined && input.handle.values.length > 0) {
    const rows = input.handle.values
      .filter(
        (v) =>
          v.type !== 'HS_ADMIN' && (typeof v.data.value === 'string' || typeof v.data.value === 'number'),
      )
      .map((v) => row(escapeHtml(v.type), `#${v.index}`, escapeHtml(String(v.data.value))))
    parts.push(
      `<h2>标识信息<small>Identifier record</small></h2>`,
      `<div class="card"><table>${rows.join('')}</table></div>`,
    )
  }
  const materials = trace.nodes.filter((n) => n.depth > 0)
  parts.push(`<h2>原材料与批次<small>Materials and batches</small></h2>`)
  if (materials.length === 0) parts.push(`<p class="muted">无公开记录 · No public records</p>`)
  else
    parts.push(
      `<div class="card"><table>${materials
        .map((n) => {
          // who made it: the enterprise whose event produced it, else the first to record it (the timeline
          // is in time order); the enterprise that consumed it is not its maker
          const madeBy =
            trace.edges.find((e) => e.to === n.id)?.tenant ??
            trace.timeline.find((t) => mentionedIds(t.event).includes(n.id))?.tenant
          const owner = madeBy === undefined ? '' : (names[madeBy] ?? '')
          return row(
            n.depth === 1 ? '直接物料' : `上游 ${n.depth} 级`,
            n.depth === 1 ? 'Direct' : `Upstream level ${n.depth}`,
            `${code(n.id)}${owner === '' ? '' : ` <span class="muted">${escapeHtml(owner)}</span>`}`,
          )
        })
        .join('')}</table></div>`,
    )
  parts.push(`<h2>生命周期<small>Timeline: production, quality, shipments</small></h2>`)
  if (trace.timeline.length === 0) parts.push(`<p class="muted">无公开记录 · No public records</p>`)
  for (const t of trace.timeline) {
    const cat = categorize(t.event)
    const label = LABELS[cat]
    const owner = names[t.tenant]
    parts.push(
      `<div class="card" data-category="${cat}"><span class="tag ${cat}">${label.zh} ${label.en}</span>` +
        `<strong>${escapeHtml(localTime(t))}</strong>${owner === undefined ? '' : ` · ${escapeHtml(owner)}`}` +
        `<small>${escapeHtml(t.type)}</small>${eventDetails(t.event)}</div>`,
    )
  }
  if (trace.truncated) parts.push(`<p class="muted">记录过多，仅显示部分 · Truncated</p>`)
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>产品追溯 Product trace · ${escapeHtml(input.identifier)}</title><style>${STYLE}</style></head><body><main>${parts.join('')}</main></body></html>`
}
