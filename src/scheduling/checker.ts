import type { Schedule, ScheduleKpis, ShopModel } from './model.ts'

/**
 * An independent schedule checker. It shares no code with the solver on purpose: it reads the
 * public model and the schedule, checks every rule directly and recomputes the KPIs, so a solver
 * bug cannot hide behind the same bug here.
 */
export interface CheckResult {
  readonly ok: boolean
  readonly errors: readonly string[]
  readonly kpis: ScheduleKpis
}

export function checkSchedule(model: ShopModel, schedule: Schedule): CheckResult {
  const errors: string[] = []
  const byKey = new Map<string, (typeof schedule.operations)[number]>()
  for (const s of schedule.operations) {
    const key = `${s.job}/${s.operation}`
    if (byKey.has(key)) errors.push(`operation ${key} scheduled twice`)
    byKey.set(key, s)
  }
  let expected = 0
  for (const j of model.jobs) expected += j.operations.length
  if (schedule.operations.length !== expected) {
    errors.push(`expected ${expected} operations, got ${schedule.operations.length}`)
  }

  let makespan = 0
  let twt = 0
  let tardyJobs = 0
  const perMachine: { start: number; end: number; setup: number; family: number; key: string }[][] =
    model.machines.map(() => [])

  model.jobs.forEach((job, j) => {
    let prevEnd = Number.NEGATIVE_INFINITY
    let completion = 0
    job.operations.forEach((op, k) => {
      const key = `${j}/${k}`
      const s = byKey.get(key)
      if (s === undefined) {
        errors.push(`operation ${key} missing`)
        return
      }
      const machine = model.machines[s.machine]
      if (machine === undefined) {
        errors.push(`operation ${key} on unknown machine ${s.machine}`)
        return
      }
      const alt = op.alternatives.find((a) => a.machine === machine.id)
      if (alt === undefined) errors.push(`operation ${key} on ineligible machine ${machine.id}`)
      else if (s.end - s.start !== alt.duration) {
        errors.push(`operation ${key} lasts ${s.end - s.start}, expected ${alt.duration} on ${machine.id}`)
      }
      if (s.start < (job.release ?? 0)) errors.push(`operation ${key} starts before the job's release`)
      if (s.start < prevEnd) errors.push(`operation ${key} starts before its predecessor ends`)
      prevEnd = s.end
      completion = Math.max(completion, s.end)
      makespan = Math.max(makespan, s.end)
      perMachine[s.machine]!.push({ start: s.start, end: s.end, setup: s.setup, family: op.family ?? 0, key })
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
      if (o.setup !== need) errors.push(`operation ${o.key} on ${m.id}: set-up ${o.setup}, expected ${need}`)
      if (prev !== undefined && o.start - need < prev.end) {
        errors.push(`operations ${prev.key} and ${o.key} overlap on ${m.id} (with set-up)`)
      }
      busy += o.end - o.start
      setupTotal += need
      const from = o.start - need
      const to = o.end
      if (to > from && !isAvailable(m.calendar, from, to)) {
        errors.push(`operation ${o.key} on ${m.id} runs outside the machine's calendar [${from}, ${to})`)
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
    ok: errors.length === 0,
    errors,
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
