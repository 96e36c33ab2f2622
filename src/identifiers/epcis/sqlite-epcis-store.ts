import { type Kysely, sql } from 'kysely'
import type { IdentifiersTables } from '../identifiers-migrations.ts'
import { IdentErrors } from '../identifiers-errors.ts'
import { canonicalCbv } from './cbv.ts'
import {
  DEFAULT_PER_PAGE,
  decodePageToken,
  encodePageToken,
  eventIdentifiers,
  MATCH_ROLES,
  matchesQuery,
} from './epcis-query.ts'
import type { EpcisStore } from './epcis-store.ts'
import type { EpcisEvent, EventVisibility, StoredEpcisEvent } from './epcis-types.ts'

/**
 * EpcisStore on SQLite (and, through createKyselyEpcisStore, PostgreSQL) through Kysely (tables from migrateIdentifiers). Indexed columns narrow a
 * query in SQL; the reference predicate `matchesQuery` then decides, so both always agree (EPC
 * patterns and vocabulary spellings are only judged there). Identifiers are indexed per role in
 * epcis_event_ids for MATCH_ parameters and the trace walk.
 */
// biome-ignore lint/suspicious/noExplicitAny: accepts the platform's wider database type
export function createSqliteEpcisStore(anyDb: Kysely<any>): EpcisStore {
  return createKyselyEpcisStore(anyDb as Kysely<IdentifiersTables>, {
    seqKeyedByTenant: false,
    begin: async () => undefined,
    async firstSeq(trx) {
      // seq is assigned here (INTEGER PRIMARY KEY) so events and their identifier rows go in as
      // multi-row inserts; safe because the transaction holds SQLite's single writer
      const max = await trx
        .selectFrom('epcis_events')
        .select((eb) => eb.fn.max('seq').as('m'))
        .executeTakeFirst()
      return Number(max?.m ?? 0) + 1
    },
  })
}

/** What differs between the engines under the one Kysely EPCIS store. */
export interface EpcisEngineHooks {
  /** epcis_events is keyed (tenant_id, seq) rather than by seq alone: cross-tenant reads join on both */
  readonly seqKeyedByTenant: boolean
  /** first statement of a capture transaction (serialises captures where writers run concurrently) */
  begin(trx: Kysely<IdentifiersTables>): Promise<void>
  /** reserve `count` consecutive sequence numbers for a capture; returns the first */
  firstSeq(trx: Kysely<IdentifiersTables>, count: number): Promise<number>
}

export function createKyselyEpcisStore(db: Kysely<IdentifiersTables>, engine: EpcisEngineHooks): EpcisStore {
  type Row = IdentifiersTables['epcis_events']

  const toStored = (r: Row): StoredEpcisEvent => ({
    seq: r.seq ?? 0,
    tenant: r.tenant_id,
    eventId: r.event_id,
    eventTimeMs: r.event_time,
    recordTimeMs: r.record_time,
    event: JSON.parse(r.body_json) as EpcisEvent,
    ...(r.visibility_json === null ? {} : { visibility: JSON.parse(r.visibility_json) as EventVisibility }),
  })

  return {
    async capture(tenant, items, recordTimeMs) {
      return db.transaction().execute(async (trx) => {
        await engine.begin(trx)
        const out: StoredEpcisEvent[] = []
        const ids = items.map((i) => i.event.eventID)
        if (new Set(ids).size !== ids.length) {
          const dup = ids.find((id, i) => ids.indexOf(id) !== i) ?? ''
          throw IdentErrors.epcisDuplicateEvent(dup)
        }
        for (let i = 0; i < ids.length; i += 500) {
          const existing = await trx
            .selectFrom('epcis_events')
            .select('event_id')
            .where('tenant_id', '=', tenant)
            .where('event_id', 'in', ids.slice(i, i + 500))
            .executeTakeFirst()
          if (existing !== undefined) throw IdentErrors.epcisDuplicateEvent(existing.event_id)
        }
        let seq = items.length === 0 ? 0 : (await engine.firstSeq(trx, items.length)) - 1
        const recordTime = new Date(recordTimeMs).toISOString()
        const rows: Row[] = []
        const idRows: IdentifiersTables['epcis_event_ids'][] = []
        for (const item of items) {
          const e = item.event
          seq++
          const body = { ...e, recordTime }
          rows.push({
            seq,
            tenant_id: tenant,
            event_id: e.eventID,
            event_type: e.type,
            event_time: item.eventTimeMs,
            record_time: recordTimeMs,
            action: e.action ?? null,
            biz_step: e.bizStep === undefined ? null : canonicalCbv('bizstep', e.bizStep),
            disposition: e.disposition === undefined ? null : canonicalCbv('disp', e.disposition),
            read_point: e.readPoint?.id ?? null,
            biz_location: e.bizLocation?.id ?? null,
            body_json: JSON.stringify(body),
            visibility_json: item.visibility === undefined ? null : JSON.stringify(item.visibility),
          })
          for (const x of eventIdentifiers(e)) idRows.push({ tenant_id: tenant, seq, role: x.role, id: x.id })
          out.push({
            seq,
            tenant,
            eventId: e.eventID,
            eventTimeMs: item.eventTimeMs,
            recordTimeMs,
            event: body,
            ...(item.visibility === undefined ? {} : { visibility: item.visibility }),
          })
        }
        for (let i = 0; i < rows.length; i += 400)
          await trx
            .insertInto('epcis_events')
            .values(rows.slice(i, i + 400))
            .execute()
        for (let i = 0; i < idRows.length; i += 1000)
          await trx
            .insertInto('epcis_event_ids')
            .values(idRows.slice(i, i + 1000))
            .execute()
        return out
      })
    },

    async query(tenant, q) {
      const perPage = q.perPage ?? DEFAULT_PER_PAGE
      let pos = q.nextPageToken === undefined ? null : decodePageToken(q.nextPageToken, q)
      const found: StoredEpcisEvent[] = []
      const chunk = Math.min(Math.max(perPage * 2, 100), 2000)
      for (;;) {
        let s = db.selectFrom('epcis_events').selectAll().where('tenant_id', '=', tenant)
        if (q.eventType) s = s.where('event_type', 'in', [...q.eventType])
        if (q.GE_eventTime !== undefined) s = s.where('event_time', '>=', q.GE_eventTime)
        if (q.LT_eventTime !== undefined) s = s.where('event_time', '<', q.LT_eventTime)
        if (q.GE_recordTime !== undefined) s = s.where('record_time', '>=', q.GE_recordTime)
        if (q.LT_recordTime !== undefined) s = s.where('record_time', '<', q.LT_recordTime)
        if (q.EQ_action) s = s.where('action', 'in', [...q.EQ_action])
        if (q.EQ_bizStep)
          s = s.where(
            'biz_step',
            'in',
            q.EQ_bizStep.map((x) => canonicalCbv('bizstep', x)),
          )
        if (q.EQ_disposition)
          s = s.where(
            'disposition',
            'in',
            q.EQ_disposition.map((x) => canonicalCbv('disp', x)),
          )
        if (q.EQ_readPoint) s = s.where('read_point', 'in', [...q.EQ_readPoint])
        if (q.EQ_bizLocation) s = s.where('biz_location', 'in', [...q.EQ_bizLocation])
        if (q.EQ_eventID) s = s.where('event_id', 'in', [...q.EQ_eventID])
        for (const [param, roles] of Object.entries(MATCH_ROLES)) {
          const values = q[param as keyof typeof q] as readonly string[] | undefined
          // patterns are judged by matchesQuery; exact ids narrow the scan through the id index
          if (!values || values.some((v) => v.startsWith('urn:epc:idpat:'))) continue
          s = s.where((eb) =>
            eb.exists(
              eb
                .selectFrom('epcis_event_ids as x')
                .select(sql<number>`1`.as('one'))
                .whereRef('x.seq', '=', 'epcis_events.seq')
                .where('x.tenant_id', '=', tenant)
                .where('x.role', 'in', [...roles])
                .where('x.id', 'in', [...values]),
            ),
          )
        }
        if (pos !== null) {
          const p = pos
          s = s.where((eb) =>
            eb.or([eb('event_time', '>', p.t), eb.and([eb('event_time', '=', p.t), eb('seq', '>', p.s)])]),
          )
        }
        const rows = await s.orderBy('event_time').orderBy('seq').limit(chunk).execute()
        for (const r of rows) {
          const st = toStored(r)
          if (matchesQuery(st, q)) found.push(st)
          if (found.length > perPage) break
        }
        const last = rows[rows.length - 1]
        if (found.length > perPage || rows.length < chunk || last === undefined) break
        pos = { t: last.event_time, s: last.seq ?? 0 }
      }
      const page = found.slice(0, perPage)
      const tail = page[page.length - 1]
      if (found.length > perPage && tail !== undefined)
        return { events: page, nextPageToken: encodePageToken({ t: tail.eventTimeMs, s: tail.seq }, q) }
      return { events: page }
    },

    async get(tenant, eventId) {
      const r = await db
        .selectFrom('epcis_events')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('event_id', '=', eventId)
        .executeTakeFirst()
      return r === undefined ? null : toStored(r)
    },

    async findByIdentifiersForPlatform(ids) {
      if (ids.length === 0) return []
      const out = new Map<number, StoredEpcisEvent>()
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = [...ids.slice(i, i + 500)]
        const rows = engine.seqKeyedByTenant
          ? await db
              .selectFrom('epcis_events')
              .selectAll()
              .where((eb) =>
                eb(
                  eb.refTuple('tenant_id', 'seq'),
                  'in',
                  eb
                    .selectFrom('epcis_event_ids')
                    .select(['tenant_id', 'seq'])
                    .where('id', 'in', chunk)
                    .$asTuple('tenant_id', 'seq'),
                ),
              )
              .execute()
          : await db
              .selectFrom('epcis_events')
              .selectAll()
              .where('seq', 'in', (eb) =>
                eb.selectFrom('epcis_event_ids').select('seq').where('id', 'in', chunk),
              )
              .execute()
        for (const r of rows) out.set(r.seq ?? 0, toStored(r))
      }
      return [...out.values()].sort((a, b) => a.eventTimeMs - b.eventTimeMs || a.seq - b.seq)
    },
  }
}
