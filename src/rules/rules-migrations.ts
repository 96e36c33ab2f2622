import type { CreateTableBuilder, Kysely } from 'kysely'

/**
 * Tables of the rules module: rules and templates, the alarm book's durable mirror, every lifecycle
 * transition, maintenance work orders, notification channels and their deliveries. Idempotent
 * (IF NOT EXISTS) so it can run on every open; every key starts with tenant_id. Times are epoch ms,
 * JSON is text, booleans are 0/1.
 */
export interface RulesTables {
  rules: {
    tenant_id: string
    id: string
    template_id: string | null
    body_json: string
    created_at: number
    updated_at: number
    updated_by: string
  }
  rule_templates: {
    tenant_id: string
    id: string
    equipment_type: string
    body_json: string
    created_at: number
    updated_at: number
    updated_by: string
  }
  alarms: {
    tenant_id: string
    alarm_id: string
    rule_id: string | null
    equipment: string | null
    state: string
    condition_active: number
    priority: string
    last_change_at: number
    record_json: string
  }
  alarm_events: {
    seq: number | null
    tenant_id: string
    alarm_id: string
    from_state: string
    to_state: string
    at: number
    by: string
    why: string
    priority: string
    rule_id: string | null
    equipment: string | null
    value_json: string | null
  }
  work_orders: {
    tenant_id: string
    id: string
    equipment: string | null
    alarm_id: string | null
    status: string
    opened_at: number
    closed_at: number | null
    body_json: string
  }
  work_order_events: {
    seq: number | null
    tenant_id: string
    order_id: string
    at: number
    by: string
    kind: string
    text: string
  }
  notification_channels: {
    tenant_id: string
    id: string
    body_json: string
  }
  notification_deliveries: {
    seq: number | null
    tenant_id: string
    channel_id: string
    alarm_id: string
    reason: string
    at: number
    outcome: string
    latency_ms: number | null
    error: string | null
  }
  rules_learned: {
    tenant_id: string
    state_json: string
    saved_at: number
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the platform's database type is a superset of ours
export async function migrateRules(db: Kysely<any>, engine: 'sqlite' | 'postgres' = 'sqlite'): Promise<void> {
  // an increasing sequence number: SQLite's autoincrement rowid, PostgreSQL's bigserial
  const seq = (t: CreateTableBuilder<string, never>): CreateTableBuilder<string, 'seq'> =>
    engine === 'postgres'
      ? t.addColumn('seq', 'bigserial', (c) => c.primaryKey())
      : t.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
  await db.schema
    .createTable('rules')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('template_id', 'text')
    .addColumn('body_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('rules_pk', ['tenant_id', 'id'])
    .execute()
  await db.schema
    .createTable('rule_templates')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('equipment_type', 'text', (c) => c.notNull())
    .addColumn('body_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('rule_templates_pk', ['tenant_id', 'id'])
    .execute()
  await db.schema
    .createTable('alarms')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('alarm_id', 'text', (c) => c.notNull())
    .addColumn('rule_id', 'text')
    .addColumn('equipment', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('condition_active', 'integer', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull())
    .addColumn('last_change_at', 'bigint', (c) => c.notNull())
    .addColumn('record_json', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alarms_pk', ['tenant_id', 'alarm_id'])
    .execute()
  await db.schema
    .createIndex('alarms_tenant_state')
    .ifNotExists()
    .on('alarms')
    .columns(['tenant_id', 'state'])
    .execute()
  await db.schema
    .createTable('alarm_events')
    .ifNotExists()
    .$call(seq)
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('alarm_id', 'text', (c) => c.notNull())
    .addColumn('from_state', 'text', (c) => c.notNull())
    .addColumn('to_state', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('by', 'text', (c) => c.notNull())
    .addColumn('why', 'text', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull())
    .addColumn('rule_id', 'text')
    .addColumn('equipment', 'text')
    .addColumn('value_json', 'text')
    .execute()
  await db.schema
    .createIndex('alarm_events_tenant_at')
    .ifNotExists()
    .on('alarm_events')
    .columns(['tenant_id', 'at'])
    .execute()
  await db.schema
    .createIndex('alarm_events_tenant_alarm')
    .ifNotExists()
    .on('alarm_events')
    .columns(['tenant_id', 'alarm_id', 'at'])
    .execute()
  await db.schema
    .createTable('work_orders')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('equipment', 'text')
    .addColumn('alarm_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'bigint', (c) => c.notNull())
    .addColumn('closed_at', 'bigint')
    .addColumn('body_json', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('work_orders_pk', ['tenant_id', 'id'])
    .execute()
  await db.schema
    .createIndex('work_orders_tenant_equipment')
    .ifNotExists()
    .on('work_orders')
    .columns(['tenant_id', 'equipment', 'opened_at'])
    .execute()
  await db.schema
    .createTable('work_order_events')
    .ifNotExists()
    .$call(seq)
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('by', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('work_order_events_order')
    .ifNotExists()
    .on('work_order_events')
    .columns(['tenant_id', 'order_id'])
    .execute()
  await db.schema
    .createTable('notification_channels')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('body_json', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('notification_channels_pk', ['tenant_id', 'id'])
    .execute()
  await db.schema
    .createTable('notification_deliveries')
    .ifNotExists()
    .$call(seq)
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('alarm_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('latency_ms', 'integer')
    .addColumn('error', 'text')
    .execute()
  await db.schema
    .createIndex('notification_deliveries_tenant')
    .ifNotExists()
    .on('notification_deliveries')
    .columns(['tenant_id', 'seq'])
    .execute()
  await db.schema
    .createTable('rules_learned')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('state_json', 'text', (c) => c.notNull())
    .addColumn('saved_at', 'bigint', (c) => c.notNull())
    .execute()
}
