/**
 * The rules module's persistence port: rules and templates, the alarm book's durable mirror and its
 * transition log, work orders, notification channels and deliveries. Every method takes the tenant;
 * the one that does not is named …ForPlatform.
 */
import type { TenantId } from '../core/index.ts'
import type { AlarmEvent, AlarmRecord, AlarmState } from './alarm-states.ts'
import type { LearnedState } from './rule-engine.ts'
import type { RuleTemplate } from './rule-templates.ts'
import type { AlarmPriority, RuleDefinition } from './rule-types.ts'
import type { DeliveryRecord, NotificationChannel } from './notifications/notification-types.ts'
import type { WorkOrder, WorkOrderEvent, WorkOrderEventKind, WorkOrderStatus } from './work-orders.ts'

export interface StoredRule {
  readonly definition: RuleDefinition
  /** set when the rule was expanded from a template (such rules are edited through the template) */
  readonly templateId: string | null
  readonly createdAt: number
  readonly updatedAt: number
  readonly updatedBy: string
}

export interface StoredTemplate {
  readonly template: RuleTemplate
  readonly createdAt: number
  readonly updatedAt: number
  readonly updatedBy: string
}

export interface StoredAlarmEvent extends AlarmEvent {
  readonly seq: number
}

export interface AlarmEventQuery {
  readonly alarmId?: string
  readonly equipment?: string
  readonly priorities?: readonly AlarmPriority[]
  readonly toStates?: readonly AlarmState[]
  readonly from?: number
  readonly to?: number
  readonly limit?: number
  readonly offset?: number
  readonly order?: 'asc' | 'desc'
}

export interface WorkOrderQuery {
  readonly equipment?: string
  readonly status?: WorkOrderStatus
  readonly alarmId?: string
  readonly limit?: number
  readonly offset?: number
}

export interface AlarmStore {
  tenantsForPlatform(): Promise<TenantId[]>

  listRules(tenant: TenantId): Promise<StoredRule[]>
  getRule(tenant: TenantId, id: string): Promise<StoredRule | null>
  /** insert or replace */
  putRules(tenant: TenantId, rules: readonly StoredRule[]): Promise<void>
  deleteRules(tenant: TenantId, ids: readonly string[]): Promise<void>

  listTemplates(tenant: TenantId): Promise<StoredTemplate[]>
  getTemplate(tenant: TenantId, id: string): Promise<StoredTemplate | null>
  putTemplate(tenant: TenantId, t: StoredTemplate): Promise<void>
  deleteTemplate(tenant: TenantId, id: string): Promise<void>

  /**
   * The alarms' current records and the transitions that led there, in one transaction. An alarm
   * whose stored state is not the `from` of its first event (another node sharing the store made a
   * transition first) is not written; its id is returned so the caller reloads it.
   */
  recordTransitions(
    tenant: TenantId,
    records: readonly AlarmRecord[],
    events: readonly AlarmEvent[],
  ): Promise<readonly string[]>
  listAlarms(tenant: TenantId): Promise<AlarmRecord[]>
  listAlarmEvents(
    tenant: TenantId,
    q?: AlarmEventQuery,
  ): Promise<{ items: StoredAlarmEvent[]; total: number }>

  createWorkOrder(tenant: TenantId, o: WorkOrder, by: string): Promise<void>
  updateWorkOrder(
    tenant: TenantId,
    o: WorkOrder,
    event: { at: number; by: string; kind: WorkOrderEventKind; text: string },
  ): Promise<void>
  getWorkOrder(tenant: TenantId, id: string): Promise<WorkOrder | null>
  listWorkOrders(tenant: TenantId, q?: WorkOrderQuery): Promise<{ items: WorkOrder[]; total: number }>
  addWorkOrderEvent(
    tenant: TenantId,
    e: { orderId: string; at: number; by: string; kind: WorkOrderEventKind; text: string },
  ): Promise<void>
  listWorkOrderEvents(tenant: TenantId, orderId: string): Promise<WorkOrderEvent[]>

  listChannels(tenant: TenantId): Promise<NotificationChannel[]>
  putChannel(tenant: TenantId, c: NotificationChannel): Promise<void>
  deleteChannel(tenant: TenantId, id: string): Promise<boolean>
  addDelivery(tenant: TenantId, d: Omit<DeliveryRecord, 'seq'>): Promise<void>
  listDeliveries(tenant: TenantId, q?: { alarmId?: string; limit?: number }): Promise<DeliveryRecord[]>

  saveLearned(tenant: TenantId, state: LearnedState, at: number): Promise<void>
  loadLearned(tenant: TenantId): Promise<LearnedState | null>
}
