import type { FastifyInstance } from 'fastify'
import type { Objective } from '../../scheduling/model.ts'
import type {
  EquipmentCalendar,
  OperationMove,
  PlanningService,
  RoutingOperation,
} from '../../scheduling/planning-service.ts'
import { proposalAuditDetails } from '../../scheduling/planning-service.ts'
import { type ApiDeps, auditOf, tenantOf } from '../context.ts'

const idParam = (name: string) => ({
  type: 'object',
  required: [name],
  properties: { [name]: { type: 'string', minLength: 1, maxLength: 64 } },
})
const tags = ['planning']
const intervals = {
  type: 'array',
  maxItems: 1000,
  items: {
    type: 'object',
    required: ['from', 'to'],
    additionalProperties: false,
    properties: { from: { type: 'integer' }, to: { type: 'integer' } },
  },
}

/** Advanced planning and scheduling: products with routings, production orders, schedules, breakdowns. */
export function registerPlanningRoutes(
  app: FastifyInstance,
  deps: ApiDeps & { planning: PlanningService },
): void {
  const { planning } = deps
  app.post(
    '/api/planning/products',
    {
      schema: {
        tags,
        summary: 'Create a product with its routing (operations on eligible equipment, per-piece times)',
        body: {
          type: 'object',
          required: ['name', 'routing'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            routing: {
              type: 'array',
              minItems: 1,
              maxItems: 100,
              items: {
                type: 'object',
                required: ['name', 'alternatives'],
                additionalProperties: false,
                properties: {
                  name: { type: 'string', minLength: 1, maxLength: 100 },
                  family: { type: 'integer', minimum: 0, maximum: 1000 },
                  alternatives: {
                    type: 'array',
                    minItems: 1,
                    maxItems: 50,
                    items: {
                      type: 'object',
                      required: ['equipment', 'durationMs'],
                      additionalProperties: false,
                      properties: {
                        equipment: { type: 'string', minLength: 1, maxLength: 64 },
                        durationMs: { type: 'integer', minimum: 1 },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'plan:write')
      const body = req.body as { name: string; routing: RoutingOperation[] }
      const product = await planning.createProduct(tenant, body)
      await auditOf(req, deps)(tenant, 'planning.product.create', product.id, 'ok', { name: body.name })
      return reply.code(201).send(product)
    },
  )
  app.get('/api/planning/products', { schema: { tags } }, async (req) => ({
    items: await planning.listProducts(tenantOf(req, 'plan:read')),
  }))
  app.get(
    '/api/planning/products/:productId',
    { schema: { tags, params: idParam('productId') } },
    async (req) =>
      planning.getProduct(tenantOf(req, 'plan:read'), (req.params as { productId: string }).productId),
  )

  app.post(
    '/api/planning/orders',
    {
      schema: {
        tags,
        summary: 'Create a production order',
        body: {
          type: 'object',
          required: ['productId', 'quantity', 'due'],
          additionalProperties: false,
          properties: {
            productId: { type: 'string', minLength: 1, maxLength: 64 },
            quantity: { type: 'integer', minimum: 1, maximum: 1_000_000 },
            due: { type: 'integer', description: 'epoch ms' },
            priority: {
              type: 'number',
              minimum: 0,
              maximum: 1000,
              description: 'tardiness weight; default 1',
            },
          },
        },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'plan:write')
      const body = req.body as { productId: string; quantity: number; due: number; priority?: number }
      const order = await planning.createOrder(tenant, body)
      await auditOf(req, deps)(tenant, 'planning.order.create', order.id, 'ok', body)
      return reply.code(201).send(order)
    },
  )
  app.get('/api/planning/orders', { schema: { tags } }, async (req) => ({
    items: await planning.listOrders(tenantOf(req, 'plan:read')),
  }))
  app.get('/api/planning/orders/:orderId', { schema: { tags, params: idParam('orderId') } }, async (req) =>
    planning.getOrder(tenantOf(req, 'plan:read'), (req.params as { orderId: string }).orderId),
  )

  app.post(
    '/api/planning/schedules',
    {
      schema: {
        tags,
        summary: 'Schedule orders on the enterprise’s equipment; stores the checked schedule with its KPIs',
        body: {
          type: 'object',
          required: ['orderIds'],
          additionalProperties: false,
          properties: {
            orderIds: {
              type: 'array',
              minItems: 1,
              maxItems: 500,
              items: { type: 'string', minLength: 1, maxLength: 64 },
            },
            timeLimitMs: { type: 'integer', minimum: 10, maximum: 60_000, default: 2000 },
            objective: { type: 'string', enum: ['makespan', 'weighted-tardiness'], default: 'makespan' },
            startAt: { type: 'integer', description: 'epoch ms the plan starts at; default now' },
            calendars: {
              type: 'object',
              description: 'per equipment id: shifts (windows) and planned outages, epoch ms',
              maxProperties: 500,
              additionalProperties: {
                type: 'object',
                additionalProperties: false,
                properties: { windows: intervals, outages: intervals },
              },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'plan:write')
      const body = req.body as {
        orderIds: string[]
        timeLimitMs: number
        objective: Objective
        startAt?: number
        calendars?: Record<string, EquipmentCalendar>
      }
      const plan = await planning.createSchedule(tenant, body)
      await auditOf(req, deps)(tenant, 'planning.schedule.create', plan.id, 'ok', {
        orderIds: body.orderIds,
        objective: plan.objective,
        makespanMs: plan.kpis.makespanMs,
      })
      return reply.code(201).send(plan)
    },
  )
  app.get('/api/planning/schedules', { schema: { tags } }, async (req) => ({
    items: await planning.listSchedules(tenantOf(req, 'plan:read')),
  }))
  app.get(
    '/api/planning/schedules/:scheduleId',
    { schema: { tags, params: idParam('scheduleId') } },
    async (req) => {
      const tenant = tenantOf(req, 'plan:read')
      const id = (req.params as { scheduleId: string }).scheduleId
      // the pending breakdown proposal travels with the plan, so the console shows it side by side
      // whether a planner asked for it or the breakdown watcher made it
      const [plan, proposal] = await Promise.all([
        planning.getSchedule(tenant, id),
        planning.getProposal(tenant, id),
      ])
      return { ...plan, proposal }
    },
  )
  app.post(
    '/api/planning/schedules/:scheduleId/breakdown',
    {
      schema: {
        tags,
        summary: 'Propose a repaired schedule after a breakdown: right-shift and full re-optimisation',
        params: idParam('scheduleId'),
        body: {
          type: 'object',
          required: ['equipment', 'from', 'to'],
          additionalProperties: false,
          properties: {
            equipment: { type: 'string', minLength: 1, maxLength: 64 },
            from: { type: 'integer', description: 'epoch ms' },
            to: { type: 'integer', description: 'epoch ms, exclusive' },
            timeLimitMs: { type: 'integer', minimum: 10, maximum: 60_000, default: 1000 },
          },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'plan:write')
      const body = req.body as { equipment: string; from: number; to: number; timeLimitMs: number }
      const id = (req.params as { scheduleId: string }).scheduleId
      const proposal = await planning.proposeBreakdown(tenant, id, body)
      await auditOf(req, deps)(tenant, 'planning.schedule.propose', id, 'ok', proposalAuditDetails(proposal))
      return proposal
    },
  )
  app.post(
    '/api/planning/schedules/:scheduleId/accept',
    {
      schema: {
        tags,
        summary: 'Accept one option of the pending breakdown proposal',
        params: idParam('scheduleId'),
        body: {
          type: 'object',
          required: ['option'],
          additionalProperties: false,
          properties: { option: { type: 'string', enum: ['rightShift', 'reoptimised'] } },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'plan:write')
      const { option } = req.body as { option: 'rightShift' | 'reoptimised' }
      const id = (req.params as { scheduleId: string }).scheduleId
      const plan = await planning.acceptProposal(tenant, id, option)
      // replacing the plan in force is the planner's decision: keep who took it
      await auditOf(req, deps)(tenant, 'planning.schedule.repair', id, 'ok', {
        option,
        outage: plan.outages.at(-1),
        makespanMs: plan.kpis.makespanMs,
      })
      return plan
    },
  )
  app.post(
    '/api/planning/schedules/:scheduleId/check',
    {
      schema: {
        tags,
        summary:
          'Check a planner’s manual moves against the schedule with the independent checker (nothing is stored)',
        params: idParam('scheduleId'),
        body: {
          type: 'object',
          required: ['moves'],
          additionalProperties: false,
          properties: {
            moves: {
              type: 'array',
              maxItems: 500,
              items: {
                type: 'object',
                required: ['orderId', 'step', 'start'],
                additionalProperties: false,
                properties: {
                  orderId: { type: 'string', minLength: 1, maxLength: 64 },
                  step: { type: 'integer', minimum: 0, maximum: 99 },
                  start: { type: 'integer', description: 'epoch ms' },
                  equipment: { type: 'string', minLength: 1, maxLength: 64 },
                },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'plan:write')
      const id = (req.params as { scheduleId: string }).scheduleId
      const { moves } = req.body as { moves: OperationMove[] }
      const r = await planning.checkMoves(tenant, id, moves)
      await auditOf(req, deps)(tenant, 'planning.schedule.check', id, 'ok', {
        moves,
        conflicts: r.conflicts.map((c) => c.kind),
      })
      return r
    },
  )
}
