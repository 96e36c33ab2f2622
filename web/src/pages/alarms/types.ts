/** Wire types of the alarm API (src/rules/*, src/api/routes/rules-routes.ts), as the console uses them. */
import type { AlarmState } from '../../../../src/rules/alarm-states.ts'
export type AlarmPriority = 'critical' | 'high' | 'medium' | 'low'
export const PRIORITIES: readonly AlarmPriority[] = ['critical', 'high', 'medium', 'low']
export type { AlarmState }
export const STATES: readonly AlarmState[] = [
  'normal',
  'unacknowledged',
  'acknowledged',
  'rtn-unacknowledged',
  'shelved',
  'suppressed-by-design',
  'out-of-service',
]
export type Value = number | string | boolean | null

export interface AlarmRecord {
  alarmId: string
  ruleId: string | null
  equipment: string | null
  state: AlarmState
  conditionActive: boolean
  priority: AlarmPriority
  message: string
  value: Value
  activeSince: number | null
  acknowledgedBy: string | null
  acknowledgedAt: number | null
  shelvedUntil: number | null
  shelvedBy: string | null
  suppressedByDesign: boolean
  outOfService: boolean
  activations: number
  lastChangeAt: number
}
export interface AlarmEvent {
  seq: number
  alarmId: string
  from: AlarmState
  to: AlarmState
  at: number
  by: string
  why: string
  priority: AlarmPriority
  ruleId?: string
  equipment?: string
  value?: Value
}

export interface LimitRule {
  kind: 'limit'
  id: string
  name?: string
  equipment?: string
  priority?: AlarmPriority
  point: string
  hh?: number
  h?: number
  l?: number
  ll?: number
  deadband?: number
  onDelayMs?: number
  offDelayMs?: number
}
export interface ExpressionRule {
  kind: 'expression'
  id: string
  name?: string
  equipment?: string
  priority?: AlarmPriority
  expression: string
  maxAgeMs?: number
  onDelayMs?: number
  offDelayMs?: number
}
/** Other kinds are shown, not edited here. */
export type RuleDefinition = LimitRule | ExpressionRule | { kind: string; id: string; [k: string]: unknown }
export interface RuleView {
  id: string
  definition: RuleDefinition
  templateId: string | null
  createdAt: number
  updatedAt: number
  updatedBy: string
}
export interface AlarmEpisode {
  conditionId: string
  ruleId: string
  priority: AlarmPriority
  raisedAt: number
  clearedAt: number | null
  message: string
}
export interface PreviewResult {
  from: number
  to: number
  activations: Record<string, number>
  episodes: AlarmEpisode[]
  truncated: boolean
}

export type WorkOrderStatus = 'open' | 'assigned' | 'closed'
export interface WorkOrder {
  id: string
  title: string
  description: string
  equipment: string | null
  alarmId: string | null
  priority: AlarmPriority
  failure: boolean
  failedAt: number
  status: WorkOrderStatus
  assignee: string | null
  openedBy: string
  openedAt: number
  closedBy: string | null
  closedAt: number | null
  cause: string | null
  action: string | null
}
export interface WorkOrderEvent {
  seq: number
  orderId: string
  at: number
  by: string
  kind: 'opened' | 'assigned' | 'comment' | 'closed'
  text: string
}
export interface Reliability {
  failures: number
  mttrMs: number | null
  mtbfMs: number | null
  openOrders: number
}

export interface AlarmKpis {
  from: number
  to: number
  operators: number
  annunciated: number
  per10Min: { average: number; peak: number; peakAt: number | null }
  perHourAverage: number
  perDayAverage: number
  floodPeriodShare: number
  floods: {
    count: number
    totalDurationMs: number
    timeShare: number
    list: {
      start: number
      end: number
      durationMs: number
      alarms: number
      peakIn10Min: number
      ongoing: boolean
    }[]
  }
  chattering: { alarmId: string; activations: number; maxInWindow: number }[]
  stale: { alarmId: string; since: number; ageMs: number }[]
  topFrequent: { alarmId: string; count: number; share: number }[]
  topShare: number
  priorityDistribution: Record<AlarmPriority, { count: number; share: number }>
  standing: Record<'shelved' | 'suppressed-by-design' | 'out-of-service', number>
}
