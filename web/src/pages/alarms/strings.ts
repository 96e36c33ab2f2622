import { useCallback } from 'react'
import { useI18n } from '../../i18n.tsx'

/**
 * The alarm pages' labels, [中文, English]. Kept here rather than in i18n.tsx so the alarm module
 * adds its strings without touching the shared table; the language comes from the shared switch.
 */
const S = {
  'menu.active': ['活动报警', 'Active alarms'],
  'menu.history': ['报警历史', 'Alarm history'],
  'menu.rules': ['报警规则', 'Alarm rules'],
  'menu.workOrders': ['维修工单', 'Work orders'],
  'menu.kpis': ['报警绩效', 'Alarm KPIs'],
  priority: ['优先级', 'Priority'],
  state: ['状态', 'State'],
  equipment: ['设备', 'Equipment'],
  message: ['报警信息', 'Message'],
  value: ['值', 'Value'],
  since: ['发生时间', 'Since'],
  at: ['时间', 'Time'],
  alarm: ['报警', 'Alarm'],
  by: ['操作人', 'By'],
  why: ['原因', 'Reason'],
  transition: ['状态变化', 'Transition'],
  range: ['时间范围', 'Time range'],
  all: ['全部', 'All'],
  acknowledge: ['确认', 'Acknowledge'],
  acknowledged: ['已确认', 'Acknowledged'],
  shelve: ['搁置', 'Shelve'],
  unshelve: ['取消搁置', 'Unshelve'],
  shelveFor: ['搁置时长', 'Shelve for'],
  reason: ['原因', 'Reason'],
  reasonRequired: ['请填写原因', 'Please give a reason'],
  openOrder: ['开工单', 'Open work order'],
  orderOpened: ['工单已创建', 'Work order opened'],
  noActive: ['当前没有活动报警', 'No active alarms'],
  noHistory: ['所选条件下没有报警记录', 'No alarm transitions match these filters'],
  'p.critical': ['紧急', 'Critical'],
  'p.high': ['高', 'High'],
  'p.medium': ['中', 'Medium'],
  'p.low': ['低', 'Low'],
  's.normal': ['正常', 'Normal'],
  's.unacknowledged': ['未确认', 'Unacknowledged'],
  's.acknowledged': ['已确认', 'Acknowledged'],
  's.rtn-unacknowledged': ['已恢复未确认', 'Returned, unacknowledged'],
  's.shelved': ['已搁置', 'Shelved'],
  's.suppressed-by-design': ['设计抑制', 'Suppressed by design'],
  's.out-of-service': ['停用', 'Out of service'],
  'rules.title': ['报警规则', 'Alarm rules'],
  'rules.new': ['新建规则', 'New rule'],
  'rules.edit': ['编辑规则', 'Edit rule'],
  'rules.empty': ['还没有规则，点击"新建规则"', 'No rules yet: click "New rule"'],
  'rules.kind': ['类型', 'Kind'],
  'rules.kind.limit': ['限值', 'Limit'],
  'rules.kind.expression': ['表达式', 'Expression'],
  'rules.id': ['规则 ID', 'Rule id'],
  'rules.point': ['测点（设备标识/测点标识）', 'Point (device key/point key)'],
  'rules.expression': ['表达式', 'Expression'],
  'rules.deadband': ['死区', 'Deadband'],
  'rules.onDelay': ['延时报警 (秒)', 'On-delay (s)'],
  'rules.offDelay': ['延时恢复 (秒)', 'Off-delay (s)'],
  'rules.preview': ['预览最近 7 天', 'Preview the last 7 days'],
  'rules.save': ['保存', 'Save'],
  'rules.saved': ['规则已保存', 'Rule saved'],
  'rules.delete': ['删除', 'Delete'],
  'rules.template': ['模板生成，只读', 'From a template, read-only'],
  'rules.notEditable': ['此类型的规则请通过 API 编辑', 'Edit rules of this kind through the API'],
  'rules.episodes': ['最近 7 天将触发 {n} 次', 'Would have fired {n} times in the last 7 days'],
  'rules.noEpisodes': ['最近 7 天不会触发', 'Would not have fired in the last 7 days'],
  'rules.noPreview': [
    '填写规则后点击"预览"查看它在历史数据上的触发情况',
    'Fill in the rule and click "Preview" to see how it would have fired',
  ],
  'rules.raised': ['触发', 'Raised'],
  'rules.cleared': ['恢复', 'Cleared'],
  'rules.stillActive': ['仍在报警', 'still active'],
  'rules.limitNeeded': ['至少填写一个限值', 'Give at least one limit'],
  'wo.title': ['维修工单', 'Work orders'],
  'wo.new': ['新建工单', 'New work order'],
  'wo.fromAlarm': ['来自报警', 'From alarm'],
  'wo.name': ['标题', 'Title'],
  'wo.description': ['描述', 'Description'],
  'wo.status': ['状态', 'Status'],
  'wo.status.open': ['待处理', 'Open'],
  'wo.status.assigned': ['已指派', 'Assigned'],
  'wo.status.closed': ['已关闭', 'Closed'],
  'wo.assignee': ['负责人', 'Assignee'],
  'wo.assign': ['指派', 'Assign'],
  'wo.comment': ['备注', 'Comment'],
  'wo.addComment': ['添加备注', 'Add comment'],
  'wo.close': ['关闭工单', 'Close'],
  'wo.cause': ['故障原因', 'Cause'],
  'wo.action': ['处理措施', 'Action taken'],
  'wo.failure': ['故障维修', 'Corrective (failure)'],
  'wo.opened': ['开单时间', 'Opened'],
  'wo.history': ['处理记录', 'History'],
  'wo.empty': ['还没有工单', 'No work orders yet'],
  'wo.mttr': ['平均修复时间 MTTR', 'MTTR'],
  'wo.mtbf': ['平均故障间隔 MTBF', 'MTBF'],
  'wo.failures': ['故障次数', 'Failures'],
  'wo.openCount': ['未关闭工单', 'Open orders'],
  'wo.ev.opened': ['开单', 'opened'],
  'wo.ev.assigned': ['指派', 'assigned'],
  'wo.ev.comment': ['备注', 'comment'],
  'wo.ev.closed': ['关闭', 'closed'],
  'kpi.title': ['报警系统绩效 (ISA-18.2)', 'Alarm system performance (ISA-18.2)'],
  'kpi.annunciated': ['报警次数', 'Alarms annunciated'],
  'kpi.per10': ['每 10 分钟平均 / 峰值', 'Per 10 min, average / peak'],
  'kpi.perHour': ['每小时平均', 'Per hour, average'],
  'kpi.floods': ['报警泛滥', 'Floods'],
  'kpi.floodShare': ['泛滥时段占比', 'Time in flood'],
  'kpi.chattering': ['颤振报警', 'Chattering alarms'],
  'kpi.stale': ['陈旧报警', 'Stale alarms'],
  'kpi.top10': ['最频繁的 10 个报警', 'Top 10 most frequent'],
  'kpi.top10Share': ['前 10 占比', 'Top-10 share'],
  'kpi.count': ['次数', 'Count'],
  'kpi.share': ['占比', 'Share'],
  'kpi.chart': ['每 10 分钟报警数', 'Alarms per 10 minutes'],
  'kpi.target': ['目标', 'target'],
  'kpi.none': ['所选时间段没有报警', 'No alarms in this period'],
  'kpi.duration': ['持续', 'Duration'],
  'kpi.peak': ['峰值/10 分钟', 'Peak / 10 min'],
  'kpi.activations': ['触发次数', 'Activations'],
  'kpi.age': ['持续时间', 'Age'],
  h24: ['最近 24 小时', 'Last 24 hours'],
  d7: ['最近 7 天', 'Last 7 days'],
  d30: ['最近 30 天', 'Last 30 days'],
} as const satisfies Record<string, readonly [string, string]>

export type AlarmKey = keyof typeof S
export type AlarmTranslate = (key: AlarmKey, vars?: Record<string, string | number>) => string

/** The shared language plus these strings: `ta('acknowledge')`. */
export function useAlarmI18n(): { ta: AlarmTranslate; lang: 'zh-CN' | 'en' } {
  const { lang } = useI18n()
  const ta = useCallback<AlarmTranslate>(
    (key, vars) => {
      const text: string = S[key][lang === 'en' ? 1 : 0]
      return vars ? text.replace(/\{(\w+)\}/g, (m, k: string) => String(vars[k] ?? m)) : text
    },
    [lang],
  )
  return { ta, lang }
}

/** Page labels for the registry (both languages inline). */
export function label(key: AlarmKey): { 'zh-CN': string; en: string } {
  return { 'zh-CN': S[key][0], en: S[key][1] }
}
