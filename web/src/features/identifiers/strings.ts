import { useCallback } from 'react'
import { useI18n } from '../../i18n.tsx'

/**
 * The identifier pages' labels, [中文, English]. Kept beside the pages (as the alarm pages do) so the
 * module adds its strings without touching the shared table; the language comes from the shared switch.
 */
const S = {
  'menu.prefixes': ['标识前缀与模板', 'Prefixes & templates'],
  'menu.identifiers': ['标识注册与查询', 'Identifiers'],
  'menu.epcis': ['EPCIS 事件', 'EPCIS events'],
  'menu.trace': ['追溯图谱', 'Trace graph'],
  'node.title': ['本解析节点', 'This resolution node'],
  'node.role': ['节点层级', 'Node level'],
  'node.prefix': ['节点前缀', 'Node prefix'],
  'node.upstream': ['上级节点', 'Upstream node'],
  'node.recursive': ['递归解析', 'Recursive resolution'],
  'node.cache': ['解析缓存', 'Resolver cache'],
  'node.cacheStats': [
    '命中 {hits} · 未命中 {misses} · 条目 {entries}',
    '{hits} hits · {misses} misses · {entries} entries',
  ],
  'role.top': ['国家顶级节点', 'Top-level node'],
  'role.secondary': ['二级节点', 'Secondary node'],
  'role.enterprise': ['企业节点', 'Enterprise node'],
  'role.both': ['二级节点 + 企业节点', 'Secondary + enterprise node'],
  yes: ['是', 'yes'],
  no: ['否', 'no'],
  none: ['无', 'none'],
  'prefixes.title': ['企业前缀', 'Enterprise prefixes'],
  'prefixes.prefix': ['前缀', 'Prefix'],
  'prefixes.since': ['分配时间', 'Assigned'],
  'prefixes.empty': [
    '本企业还没有标识前缀，请平台管理员分配',
    'This enterprise has no prefix yet: a platform admin assigns one',
  ],
  'prefixes.assign': ['分配前缀', 'Assign prefix'],
  'prefixes.assignHint': ['留空则自动分配下一个', 'Leave empty for the next free one'],
  'prefixes.assigned': ['已分配前缀 {prefix}', 'Prefix {prefix} assigned'],
  'templates.title': ['元数据模板', 'Metadata templates'],
  'templates.id': ['模板', 'Template'],
  'templates.category': ['产品类别', 'Category'],
  'templates.version': ['版本', 'Version'],
  'templates.fields': ['字段', 'Fields'],
  'templates.builtin': ['内置', 'built-in'],
  'templates.own': ['企业自定义', 'own'],
  'field.name': ['字段名', 'Field'],
  'field.index': ['索引', 'Index'],
  'field.kind': ['类型', 'Kind'],
  'field.required': ['必填', 'Required'],
  'field.rules': ['约束', 'Constraints'],
  'ids.title': ['标识', 'Identifiers'],
  'ids.prefix': ['前缀', 'Prefix'],
  'ids.search': ['输入完整标识解析，如 88.118.8/P1', 'Resolve a full identifier, e.g. 88.118.8/P1'],
  'ids.register': ['注册标识', 'Register'],
  'ids.bulk': ['批量注册', 'Bulk register'],
  'ids.handle': ['标识', 'Identifier'],
  'ids.template': ['模板', 'Template'],
  'ids.values': ['标识值', 'Values'],
  'ids.updated': ['更新时间', 'Updated'],
  'ids.more': ['加载更多', 'Load more'],
  'ids.empty': [
    '该前缀下还没有标识，点击"注册标识"',
    'No identifiers under this prefix yet: click "Register"',
  ],
  'ids.noPrefix': [
    '本企业还没有标识前缀，请先在"标识前缀与模板"页由平台管理员分配',
    'No prefix yet: a platform admin assigns one on "Prefixes & templates"',
  ],
  'ids.suffix': ['后缀', 'Suffix'],
  'ids.url': ['URL（可选）', 'URL (optional)'],
  'ids.epc': ['EPC（可选，关联 EPCIS 事件与追溯）', 'EPC (optional: links EPCIS events and the trace)'],
  'ids.noTemplate': ['不使用模板', 'No template'],
  'ids.registered': ['已注册 {handle}', '{handle} registered'],
  'ids.bulkHelp': [
    '每行一个：后缀[,URL]。最多 2000 行。',
    'One per line: suffix[,URL]. At most 2,000 lines.',
  ],
  'ids.bulkResult': ['成功 {accepted} 条，失败 {rejected} 条', '{accepted} accepted, {rejected} rejected'],
  'ids.detail': ['标识记录（Handle 值）', 'Identifier record (Handle values)'],
  'ids.publicPage': ['公开追溯页', 'Public trace page'],
  'ids.qr': ['二维码', 'QR code'],
  'ids.traceGraph': ['追溯图谱', 'Trace graph'],
  'ids.notFound': ['未找到该标识', 'Identifier not found'],
  'v.index': ['索引', 'Index'],
  'v.type': ['类型', 'Type'],
  'v.data': ['数据', 'Data'],
  'v.ttl': ['TTL (秒)', 'TTL (s)'],
  'v.timestamp': ['时间戳', 'Timestamp'],
  'v.perm': ['公开可读', 'Public read'],
  'ev.title': ['EPCIS 事件浏览', 'EPCIS event explorer'],
  'ev.range': ['事件时间', 'Event time'],
  'ev.bizStep': ['业务步骤', 'Business step'],
  'ev.epc': ['EPC 或 urn:epc:idpat:… 模式', 'EPC or urn:epc:idpat:… pattern'],
  'ev.epcParam': [
    'MATCH_epc：epcList 与 childEPCs；MATCH_anyEPC：任何角色（含投入、产出）',
    'MATCH_epc: epcList and childEPCs; MATCH_anyEPC: any role (inputs and outputs too)',
  ],
  'ev.type': ['事件类型', 'Event type'],
  'ev.time': ['事件时间', 'Event time'],
  'ev.action': ['动作', 'Action'],
  'ev.objects': ['对象', 'Objects'],
  'ev.readPoint': ['读取点', 'Read point'],
  'ev.empty': ['所选条件下没有事件', 'No events match these filters'],
  'ev.next': ['下一页', 'Next page'],
  'ev.prev': ['上一页', 'Previous page'],
  'ev.first': ['第一页', 'First page'],
  'ev.page': ['第 {n} 页', 'Page {n}'],
  'ev.perPage': ['每页 {n} 条', '{n} per page'],
  'ev.detail': ['事件详情', 'Event detail'],
  'ev.id': ['事件 ID', 'Event ID'],
  'ev.recordTime': ['记录时间', 'Record time'],
  'ev.disposition': ['处置状态', 'Disposition'],
  'ev.bizLocation': ['业务地点', 'Business location'],
  'ev.raw': ['原始 JSON', 'Raw JSON'],
  'tr.title': ['跨企业追溯图谱', 'Cross-company trace graph'],
  'tr.input': [
    '标识、EPC 或 Digital Link，如 88.118.8/P1',
    'Identifier, EPC or Digital Link, e.g. 88.118.8/P1',
  ],
  'tr.direction': ['方向', 'Direction'],
  'tr.upstream': ['向上游（原料）', 'Upstream (materials)'],
  'tr.downstream': ['向下游（去向）', 'Downstream (where used)'],
  'tr.both': ['双向', 'Both'],
  'tr.trace': ['追溯', 'Trace'],
  'tr.prompt': ['输入一个标识开始追溯', 'Enter an identifier to trace'],
  'tr.empty': ['没有找到与该标识相关、且您有权查看的事件', 'No events for this identifier that you may see'],
  'tr.graph': ['关系图', 'Graph'],
  'tr.timeline': ['时间线', 'Timeline'],
  'tr.enterprise': ['企业', 'Enterprise'],
  'tr.own': ['（本企业）', ' (this enterprise)'],
  'tr.truncated': ['追溯深度已达上限，结果不完整', 'Depth limit reached: the trace is incomplete'],
  'tr.stats': [
    '{nodes} 个对象 · {edges} 条关系 · {events} 个事件',
    '{nodes} objects · {edges} links · {events} events',
  ],
  'tr.edge.transformed': ['加工转化', 'transformed'],
  'tr.edge.contained': ['包装/聚合', 'contained'],
  'tr.edge.associated': ['关联', 'associated'],
  'tr.start': ['起点', 'start'],
} as const

export type IdKey = keyof typeof S
export type IdTranslate = (key: IdKey, vars?: Record<string, string | number>) => string

/** The shared language plus these strings: `ti('ids.register')`. */
export function useIdI18n(): { ti: IdTranslate; lang: 'zh-CN' | 'en' } {
  const { lang } = useI18n()
  const ti = useCallback<IdTranslate>(
    (key, vars) => {
      const text: string = S[key][lang === 'en' ? 1 : 0]
      return vars ? text.replace(/\{(\w+)\}/g, (m, k: string) => String(vars[k] ?? m)) : text
    },
    [lang],
  )
  return { ti, lang }
}
