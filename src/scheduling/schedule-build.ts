import type { Schedule, ScheduledOperation, ScheduleKpis, ShopModel } from './model.ts'
import type { Problem } from './problem.ts'
import { durationOf, machineOf, type Solution, timeSolution } from './solution.ts'

/** Times a solution and lists it job-major, as the public Schedule. */
export function toSchedule(p: Problem, s: Solution): Schedule {
  const t = timeSolution(p, s)
  const operations: ScheduledOperation[] = []
  for (let j = 0; j < p.nJobs; j++) {
    for (let o = p.jobStart[j]!; o < p.jobStart[j + 1]!; o++) {
      const start = t.start[o]!
      operations.push({
        job: j,
        operation: o - p.jobStart[j]!,
        machine: machineOf(p, s, o),
        start,
        end: start + durationOf(p, s, o),
        setup: t.setup[o]!,
      })
    }
  }
  return { operations }
}

/** The solver-side inverse of toSchedule: assignment and machine order (by start) of a schedule. */
export function fromSchedule(p: Problem, schedule: Schedule): Solution {
  const assign = new Int32Array(p.nOps)
  const perMachine: { o: number; start: number }[][] = Array.from({ length: p.nMachines }, () => [])
  for (const s of schedule.operations) {
    const o = p.jobStart[s.job]! + s.operation
    let alt = -1
    for (let a = p.altStart[o]!; a < p.altStart[o + 1]!; a++)
      if (p.altMachine[a] === s.machine) alt = a - p.altStart[o]!
    assign[o] = Math.max(0, alt)
    perMachine[s.machine]!.push({ o, start: s.start })
  }
  const seqs = perMachine.map((l) => l.sort((a, b) => a.start - b.start || a.o - b.o).map((x) => x.o))
  return { assign, seqs }
}

export function computeKpis(model: ShopModel, schedule: Schedule): ScheduleKpis {
  let makespan = 0
  const completion = new Float64Array(model.jobs.length)
  const busy = new Float64Array(model.machines.length)
  const setup = new Float64Array(model.machines.length)
  for (const s of schedule.operations) {
    makespan = Math.max(makespan, s.end)
    completion[s.job] = Math.max(completion[s.job]!, s.end)
    busy[s.machine]! += s.end - s.start
    setup[s.machine]! += s.setup
  }
  let twt = 0
  let tardyJobs = 0
  model.jobs.forEach((j, i) => {
    const t = Math.max(0, completion[i]! - (j.due ?? Number.POSITIVE_INFINITY))
    if (t > 0) tardyJobs++
    twt += (j.weight ?? 1) * t
  })
  return {
    makespan,
    totalWeightedTardiness: twt,
    tardyJobs,
    machines: model.machines.map((m, i) => ({
      machine: m.id,
      busy: busy[i]!,
      setup: setup[i]!,
      utilisation: makespan > 0 ? (busy[i]! + setup[i]!) / makespan : 0,
    })),
  }
}
