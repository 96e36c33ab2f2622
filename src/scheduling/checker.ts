import type { Schedule, ScheduleKpis, ShopModel } from './model.ts'

/**
 * An independent schedule checker. It shares no code with the solver on purpose: it reads the
 * public model and the schedule, checks every rule directly and recomputes the KPIs, so a solver
 * bug cannot hide behind the same bug here.
 */
export type ViolationKind =
  | 'duplicate'
  | 'missing'
  | 'count'
  | 'unknown-machine'
  | 'ineligible'
  | 'duration'
  | 'release'
  | 'precedence'
  | 'setup'
  | 'overlap'
  | 'calendar'

/** One broken rule, with the operations (job, operation index) it concerns, for a planner to see. */
export interface Violation {
  readonly kind: ViolationKind
  readonly operations: readonly { readonly job: number; readonly operation: number }[]
  readonly message: string
}

export interface CheckResult {
  readonly ok: boolean
  readonly errors: readonly string[]
  /** the same findings as `errors`, one to one, with their kind and operations */
  readonly violations: readonly Violation[]
  readonly kpis: ScheduleKpis
}

export function checkSchedule(model: ShopModel, schedule: Schedule): CheckResult {
  const violations: Violation[] = []
  const fail = (kind: ViolationKind, message: string, ...ops: (readonly [number, number])[]): void => {
    violations.push({ kind, message, operations: ops.map(([job, operation]) => ({ job, operation })) })
  }
  const byKey = new Map<string, (typeof schedule.operations)[number]>()
  for (const s of schedule.operations) {
    const key = `${s.job}/${s.operation}`
    if (byKey.has(key)) fail('duplicate', `operation ${key} scheduled twice`, [s.job, s.operation])
    byKey.set(key, s)
  }
  let expected = 0
  for (const j of model.jobs) expected += j.operations.length
  if (schedule.operations.length !== expected) {
    fail('count', `expected ${expected} operations, got ${schedule.operations.length}`)
  }

  let makespan = 0
  let twt = 0
  let tardyJobs = 0
  const perMachine: {
    start: number
    end: number
    setup: number
    family: number
    key: string
    at: readonly [number, number]
  }[][] = model.machines.map(() => [])

  model.jobs.forEach((job, j) => {
    let prevEnd = Number.NEGATIVE_INFINITY
    let completion = 0
    job.operations.forEach((op, k) => {
      const key = `${j}/${k}`
      const s = byKey.get(key)
      if (s === undefined) {
        fail('missing', `operation ${key} missing`, [j, k])
        return
      }
      const machine = model.machines[s.machine]
      if (machine === undefined) {
        fail('unknown-machine', `operation ${key} on unknown machine ${s.machine}`, [j, k])
        return
      }
      const alt = op.alternatives.find((a) => a.machine === machine.id)
      if (alt === undefined)
        fail('ineligible', `operation ${key} on ineligible machine ${machine.id}`, [j, k])
      else if (s.end - s.start !== alt.duration) {
        const m = `operation ${key} lasts ${s.end - s.start}, expected ${alt.duration} on ${machine.id}`
        fail('duration', m, [j, k])
      }
      if (s.start < (job.release ?? 0))
        fail('release', `operation ${key} starts before the job's release`, [j, k])
      if (s.start < prevEnd)
        fail('precedence', `operation ${key} starts before its predecessor ends`, [j, k - 1], [j, k])
      prevEnd = s.end
      completion = Math.max(completion, s.end)
      makespan = Math.max(makespan, s.end)
      perMachine[s.machine]!.push({
        start: s.start,
        end: s.end,
        setup: s.setup,
        family: op.family ?? 0,
        key,
        at: [j, k],
      })
    })
    const tardiness = Math.max(0, completion - (job.due ?? Number.POSITIVE_INFINITY))
    if (tardiness > 0) tardyJobs++
    twt += (job.weight ?? 1) * tardiness
  })

  const machines = model.machines.map((m, mi) => {
    const ops = perMachine[mi]!.sort((a, b) => a.start - b.start || a.end - b.end)
    let busy = 0
    let setupTotal = 0
    ops.forEach((o, i) => {
      const prev = ops[i - 1]
      const need = prev === undefined ? 0 : (m.setupTimes?.[prev.family]?.[o.family] ?? 0)
      if (o.setup !== need)
        fail('setup', `operation ${o.key} on ${m.id}: set-up ${o.setup}, expected ${need}`, o.at)
      if (prev !== undefined && o.start - need < prev.end) {
        fail('overlap', `operations ${prev.key} and ${o.key} overlap on ${m.id} (with set-up)`, prev.at, o.at)
      }
      busy += o.end - o.start
      setupTotal += need
      const from = o.start - need
      const to = o.end
      if (to > from && !isAvailable(m.calendar, from, to)) {
        const msg = `operation ${o.key} on ${m.id} runs outside the machine's calendar [${from}, ${to})`
        fail('calendar', msg, o.at)
      }
    })
    return {
      machine: m.id,
      busy,
      setup: setupTotal,
      utilisation: makespan > 0 ? (busy + setupTotal) / makespan : 0,
    }
  })
  return {
    ok: violations.length === 0,
    errors: violations.map((v) => v.message),
    violations,
    kpis: { makespan, totalWeightedTardiness: twt, tardyJobs, machines },
  }
}

function isAvailable(cal: ShopModel['machines'][number]['calendar'], from: number, to: number): boolean {
  if (cal === undefined) return true
  for (const o of cal.outages ?? []) if (o.start < to && o.end > from) return false
  if (cal.windows === undefined || cal.windows.length === 0) return true
  // the windows, possibly touching, must cover [from, to) without a gap
  const ws = [...cal.windows].sort((a, b) => a.start - b.start)
  let covered = from
  for (const w of ws) {
    if (w.start <= covered && w.end > covered) covered = w.end
    if (covered >= to) return true
  }
  return false
}
