import {
  AlertOutlined,
  ApiOutlined,
  ApartmentOutlined,
  AuditOutlined,
  BarChartOutlined,
  BarcodeOutlined,
  ControlOutlined,
  CalendarOutlined,
  ProfileOutlined,
  ShoppingCartOutlined,
  DashboardOutlined,
  DotChartOutlined,
  FundOutlined,
  GlobalOutlined,
  DeploymentUnitOutlined,
  HistoryOutlined,
  NodeIndexOutlined,
  QrcodeOutlined,
  TeamOutlined,
  ThunderboltOutlined,
  ToolOutlined,
} from '@ant-design/icons'
import type { ComponentType } from 'react'
import type { MessageKey } from './i18n.tsx'

/** Menu sections, in both languages. */
export const MENU_GROUPS = {
  monitor: { 'zh-CN': '监控与接入', en: 'Monitoring' },
  alarms: { 'zh-CN': '报警与维护', en: 'Alarms & maintenance' },
  analytics: { 'zh-CN': '生产与能源分析', en: 'Analytics' },
  planning: { 'zh-CN': '智能排产', en: 'Planning' },
  identifiers: { 'zh-CN': '标识解析与追溯', en: 'Identifiers & trace' },
  system: { 'zh-CN': '系统管理', en: 'System' },
} as const
export type MenuGroup = keyof typeof MENU_GROUPS

/**
 * The page registry. A module adds its menu entry and page with one line here; the layout builds the
 * menu and the routes from this list, and each page is its own lazily loaded chunk.
 */
export interface PageEntry {
  /** route path under the layout, e.g. 'devices' or 'points/:id' */
  readonly path: string
  /** menu label (a message key, or both languages inline); no label = no menu entry */
  readonly label?: MessageKey | { readonly 'zh-CN': string; readonly en: string }
  readonly icon?: ComponentType
  /** the page acts on one enterprise (a platform admin must choose one first) */
  readonly needsTenant?: boolean
  /** only these roles see the menu entry (e.g. the regional authority's rollups); default: everyone */
  readonly roles?: readonly string[]
  /** the menu section it is listed under (sections appear in the order of their first page) */
  readonly group?: MenuGroup
  readonly load: () => Promise<{ default: ComponentType }>
}

// biome-ignore format: one line per page keeps the registry a one-line change for a new module
export const PAGES: readonly PageEntry[] = [
  { path: 'overview', label: 'menu.overview', icon: DashboardOutlined, needsTenant: true, group: 'monitor', load: () => import('./features/overview/OverviewPage.tsx') },
  { path: 'assets', label: 'menu.assets', icon: ApartmentOutlined, needsTenant: true, group: 'monitor', load: () => import('./features/assets/AssetTreePage.tsx') },
  { path: 'points/:id', needsTenant: true, load: () => import('./features/points/PointDetailPage.tsx') },
  { path: 'devices', label: 'menu.devices', icon: ApiOutlined, needsTenant: true, group: 'monitor', load: () => import('./features/devices/DevicesPage.tsx') },
  { path: 'adapters', label: { 'zh-CN': '协议适配器', en: 'Adapters' }, icon: ApiOutlined, needsTenant: true, group: 'monitor', load: () => import('./pages/adapters/AdaptersPage.tsx') },
  { path: 'alarms', label: { 'zh-CN': '活动报警', en: 'Active alarms' }, icon: AlertOutlined, needsTenant: true, group: 'alarms', load: () => import('./pages/alarms/ActiveAlarmsPage.tsx') },
  { path: 'alarm-history', label: { 'zh-CN': '报警历史', en: 'Alarm history' }, icon: HistoryOutlined, needsTenant: true, group: 'alarms', load: () => import('./pages/alarms/AlarmHistoryPage.tsx') },
  { path: 'alarm-rules', label: { 'zh-CN': '报警规则', en: 'Alarm rules' }, icon: ControlOutlined, needsTenant: true, group: 'alarms', load: () => import('./pages/alarms/RuleEditorPage.tsx') },
  { path: 'alarm-kpis', label: { 'zh-CN': '报警绩效', en: 'Alarm KPIs' }, icon: BarChartOutlined, needsTenant: true, group: 'alarms', load: () => import('./pages/alarms/AlarmKpisPage.tsx') },
  { path: 'work-orders', label: { 'zh-CN': '维修工单', en: 'Work orders' }, icon: ToolOutlined, needsTenant: true, group: 'alarms', load: () => import('./pages/alarms/WorkOrdersPage.tsx') },
  { path: 'oee', label: { 'zh-CN': 'OEE 分析', en: 'OEE' }, icon: FundOutlined, needsTenant: true, group: 'analytics', load: () => import('./pages/analytics/OeePage.tsx') },
  { path: 'spc', label: { 'zh-CN': 'SPC 控制图', en: 'SPC charts' }, icon: DotChartOutlined, needsTenant: true, group: 'analytics', load: () => import('./pages/analytics/SpcPage.tsx') },
  { path: 'energy', label: { 'zh-CN': '能源管理', en: 'Energy' }, icon: ThunderboltOutlined, needsTenant: true, group: 'analytics', load: () => import('./pages/analytics/EnergyPage.tsx') },
  { path: 'region-energy', label: { 'zh-CN': '区域能源监测', en: 'Regional energy' }, icon: GlobalOutlined, roles: ['regional_authority'], group: 'analytics', load: () => import('./pages/analytics/RegionPage.tsx') },
  { path: 'identifier-prefixes', label: { 'zh-CN': '标识前缀与模板', en: 'Prefixes & templates' }, icon: DeploymentUnitOutlined, needsTenant: true, group: 'identifiers', load: () => import('./features/identifiers/PrefixesPage.tsx') },
  { path: 'identifiers', label: { 'zh-CN': '标识注册与查询', en: 'Identifiers' }, icon: QrcodeOutlined, needsTenant: true, group: 'identifiers', load: () => import('./features/identifiers/IdentifiersPage.tsx') },
  { path: 'epcis-events', label: { 'zh-CN': 'EPCIS 事件', en: 'EPCIS events' }, icon: BarcodeOutlined, needsTenant: true, group: 'identifiers', load: () => import('./features/identifiers/EpcisExplorerPage.tsx') },
  { path: 'trace', label: { 'zh-CN': '追溯图谱', en: 'Trace graph' }, icon: NodeIndexOutlined, needsTenant: true, group: 'identifiers', load: () => import('./features/identifiers/TracePage.tsx') },
  { path: 'planning-products', label: { 'zh-CN': '产品工艺', en: 'Products & routings' }, icon: ProfileOutlined, needsTenant: true, group: 'planning', load: () => import('./pages/planning/ProductsPage.tsx') },
  { path: 'planning-orders', label: { 'zh-CN': '生产订单', en: 'Production orders' }, icon: ShoppingCartOutlined, needsTenant: true, group: 'planning', load: () => import('./pages/planning/OrdersPage.tsx') },
  { path: 'planning-schedule', label: { 'zh-CN': '排产甘特图', en: 'Schedule' }, icon: CalendarOutlined, needsTenant: true, group: 'planning', load: () => import('./pages/planning/SchedulePage.tsx') },
  { path: 'users', label: 'menu.users', icon: TeamOutlined, group: 'system', load: () => import('./features/users/UsersPage.tsx') },
  { path: 'audit', label: 'menu.audit', icon: AuditOutlined, group: 'system', load: () => import('./features/audit/AuditPage.tsx') },
]
