import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import { CoreErrors, newId, RongheError, type TenantId } from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import { createPostgresPool, migrateUnderLock } from '../store/postgres-pool.ts'
import { checkSchedule, type ViolationKind } from './checker.ts'
import type { Objective, Schedule, ScheduledOperation, ScheduleKpis, ShopModel } from './model.ts'
import { repairBreakdown, solve } from './planner.ts'

/** One step of a product's routing: the equipment that can do it, with its time per piece. */
export interface RoutingOperation {
  readonly name: string
  /** set-up family (same family back to back needs no set-up) */
  readonly family?: number
  readonly alternatives: readonly { readonly equipment: string; readonly durationMs: number }[]
}
export interface Product {
  readonly id: string
  readonly name: string
  readonly routing: readonly RoutingOperation[]
  readonly createdAt: number
}
export interface ProductionOrder {
  readonly id: string
  readonly productId: string
  readonly quantity: number
  /** epoch ms */
  readonly due: number
  /** weight in the weighted-tardiness objective */
  readonly priority: number
  readonly createdAt: number
}
export interface GanttOperation {
  readonly orderId: string
  /** index of the operation in the product's routing */
  readonly step: number
  readonly operation: string
  readonly equipment: string
  /** epoch ms; set-up runs right before `start` */
  readonly start: number
  readonly end: number
  readonly setupMs: number
}
export interface EquipmentCalendar {
  readonly windows?: readonly { readonly from: number; readonly to: number }[]
  readonly outages?: readonly { readonly from: number; readonly to: number }[]
}
export interface PlanKpis {
  readonly makespanMs: number
  readonly totalWeightedTardinessMs: number
  readonly tardyOrders: number
  readonly utilisation: readonly { readonly equipment: string; readonly utilisation: number }[]
}
export interface PlannedSchedule {
  readonly id: string
  readonly objective: Objective
  readonly orderIds: readonly string[]
  /** epoch ms the plan starts at (time 0 of the solver's model) */
  readonly startAt: number
  readonly kpis: PlanKpis
  readonly operations: readonly GanttOperation[]
  readonly outages: readonly { readonly equipment: string; readonly from: number; readonly to: number }[]
  readonly createdAt: number
  readonly updatedAt: number
}
export interface BreakdownProposal {
  readonly scheduleId: string
  readonly breakdown: { readonly equipment: string; readonly from: number; readonly to: number }
  readonly rightShift: { readonly kpis: PlanKpis; readonly operations: readonly GanttOperation[] }
  readonly reoptimised: { readonly kpis: PlanKpis; readonly operations: readonly GanttOperation[] }
}

/** What the audit trail keeps of a breakdown proposal, the same whether a planner or the watcher asked. */
export function proposalAuditDetails(p: BreakdownProposal): Record<string, unknown> {
  return {
    breakdown: p.breakdown,
    rightShiftMakespanMs: p.rightShift.kpis.makespanMs,
    reoptimisedMakespanMs: p.reoptimised.kpis.makespanMs,
  }
}

/** A planner's manual move: an operation to a new start, optionally on another machine. */
export interface OperationMove {
  readonly orderId: string
  readonly step: number
  /** epoch ms */
  readonly start: number
  readonly equipment?: string
}
export interface PlanConflict {
  readonly kind: ViolationKind
  readonly message: string
  readonly operations: readonly {
    readonly orderId: string
    readonly step: number
    readonly operation: string
  }[]
}
/** What the independent checker says of a schedule with the planner's moves applied (nothing is stored). */
export interface MoveCheck {
  readonly ok: boolean
  readonly conflicts: readonly PlanConflict[]
  readonly kpis: PlanKpis
  readonly operations: readonly GanttOperation[]
}

export interface PlanningService {
  createProduct(tenant: TenantId, p: { name: string; routing: readonly RoutingOperation[] }): Promise<Product>
  listProducts(tenant: TenantId): Promise<readonly Product[]>
  getProduct(tenant: TenantId, id: string): Promise<Product>
  createOrder(
    tenant: TenantId,
    o: { productId: string; quantity: number; due: number; priority?: number },
  ): Promise<ProductionOrder>
  listOrders(tenant: TenantId): Promise<readonly ProductionOrder[]>
  getOrder(tenant: TenantId, id: string): Promise<ProductionOrder>
  createSchedule(
    tenant: TenantId,
    r: {
      orderIds: readonly string[]
      timeLimitMs?: number
      objective?: Objective
      startAt?: number
      /** per equipment id: shifts (`windows`) and planned outages, epoch ms */
      calendars?: Readonly<Record<string, EquipmentCalendar>>
    },
  ): Promise<PlannedSchedule>
  listSchedules(tenant: TenantId): Promise<readonly PlannedSchedule[]>
  getSchedule(tenant: TenantId, id: string): Promise<PlannedSchedule>
  proposeBreakdown(
    tenant: TenantId,
    id: string,
    b: { equipment: string; from: number; to: number; timeLimitMs?: number },
  ): Promise<BreakdownProposal>
  /** The breakdown proposal waiting for the planner's decision on this schedule, or null. */
  getProposal(tenant: TenantId, id: string): Promise<BreakdownProposal | null>
  acceptProposal(tenant: TenantId, id: string, option: 'rightShift' | 'reoptimised'): Promise<PlannedSchedule>
  /** Applies the moves to a copy of the stored schedule and checks it; set-ups follow the new sequence. */
  checkMoves(tenant: TenantId, id: string, moves: readonly OperationMove[]): Promise<MoveCheck>
  close(): Promise<void>
}

interface Tables {
  planning_product: { tenant: string; id: string; body: string }
  planning_order: { tenant: string; id: string; body: string }
  /** `model` and `schedule` are the solver's (relative times), kept so a breakdown can repair it */
  planning_schedule: { tenant: string; id: string; body: string; model: string; schedule: string }
  planning_proposal: {
    tenant: string
    schedule_id: string
    body: string
    model: string
    right_shift: string
    reoptimised: string
  }
}

const notValid = (errors: readonly string[]): RongheError =>
  new RongheError('PLANNING_INVALID_SCHEDULE', 'the solver returned a schedule the checker rejects', {
    status: 500,
    details: { errors: errors.slice(0, 10) },
  })

async function migratePlanning(db: Kysely<Tables>): Promise<void> {
  for (const t of ['planning_product', 'planning_order', 'planning_schedule'] as const) {
    let b = db.schema
      .createTable(t)
      .ifNotExists()
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
    if (t === 'planning_schedule')
      b = b.addColumn('model', 'text', (c) => c.notNull()).addColumn('schedule', 'text', (c) => c.notNull())
    await b.addPrimaryKeyConstraint(`${t}_pk`, ['tenant', 'id']).execute()
  }
  await db.schema
    .createTable('planning_proposal')
    .ifNotExists()
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('schedule_id', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('right_shift', 'text', (c) => c.notNull())
    .addColumn('reoptimised', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('planning_proposal_pk', ['tenant', 'schedule_id'])
    .execute()
}

interface PlanningDeps {
  meta: MetaStore
  clock: { now(): number }
}

/**
 * Products, routings, production orders and schedules in their own SQLite file (planning.db), the
 * embedded shape. Machines are the enterprise's equipment assets; times are epoch ms outside,
 * relative to the plan's start inside the solver's model.
 */
export async function openPlanningService(deps: PlanningDeps & { path: string }): Promise<PlanningService> {
  if (deps.path !== ':memory:') mkdirSync(dirname(deps.path), { recursive: true })
  const sqlite = new Database(deps.path)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('busy_timeout = 5000')
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: sqlite }) })
  await migratePlanning(db)
  return createPlanningService(db, deps)
}

/**
 * The same service on the shared PostgreSQL database (scale-out shape): every node sees every
 * product, order, schedule and pending breakdown proposal. Same tables (all text, tenant first in
 * every key), same queries.
 */
export async function openPostgresPlanningService(
  deps: PlanningDeps & { url: string; maxConnections?: number },
): Promise<PlanningService> {
  const db = new Kysely<Tables>({
    dialect: new PostgresDialect({ pool: createPostgresPool(deps.url, deps.maxConnections) }),
  })
  await migrateUnderLock(db, 'ronghe_planning_migrations', migratePlanning)
  return createPlanningService(db, deps)
}

function createPlanningService(db: Kysely<Tables>, deps: PlanningDeps): PlanningService {
  async function getRow<T>(
    table: 'planning_product' | 'planning_order',
    what: string,
    tenant: TenantId,
    id: string,
  ): Promise<T> {
    const row = await db
      .selectFrom(table)
      .select('body')
      .where('tenant', '=', tenant)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) throw CoreErrors.notFound(what, id)
    return JSON.parse(row.body) as T
  }
  async function listRows<T>(
    table: 'planning_product' | 'planning_order' | 'planning_schedule',
    tenant: TenantId,
  ): Promise<T[]> {
    const rows = await db
      .selectFrom(table)
      .select('body')
      .where('tenant', '=', tenant)
      .orderBy('id')
      .execute()
    return rows.map((r) => JSON.parse(r.body) as T)
  }
  async function scheduleRow(tenant: TenantId, id: string) {
    const row = await db
      .selectFrom('planning_schedule')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) throw CoreErrors.notFound('schedule', id)
    return {
      plan: JSON.parse(row.body) as PlannedSchedule,
      model: JSON.parse(row.model) as ShopModel,
      schedule: JSON.parse(row.schedule) as Schedule,
    }
  }

  function toKpis(k: ScheduleKpis): PlanKpis {
    return {
      makespanMs: k.makespan,
      totalWeightedTardinessMs: k.totalWeightedTardiness,
      tardyOrders: k.tardyJobs,
      utilisation: k.machines.map((m) => ({ equipment: m.machine, utilisation: m.utilisation })),
    }
  }
  function toGantt(model: ShopModel, s: Schedule, startAt: number, opNames: string[][]): GanttOperation[] {
    return s.operations.map((o) => ({
      orderId: model.jobs[o.job]?.id ?? '',
      step: o.operation,
      operation: opNames[o.job]?.[o.operation] ?? String(o.operation),
      equipment: model.machines[o.machine]?.id ?? '',
      start: startAt + o.start,
      end: startAt + o.end,
      setupMs: o.setup,
    }))
  }
  function checked(model: ShopModel, s: Schedule): ScheduleKpis {
    const c = checkSchedule(model, s)
    if (!c.ok) throw notValid(c.errors)
    return c.kpis
  }
  function opNamesOf(model: ShopModel): string[][] {
    return model.jobs.map((j) => j.operations.map((o, i) => o.id ?? String(i)))
  }
  async function storeSchedule(plan: PlannedSchedule, tenant: TenantId, model: ShopModel, s: Schedule) {
    await db
      .insertInto('planning_schedule')
      .values({
        tenant,
        id: plan.id,
        body: JSON.stringify(plan),
        model: JSON.stringify(model),
        schedule: JSON.stringify(s),
      })
      .onConflict((oc) =>
        oc.columns(['tenant', 'id']).doUpdateSet({
          body: JSON.stringify(plan),
          model: JSON.stringify(model),
          schedule: JSON.stringify(s),
        }),
      )
      .execute()
  }

  return {
    async createProduct(tenant, p) {
      if (p.routing.length === 0) throw CoreErrors.validation('a routing needs at least one operation')
      const equipment = new Set(
        (await deps.meta.listAssets(tenant, { level: 'equipment', limit: 1000 })).items.map(
          (a) => a.id as string,
        ),
      )
      for (const op of p.routing) {
        if (op.alternatives.length === 0)
          throw CoreErrors.validation(`operation ${op.name} needs at least one eligible equipment`)
        for (const a of op.alternatives)
          if (!equipment.has(a.equipment)) throw CoreErrors.notFound('equipment', a.equipment)
      }
      const now = deps.clock.now()
      const product: Product = { id: newId('prd', now), name: p.name, routing: p.routing, createdAt: now }
      await db
        .insertInto('planning_product')
        .values({ tenant, id: product.id, body: JSON.stringify(product) })
        .execute()
      return product
    },
    listProducts: (tenant) => listRows<Product>('planning_product', tenant),
    getProduct: (tenant, id) => getRow<Product>('planning_product', 'product', tenant, id),
    async createOrder(tenant, o) {
      await getRow<Product>('planning_product', 'product', tenant, o.productId)
      const now = deps.clock.now()
      const order: ProductionOrder = {
        id: newId('ord', now),
        productId: o.productId,
        quantity: o.quantity,
        due: o.due,
        priority: o.priority ?? 1,
        createdAt: now,
      }
      await db
        .insertInto('planning_order')
        .values({ tenant, id: order.id, body: JSON.stringify(order) })
        .execute()
      return order
    },
    listOrders: (tenant) => listRows<ProductionOrder>('planning_order', tenant),
    getOrder: (tenant, id) => getRow<ProductionOrder>('planning_order', 'order', tenant, id),

    async createSchedule(tenant, r) {
      if (r.orderIds.length === 0) throw CoreErrors.validation('a schedule needs at least one order')
      if (new Set(r.orderIds).size !== r.orderIds.length)
        throw CoreErrors.validation('an order is listed twice')
      const startAt = r.startAt ?? deps.clock.now()
      const orders = await Promise.all(
        r.orderIds.map((id) => getRow<ProductionOrder>('planning_order', 'order', tenant, id)),
      )
      const machines = new Set<string>()
      const jobs = await Promise.all(
        orders.map(async (o) => {
          const product = await getRow<Product>('planning_product', 'product', tenant, o.productId)
          return {
            id: o.id,
            release: 0,
            due: o.due - startAt,
            weight: o.priority,
            operations: product.routing.map((op) => ({
              id: op.name,
              family: op.family ?? 0,
              alternatives: op.alternatives.map((a) => {
                machines.add(a.equipment)
                return { machine: a.equipment, duration: a.durationMs * o.quantity }
              }),
            })),
          }
        }),
      )
      // equipment deleted since the routing was written cannot be planned on
      for (const m of machines) await deps.meta.getAsset(tenant, m as never)
      for (const id of Object.keys(r.calendars ?? {}))
        if (!machines.has(id)) throw CoreErrors.validation(`equipment ${id} has no operation in these orders`)
      const rel = (xs?: readonly { from: number; to: number }[]) =>
        xs?.map((x) => ({ start: x.from - startAt, end: x.to - startAt }))
      const model: ShopModel = {
        machines: [...machines].sort().map((id) => {
          const c = r.calendars?.[id]
          if (!c) return { id }
          const windows = rel(c.windows)
          const outages = rel(c.outages)
          return {
            id,
            calendar: { ...(windows ? { windows } : {}), ...(outages ? { outages } : {}) },
          }
        }),
        jobs,
      }
      const objective = r.objective ?? 'makespan'
      const result = await solve(model, { objective, timeLimitMs: r.timeLimitMs ?? 2000 })
      const kpis = checked(model, result.schedule)
      const now = deps.clock.now()
      const plan: PlannedSchedule = {
        id: newId('sch', now),
        objective,
        orderIds: r.orderIds,
        startAt,
        kpis: toKpis(kpis),
        operations: toGantt(model, result.schedule, startAt, opNamesOf(model)),
        outages: [],
        createdAt: now,
        updatedAt: now,
      }
      await storeSchedule(plan, tenant, model, result.schedule)
      return plan
    },
    listSchedules: (tenant) => listRows<PlannedSchedule>('planning_schedule', tenant),
    getSchedule: async (tenant, id) => (await scheduleRow(tenant, id)).plan,

    async proposeBreakdown(tenant, id, b) {
      const { plan, model, schedule } = await scheduleRow(tenant, id)
      if (!model.machines.some((m) => m.id === b.equipment))
        throw CoreErrors.validation(`equipment ${b.equipment} has no operation in this schedule`)
      if (!(b.to > b.from)) throw CoreErrors.validation('"to" must be after "from"')
      const rep = await repairBreakdown(
        model,
        schedule,
        { machine: b.equipment, start: b.from - plan.startAt, end: b.to - plan.startAt },
        { objective: plan.objective, timeLimitMs: b.timeLimitMs ?? 1000 },
      )
      const names = opNamesOf(model)
      const rs = checked(rep.model, rep.rightShift.schedule)
      const ro = checked(rep.model, rep.reoptimised.schedule)
      const proposal: BreakdownProposal = {
        scheduleId: id,
        breakdown: { equipment: b.equipment, from: b.from, to: b.to },
        rightShift: {
          kpis: toKpis(rs),
          operations: toGantt(rep.model, rep.rightShift.schedule, plan.startAt, names),
        },
        reoptimised: {
          kpis: toKpis(ro),
          operations: toGantt(rep.model, rep.reoptimised.schedule, plan.startAt, names),
        },
      }
      const row = {
        body: JSON.stringify(proposal),
        model: JSON.stringify(rep.model),
        right_shift: JSON.stringify(rep.rightShift.schedule),
        reoptimised: JSON.stringify(rep.reoptimised.schedule),
      }
      await db
        .insertInto('planning_proposal')
        .values({ tenant, schedule_id: id, ...row })
        .onConflict((oc) => oc.columns(['tenant', 'schedule_id']).doUpdateSet(row))
        .execute()
      return proposal
    },

    async getProposal(tenant, id) {
      await scheduleRow(tenant, id)
      const row = await db
        .selectFrom('planning_proposal')
        .select('body')
        .where('tenant', '=', tenant)
        .where('schedule_id', '=', id)
        .executeTakeFirst()
      return row ? (JSON.parse(row.body) as BreakdownProposal) : null
    },

    async acceptProposal(tenant, id, option) {
      const { plan } = await scheduleRow(tenant, id)
      const row = await db
        .selectFrom('planning_proposal')
        .selectAll()
        .where('tenant', '=', tenant)
        .where('schedule_id', '=', id)
        .executeTakeFirst()
      if (!row) throw CoreErrors.notFound('breakdown proposal for schedule', id)
      const model = JSON.parse(row.model) as ShopModel
      const s = JSON.parse(option === 'rightShift' ? row.right_shift : row.reoptimised) as Schedule
      const proposal = JSON.parse(row.body) as BreakdownProposal
      // checked again: what is stored must be valid for the model with the outage
      const kpis = checked(model, s)
      const updated: PlannedSchedule = {
        ...plan,
        kpis: toKpis(kpis),
        operations: toGantt(model, s, plan.startAt, opNamesOf(model)),
        outages: [...plan.outages, proposal.breakdown],
        updatedAt: deps.clock.now(),
      }
      await storeSchedule(updated, tenant, model, s)
      await db
        .deleteFrom('planning_proposal')
        .where('tenant', '=', tenant)
        .where('schedule_id', '=', id)
        .execute()
      return updated
    },
    async checkMoves(tenant, id, moves) {
      const { plan, model, schedule } = await scheduleRow(tenant, id)
      const ops: { -readonly [K in keyof ScheduledOperation]: ScheduledOperation[K] }[] =
        schedule.operations.map((o) => ({ ...o }))
      const seen = new Set<string>()
      for (const mv of moves) {
        const j = model.jobs.findIndex((x) => x.id === mv.orderId)
        if (j < 0) throw CoreErrors.validation(`order ${mv.orderId} is not in this schedule`)
        const op = model.jobs[j]!.operations[mv.step]
        const at = ops.findIndex((o) => o.job === j && o.operation === mv.step)
        if (op === undefined || at < 0)
          throw CoreErrors.validation(`order ${mv.orderId} has no operation ${mv.step}`)
        if (seen.has(`${j}/${mv.step}`)) throw CoreErrors.validation('an operation is moved twice')
        seen.add(`${j}/${mv.step}`)
        const cur = ops[at]!
        const machine =
          mv.equipment === undefined ? cur.machine : model.machines.findIndex((m) => m.id === mv.equipment)
        if (machine < 0)
          throw CoreErrors.validation(`equipment ${mv.equipment} has no operation in this schedule`)
        // an ineligible machine keeps the current duration; the checker reports it as ineligible
        const alt = op.alternatives.find((a) => a.machine === model.machines[machine]!.id)
        const duration = alt?.duration ?? cur.end - cur.start
        const start = mv.start - plan.startAt
        ops[at] = { ...cur, machine, start, end: start + duration }
      }
      // set-ups follow the sequence on each machine after the moves
      const familyOf = (o: (typeof ops)[number]) => model.jobs[o.job]!.operations[o.operation]!.family ?? 0
      model.machines.forEach((m, mi) => {
        const on = ops.filter((o) => o.machine === mi).sort((a, b) => a.start - b.start || a.end - b.end)
        on.forEach((o, i) => {
          const prev = on[i - 1]
          o.setup = prev === undefined ? 0 : (m.setupTimes?.[familyOf(prev)]?.[familyOf(o)] ?? 0)
        })
      })
      const moved: Schedule = { operations: ops }
      const c = checkSchedule(model, moved)
      const names = opNamesOf(model)
      return {
        ok: c.ok,
        conflicts: c.violations.map((v) => ({
          kind: v.kind,
          message: v.message,
          operations: v.operations.map((o) => ({
            orderId: model.jobs[o.job]?.id ?? '',
            step: o.operation,
            operation: names[o.job]?.[o.operation] ?? String(o.operation),
          })),
        })),
        kpis: toKpis(c.kpis),
        operations: toGantt(model, moved, plan.startAt, names),
      }
    },
    close: () => db.destroy(),
  }
}
