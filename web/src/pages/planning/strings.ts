import { useCallback } from 'react'
import { useI18n } from '../../i18n.tsx'

/** The planning pages' labels, [中文, English], kept beside the pages like the alarm module's. */
const S = {
  'menu.products': ['产品工艺', 'Products & routings'],
  'menu.orders': ['生产订单', 'Production orders'],
  'menu.schedule': ['排产甘特图', 'Schedule'],
  product: ['产品', 'Product'],
  products: ['产品', 'Products'],
  'product.new': ['新建产品', 'New product'],
  'product.name': ['产品名称', 'Product name'],
  routing: ['工艺路线', 'Routing'],
  operation: ['工序', 'Operation'],
  'operation.add': ['添加工序', 'Add operation'],
  'operation.name': ['工序名称', 'Operation name'],
  equipment: ['设备', 'Equipment'],
  eligible: ['可选设备', 'Eligible equipment'],
  minutesPerPiece: ['单件工时（分钟）', 'Minutes per piece'],
  noEquipment: [
    '本企业还没有设备（资产层级“设备”），请先在资产页添加。',
    'This enterprise has no equipment assets yet; add some on the assets page first.',
  ],
  order: ['订单', 'Order'],
  'order.new': ['新建订单', 'New order'],
  quantity: ['数量', 'Quantity'],
  due: ['交期', 'Due'],
  priority: ['优先级（权重）', 'Priority (weight)'],
  created: ['创建时间', 'Created'],
  schedule: ['排产', 'Schedule'],
  'schedule.selected': ['对选中的 {n} 个订单排产', 'Schedule the {n} selected orders'],
  objective: ['目标', 'Objective'],
  'objective.makespan': ['最短完工时间', 'Makespan'],
  'objective.weighted-tardiness': ['加权拖期最小', 'Weighted tardiness'],
  timeLimit: ['求解时限（秒）', 'Time limit (s)'],
  solving: ['求解中…', 'Solving…'],
  plan: ['排产方案', 'Plan'],
  noPlan: [
    '还没有排产方案：在“生产订单”页选择订单并排产。',
    'No schedule yet: select orders on the production orders page and schedule them.',
  ],
  byMachine: ['按设备', 'By machine'],
  byOrder: ['按订单', 'By order'],
  makespan: ['完工时间', 'Makespan'],
  twt: ['加权拖期', 'Weighted tardiness'],
  tardy: ['拖期订单', 'Tardy orders'],
  utilisation: ['设备利用率', 'Utilisation'],
  move: ['调整工序', 'Move an operation'],
  'move.pick': ['选择工序（或点击甘特图中的工序）', 'Pick an operation (or click one in the Gantt)'],
  start: ['开始时间', 'Start'],
  end: ['结束时间', 'End'],
  'move.apply': ['移动并检查', 'Move and check'],
  'move.reset': ['撤销调整', 'Undo moves'],
  'move.ok': ['调整后的排产无冲突', 'The moved schedule has no conflicts'],
  'move.conflicts': ['{n} 处冲突', '{n} conflicts'],
  'move.draft': ['草稿：调整未保存，仅检查', 'Draft: moves are checked, not saved'],
  'kind.overlap': ['设备占用重叠', 'Overlap on a machine'],
  'kind.precedence': ['违反工序先后', 'Precedence broken'],
  'kind.ineligible': ['设备不可用于该工序', 'Ineligible machine'],
  'kind.calendar': ['设备日历不可用（停机）', 'Machine calendar outage'],
  'kind.setup': ['换型时间不符', 'Set-up mismatch'],
  'kind.duration': ['工时不符', 'Duration mismatch'],
  'kind.release': ['早于订单下达', 'Before release'],
  'kind.duplicate': ['重复工序', 'Duplicate operation'],
  'kind.missing': ['缺少工序', 'Missing operation'],
  'kind.count': ['工序数量不符', 'Operation count'],
  'kind.unknown-machine': ['未知设备', 'Unknown machine'],
  breakdown: ['设备故障重排', 'Breakdown repair'],
  'breakdown.from': ['故障开始', 'Down from'],
  'breakdown.to': ['预计修复', 'Back at'],
  'breakdown.propose': ['生成修复方案', 'Propose repairs'],
  'breakdown.pending': ['待确认的修复方案', 'Repair proposal awaiting a decision'],
  rightShift: ['右移修复', 'Right-shift'],
  reoptimised: ['全局重新优化', 'Re-optimised'],
  accept: ['采用此方案', 'Accept this plan'],
  accepted: ['已采用修复方案', 'Repair accepted'],
  outage: ['停机', 'Outage'],
  outages: ['已记录停机', 'Recorded outages'],
  minutes: ['分钟', 'min'],
} as const satisfies Record<string, readonly [string, string]>

export type PlanningKey = keyof typeof S
export type PlanningTranslate = (key: PlanningKey, vars?: Record<string, string | number>) => string

/** The shared language plus these strings: `tp('makespan')`. */
export function usePlanningI18n(): { tp: PlanningTranslate; lang: 'zh-CN' | 'en' } {
  const { lang } = useI18n()
  const tp = useCallback<PlanningTranslate>(
    (key, vars) => {
      const text: string = S[key][lang === 'en' ? 1 : 0]
      return vars ? text.replace(/\{(\w+)\}/g, (m, k: string) => String(vars[k] ?? m)) : text
    },
    [lang],
  )
  return { tp, lang }
}

/** Page labels for the registry (both languages inline). */
export function label(key: PlanningKey): { 'zh-CN': string; en: string } {
  return { 'zh-CN': S[key][0], en: S[key][1] }
}
