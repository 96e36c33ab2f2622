/**
 * The rules service: the pure engine and alarm book put on the platform. Samples reach it from the bus
 * (`sample.ingested.<partition>`, published once they are durable) and are evaluated as they arrive;
 * in a cluster each rule partition is evaluated by the one node that holds its lease. Every alarm
 * transition is stored once (who, why), announced on the bus (`alarm.changed`) and to live watchers,
 * and handed to the notification dispatcher. Operator actions (acknowledge, shelve, …) go through the
 * same per-tenant queue, so the stored order is the order things happened.
 */
import { type Bus, followPartitions, type PartitionLeases, partitionOf, Subjects } from '../bus/index.ts'
import {
  type AssetId,
  type Clock,
  CoreErrors,
  isRongheError,
  newId,
  type PointId,
  type Sample,
  type TenantId,
} from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import type { SeriesStore } from '../store/series/series-store.ts'
import { type AlarmKpiOptions, type AlarmKpis, computeAlarmKpis } from './alarm-kpis.ts'
import {
  type AlarmBook,
  type AlarmEvent,
  type AlarmFilter,
  type AlarmRecord,
  createAlarmBook,
} from './alarm-states.ts'
import type {
  AlarmEventQuery,
  AlarmStore,
  StoredAlarmEvent,
  StoredRule,
  StoredTemplate,
} from './alarm-store.ts'
import { compileExpression } from './expression.ts'
import { createNotifier, type Notifier } from './notifications/notifier.ts'
import type { DeliveryRecord, NotificationChannel } from './notifications/notification-types.ts'
import type { SendNotice } from './notifications/senders.ts'
import { createPointDirectory, isPointPath, type PointDirectory } from './point-directory.ts'
import { createRuleEngine, type RuleEngine } from './rule-engine.ts'
import { type PreviewResult, type PreviewSample, previewRules } from './rule-preview.ts'
import { type EquipmentBinding, expandTemplates, type RuleTemplate } from './rule-templates.ts'
import type { AlarmPriority, ConditionChange, RuleDefinition, SampleValue } from './rule-types.ts'
import { RulesErrors } from './rules-errors.ts'
import { type ReliabilityFigures, reliabilityOf, type WorkOrder, type WorkOrderEvent } from './work-orders.ts'

export const AlarmSubjects = {
  /** one alarm transition: { tenant, event: AlarmEvent, alarm: AlarmRecord } */
  alarmChanged: 'alarm.changed',
  /** a tenant's rules, templates or channels changed on one node: { tenant, origin } */
  rulesChanged: 'rules.changed',
} as const

export interface AlarmChange {
  readonly tenant: TenantId
  readonly event: AlarmEvent
  readonly alarm: AlarmRecord
}

export interface RulesServiceDeps {
  readonly store: AlarmStore
  readonly meta: MetaStore
  readonly series: SeriesStore
  readonly bus: Bus
  readonly clock: Clock
  readonly log?: { warn(msg: string, extra?: unknown): void; error(msg: string, extra?: unknown): void }
  /** how often delays, timeouts, shelving expiry and escalation are checked (default 1000 ms; 0: only by tick()) */
  readonly tickMs?: number
  /** how often learned anomaly baselines are saved (default 10 min) */
  readonly saveLearnedMs?: number
  readonly maxShelveMs?: number
  /** the console's public URL, for links in notifications */
  readonly publicUrl?: string
  /** notification transport (default: the real senders) */
  readonly send?: SendNotice
  readonly notifyRetryDelayMs?: number
  /**
   * Scale-out: the rule partitions this node holds (shared with other modules; started and closed
   * by the caller). Samples are then taken per held partition from a queue group, so each is
   * evaluated by one node; timers, baselines and escalations run for the held partitions' tenants
   * only. Without it (the embedded shape) this node evaluates every tenant.
   */
  readonly partitions?: PartitionLeases
}

export interface RulesServiceStats {
  /** samples handed to the engine (the tenant was loaded) since start */
  readonly samplesEvaluated: number
  /** alarm transitions another node had already recorded (see commit) */
  readonly transitionConflicts: number
  /** template expansions started because a machine registered new points */
  readonly templateRefreshes: number
  /** the rule partitions this node evaluates, and how many there are; null without partitions */
  readonly partitions: { readonly held: readonly number[]; readonly total: number } | null
}

export interface RuleView extends StoredRule {
  readonly id: string
}

export interface TemplateView extends StoredTemplate {
  readonly id: string
  /** rules currently expanded from it */
  readonly ruleIds: readonly string[]
  /** machines of the type that do not bind every variable (no rules for them) */
  readonly skipped: readonly { readonly equipment: string; readonly missing: readonly string[] }[]
}

export interface NewWorkOrder {
  readonly title?: string
  readonly description?: string
  readonly equipment?: string | null
  readonly alarmId?: string | null
  readonly priority?: AlarmPriority
  readonly failure?: boolean
  readonly assignee?: string | null
}

export interface RulesService {
  start(): Promise<void>
  stop(): Promise<void>
  /** fires due delays / timeouts / shelving expiry / escalations at `now` (default clock.now()) */
  tick(now?: number): Promise<void>
  /** resolves when every queued evaluation, write and notification so far is done */
  idle(): Promise<void>
  /** evaluates samples directly (what the bus subscription does), resolving when they are processed */
  ingest(tenant: TenantId, samples: readonly Sample[]): Promise<void>
  stats(): RulesServiceStats

  listRules(tenant: TenantId): Promise<RuleView[]>
  getRule(tenant: TenantId, id: string): Promise<RuleView>
  createRule(tenant: TenantId, rule: RuleDefinition, by: string): Promise<RuleView>
  updateRule(tenant: TenantId, id: string, rule: RuleDefinition, by: string): Promise<RuleView>
  deleteRule(tenant: TenantId, id: string): Promise<void>
  listTemplates(tenant: TenantId): Promise<TemplateView[]>
  getTemplate(tenant: TenantId, id: string): Promise<TemplateView>
  /** creates or replaces a template and (re)applies it to every machine of its equipment type */
  putTemplate(tenant: TenantId, template: RuleTemplate, by: string): Promise<TemplateView>
  deleteTemplate(tenant: TenantId, id: string): Promise<void>
  /** re-expands every template (new machines or points); returns how many rules changed */
  refreshTemplates(tenant: TenantId): Promise<number>
  /** runs rules over stored history [from, to) exactly as live evaluation would */
  preview(
    tenant: TenantId,
    rules: readonly RuleDefinition[],
    from: number,
    to: number,
  ): Promise<PreviewResult>

  listAlarms(tenant: TenantId, filter?: AlarmFilter): Promise<AlarmRecord[]>
  getAlarm(tenant: TenantId, id: string): Promise<AlarmRecord>
  alarmEvents(tenant: TenantId, q?: AlarmEventQuery): Promise<{ items: StoredAlarmEvent[]; total: number }>
  /** alarms shown in the active list: unacknowledged, acknowledged and returned-unacknowledged */
  activeAlarmCount(tenant: TenantId): Promise<number>
  acknowledge(tenant: TenantId, id: string, by: string, why?: string): Promise<AlarmRecord>
  shelve(tenant: TenantId, id: string, by: string, why: string, until: number): Promise<AlarmRecord>
  unshelve(tenant: TenantId, id: string, by: string, why?: string): Promise<AlarmRecord>
  removeFromService(tenant: TenantId, id: string, by: string, why: string): Promise<AlarmRecord>
  returnToService(tenant: TenantId, id: string, by: string, why?: string): Promise<AlarmRecord>
  kpis(
    tenant: TenantId,
    options: Omit<AlarmKpiOptions, 'from' | 'to'> & { from: number; to: number },
  ): Promise<AlarmKpis>
  /** live alarm transitions of one tenant; returns the unsubscribe function */
  watch(tenant: TenantId, listener: (change: AlarmChange) => void): () => void

  listChannels(tenant: TenantId): Promise<NotificationChannel[]>
  putChannel(tenant: TenantId, channel: NotificationChannel): Promise<NotificationChannel>
  deleteChannel(tenant: TenantId, id: string): Promise<void>
  listDeliveries(tenant: TenantId, q?: { alarmId?: string; limit?: number }): Promise<DeliveryRecord[]>

  openWorkOrder(tenant: TenantId, input: NewWorkOrder, by: string): Promise<WorkOrder>
  assignWorkOrder(tenant: TenantId, id: string, assignee: string, by: string): Promise<WorkOrder>
  commentWorkOrder(tenant: TenantId, id: string, text: string, by: string): Promise<WorkOrderEvent[]>
  closeWorkOrder(
    tenant: TenantId,
    id: string,
    result: { cause: string; action: string },
    by: string,
  ): Promise<WorkOrder>
  getWorkOrder(tenant: TenantId, id: string): Promise<{ order: WorkOrder; events: WorkOrderEvent[] }>
  listWorkOrders(
    tenant: TenantId,
    q?: {
      equipment?: string
      status?: WorkOrder['status']
      alarmId?: string
      limit?: number
      offset?: number
    },
  ): Promise<{ items: WorkOrder[]; total: number }>
  reliability(
    tenant: TenantId,
    equipment: string | null,
    from: number,
    to: number,
  ): Promise<ReliabilityFigures>
}

interface TenantRt {
  readonly tenant: TenantId
  readonly engine: RuleEngine
  readonly book: AlarmBook
  readonly rules: Map<string, StoredRule>
  readonly templates: Map<string, StoredTemplate>
  channels: NotificationChannel[]
  /** serialises evaluation, operator actions and their writes */
  queue: Promise<unknown>
  skipped: Map<string, { equipment: string; missing: string[] }[]>
}

const ACTIVE_LIST = new Set(['unacknowledged', 'acknowledged', 'rtn-unacknowledged'])
const DAY = 86_400_000

/** Every point path a rule reads (fields, bindings and expression names). */
export function pointsOfRule(rule: RuleDefinition): string[] {
  const out = new Set<string>()
  const add = (p: string | undefined): void => {
    if (p !== undefined) out.add(p)
  }
  const byName = (name: string): void => {
    if (rule.constants?.[name] !== undefined) return
    add(rule.bindings?.[name] ?? name)
  }
  const exprNames = (src: string): void => {
    for (const n of compileExpression(src).references) byName(n)
  }
  switch (rule.kind) {
    case 'no-data':
      for (const p of rule.points) add(p)
      break
    case 'expression':
      exprNames(rule.expression)
      break
    case 'anomaly':
      add(rule.point)
      add(rule.statePoint)
      break
    default:
      add(rule.point)
  }
  if (rule.suppressWhen !== undefined) exprNames(rule.suppressWhen)
  return [...out]
}

function sampleValue(s: Sample): SampleValue {
  return s.text ?? s.value
}

export function createRulesService(deps: RulesServiceDeps): RulesService {
  const { meta, series, bus, clock } = deps
  const log = deps.log ?? { warn: () => undefined, error: (m: string, e?: unknown) => console.error(m, e) }
  // nodes sharing one store (scale-out) hear of each other's rule changes and reload that tenant
  const origin = newId('node')
  const store = announcingChanges(deps.store, (tenant) => {
    void bus
      .publish(AlarmSubjects.rulesChanged, { tenant, origin })
      .catch((err) => log.error('could not announce a rule change', { error: String(err) }))
  })
  const directory: PointDirectory = createPointDirectory(meta)
  const tenants = new Map<TenantId, Promise<TenantRt>>()
  const watchers = new Map<TenantId, Set<(c: AlarmChange) => void>>()
  const equipmentNames = new Map<string, string>()
  const unsubscribe: (() => void)[] = []
  let timer: NodeJS.Timeout | null = null
  let learnTimer: NodeJS.Timeout | null = null
  let refreshTimers = new Map<TenantId, NodeJS.Timeout>()
  let stopped = false
  let stopFollowing: (() => void) | null = null
  const leases = deps.partitions ?? null
  let samplesEvaluated = 0
  let transitionConflicts = 0
  let templateRefreshes = 0

  const partitionOfTenant = (tenant: TenantId): number =>
    leases === null ? 0 : partitionOf(tenant, leases.partitions)
  /** whether this node evaluates the tenant: its partition is held here (always, without partitions) */
  function owns(tenant: TenantId): boolean {
    return leases === null || leases.holds(partitionOfTenant(tenant))
  }

  const notifier: Notifier = createNotifier({
    clock,
    channelsOf: (tenant) => loadedRt(tenant)?.channels ?? [],
    record: (tenant, d) => store.addDelivery(tenant, d),
    describe: (tenant, r) => ({
      equipmentName:
        r.equipment === null ? null : (equipmentNames.get(`${tenant}\u0000${r.equipment}`) ?? null),
      link:
        deps.publicUrl === undefined
          ? null
          : `${deps.publicUrl.replace(/\/$/, '')}/alarms/${encodeURIComponent(r.alarmId)}`,
    }),
    ...(deps.send === undefined ? {} : { send: deps.send }),
    ...(deps.notifyRetryDelayMs === undefined ? {} : { retryDelayMs: deps.notifyRetryDelayMs }),
    // the node that evaluates a tenant escalates its alarms; the others only keep track
    escalates: owns,
    onError: (err) => log.error('notification failed', { error: String(err) }),
  })

  const settled = new Map<TenantId, TenantRt>()
  function loadedRt(tenant: TenantId): TenantRt | undefined {
    return settled.get(tenant)
  }

  async function load(tenant: TenantId): Promise<TenantRt> {
    const [rules, templates, alarms, channels, learned] = await Promise.all([
      store.listRules(tenant),
      store.listTemplates(tenant),
      store.listAlarms(tenant),
      store.listChannels(tenant),
      store.loadLearned(tenant),
    ])
    const engine = createRuleEngine({ clock })
    const ruleMap = new Map<string, StoredRule>()
    for (const r of rules) {
      try {
        engine.addRule(r.definition)
        ruleMap.set(r.definition.id, r)
      } catch (err) {
        // a rule that no longer compiles must not stop the others
        log.error('stored rule is invalid; skipped', { tenant, rule: r.definition.id, error: String(err) })
      }
    }
    if (learned !== null) engine.importLearned(learned)
    engine.restoreActive(
      alarms
        .filter((a) => a.conditionActive)
        .map((a) => ({ conditionId: a.alarmId, since: a.activeSince ?? 0 })),
    )
    const book = createAlarmBook({
      clock,
      ...(deps.maxShelveMs === undefined ? {} : { maxShelveMs: deps.maxShelveMs }),
    })
    book.restore(alarms)
    const rt: TenantRt = {
      tenant,
      engine,
      book,
      rules: ruleMap,
      templates: new Map(templates.map((t) => [t.template.id, t])),
      channels,
      queue: Promise.resolve(),
      skipped: new Map(),
    }
    settled.set(tenant, rt)
    // waiting unacknowledged alarms keep escalating after a restart, on the node that evaluates them
    for (const a of alarms) {
      if (a.state !== 'unacknowledged' || !owns(tenant)) continue
      const restored: AlarmEvent = {
        alarmId: a.alarmId,
        from: 'normal',
        to: 'unacknowledged',
        at: a.activeSince ?? a.lastChangeAt,
        by: 'restore',
        why: 'restored',
        priority: a.priority,
      }
      // one node announces them again after a restart, as it always has; in a cluster a tenant is
      // loaded again whenever its partition changes hands, and the notice would repeat each time
      if (leases === null) notifier.onTransition(tenant, restored, a)
      else notifier.observe(tenant, restored, a)
    }
    void rememberEquipmentNames(tenant)
    return rt
  }

  async function rememberEquipmentNames(tenant: TenantId): Promise<void> {
    try {
      for (let offset = 0; ; offset += 1000) {
        const page = await meta.listAssets(tenant, { level: 'equipment', limit: 1000, offset })
        for (const a of page.items)
          equipmentNames.set(`${tenant}\u0000${a.id}`, a.code ? `${a.name} (${a.code})` : a.name)
        if (offset + page.items.length >= page.total || page.items.length === 0) break
      }
    } catch {
      // names only decorate notifications
    }
  }

  function rtOf(tenant: TenantId): Promise<TenantRt> {
    let p = tenants.get(tenant)
    if (p === undefined) {
      p = load(tenant)
      p.catch(() => tenants.delete(tenant))
      tenants.set(tenant, p)
    }
    return p
  }

  /** Another node changed the tenant's rules: load them again once what is queued is done. */
  async function reload(tenant: TenantId): Promise<void> {
    const current = tenants.get(tenant)
    const rt = current === undefined ? null : await current.catch(() => null)
    if (rt !== null) await rt.queue
    const p = load(tenant)
    p.catch(() => tenants.delete(tenant))
    tenants.set(tenant, p)
    await p
  }

  /** Runs `fn` after everything queued for the tenant; failures are the caller's, not the queue's. */
  function serial<T>(rt: TenantRt, fn: () => Promise<T> | T): Promise<T> {
    const run = rt.queue.then(fn, fn)
    rt.queue = run.catch(() => undefined)
    return run
  }

  /** Book the changes, store the transitions, then announce them. */
  async function commit(rt: TenantRt, events: readonly AlarmEvent[]): Promise<void> {
    if (events.length === 0) return
    const ids = [...new Set(events.map((e) => e.alarmId))]
    const records = ids.map((id) => rt.book.get(id)).filter((r): r is AlarmRecord => r !== undefined)
    const conflicts = await store.recordTransitions(rt.tenant, records, events)
    let kept = events
    if (conflicts.length > 0) {
      // another node sharing the store recorded these alarms' transitions first (an operator action
      // there, or both nodes evaluating one partition for a moment while it changed hands): take
      // the stored records, and announce nothing for them
      transitionConflicts += conflicts.length
      const skip = new Set(conflicts)
      rt.book.restore((await store.listAlarms(rt.tenant)).filter((a) => skip.has(a.alarmId)))
      kept = events.filter((e) => !skip.has(e.alarmId))
    }
    const byId = new Map(records.map((r) => [r.alarmId, r]))
    const ws = watchers.get(rt.tenant)
    for (const e of kept) {
      const alarm = byId.get(e.alarmId) as AlarmRecord
      notifier.onTransition(rt.tenant, e, alarm)
      const change: AlarmChange = { tenant: rt.tenant, event: e, alarm }
      void bus.publish(AlarmSubjects.alarmChanged, { ...change, origin })
      if (ws !== undefined) for (const w of ws) w(change)
    }
  }

  function applyChanges(rt: TenantRt, changes: readonly ConditionChange[]): Promise<void> {
    if (changes.length === 0) return Promise.resolve()
    return commit(rt, rt.book.applyAll(changes))
  }

  async function evaluate(rt: TenantRt, samples: readonly Sample[]): Promise<void> {
    const missing: PointId[] = []
    for (const s of samples) {
      if (directory.cachedPath(rt.tenant, s.point) === undefined) missing.push(s.point)
    }
    if (missing.length > 0) await directory.paths(rt.tenant, missing)
    const changes: ConditionChange[] = []
    for (const s of samples) {
      const path = directory.cachedPath(rt.tenant, s.point)
      if (path === null || path === undefined) continue
      const c = rt.engine.onSample(path, s.ts, sampleValue(s), s.quality)
      for (const x of c) changes.push(x)
    }
    await applyChanges(rt, changes)
  }

  function ingest(tenant: TenantId, samples: readonly Sample[]): Promise<void> {
    // tenants without rules or alarms are not loaded just because their devices publish
    const p = tenants.get(tenant)
    if (p === undefined || stopped) return Promise.resolve()
    return p.then((rt) =>
      serial(rt, () => {
        samplesEvaluated += samples.length
        return evaluate(rt, samples)
      }),
    )
  }

  /** The loaded tenants of a rule partition. */
  function tenantsOf(partition: number): TenantId[] {
    return [...tenants.keys()].filter((t) => partitionOfTenant(t) === partition)
  }

  /**
   * This node now evaluates `partition`: its alarms and active conditions may have moved on under
   * the previous holder, so its loaded tenants are read again from the store before the first sample.
   */
  async function takeOver(partition: number): Promise<void> {
    await Promise.all(tenantsOf(partition).map((t) => reload(t)))
  }

  /** This node no longer evaluates `partition`: finish what is queued and leave the baselines current. */
  async function handOver(partition: number): Promise<void> {
    for (const t of tenantsOf(partition)) {
      const rt = await tenants.get(t)?.catch(() => null)
      if (rt === null || rt === undefined) continue
      await rt.queue
      const state = rt.engine.exportLearned()
      if (Object.keys(state).length > 0) await store.saveLearned(t, state, clock.now())
    }
  }

  async function tick(now = clock.now()): Promise<void> {
    const all = await Promise.all([...tenants.values()].map((p) => p.catch(() => null)))
    await Promise.all(
      all.map((rt) =>
        rt === null || !owns(rt.tenant)
          ? null
          : serial(rt, async () => {
              const changes = rt.engine.tick(now)
              const events = rt.book.applyAll(changes)
              for (const e of rt.book.tick(now)) events.push(e)
              await commit(rt, events)
            }),
      ),
    )
    notifier.tick(now)
  }

  async function idle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const all = await Promise.all([...tenants.values()].map((p) => p.catch(() => null)))
      await Promise.all(all.map((rt) => rt?.queue))
      await notifier.idle()
    }
  }

  async function saveLearned(): Promise<void> {
    for (const rt of settled.values()) {
      if (!owns(rt.tenant)) continue
      const state = rt.engine.exportLearned()
      if (Object.keys(state).length > 0) await store.saveLearned(rt.tenant, state, clock.now())
    }
  }

  // ------------------------------------------------------------------ rules

  /** Turns point ids given in a rule into paths, and checks the rule compiles. */
  async function normalise(tenant: TenantId, rule: RuleDefinition): Promise<RuleDefinition> {
    const fix = async (ref: string): Promise<string> => {
      if (isPointPath(ref)) return ref
      const m = await directory.paths(tenant, [ref as PointId])
      const p = m.get(ref as PointId)
      return p ?? ref
    }
    let r: RuleDefinition = rule
    if (r.bindings !== undefined) {
      const b: Record<string, string> = {}
      for (const [k, v] of Object.entries(r.bindings)) b[k] = await fix(v)
      r = { ...r, bindings: b }
    }
    switch (r.kind) {
      case 'no-data':
        r = { ...r, points: await Promise.all(r.points.map(fix)) }
        break
      case 'expression':
        break
      case 'anomaly':
        r = {
          ...r,
          point: await fix(r.point),
          ...(r.statePoint === undefined ? {} : { statePoint: await fix(r.statePoint) }),
        }
        break
      default:
        r = { ...r, point: await fix(r.point) }
    }
    // validate with a scratch engine: the live one must never hold a half-added rule
    createRuleEngine({ rules: [r], clock })
    return r
  }

  function view(r: StoredRule): RuleView {
    return { id: r.definition.id, ...r }
  }

  function addToEngine(rt: TenantRt, rules: readonly RuleDefinition[]): void {
    for (const r of rules) rt.engine.addRule(r)
  }
  function removeFromEngine(rt: TenantRt, ids: readonly string[]): ConditionChange[] {
    const out: ConditionChange[] = []
    for (const id of ids) {
      try {
        out.push(...rt.engine.removeRule(id))
      } catch {
        // disabled rules are not in the engine
      }
    }
    return out
  }

  async function bindingsOf(tenant: TenantId, equipmentType: string): Promise<EquipmentBinding[]> {
    const out: EquipmentBinding[] = []
    const devices = new Map<string, string>()
    for (let offset = 0; ; offset += 1000) {
      const page = await meta.listAssets(tenant, { level: 'equipment', limit: 1000, offset })
      for (const a of page.items) {
        equipmentNames.set(`${tenant}\u0000${a.id}`, a.code ? `${a.name} (${a.code})` : a.name)
        if (a.attributes.kind !== equipmentType) continue
        const points: Record<string, string> = {}
        for (let po = 0; ; po += 1000) {
          const pp = await meta.listPoints(tenant, { assetId: a.id as AssetId, limit: 1000, offset: po })
          for (const pt of pp.items) {
            let dk = devices.get(pt.deviceId)
            if (dk === undefined) {
              dk = (await meta.getDevice(tenant, pt.deviceId)).key
              devices.set(pt.deviceId, dk)
            }
            points[pt.key] ??= `${dk}/${pt.key}`
          }
          if (po + pp.items.length >= pp.total || pp.items.length === 0) break
        }
        const constants: Record<string, number | string | boolean> = {}
        for (const [k, v] of Object.entries(a.attributes)) {
          if (k !== 'kind' && (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean'))
            constants[k] = v
        }
        out.push({ equipment: a.id, equipmentType, points, constants })
      }
      if (offset + page.items.length >= page.total || page.items.length === 0) break
    }
    return out
  }

  /** Expands one template over the machines of its type that bind all its variables. */
  async function expand(
    tenant: TenantId,
    t: RuleTemplate,
  ): Promise<{ rules: RuleDefinition[]; skipped: { equipment: string; missing: string[] }[] }> {
    const machines = await bindingsOf(tenant, t.equipmentType)
    const ok: EquipmentBinding[] = []
    const skipped: { equipment: string; missing: string[] }[] = []
    for (const m of machines) {
      const missing = t.variables.filter((v) => m.points[v] === undefined)
      if (missing.length === 0) ok.push(m)
      else skipped.push({ equipment: m.equipment, missing })
    }
    const rules = expandTemplates([t], ok)
    return { rules, skipped }
  }

  /** Replaces the rules of one template by `next`, keeping unchanged ones running (learned state, delays). */
  async function syncTemplateRules(
    rt: TenantRt,
    templateId: string,
    next: readonly RuleDefinition[],
    by: string,
  ): Promise<number> {
    const now = clock.now()
    const current = [...rt.rules.values()].filter((r) => r.templateId === templateId)
    const nextById = new Map(next.map((r) => [r.id, r]))
    const removed: string[] = []
    const changed: StoredRule[] = []
    for (const c of current) {
      const n = nextById.get(c.definition.id)
      if (n === undefined) removed.push(c.definition.id)
      else if (JSON.stringify(n) !== JSON.stringify(c.definition)) {
        removed.push(c.definition.id)
        changed.push({ definition: n, templateId, createdAt: c.createdAt, updatedAt: now, updatedBy: by })
      }
      nextById.delete(c.definition.id)
    }
    for (const n of nextById.values())
      changed.push({ definition: n, templateId, createdAt: now, updatedAt: now, updatedBy: by })
    if (removed.length === 0 && changed.length === 0) return 0
    await store.deleteRules(
      rt.tenant,
      removed.filter((id) => !changed.some((c) => c.definition.id === id)),
    )
    await store.putRules(rt.tenant, changed)
    const inactive = removeFromEngine(rt, removed)
    for (const id of removed) rt.rules.delete(id)
    addToEngine(
      rt,
      changed.map((c) => c.definition),
    )
    for (const c of changed) rt.rules.set(c.definition.id, c)
    await applyChanges(rt, inactive)
    return removed.length + nextById.size
  }

  async function templateView(rt: TenantRt, t: StoredTemplate): Promise<TemplateView> {
    return {
      id: t.template.id,
      ...t,
      ruleIds: [...rt.rules.values()]
        .filter((r) => r.templateId === t.template.id)
        .map((r) => r.definition.id),
      skipped: rt.skipped.get(t.template.id) ?? [],
    }
  }

  function validateTemplate(t: RuleTemplate): void {
    if (typeof t.id !== 'string' || !/^[\w.-]{1,80}$/.test(t.id))
      throw CoreErrors.validation('a template id is 1–80 letters, digits, "_", "." or "-"')
    if (typeof t.equipmentType !== 'string' || t.equipmentType === '')
      throw CoreErrors.validation('a template needs an equipmentType')
    if (!Array.isArray(t.variables) || !Array.isArray(t.rules) || t.rules.length === 0)
      throw CoreErrors.validation('a template needs variables and at least one rule')
    const ids = new Set<string>()
    for (const r of t.rules) {
      if (ids.has(r.id))
        throw RulesErrors.definitionInvalid(r.id, 'id', 'two rules of the template share this id')
      ids.add(r.id)
    }
    // type-check with placeholder bindings: every variable becomes a point of a dummy machine
    const points: Record<string, string> = {}
    for (const v of t.variables) points[v] = `_/${v}`
    createRuleEngine({
      rules: expandTemplates([t], [{ equipment: '_', equipmentType: t.equipmentType, points }]),
      clock,
    })
  }

  function validateChannel(c: NotificationChannel): NotificationChannel {
    if (!/^[\w.-]{1,80}$/.test(c.id))
      throw RulesErrors.channelInvalid('id', 'an id is 1–80 letters, digits, "_", "." or "-"')
    const cfg = c.config as unknown as Record<string, unknown>
    if (c.kind === 'email') {
      if (typeof cfg.host !== 'string' || !Number.isInteger(cfg.port) || typeof cfg.from !== 'string')
        throw RulesErrors.channelInvalid('config', 'e-mail needs host, port and from')
      if (!Array.isArray(cfg.to) || cfg.to.length === 0)
        throw RulesErrors.channelInvalid('config.to', 'e-mail needs recipients')
    } else {
      let u: URL
      try {
        u = new URL(String(cfg.url))
      } catch {
        throw RulesErrors.channelInvalid('config.url', 'needs a valid URL')
      }
      if (u.protocol !== 'https:' && u.protocol !== 'http:')
        throw RulesErrors.channelInvalid('config.url', 'needs an http(s) URL')
    }
    return c
  }

  // ------------------------------------------------------------------ alarms

  async function operate(
    tenant: TenantId,
    id: string,
    action: (book: AlarmBook) => AlarmEvent[],
  ): Promise<AlarmRecord> {
    const rt = await rtOf(tenant)
    return serial(rt, async () => {
      if (rt.book.get(id) === undefined) throw RulesErrors.alarmUnknown(id)
      // a shelving that ran out is expired before anyone acts on the alarm
      const expired = rt.book.tick()
      await commit(rt, [...expired, ...action(rt.book)])
      return rt.book.get(id) as AlarmRecord
    })
  }

  async function order(tenant: TenantId, id: string): Promise<WorkOrder> {
    const o = await store.getWorkOrder(tenant, id)
    if (o === null) throw CoreErrors.notFound('work order', id)
    return o
  }

  const service: RulesService = {
    async start() {
      for (const t of await store.tenantsForPlatform()) await rtOf(t)
      const evaluateBatch = ({ data }: { data: { tenant: TenantId; samples: readonly Sample[] } }) =>
        ingest(data.tenant, data.samples).catch((err) =>
          log.error('rule evaluation failed', { tenant: data.tenant, error: String(err) }),
        )
      if (leases === null) {
        unsubscribe.push(bus.subscribe(Subjects.sampleIngestedAll, evaluateBatch))
      } else {
        // one node per partition at a time, through the partition's durable consumer: a new holder
        // resumes where the previous one stopped (what a dead holder had not acknowledged comes
        // again after the bus's ack wait)
        stopFollowing = followPartitions({
          leases,
          bus,
          queue: 'rules',
          subjectOf: Subjects.sampleIngestedIn,
          handler: evaluateBatch,
          prepare: takeOver,
          settle: handOver,
          onError: (err, partition) =>
            log.error('taking over or handing over a rule partition failed', {
              partition,
              error: String(err),
            }),
        })
      }
      // a transition another node recorded (an operator action there, or an evaluation it won):
      // this node's book takes the record, and this node's live watchers see it
      unsubscribe.push(
        bus.subscribe<AlarmChange & { origin?: string }>(AlarmSubjects.alarmChanged, ({ data }) => {
          if (data.origin === undefined || data.origin === origin || stopped) return
          const { origin: _, ...change } = data
          const rt = settled.get(change.tenant)
          if (rt !== undefined) void serial(rt, () => rt.book.restore([change.alarm])).catch(() => undefined)
          // whichever node escalates the alarm (now or after a change of holder) knows its state
          notifier.observe(change.tenant, change.event, change.alarm)
          const ws = watchers.get(change.tenant)
          if (ws !== undefined) for (const w of ws) w(change)
        }),
      )
      unsubscribe.push(
        bus.subscribe<{ tenant: TenantId; origin: string }>(AlarmSubjects.rulesChanged, ({ data }) => {
          if (data.origin === origin || stopped) return
          reload(data.tenant).catch((err) =>
            log.error('reloading rules changed on another node failed', { error: String(err) }),
          )
        }),
      )
      const invalidate = ({ data }: { data: { tenant: TenantId } }): void => directory.invalidate(data.tenant)
      unsubscribe.push(bus.subscribe('point.changed', invalidate))
      unsubscribe.push(bus.subscribe('device.deleted', invalidate))
      // a machine's new points may complete a template's bindings; in a cluster the node holding the
      // tenant's partition writes the rules (the others reload them when it announces the change)
      unsubscribe.push(
        bus.subscribe<{ tenant: TenantId }>(Subjects.pointRegistered, ({ data }) => {
          const rt = settled.get(data.tenant)
          if (rt === undefined || rt.templates.size === 0 || stopped || !owns(data.tenant)) return
          clearTimeout(refreshTimers.get(data.tenant))
          const t = setTimeout(() => {
            refreshTimers.delete(data.tenant)
            templateRefreshes++
            service
              .refreshTemplates(data.tenant)
              .catch((err) => log.error('template refresh failed', { error: String(err) }))
          }, 200)
          t.unref()
          refreshTimers.set(data.tenant, t)
        }),
      )
      const tickMs = deps.tickMs ?? 1000
      if (tickMs > 0) {
        timer = setInterval(() => {
          tick().catch((err) => log.error('rules tick failed', { error: String(err) }))
        }, tickMs)
        timer.unref()
      }
      learnTimer = setInterval(() => {
        saveLearned().catch((err) => log.error('saving learned baselines failed', { error: String(err) }))
      }, deps.saveLearnedMs ?? 600_000)
      learnTimer.unref()
    },
    async stop() {
      if (stopped) return
      stopped = true
      stopFollowing?.()
      for (const u of unsubscribe) u()
      if (timer !== null) clearInterval(timer)
      if (learnTimer !== null) clearInterval(learnTimer)
      for (const t of refreshTimers.values()) clearTimeout(t)
      refreshTimers = new Map()
      await idle().catch(() => undefined)
      await saveLearned().catch(() => undefined)
      notifier.stop()
    },
    tick,
    idle,
    ingest(tenant, samples) {
      return ingest(tenant, samples)
    },
    stats() {
      return {
        samplesEvaluated,
        transitionConflicts,
        templateRefreshes,
        partitions: leases === null ? null : { held: leases.held(), total: leases.partitions },
      }
    },

    async listRules(tenant) {
      const rt = await rtOf(tenant)
      return [...rt.rules.values()].map(view).sort((a, b) => (a.id < b.id ? -1 : 1))
    },
    async getRule(tenant, id) {
      const rt = await rtOf(tenant)
      const r = rt.rules.get(id)
      if (r === undefined) throw CoreErrors.notFound('rule', id)
      return view(r)
    },
    async createRule(tenant, input, by) {
      const rt = await rtOf(tenant)
      const withId = { ...input, id: input.id ?? newId('rule', clock.now()) } as RuleDefinition
      if (!/^[\w.:-]{1,120}$/.test(withId.id))
        throw RulesErrors.definitionInvalid(
          withId.id,
          'id',
          'an id is 1–120 letters, digits, "_", ".", ":" or "-"',
        )
      const rule = await normalise(tenant, withId)
      return serial(rt, async () => {
        if (rt.rules.has(rule.id)) throw CoreErrors.conflict(`rule ${rule.id} exists`, { id: rule.id })
        const now = clock.now()
        const stored: StoredRule = {
          definition: rule,
          templateId: null,
          createdAt: now,
          updatedAt: now,
          updatedBy: by,
        }
        await store.putRules(tenant, [stored])
        rt.engine.addRule(rule)
        rt.rules.set(rule.id, stored)
        return view(stored)
      })
    },
    async updateRule(tenant, id, input, by) {
      const rt = await rtOf(tenant)
      const rule = await normalise(tenant, { ...input, id } as RuleDefinition)
      return serial(rt, async () => {
        const old = rt.rules.get(id)
        if (old === undefined) throw CoreErrors.notFound('rule', id)
        if (old.templateId !== null) throw RulesErrors.ruleManagedByTemplate(id, old.templateId)
        const stored: StoredRule = {
          definition: rule,
          templateId: null,
          createdAt: old.createdAt,
          updatedAt: clock.now(),
          updatedBy: by,
        }
        await store.putRules(tenant, [stored])
        const inactive = removeFromEngine(rt, [id])
        rt.engine.addRule(rule)
        rt.rules.set(id, stored)
        await applyChanges(rt, inactive)
        return view(stored)
      })
    },
    async deleteRule(tenant, id) {
      const rt = await rtOf(tenant)
      await serial(rt, async () => {
        const old = rt.rules.get(id)
        if (old === undefined) throw CoreErrors.notFound('rule', id)
        if (old.templateId !== null) throw RulesErrors.ruleManagedByTemplate(id, old.templateId)
        await store.deleteRules(tenant, [id])
        const inactive = removeFromEngine(rt, [id])
        rt.rules.delete(id)
        await applyChanges(rt, inactive)
      })
    },
    async listTemplates(tenant) {
      const rt = await rtOf(tenant)
      return Promise.all([...rt.templates.values()].map((t) => templateView(rt, t)))
    },
    async getTemplate(tenant, id) {
      const rt = await rtOf(tenant)
      const t = rt.templates.get(id)
      if (t === undefined) throw CoreErrors.notFound('rule template', id)
      return templateView(rt, t)
    },
    async putTemplate(tenant, template, by) {
      validateTemplate(template)
      const rt = await rtOf(tenant)
      const { rules, skipped } = await expand(tenant, template)
      return serial(rt, async () => {
        const now = clock.now()
        const old = rt.templates.get(template.id)
        const stored: StoredTemplate = {
          template,
          createdAt: old?.createdAt ?? now,
          updatedAt: now,
          updatedBy: by,
        }
        for (const r of rules) {
          const clash = rt.rules.get(r.id)
          if (clash !== undefined && clash.templateId !== template.id)
            throw CoreErrors.conflict(`rule ${r.id} exists and does not come from this template`, {
              id: r.id,
            })
        }
        await store.putTemplate(tenant, stored)
        rt.templates.set(template.id, stored)
        rt.skipped.set(template.id, skipped)
        await syncTemplateRules(rt, template.id, rules, by)
        return templateView(rt, stored)
      })
    },
    async deleteTemplate(tenant, id) {
      const rt = await rtOf(tenant)
      await serial(rt, async () => {
        if (!rt.templates.has(id)) throw CoreErrors.notFound('rule template', id)
        await syncTemplateRules(rt, id, [], 'system')
        await store.deleteTemplate(tenant, id)
        rt.templates.delete(id)
        rt.skipped.delete(id)
      })
    },
    async refreshTemplates(tenant) {
      const rt = await rtOf(tenant)
      let n = 0
      for (const t of [...rt.templates.values()]) {
        const { rules, skipped } = await expand(tenant, t.template)
        n += await serial(rt, async () => {
          if (!rt.templates.has(t.template.id)) return 0
          rt.skipped.set(t.template.id, skipped)
          return syncTemplateRules(rt, t.template.id, rules, t.updatedBy)
        })
      }
      return n
    },
    async preview(tenant, input, from, to) {
      if (!(from < to)) throw CoreErrors.validation('"from" must be before "to"')
      if (to - from > 31 * DAY) throw CoreErrors.validation('a preview spans at most 31 days')
      const rules: RuleDefinition[] = []
      for (const r of input)
        rules.push(await normalise(tenant, { ...r, id: r.id ?? 'preview' } as RuleDefinition))
      const paths = new Set<string>()
      for (const r of rules) for (const p of pointsOfRule(r)) paths.add(p)
      const samples: PreviewSample[] = []
      for (const path of paths) {
        const id = await directory.idOf(tenant, path)
        if (id === null) continue
        let start = from
        for (;;) {
          const page = await series.range(tenant, { point: id, from: start, to, order: 'asc' })
          for (const s of page.samples)
            samples.push({ point: path, ts: s.ts, value: sampleValue(s), quality: s.quality })
          const last = page.samples[page.samples.length - 1]
          if (!page.truncated || last === undefined) break
          start = last.ts + 1
          if (samples.length > 5_000_000)
            throw CoreErrors.validation('too many samples to preview: shorten the span')
        }
      }
      return previewRules(rules, samples, { from, to })
    },

    async listAlarms(tenant, filter) {
      const rt = await rtOf(tenant)
      return rt.book
        .list(filter)
        .sort((a, b) => b.lastChangeAt - a.lastChangeAt || (a.alarmId < b.alarmId ? -1 : 1))
    },
    async getAlarm(tenant, id) {
      const rt = await rtOf(tenant)
      const a = rt.book.get(id)
      if (a === undefined) throw RulesErrors.alarmUnknown(id)
      return a
    },
    alarmEvents(tenant, q) {
      return store.listAlarmEvents(tenant, q)
    },
    async activeAlarmCount(tenant) {
      const p = tenants.get(tenant)
      if (p === undefined) return 0
      const rt = await p
      let n = 0
      for (const a of rt.book.list()) if (ACTIVE_LIST.has(a.state)) n++
      return n
    },
    acknowledge: (tenant, id, by, why) => operate(tenant, id, (b) => b.acknowledge(id, by, why)),
    shelve: (tenant, id, by, why, until) => operate(tenant, id, (b) => b.shelve(id, by, why, until)),
    unshelve: (tenant, id, by, why) => operate(tenant, id, (b) => b.unshelve(id, by, why)),
    removeFromService: (tenant, id, by, why) => operate(tenant, id, (b) => b.removeFromService(id, by, why)),
    returnToService: (tenant, id, by, why) => operate(tenant, id, (b) => b.returnToService(id, by, why)),
    async kpis(tenant, options) {
      const { from, to } = options
      if (!(from < to)) throw CoreErrors.validation('"from" must be before "to"')
      // stale alarms need the states standing at the start: replay from well before it
      const staleAfter = options.staleAfterMs ?? DAY
      const { items } = await store.listAlarmEvents(tenant, {
        from: from - Math.max(staleAfter, 7 * DAY),
        to,
        order: 'asc',
        limit: 1_000_000,
      })
      return computeAlarmKpis(items, options)
    },
    watch(tenant, listener) {
      let set = watchers.get(tenant)
      if (set === undefined) {
        set = new Set()
        watchers.set(tenant, set)
      }
      set.add(listener)
      return () => {
        set.delete(listener)
        if (set.size === 0) watchers.delete(tenant)
      }
    },

    async listChannels(tenant) {
      return (await rtOf(tenant)).channels
    },
    async putChannel(tenant, input) {
      const c = validateChannel(input)
      const rt = await rtOf(tenant)
      await store.putChannel(tenant, c)
      rt.channels = [...rt.channels.filter((x) => x.id !== c.id), c].sort((a, b) => (a.id < b.id ? -1 : 1))
      return c
    },
    async deleteChannel(tenant, id) {
      const rt = await rtOf(tenant)
      if (!(await store.deleteChannel(tenant, id))) throw CoreErrors.notFound('notification channel', id)
      rt.channels = rt.channels.filter((x) => x.id !== id)
    },
    listDeliveries(tenant, q) {
      return store.listDeliveries(tenant, q)
    },

    async openWorkOrder(tenant, input, by) {
      const now = clock.now()
      let alarm: AlarmRecord | null = null
      if (input.alarmId !== undefined && input.alarmId !== null) {
        const rt = await rtOf(tenant)
        alarm = rt.book.get(input.alarmId) ?? null
        if (alarm === null) throw RulesErrors.alarmUnknown(input.alarmId)
      }
      const title = input.title ?? alarm?.message
      if (title === undefined || title.trim() === '')
        throw CoreErrors.validation('a work order needs a title')
      const equipment = input.equipment ?? alarm?.equipment ?? null
      if (equipment !== null) {
        try {
          await meta.getAsset(tenant, equipment as AssetId)
        } catch (err) {
          if (isRongheError(err) && err.status === 404)
            throw CoreErrors.validation(`equipment ${equipment} does not exist`)
          throw err
        }
      }
      const o: WorkOrder = {
        id: newId('wo', now),
        title: title.trim(),
        description: input.description ?? '',
        equipment,
        alarmId: alarm?.alarmId ?? null,
        priority: input.priority ?? alarm?.priority ?? 'medium',
        failure: input.failure ?? alarm !== null,
        failedAt: alarm?.activeSince ?? now,
        status: input.assignee ? 'assigned' : 'open',
        assignee: input.assignee ?? null,
        openedBy: by,
        openedAt: now,
        closedBy: null,
        closedAt: null,
        cause: null,
        action: null,
      }
      await store.createWorkOrder(tenant, o, by)
      if (o.assignee !== null)
        await store.addWorkOrderEvent(tenant, {
          orderId: o.id,
          at: now,
          by,
          kind: 'assigned',
          text: o.assignee,
        })
      return o
    },
    async assignWorkOrder(tenant, id, assignee, by) {
      const o = await order(tenant, id)
      if (o.status === 'closed') throw RulesErrors.workOrderClosed(id)
      if (assignee.trim() === '') throw CoreErrors.validation('name the assignee')
      const next: WorkOrder = { ...o, assignee: assignee.trim(), status: 'assigned' }
      await store.updateWorkOrder(tenant, next, {
        at: clock.now(),
        by,
        kind: 'assigned',
        text: next.assignee as string,
      })
      return next
    },
    async commentWorkOrder(tenant, id, text, by) {
      await order(tenant, id)
      if (text.trim() === '') throw CoreErrors.validation('a comment needs text')
      await store.addWorkOrderEvent(tenant, {
        orderId: id,
        at: clock.now(),
        by,
        kind: 'comment',
        text: text.trim(),
      })
      return store.listWorkOrderEvents(tenant, id)
    },
    async closeWorkOrder(tenant, id, result, by) {
      const o = await order(tenant, id)
      if (o.status === 'closed') throw RulesErrors.workOrderClosed(id)
      if (result.cause.trim() === '' || result.action.trim() === '')
        throw CoreErrors.validation('closing a work order needs its cause and the action taken')
      const now = clock.now()
      const next: WorkOrder = {
        ...o,
        status: 'closed',
        closedAt: now,
        closedBy: by,
        cause: result.cause.trim(),
        action: result.action.trim(),
      }
      await store.updateWorkOrder(tenant, next, {
        at: now,
        by,
        kind: 'closed',
        text: `cause: ${next.cause}; action: ${next.action}`,
      })
      return next
    },
    async getWorkOrder(tenant, id) {
      const o = await order(tenant, id)
      return { order: o, events: await store.listWorkOrderEvents(tenant, id) }
    },
    listWorkOrders(tenant, q) {
      return store.listWorkOrders(tenant, q)
    },
    async reliability(tenant, equipment, from, to) {
      if (!(from < to)) throw CoreErrors.validation('"from" must be before "to"')
      const { items } = await store.listWorkOrders(tenant, {
        ...(equipment === null ? {} : { equipment }),
        limit: 10_000,
      })
      return reliabilityOf(items, equipment, from, to)
    },
  }
  return service
}

/** The store, announcing each change of a tenant's rules, templates or channels once it is written. */
function announcingChanges(store: AlarmStore, changed: (tenant: TenantId) => void): AlarmStore {
  const after =
    <A extends [TenantId, ...unknown[]], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const r = await fn(...args)
      changed(args[0])
      return r
    }
  return {
    ...store,
    tenantsForPlatform: () => store.tenantsForPlatform(),
    putRules: after(store.putRules.bind(store)),
    deleteRules: after(store.deleteRules.bind(store)),
    putTemplate: after(store.putTemplate.bind(store)),
    deleteTemplate: after(store.deleteTemplate.bind(store)),
    putChannel: after(store.putChannel.bind(store)),
    deleteChannel: after(store.deleteChannel.bind(store)),
  }
}
