import type { Kysely } from 'kysely'
import { CoreErrors, newId, type TenantId } from '../../core/index.ts'
import type {
  MetaStore,
  NewReportSubscription,
  ReportDelivery,
  ReportSubscription,
  ReportSubscriptionPatch,
} from './meta-store.ts'

/** Row shapes of migration 0002 (scheduled report subscriptions and their deliveries). */
export interface ReportTables {
  report_subscriptions: {
    id: string
    tenant_id: string
    name: string
    scope: string
    region_code: string | null
    period: string
    formats: string
    channel_id: string
    enabled: number
    created_by: string
    created_at: number
    updated_at: number
  }
  report_deliveries: {
    tenant_id: string
    subscription_id: string
    period_key: string
    status: string
    attempts: number
    last_error: string | null
    sent_at: number | null
    updated_at: number
  }
}

type ReportMethods = Pick<
  MetaStore,
  | 'createReportSubscription'
  | 'getReportSubscription'
  | 'listReportSubscriptions'
  | 'updateReportSubscription'
  | 'deleteReportSubscription'
  | 'listEnabledReportSubscriptionsForPlatform'
  | 'getReportDelivery'
  | 'listReportDeliveries'
  | 'putReportDelivery'
>

// pg hands int8 back as numbers through our pool, SQLite as numbers already; Number() covers both
const toSubscription = (r: ReportTables['report_subscriptions']): ReportSubscription => ({
  id: r.id,
  tenantId: r.tenant_id as TenantId,
  name: r.name,
  scope: r.scope as ReportSubscription['scope'],
  regionCode: r.region_code,
  period: r.period as ReportSubscription['period'],
  formats: r.formats.split(',').filter((f) => f !== '') as ReportSubscription['formats'],
  channelId: r.channel_id,
  enabled: Number(r.enabled) === 1,
  createdBy: r.created_by,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
})
const toDelivery = (r: ReportTables['report_deliveries']): ReportDelivery => ({
  subscriptionId: r.subscription_id,
  periodKey: r.period_key,
  status: r.status as ReportDelivery['status'],
  attempts: Number(r.attempts),
  lastError: r.last_error,
  sentAt: r.sent_at === null ? null : Number(r.sent_at),
  updatedAt: Number(r.updated_at),
})

/** The report-subscription part of the metadata store; every query carries the tenant. */
export function kyselyReportSubscriptions(db: Kysely<ReportTables>, clock: { now(): number }): ReportMethods {
  const get = async (tenant: TenantId, id: string): Promise<ReportSubscription> => {
    const r = await db
      .selectFrom('report_subscriptions')
      .selectAll()
      .where('tenant_id', '=', tenant)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!r) throw CoreErrors.notFound('report subscription', id)
    return toSubscription(r)
  }
  return {
    async createReportSubscription(tenant, s: NewReportSubscription) {
      const now = clock.now()
      const row: ReportTables['report_subscriptions'] = {
        id: newId('rsub', now),
        tenant_id: tenant,
        name: s.name,
        scope: s.scope,
        region_code: s.regionCode,
        period: s.period,
        formats: s.formats.join(','),
        channel_id: s.channelId,
        enabled: s.enabled ? 1 : 0,
        created_by: s.createdBy,
        created_at: now,
        updated_at: now,
      }
      await db.insertInto('report_subscriptions').values(row).execute()
      return toSubscription(row)
    },
    getReportSubscription: get,
    async listReportSubscriptions(tenant) {
      const rows = await db
        .selectFrom('report_subscriptions')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return rows.map(toSubscription)
    },
    async updateReportSubscription(tenant, id, patch: ReportSubscriptionPatch) {
      await get(tenant, id)
      const set: Partial<ReportTables['report_subscriptions']> = { updated_at: clock.now() }
      if (patch.name !== undefined) set.name = patch.name
      if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0
      if (patch.formats !== undefined) set.formats = patch.formats.join(',')
      if (patch.channelId !== undefined) set.channel_id = patch.channelId
      await db
        .updateTable('report_subscriptions')
        .set(set)
        .where('tenant_id', '=', tenant)
        .where('id', '=', id)
        .execute()
      return get(tenant, id)
    },
    async deleteReportSubscription(tenant, id) {
      await get(tenant, id)
      // deliveries first: SQLite enforces the cascade only with foreign_keys on, which we set, but
      // deleting them explicitly keeps the outcome the same whatever the connection's pragma
      await db
        .deleteFrom('report_deliveries')
        .where('tenant_id', '=', tenant)
        .where('subscription_id', '=', id)
        .execute()
      await db
        .deleteFrom('report_subscriptions')
        .where('tenant_id', '=', tenant)
        .where('id', '=', id)
        .execute()
    },
    async listEnabledReportSubscriptionsForPlatform() {
      const rows = await db
        .selectFrom('report_subscriptions')
        .selectAll()
        .where('enabled', '=', 1)
        .orderBy('tenant_id')
        .orderBy('id')
        .execute()
      return rows.map(toSubscription)
    },
    async getReportDelivery(tenant, subscriptionId, periodKey) {
      const r = await db
        .selectFrom('report_deliveries')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('subscription_id', '=', subscriptionId)
        .where('period_key', '=', periodKey)
        .executeTakeFirst()
      return r ? toDelivery(r) : null
    },
    async listReportDeliveries(tenant, subscriptionId, limit = 100) {
      const rows = await db
        .selectFrom('report_deliveries')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('subscription_id', '=', subscriptionId)
        .orderBy('updated_at', 'desc')
        .orderBy('period_key', 'desc')
        .limit(Math.min(Math.max(limit, 1), 1000))
        .execute()
      return rows.map(toDelivery)
    },
    async putReportDelivery(tenant, d) {
      // the subscription must be this tenant's: a delivery never lands under another tenant's id
      await get(tenant, d.subscriptionId)
      const values = {
        status: d.status,
        attempts: d.attempts,
        last_error: d.lastError,
        sent_at: d.sentAt,
        updated_at: d.updatedAt,
      }
      await db
        .insertInto('report_deliveries')
        .values({ tenant_id: tenant, subscription_id: d.subscriptionId, period_key: d.periodKey, ...values })
        .onConflict((oc) => oc.columns(['subscription_id', 'period_key']).doUpdateSet(values))
        .execute()
    },
  }
}
