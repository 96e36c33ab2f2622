/**
 * The alarm store over Kysely (SQLite in the embedded shape). The queries are portable Kysely; the
 * schema comes from migrateRules, run by the opener.
 */
import type { Kysely } from 'kysely'
import type { TenantId } from '../core/index.ts'
import type { AlarmEvent, AlarmRecord, AlarmState } from './alarm-states.ts'
import type { AlarmStore, StoredAlarmEvent, StoredRule, StoredTemplate } from './alarm-store.ts'
import type { DeliveryRecord, NotificationChannel, NotifyReason } from './notifications/notification-types.ts'
import type { LearnedState } from './rule-engine.ts'
import type { AlarmPriority, SampleValue } from './rule-types.ts'
import type { RulesTables } from './rules-migrations.ts'
import type { WorkOrder, WorkOrderEvent, WorkOrderEventKind } from './work-orders.ts'

const MAX_PAGE = 10_000

function toEvent(r: RulesTables['alarm_events']): StoredAlarmEvent {
  return {
    seq: Number(r.seq),
    alarmId: r.alarm_id,
    from: r.from_state as AlarmState,
    to: r.to_state as AlarmState,
    at: Number(r.at),
    by: r.by,
    why: r.why,
    priority: r.priority as AlarmPriority,
    ...(r.rule_id === null ? {} : { ruleId: r.rule_id }),
    ...(r.equipment === null ? {} : { equipment: r.equipment }),
    ...(r.value_json === null ? {} : { value: JSON.parse(r.value_json) as SampleValue }),
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the platform's database type is a superset of ours
export function createSqliteAlarmStore(anyDb: Kysely<any>): AlarmStore {
  const db = anyDb as Kysely<RulesTables>
  const pageOf = (limit?: number, offset?: number) => ({
    limit: Math.min(Math.max(limit ?? 100, 1), MAX_PAGE),
    offset: Math.max(offset ?? 0, 0),
  })

  return {
    async tenantsForPlatform() {
      const rows = await db
        .selectFrom('rules')
        .select('tenant_id')
        .union(db.selectFrom('alarms').select('tenant_id'))
        .union(db.selectFrom('rule_templates').select('tenant_id'))
        .union(db.selectFrom('notification_channels').select('tenant_id'))
        .execute()
      return [...new Set(rows.map((r) => r.tenant_id as TenantId))]
    },

    async listRules(tenant) {
      const rows = await db
        .selectFrom('rules')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .orderBy('id')
        .execute()
      return rows.map(
        (r): StoredRule => ({
          definition: JSON.parse(r.body_json),
          templateId: r.template_id,
          createdAt: Number(r.created_at),
          updatedAt: Number(r.updated_at),
          updatedBy: r.updated_by,
        }),
      )
    },
    async getRule(tenant, id) {
      const r = await db
        .selectFrom('rules')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('id', '=', id)
        .executeTakeFirst()
      if (r === undefined) return null
      return {
        definition: JSON.parse(r.body_json),
        templateId: r.template_id,
        createdAt: Number(r.created_at),
        updatedAt: Number(r.updated_at),
        updatedBy: r.updated_by,
      }
    },
    async putRules(tenant, rules) {
      if (rules.length === 0) return
      await db.transaction().execute(async (trx) => {
        for (const r of rules) {
          const row = {
            tenant_id: tenant,
            id: r.definition.id,
            template_id: r.templateId,
            body_json: JSON.stringify(r.definition),
            created_at: r.createdAt,
            updated_at: r.updatedAt,
            updated_by: r.updatedBy,
          }
          await trx
            .insertInto('rules')
            .values(row)
            .onConflict((oc) =>
              oc.columns(['tenant_id', 'id']).doUpdateSet({
                template_id: row.template_id,
                body_json: row.body_json,
                updated_at: row.updated_at,
                updated_by: row.updated_by,
              }),
            )
            .execute()
        }
      })
    },
    async deleteRules(tenant, ids) {
      for (let i = 0; i < ids.length; i += 500) {
        const part = ids.slice(i, i + 500)
        await db.deleteFrom('rules').where('tenant_id', '=', tenant).where('id', 'in', part).execute()
      }
    },

    async listTemplates(tenant) {
      const rows = await db
        .selectFrom('rule_templates')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .orderBy('id')
        .execute()
      return rows.map((r) => ({
        template: JSON.parse(r.body_json),
        createdAt: Number(r.created_at),
        updatedAt: Number(r.updated_at),
        updatedBy: r.updated_by,
      }))
    },
    async getTemplate(tenant, id) {
      const r = await db
        .selectFrom('rule_templates')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('id', '=', id)
        .executeTakeFirst()
      if (r === undefined) return null
      return {
        template: JSON.parse(r.body_json),
        createdAt: Number(r.created_at),
        updatedAt: Number(r.updated_at),
        updatedBy: r.updated_by,
      } satisfies StoredTemplate
    },
    async putTemplate(tenant, t) {
      const row = {
        tenant_id: tenant,
        id: t.template.id,
        equipment_type: t.template.equipmentType,
        body_json: JSON.stringify(t.template),
        created_at: t.createdAt,
        updated_at: t.updatedAt,
        updated_by: t.updatedBy,
      }
      await db
        .insertInto('rule_templates')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'id']).doUpdateSet({
            equipment_type: row.equipment_type,
            body_json: row.body_json,
            updated_at: row.updated_at,
            updated_by: row.updated_by,
          }),
        )
        .execute()
    },
    async deleteTemplate(tenant, id) {
      await db.deleteFrom('rule_templates').where('tenant_id', '=', tenant).where('id', '=', id).execute()
    },

    async recordTransitions(tenant, records, events) {
      if (records.length === 0 && events.length === 0) return []
      // the state each alarm is expected to be in before these events: the first event's `from`
      const expected = new Map<string, AlarmState>()
      for (const e of events) if (!expected.has(e.alarmId)) expected.set(e.alarmId, e.from)
      const conflicts: string[] = []
      await db.transaction().execute(async (trx) => {
        for (const r of records) {
          const row = {
            tenant_id: tenant,
            alarm_id: r.alarmId,
            rule_id: r.ruleId,
            equipment: r.equipment,
            state: r.state,
            condition_active: r.conditionActive ? 1 : 0,
            priority: r.priority,
            last_change_at: r.lastChangeAt,
            record_json: JSON.stringify(r),
          }
          const from = expected.get(r.alarmId)
          if (from === undefined) {
            await trx
              .insertInto('alarms')
              .values(row)
              .onConflict((oc) =>
                oc.columns(['tenant_id', 'alarm_id']).doUpdateSet({
                  rule_id: row.rule_id,
                  equipment: row.equipment,
                  state: row.state,
                  condition_active: row.condition_active,
                  priority: row.priority,
                  last_change_at: row.last_change_at,
                  record_json: row.record_json,
                }),
              )
              .execute()
            continue
          }
          // compare and set: another node (sharing this database) may have made the same
          // transition first; then this one is not recorded and the caller reloads the alarm
          const upd = await trx
            .updateTable('alarms')
            .set({
              rule_id: row.rule_id,
              equipment: row.equipment,
              state: row.state,
              condition_active: row.condition_active,
              priority: row.priority,
              last_change_at: row.last_change_at,
              record_json: row.record_json,
            })
            .where('tenant_id', '=', tenant)
            .where('alarm_id', '=', r.alarmId)
            .where('state', '=', from)
            .executeTakeFirst()
          if (Number(upd.numUpdatedRows) === 1) continue
          const ins =
            from === 'normal'
              ? await trx
                  .insertInto('alarms')
                  .values(row)
                  .onConflict((oc) => oc.columns(['tenant_id', 'alarm_id']).doNothing())
                  .executeTakeFirst()
              : undefined
          if (Number(ins?.numInsertedOrUpdatedRows ?? 0) !== 1) conflicts.push(r.alarmId)
        }
        const skip = new Set(conflicts)
        const kept = skip.size === 0 ? events : events.filter((e) => !skip.has(e.alarmId))
        for (let i = 0; i < kept.length; i += 200) {
          await trx
            .insertInto('alarm_events')
            .values(
              kept.slice(i, i + 200).map((e: AlarmEvent) => ({
                tenant_id: tenant,
                alarm_id: e.alarmId,
                from_state: e.from,
                to_state: e.to,
                at: e.at,
                by: e.by,
                why: e.why,
                priority: e.priority,
                rule_id: e.ruleId ?? null,
                equipment: e.equipment ?? null,
                value_json: e.value === undefined ? null : JSON.stringify(e.value),
              })),
            )
            .execute()
        }
      })
      return conflicts
    },
    async listAlarms(tenant) {
      const rows = await db
        .selectFrom('alarms')
        .select('record_json')
        .where('tenant_id', '=', tenant)
        .orderBy('alarm_id')
        .execute()
      return rows.map((r) => JSON.parse(r.record_json) as AlarmRecord)
    },
    async listAlarmEvents(tenant, q = {}) {
      let sel = db.selectFrom('alarm_events').where('tenant_id', '=', tenant)
      if (q.alarmId !== undefined) sel = sel.where('alarm_id', '=', q.alarmId)
      if (q.equipment !== undefined) sel = sel.where('equipment', '=', q.equipment)
      if (q.priorities !== undefined && q.priorities.length > 0)
        sel = sel.where('priority', 'in', q.priorities)
      if (q.toStates !== undefined && q.toStates.length > 0) sel = sel.where('to_state', 'in', q.toStates)
      if (q.from !== undefined) sel = sel.where('at', '>=', q.from)
      if (q.to !== undefined) sel = sel.where('at', '<', q.to)
      const { limit, offset } = pageOf(q.limit, q.offset)
      const dir = q.order ?? 'desc'
      const [rows, count] = await Promise.all([
        sel.selectAll().orderBy('at', dir).orderBy('seq', dir).limit(limit).offset(offset).execute(),
        sel.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst(),
      ])
      return { items: rows.map(toEvent), total: Number(count?.n ?? 0) }
    },

    async createWorkOrder(tenant, o, by) {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('work_orders')
          .values({
            tenant_id: tenant,
            id: o.id,
            equipment: o.equipment,
            alarm_id: o.alarmId,
            status: o.status,
            opened_at: o.openedAt,
            closed_at: o.closedAt,
            body_json: JSON.stringify(o),
          })
          .execute()
        await trx
          .insertInto('work_order_events')
          .values({ tenant_id: tenant, order_id: o.id, at: o.openedAt, by, kind: 'opened', text: o.title })
          .execute()
      })
    },
    async updateWorkOrder(tenant, o, e) {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('work_orders')
          .set({
            equipment: o.equipment,
            status: o.status,
            closed_at: o.closedAt,
            body_json: JSON.stringify(o),
          })
          .where('tenant_id', '=', tenant)
          .where('id', '=', o.id)
          .execute()
        await trx
          .insertInto('work_order_events')
          .values({ tenant_id: tenant, order_id: o.id, at: e.at, by: e.by, kind: e.kind, text: e.text })
          .execute()
      })
    },
    async getWorkOrder(tenant, id) {
      const r = await db
        .selectFrom('work_orders')
        .select('body_json')
        .where('tenant_id', '=', tenant)
        .where('id', '=', id)
        .executeTakeFirst()
      return r === undefined ? null : (JSON.parse(r.body_json) as WorkOrder)
    },
    async listWorkOrders(tenant, q = {}) {
      let sel = db.selectFrom('work_orders').where('tenant_id', '=', tenant)
      if (q.equipment !== undefined) sel = sel.where('equipment', '=', q.equipment)
      if (q.status !== undefined) sel = sel.where('status', '=', q.status)
      if (q.alarmId !== undefined) sel = sel.where('alarm_id', '=', q.alarmId)
      const { limit, offset } = pageOf(q.limit, q.offset)
      const [rows, count] = await Promise.all([
        sel
          .select('body_json')
          .orderBy('opened_at', 'desc')
          .orderBy('id', 'desc')
          .limit(limit)
          .offset(offset)
          .execute(),
        sel.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst(),
      ])
      return { items: rows.map((r) => JSON.parse(r.body_json) as WorkOrder), total: Number(count?.n ?? 0) }
    },
    async addWorkOrderEvent(tenant, e) {
      await db
        .insertInto('work_order_events')
        .values({ tenant_id: tenant, order_id: e.orderId, at: e.at, by: e.by, kind: e.kind, text: e.text })
        .execute()
    },
    async listWorkOrderEvents(tenant, orderId) {
      const rows = await db
        .selectFrom('work_order_events')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('order_id', '=', orderId)
        .orderBy('seq')
        .execute()
      return rows.map(
        (r): WorkOrderEvent => ({
          seq: Number(r.seq),
          orderId: r.order_id,
          at: Number(r.at),
          by: r.by,
          kind: r.kind as WorkOrderEventKind,
          text: r.text,
        }),
      )
    },

    async listChannels(tenant) {
      const rows = await db
        .selectFrom('notification_channels')
        .select('body_json')
        .where('tenant_id', '=', tenant)
        .orderBy('id')
        .execute()
      return rows.map((r) => JSON.parse(r.body_json) as NotificationChannel)
    },
    async putChannel(tenant, c) {
      const body_json = JSON.stringify(c)
      await db
        .insertInto('notification_channels')
        .values({ tenant_id: tenant, id: c.id, body_json })
        .onConflict((oc) => oc.columns(['tenant_id', 'id']).doUpdateSet({ body_json }))
        .execute()
    },
    async deleteChannel(tenant, id) {
      const r = await db
        .deleteFrom('notification_channels')
        .where('tenant_id', '=', tenant)
        .where('id', '=', id)
        .executeTakeFirst()
      return Number(r.numDeletedRows) > 0
    },
    async addDelivery(tenant, d) {
      await db
        .insertInto('notification_deliveries')
        .values({
          tenant_id: tenant,
          channel_id: d.channelId,
          alarm_id: d.alarmId,
          reason: d.reason,
          at: d.at,
          outcome: d.outcome,
          latency_ms: d.latencyMs,
          error: d.error,
        })
        .execute()
    },
    async listDeliveries(tenant, q = {}) {
      let sel = db.selectFrom('notification_deliveries').selectAll().where('tenant_id', '=', tenant)
      if (q.alarmId !== undefined) sel = sel.where('alarm_id', '=', q.alarmId)
      const rows = await sel.orderBy('seq', 'desc').limit(pageOf(q.limit).limit).execute()
      return rows.map(
        (r): DeliveryRecord => ({
          seq: Number(r.seq),
          channelId: r.channel_id,
          alarmId: r.alarm_id,
          reason: r.reason as NotifyReason,
          at: Number(r.at),
          outcome: r.outcome as DeliveryRecord['outcome'],
          latencyMs: r.latency_ms === null ? null : Number(r.latency_ms),
          error: r.error,
        }),
      )
    },

    async saveLearned(tenant, state, at) {
      const state_json = JSON.stringify(state)
      await db
        .insertInto('rules_learned')
        .values({ tenant_id: tenant, state_json, saved_at: at })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ state_json, saved_at: at }))
        .execute()
    },
    async loadLearned(tenant) {
      const r = await db
        .selectFrom('rules_learned')
        .select('state_json')
        .where('tenant_id', '=', tenant)
        .executeTakeFirst()
      return r === undefined ? null : (JSON.parse(r.state_json) as LearnedState)
    },
  }
}
