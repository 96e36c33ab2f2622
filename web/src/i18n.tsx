import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react'

export type Lang = 'zh-CN' | 'en'
const STORAGE_KEY = 'ronghe.lang'

/** Every label of the console: [Chinese, English]. Chinese is the default. */
const MESSAGES = {
  'app.name': ['融合工业互联网平台', 'Ronghe Industrial Internet'],
  'app.short': ['融合', 'Ronghe'],
  'lang.switch': ['English', '中文'],
  'menu.overview': ['企业概览', 'Overview'],
  'menu.assets': ['资产与实时值', 'Assets & live values'],
  'menu.devices': ['设备', 'Devices'],
  'menu.users': ['用户与角色', 'Users & roles'],
  'menu.audit': ['审计日志', 'Audit log'],
  'login.title': ['登录', 'Sign in'],
  'login.subtitle': ['设备接入 · 实时监控 · 数据分析', 'Connect · Monitor · Analyse'],
  'login.username': ['用户名', 'Username'],
  'login.password': ['密码', 'Password'],
  'login.submit': ['登录', 'Sign in'],
  'login.required': ['请输入{field}', 'Please enter the {field}'],
  'header.logout': ['退出登录', 'Sign out'],
  'header.tenant': ['选择企业', 'Choose an enterprise'],
  'header.platform': ['平台管理员', 'Platform admin'],
  'tenant.needed': ['请先在右上角选择一个企业', 'Choose an enterprise at the top right first'],
  'state.loading': ['加载中…', 'Loading…'],
  'state.empty': ['暂无数据', 'No data'],
  'state.error': ['加载失败', 'Could not load'],
  'state.retry': ['重试', 'Retry'],
  'common.soon': ['即将推出', 'Coming soon'],
  'common.name': ['名称', 'Name'],
  'common.key': ['标识', 'Key'],
  'common.created': ['创建时间', 'Created'],
  'common.actions': ['操作', 'Actions'],
  'common.search': ['搜索', 'Search'],
  'common.cancel': ['取消', 'Cancel'],
  'common.ok': ['确定', 'OK'],
  'common.copy': ['复制', 'Copy'],
  'common.never': ['从未', 'never'],
  'overview.devices': ['在线设备 / 总数', 'Devices online / total'],
  'overview.points': ['测点', 'Points'],
  'overview.samplesToday': ['今日采集样本', 'Samples today'],
  'overview.alarms': ['活动报警', 'Active alarms'],
  'overview.energy': ['今日能耗 (kWh)', 'Energy today (kWh)'],
  'overview.noMeter': ['未配置电表', 'No kWh meter'],
  'overview.live': ['实时趋势', 'Live trend'],
  'overview.liveEmpty': [
    '还没有测点：接入设备后这里会显示实时曲线',
    'No points yet: connect a device to see live values here',
  ],
  'assets.tree': ['资产层级 (ISA-95)', 'Asset hierarchy (ISA-95)'],
  'assets.noTree': [
    '还没有资产：通过 API 创建工厂 / 车间 / 产线 / 工位 / 设备',
    'No assets yet: create sites, areas, lines, cells and equipment through the API',
  ],
  'assets.select': ['在左侧选择一个节点查看实时值', 'Select a node on the left to see its live values'],
  'assets.values': ['实时值', 'Live values'],
  'assets.noPoints': ['该节点下没有测点', 'No points under this node'],
  'level.site': ['工厂', 'Site'],
  'level.area': ['车间', 'Area'],
  'level.line': ['产线', 'Line'],
  'level.cell': ['工位', 'Cell'],
  'level.equipment': ['设备', 'Equipment'],
  'point.name': ['测点', 'Point'],
  'point.value': ['当前值', 'Value'],
  'point.unit': ['单位', 'Unit'],
  'point.quality': ['质量', 'Quality'],
  'point.lastSeen': ['最后更新', 'Last seen'],
  'quality.good': ['良好', 'good'],
  'quality.uncertain': ['不确定', 'uncertain'],
  'quality.bad': ['坏值', 'bad'],
  'quality.none': ['无数据', 'no data'],
  'live.connected': ['实时连接', 'Live'],
  'live.disconnected': ['连接中断，正在重连', 'Disconnected, reconnecting'],
  'history.title': ['历史曲线', 'History'],
  'history.hour': ['最近 1 小时', 'Last hour'],
  'history.day': ['最近 1 天', 'Last day'],
  'history.week': ['最近 1 周', 'Last week'],
  'history.custom': ['自定义', 'Custom'],
  'history.bucketed': ['聚合：每 {size}', 'Bucketed: every {size}'],
  'history.raw': ['原始值', 'Raw values'],
  'history.export': ['导出 CSV', 'Export CSV'],
  'history.noData': ['所选时间段没有数据', 'No data in this time range'],
  'history.samples': ['{n} 个样本', '{n} samples'],
  'history.avg': ['平均值', 'average'],
  'history.min': ['最小值', 'min'],
  'history.max': ['最大值', 'max'],
  'history.zoomHint': [
    '滚轮缩放、拖动平移；放大后显示原始值',
    'Scroll to zoom, drag to pan; zoom in for raw values',
  ],
  'devices.title': ['设备', 'Devices'],
  'devices.create': ['新建设备', 'New device'],
  'devices.online': ['在线', 'Online'],
  'devices.offline': ['离线', 'Offline'],
  'devices.state': ['状态', 'State'],
  'devices.kind': ['类型', 'Kind'],
  'devices.protocol': ['协议', 'Protocol'],
  'devices.lastSeen': ['最后在线', 'Last seen'],
  'devices.connect': ['接入方式', 'How to connect'],
  'devices.kind.gateway': ['网关', 'Gateway'],
  'devices.kind.machine': ['设备', 'Machine'],
  'devices.created': ['设备已创建', 'Device created'],
  'devices.keyHelp': [
    '字母、数字、-、_，用作 MQTT 主题段和 Sparkplug 节点 ID',
    'Letters, digits, - and _: the MQTT topic segment and Sparkplug edge node id',
  ],
  'devices.empty': [
    '还没有设备，点击"新建设备"开始接入',
    'No devices yet: click "New device" to connect one',
  ],
  'cred.title': ['凭证', 'Credentials'],
  'cred.issuePassword': ['签发用户名/密码', 'Issue username/password'],
  'cred.issueToken': ['签发令牌', 'Issue token'],
  'cred.rotate': ['轮换（吊销其他凭证）', 'Rotate (revoke the others)'],
  'cred.revoke': ['吊销', 'Revoke'],
  'cred.revoked': ['已吊销', 'revoked'],
  'cred.active': ['有效', 'active'],
  'cred.once': ['密钥只显示这一次，请立即复制保存', 'The secret is shown only once: copy it now'],
  'cred.none': ['还没有凭证', 'No credentials yet'],
  'conn.mqtt': ['MQTT 接入', 'MQTT'],
  'conn.sparkplug': ['Sparkplug B', 'Sparkplug B'],
  'conn.host': ['地址', 'Host'],
  'conn.port': ['端口', 'Port'],
  'conn.versions': ['协议版本', 'Protocol versions'],
  'conn.clientId': ['客户端 ID', 'Client ID'],
  'conn.username': ['用户名', 'Username'],
  'conn.usernameHint': [
    '密码凭证的用户名；使用令牌凭证时可填任意文本（令牌作密码）',
    'the username of a password credential, or any text with a token credential (the token is the password)',
  ],
  'conn.dataTopic': ['数据主题', 'Data topic'],
  'conn.statusTopic': ['状态主题', 'Status topic'],
  'conn.commandTopic': ['命令主题', 'Command topic'],
  'conn.payload': ['消息示例', 'Payload example'],
  'conn.group': ['组 ID', 'Group ID'],
  'conn.edgeNode': ['边缘节点 ID', 'Edge node ID'],
  'conn.example': ['mosquitto_pub 示例', 'mosquitto_pub example'],
  'conn.http': ['HTTP 接入', 'HTTP ingest'],
  'users.title': ['用户', 'Users'],
  'users.create': ['新建用户', 'New user'],
  'users.username': ['用户名', 'Username'],
  'users.displayName': ['显示名', 'Display name'],
  'users.role': ['角色', 'Role'],
  'users.disabled': ['停用', 'Disabled'],
  'users.enabled': ['启用', 'Enabled'],
  'users.lastLogin': ['最后登录', 'Last login'],
  'users.password': ['初始密码', 'Initial password'],
  'users.roles': ['角色说明', 'Roles'],
  'role.platform_admin': ['平台管理员', 'Platform admin'],
  'role.enterprise_admin': ['企业管理员', 'Enterprise admin'],
  'role.engineer': ['工程师', 'Engineer'],
  'role.operator': ['操作员', 'Operator'],
  'role.viewer': ['只读用户', 'Viewer'],
  'role.regional_authority': ['区域主管部门', 'Regional authority'],
  'roleDesc.platform_admin': [
    '管理所有企业、配额与平台安全',
    'Manages every enterprise, quotas and platform security',
  ],
  'roleDesc.enterprise_admin': [
    '管理本企业的用户、设备、凭证与资产',
    "Manages the enterprise's users, devices, credentials and assets",
  ],
  'roleDesc.engineer': ['接入设备、配置资产与测点', 'Connects devices, configures assets and points'],
  'roleDesc.operator': ['查看产线、处理报警', 'Watches lines, handles alarms'],
  'roleDesc.viewer': ['只读访问', 'Read-only access'],
  'roleDesc.regional_authority': [
    '只看辖区内企业的能源汇总，不看企业原始数据',
    'Sees energy rollups of the enterprises in its region, never their raw data',
  ],
  'audit.title': ['审计日志', 'Audit log'],
  'audit.at': ['时间', 'Time'],
  'audit.actor': ['操作人', 'Actor'],
  'audit.action': ['操作', 'Action'],
  'audit.target': ['对象', 'Target'],
  'audit.ip': ['来源 IP', 'From IP'],
  'audit.outcome': ['结果', 'Outcome'],
  'audit.outcome.ok': ['成功', 'ok'],
  'audit.outcome.denied': ['拒绝', 'denied'],
  'audit.outcome.failed': ['失败', 'failed'],
  'audit.range': ['时间范围', 'Time range'],
  'audit.chain': ['哈希链', 'Hash chain'],
} as const satisfies Record<string, readonly [string, string]>

export type MessageKey = keyof typeof MESSAGES
export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string

interface I18n {
  lang: Lang
  setLang(l: Lang): void
  t: Translate
}

const I18nContext = createContext<I18n | null>(null)

export function initialLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh-CN'
  } catch {
    return 'zh-CN'
  }
}

export function translate(lang: Lang, key: MessageKey, vars?: Record<string, string | number>): string {
  const text: string = MESSAGES[key][lang === 'en' ? 1 : 0]
  return vars ? text.replace(/\{(\w+)\}/g, (m, k: string) => String(vars[k] ?? m)) : text
}

export function I18nProvider({ children }: { children: ReactNode }): ReactNode {
  const [lang, setLangState] = useState<Lang>(initialLang)
  const setLang = useCallback((l: Lang) => {
    try {
      localStorage.setItem(STORAGE_KEY, l)
    } catch {
      // private mode: the choice lasts for this page only
    }
    document.documentElement.lang = l
    setLangState(l)
  }, [])
  const value = useMemo<I18n>(() => ({ lang, setLang, t: (k, v) => translate(lang, k, v) }), [lang, setLang])
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>
}

export function useI18n(): I18n {
  const c = useContext(I18nContext)
  if (!c) throw new Error('useI18n outside I18nProvider')
  return c
}

/** "3 分钟前" / "3 minutes ago". */
export function relativeTime(lang: Lang, ts: number, now: number): string {
  const s = Math.round((ts - now) / 1000)
  const f = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' })
  const a = Math.abs(s)
  if (a < 60) return f.format(s, 'second')
  if (a < 3600) return f.format(Math.round(s / 60), 'minute')
  if (a < 86400) return f.format(Math.round(s / 3600), 'hour')
  return f.format(Math.round(s / 86400), 'day')
}

export function formatTime(lang: Lang, ts: number): string {
  return new Date(ts).toLocaleString(lang, { hour12: false })
}

/** Bucket widths as people say them: "1 分钟", "10 s". */
export function formatDuration(lang: Lang, ms: number): string {
  const units: [number, string, string][] = [
    [86_400_000, '天', 'd'],
    [3_600_000, '小时', 'h'],
    [60_000, '分钟', 'min'],
    [1000, '秒', 's'],
    [1, '毫秒', 'ms'],
  ]
  for (const [size, zh, en] of units)
    if (ms >= size) {
      const n = Math.round((ms / size) * 10) / 10
      return lang === 'en' ? `${n} ${en}` : `${n} ${zh}`
    }
  return lang === 'en' ? `${ms} ms` : `${ms} 毫秒`
}
