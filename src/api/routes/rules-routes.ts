import type { FastifyInstance, FastifyRequest } from 'fastify'
import { CoreErrors, isRongheError, type TenantId } from '../../core/index.ts'
import type {
  AlarmPriority,
  AlarmState,
  NotificationChannel,
  RuleDefinition,
  RulesService,
  RuleTemplate,
} from '../../rules/index.ts'
import { ALARM_PRIORITIES, ALARM_STATES, CHANNEL_KINDS } from '../../rules/index.ts'
import { SecurityErrors } from '../../security/security-errors.ts'
import { type ApiDeps, auditOf, noContent, principalOf, tenantOf } from '../context.ts'

const DAY = 86_400_000

/** Alarm ids carry the rule id, the machine and the level (`vib@ast_…:HH`): longer than other ids. */
const anyId = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 300 } },
} as const
const priorityEnum = { type: 'string', enum: ALARM_PRIORITIES } as const
const csv = { type: 'string', maxLength: 400 } as const
const ruleBody = {
  type: 'object',
  required: ['kind'],
  properties: {
    kind: {
      type: 'string',
      enum: ['limit', 'rate', 'no-data', 'state', 'expression', 'anomaly', 'forecast', 'spc'],
    },
  },
} as const
const reasonBody = (required: boolean) =>
  ({
    type: 'object',
    ...(required ? { required: ['reason'] } : {}),
    properties: { reason: { type: 'string', maxLength: 500 } },
  }) as const

function rulesOf(deps: ApiDeps): RulesService {
  if (deps.rules === undefined) throw CoreErrors.notFound('module', 'rules')
  return deps.rules
}

function who(req: FastifyRequest): string {
  return principalOf(req).username
}

function list<T extends string>(s: string | undefined, allowed: readonly T[], what: string): T[] | undefined {
  if (s === undefined || s === '') return undefined
  const parts = s.split(',').map((x) => x.trim())
  for (const p of parts) if (!allowed.includes(p as T)) throw CoreErrors.validation(`unknown ${what} "${p}"`)
  return parts as T[]
}

function channelFrom(id: string, b: Record<string, unknown>): NotificationChannel {
  return {
    id,
    kind: b.kind as NotificationChannel['kind'],
    name: typeof b.name === 'string' ? b.name : id,
    enabled: b.enabled !== false,
    minPriority: (b.minPriority as AlarmPriority | undefined) ?? 'low',
    escalateAfterMs: typeof b.escalateAfterMs === 'number' ? b.escalateAfterMs : null,
    notifyOn: (b.notifyOn as NotificationChannel['notifyOn'] | undefined) ?? ['raised'],
    dedupeWindowMs: typeof b.dedupeWindowMs === 'number' ? b.dedupeWindowMs : 10 * 60_000,
    equipment: (b.equipment as string[] | undefined) ?? [],
    config: (b.config ?? {}) as never,
  }
}

/** Secrets stay on the server: listing shows that one is set, not what it is. */
function redact(c: NotificationChannel): NotificationChannel {
  const cfg = { ...(c.config as unknown as Record<string, unknown>) }
  for (const k of ['secret', 'password']) if (typeof cfg[k] === 'string' && cfg[k] !== '') cfg[k] = '***'
  return { ...c, config: cfg as never }
}

const channelBody = {
  type: 'object',
  required: ['kind', 'config'],
  properties: {
    kind: { type: 'string', enum: CHANNEL_KINDS },
    name: { type: 'string', maxLength: 200 },
    enabled: { type: 'boolean' },
    minPriority: priorityEnum,
    escalateAfterMs: { type: ['integer', 'null'], minimum: 0 },
    notifyOn: { type: 'array', items: { type: 'string', enum: ['raised', 'acknowledged', 'cleared'] } },
    dedupeWindowMs: { type: 'integer', minimum: 0 },
    equipment: { type: 'array', items: { type: 'string' }, maxItems: 1000 },
    config: { type: 'object' },
  },
} as const

/**
 * Rules, templates, preview; alarms (list, history, acknowledge / shelve / out of service, KPIs, live
 * WebSocket); notification channels; maintenance work orders with MTTR / MTBF.
 */
export function registerRulesRoutes(app: FastifyInstance, deps: ApiDeps): void {
  if (deps.rules === undefined) return
  const tags = ['alarms']

  // ------------------------------------------------------------------ rules and templates
  app.get('/api/rules', { schema: { tags, summary: 'Alarm rules' } }, async (req) => ({
    items: await rulesOf(deps).listRules(tenantOf(req, 'rule:read')),
  }))
  app.get('/api/rules/:id', { schema: { tags, params: anyId } }, async (req) =>
    rulesOf(deps).getRule(tenantOf(req, 'rule:read'), (req.params as { id: string }).id),
  )
  app.post(
    '/api/rules',
    {
      schema: {
        tags,
        summary: 'Create a rule (points by id or as "<device key>/<point key>")',
        body: ruleBody,
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'rule:write')
      const r = await rulesOf(deps).createRule(tenant, req.body as RuleDefinition, who(req))
      await auditOf(req, deps)(tenant, 'rule.create', r.id, 'ok', { kind: r.definition.kind })
      return reply.code(201).send(r)
    },
  )
  app.put('/api/rules/:id', { schema: { tags, params: anyId, body: ruleBody } }, async (req) => {
    const tenant = tenantOf(req, 'rule:write')
    const id = (req.params as { id: string }).id
    const r = await rulesOf(deps).updateRule(tenant, id, req.body as RuleDefinition, who(req))
    await auditOf(req, deps)(tenant, 'rule.update', id, 'ok', undefined)
    return r
  })
  app.delete('/api/rules/:id', { schema: { tags, params: anyId } }, async (req, reply) => {
    const tenant = tenantOf(req, 'rule:write')
    const id = (req.params as { id: string }).id
    await rulesOf(deps).deleteRule(tenant, id)
    await auditOf(req, deps)(tenant, 'rule.delete', id, 'ok', undefined)
    return noContent(reply)
  })
  app.post(
    '/api/rules/preview',
    {
      schema: {
        tags,
        summary: 'How rules would have fired on stored history (default: the last 7 days)',
        body: {
          type: 'object',
          properties: {
            rules: { type: 'array', items: ruleBody, maxItems: 100 },
            ruleIds: { type: 'array', items: { type: 'string' }, maxItems: 100 },
            from: { type: 'integer' },
            to: { type: 'integer' },
          },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'rule:read')
      const b = req.body as { rules?: RuleDefinition[]; ruleIds?: string[]; from?: number; to?: number }
      const svc = rulesOf(deps)
      const rules = [...(b.rules ?? [])]
      for (const id of b.ruleIds ?? []) rules.push((await svc.getRule(tenant, id)).definition)
      if (rules.length === 0) throw CoreErrors.validation('give "rules" or "ruleIds"')
      const to = b.to ?? deps.clock.now() + 1
      const from = b.from ?? to - 7 * DAY
      const r = await svc.preview(tenant, rules, from, to)
      return {
        from,
        to,
        activations: r.activations,
        episodes: r.episodes,
        changes: r.changes.slice(0, 5000),
        truncated: r.changes.length > 5000,
      }
    },
  )
  app.get('/api/rule-templates', { schema: { tags } }, async (req) => ({
    items: await rulesOf(deps).listTemplates(tenantOf(req, 'rule:read')),
  }))
  app.get('/api/rule-templates/:id', { schema: { tags, params: anyId } }, async (req) =>
    rulesOf(deps).getTemplate(tenantOf(req, 'rule:read'), (req.params as { id: string }).id),
  )
  app.put(
    '/api/rule-templates/:id',
    {
      schema: {
        tags,
        summary:
          'Create or replace a template; it is applied to every equipment asset whose attributes.kind is its equipmentType',
        params: anyId,
        body: {
          type: 'object',
          required: ['equipmentType', 'variables', 'rules'],
          properties: {
            equipmentType: { type: 'string', minLength: 1, maxLength: 64 },
            variables: { type: 'array', items: { type: 'string' }, maxItems: 100 },
            rules: { type: 'array', items: ruleBody, minItems: 1, maxItems: 100 },
          },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'rule:write')
      const id = (req.params as { id: string }).id
      const t = await rulesOf(deps).putTemplate(
        tenant,
        { ...(req.body as Omit<RuleTemplate, 'id'>), id },
        who(req),
      )
      await auditOf(req, deps)(tenant, 'rule-template.put', id, 'ok', { rules: t.ruleIds.length })
      return t
    },
  )
  app.delete('/api/rule-templates/:id', { schema: { tags, params: anyId } }, async (req, reply) => {
    const tenant = tenantOf(req, 'rule:write')
    const id = (req.params as { id: string }).id
    await rulesOf(deps).deleteTemplate(tenant, id)
    await auditOf(req, deps)(tenant, 'rule-template.delete', id, 'ok', undefined)
    return noContent(reply)
  })

  // ------------------------------------------------------------------ alarms
  app.get(
    '/api/alarms',
    {
      schema: {
        tags,
        summary:
          'Alarms as they stand; `active=true` lists unacknowledged, acknowledged and returned-unacknowledged ones',
        querystring: {
          type: 'object',
          properties: {
            state: csv,
            priority: csv,
            equipment: { type: 'string' },
            active: { type: 'boolean' },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as { state?: string; priority?: string; equipment?: string; active?: boolean }
      const states = q.active
        ? (['unacknowledged', 'acknowledged', 'rtn-unacknowledged'] as AlarmState[])
        : list(q.state, ALARM_STATES, 'state')
      const priorities = list(q.priority, ALARM_PRIORITIES, 'priority')
      const items = await rulesOf(deps).listAlarms(tenantOf(req, 'alarm:read'), {
        ...(states === undefined ? {} : { states }),
        ...(priorities === undefined ? {} : { priorities }),
        ...(q.equipment === undefined ? {} : { equipment: q.equipment }),
      })
      return { items, total: items.length }
    },
  )
  app.get(
    '/api/alarm-events',
    {
      schema: {
        tags,
        summary: 'Alarm history: every lifecycle transition with who and why',
        querystring: {
          type: 'object',
          properties: {
            alarmId: { type: 'string' },
            equipment: { type: 'string' },
            priority: csv,
            toState: csv,
            from: { type: 'integer' },
            to: { type: 'integer' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
            order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as {
        alarmId?: string
        equipment?: string
        priority?: string
        toState?: string
        from?: number
        to?: number
        limit: number
        offset: number
        order: 'asc' | 'desc'
      }
      const priorities = list(q.priority, ALARM_PRIORITIES, 'priority')
      const toStates = list(q.toState, ALARM_STATES, 'state')
      return rulesOf(deps).alarmEvents(tenantOf(req, 'alarm:read'), {
        ...q,
        ...(priorities === undefined ? {} : { priorities }),
        ...(toStates === undefined ? {} : { toStates }),
      })
    },
  )
  app.get(
    '/api/alarm-kpis',
    {
      schema: {
        tags,
        summary: 'ISA-18.2 alarm-system KPIs over [from, to) (default: the last 24 h)',
        querystring: {
          type: 'object',
          properties: {
            from: { type: 'integer' },
            to: { type: 'integer' },
            operators: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as { from?: number; to?: number; operators?: number }
      const to = q.to ?? deps.clock.now() + 1
      const from = q.from ?? to - DAY
      if (to - from > 366 * DAY) throw CoreErrors.validation('KPIs span at most a year')
      return rulesOf(deps).kpis(tenantOf(req, 'alarm:read'), {
        from,
        to,
        ...(q.operators === undefined ? {} : { operators: q.operators }),
      })
    },
  )
  app.get('/api/alarms/:id', { schema: { tags, params: anyId } }, async (req) => {
    const tenant = tenantOf(req, 'alarm:read')
    const id = (req.params as { id: string }).id
    const svc = rulesOf(deps)
    const alarm = await svc.getAlarm(tenant, id)
    const events = await svc.alarmEvents(tenant, { alarmId: id, limit: 200 })
    return { alarm, events: events.items }
  })

  const action = (
    path: string,
    requireReason: boolean,
    run: (
      svc: RulesService,
      tenant: TenantId,
      id: string,
      by: string,
      b: Record<string, unknown>,
    ) => Promise<unknown>,
    extra: Record<string, unknown> = {},
  ): void => {
    const body = reasonBody(requireReason)
    app.post(
      `/api/alarms/:id/${path}`,
      {
        schema: {
          tags,
          params: anyId,
          body: { ...body, properties: { ...body.properties, ...extra } },
        },
      },
      async (req) => {
        const tenant = tenantOf(req, 'alarm:ack')
        const id = (req.params as { id: string }).id
        const b = (req.body ?? {}) as Record<string, unknown>
        const r = await run(rulesOf(deps), tenant, id, who(req), b)
        await auditOf(req, deps)(
          tenant,
          `alarm.${path}`,
          id,
          'ok',
          b.reason === undefined ? undefined : { reason: b.reason },
        )
        return r
      },
    )
  }
  action('acknowledge', false, (s, t, id, by, b) => s.acknowledge(t, id, by, b.reason as string | undefined))
  action(
    'shelve',
    true,
    (s, t, id, by, b) => {
      const until =
        typeof b.until === 'number' ? b.until : deps.clock.now() + Number(b.durationMs ?? Number.NaN)
      if (!Number.isFinite(until)) throw CoreErrors.validation('give "until" (epoch ms) or "durationMs"')
      return s.shelve(t, id, by, b.reason as string, until)
    },
    { until: { type: 'integer' }, durationMs: { type: 'integer', minimum: 1 } },
  )
  action('unshelve', false, (s, t, id, by, b) => s.unshelve(t, id, by, b.reason as string | undefined))
  action('out-of-service', true, (s, t, id, by, b) => s.removeFromService(t, id, by, b.reason as string))
  action('return-to-service', false, (s, t, id, by, b) =>
    s.returnToService(t, id, by, b.reason as string | undefined),
  )

  /**
   * `GET /api/alarms/live?token=…` (WebSocket): `{"type":"alarm","event":…,"alarm":…}` for every
   * transition of the caller's enterprise, after `{"type":"ready","active":[…]}` with the active list.
   */
  app.get('/api/alarms/live', { websocket: true, schema: { tags } }, (socket, req) => {
    const q = req.query as { token?: string; tenant?: string }
    let stop: (() => void) | null = null
    let closed = false
    const send = (msg: unknown): void => {
      if (!closed && socket.readyState === 1) socket.send(JSON.stringify(msg))
    }
    socket.on('close', () => {
      closed = true
      stop?.()
    })
    void (async () => {
      if (!q.token) throw SecurityErrors.invalidToken()
      req.principal = await deps.security.authenticate(q.token)
      if (q.tenant && !req.headers['x-ronghe-tenant']) req.headers['x-ronghe-tenant'] = q.tenant
      const tenant = tenantOf(req, 'alarm:read')
      const svc = rulesOf(deps)
      if (closed) return
      stop = svc.watch(tenant, (c) => send({ type: 'alarm', event: c.event, alarm: c.alarm }))
      const active = await svc.listAlarms(tenant, {
        states: ['unacknowledged', 'acknowledged', 'rtn-unacknowledged'],
      })
      send({ type: 'ready', active })
    })().catch((err) => {
      send({
        type: 'error',
        error: {
          code: isRongheError(err) ? err.code : 'INTERNAL',
          message: isRongheError(err) ? err.message : 'could not start the alarm stream',
        },
      })
      socket.close(4401, 'unauthenticated')
    })
  })

  // ------------------------------------------------------------------ notification channels
  app.get('/api/notification-channels', { schema: { tags } }, async (req) => ({
    items: (await rulesOf(deps).listChannels(tenantOf(req, 'rule:write'))).map(redact),
  }))
  app.put(
    '/api/notification-channels/:id',
    { schema: { tags, params: anyId, body: channelBody } },
    async (req) => {
      const tenant = tenantOf(req, 'rule:write')
      const id = (req.params as { id: string }).id
      const svc = rulesOf(deps)
      const b = req.body as Record<string, unknown>
      // "***" (what listing shows) keeps the stored secret
      const old = (await svc.listChannels(tenant)).find((c) => c.id === id)
      const cfg = { ...(b.config as Record<string, unknown>) }
      for (const k of ['secret', 'password']) {
        if (cfg[k] === '***') cfg[k] = (old?.config as unknown as Record<string, unknown> | undefined)?.[k]
      }
      const c = await svc.putChannel(tenant, channelFrom(id, { ...b, config: cfg }))
      await auditOf(req, deps)(tenant, 'notification-channel.put', id, 'ok', { kind: c.kind })
      return redact(c)
    },
  )
  app.delete('/api/notification-channels/:id', { schema: { tags, params: anyId } }, async (req, reply) => {
    const tenant = tenantOf(req, 'rule:write')
    const id = (req.params as { id: string }).id
    await rulesOf(deps).deleteChannel(tenant, id)
    await auditOf(req, deps)(tenant, 'notification-channel.delete', id, 'ok', undefined)
    return noContent(reply)
  })
  app.get(
    '/api/notification-deliveries',
    {
      schema: {
        tags,
        querystring: {
          type: 'object',
          properties: {
            alarmId: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
      },
    },
    async (req) => ({
      items: await rulesOf(deps).listDeliveries(
        tenantOf(req, 'alarm:read'),
        req.query as { alarmId?: string; limit?: number },
      ),
    }),
  )

  // ------------------------------------------------------------------ work orders
  const wtags = ['maintenance']
  app.get(
    '/api/work-orders',
    {
      schema: {
        tags: wtags,
        querystring: {
          type: 'object',
          properties: {
            equipment: { type: 'string' },
            status: { type: 'string', enum: ['open', 'assigned', 'closed'] },
            alarmId: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
      },
    },
    async (req) => rulesOf(deps).listWorkOrders(tenantOf(req, 'workorder:read'), req.query as object),
  )
  app.post(
    '/api/work-orders',
    {
      schema: {
        tags: wtags,
        summary: 'Open a work order by hand or from an alarm (alarmId)',
        body: {
          type: 'object',
          properties: {
            title: { type: 'string', maxLength: 300 },
            description: { type: 'string', maxLength: 10_000 },
            equipment: { type: ['string', 'null'] },
            alarmId: { type: ['string', 'null'] },
            priority: priorityEnum,
            failure: { type: 'boolean' },
            assignee: { type: ['string', 'null'], maxLength: 200 },
          },
        },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'workorder:write')
      const o = await rulesOf(deps).openWorkOrder(tenant, req.body as object, who(req))
      await auditOf(req, deps)(tenant, 'work-order.open', o.id, 'ok', { alarmId: o.alarmId })
      return reply.code(201).send(o)
    },
  )
  app.get('/api/work-orders/:id', { schema: { tags: wtags, params: anyId } }, async (req) =>
    rulesOf(deps).getWorkOrder(tenantOf(req, 'workorder:read'), (req.params as { id: string }).id),
  )
  app.post(
    '/api/work-orders/:id/assign',
    {
      schema: {
        tags: wtags,
        params: anyId,
        body: {
          type: 'object',
          required: ['assignee'],
          properties: { assignee: { type: 'string', minLength: 1, maxLength: 200 } },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'workorder:write')
      const id = (req.params as { id: string }).id
      const o = await rulesOf(deps).assignWorkOrder(
        tenant,
        id,
        (req.body as { assignee: string }).assignee,
        who(req),
      )
      await auditOf(req, deps)(tenant, 'work-order.assign', id, 'ok', { assignee: o.assignee })
      return o
    },
  )
  app.post(
    '/api/work-orders/:id/comments',
    {
      schema: {
        tags: wtags,
        params: anyId,
        body: {
          type: 'object',
          required: ['text'],
          properties: { text: { type: 'string', minLength: 1, maxLength: 10_000 } },
        },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'workorder:write')
      const id = (req.params as { id: string }).id
      const events = await rulesOf(deps).commentWorkOrder(
        tenant,
        id,
        (req.body as { text: string }).text,
        who(req),
      )
      return reply.code(201).send({ items: events })
    },
  )
  app.post(
    '/api/work-orders/:id/close',
    {
      schema: {
        tags: wtags,
        params: anyId,
        body: {
          type: 'object',
          required: ['cause', 'action'],
          properties: {
            cause: { type: 'string', minLength: 1, maxLength: 2000 },
            action: { type: 'string', minLength: 1, maxLength: 2000 },
          },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'workorder:write')
      const id = (req.params as { id: string }).id
      const o = await rulesOf(deps).closeWorkOrder(
        tenant,
        id,
        req.body as { cause: string; action: string },
        who(req),
      )
      await auditOf(req, deps)(tenant, 'work-order.close', id, 'ok', { cause: o.cause })
      return o
    },
  )
  app.get(
    '/api/maintenance/reliability',
    {
      schema: {
        tags: wtags,
        summary: 'MTTR and MTBF (ISO 22400) from closed corrective work orders; per equipment or overall',
        querystring: {
          type: 'object',
          properties: { equipment: { type: 'string' }, from: { type: 'integer' }, to: { type: 'integer' } },
        },
      },
    },
    async (req) => {
      const q = req.query as { equipment?: string; from?: number; to?: number }
      const to = q.to ?? deps.clock.now() + 1
      const from = q.from ?? to - 90 * DAY
      return rulesOf(deps).reliability(tenantOf(req, 'workorder:read'), q.equipment ?? null, from, to)
    },
  )
}
