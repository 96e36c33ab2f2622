import type { ShopModel } from './model.ts'
import { SchedulingErrors } from './scheduling-errors.ts'

/**
 * The solver's flat view of a ShopModel: typed arrays only, so it crosses to worker threads by
 * structured clone and the hot loops never touch objects.
 */
export interface Problem {
  readonly nJobs: number
  readonly nMachines: number
  readonly nOps: number
  /** operations of job j are jobStart[j] … jobStart[j+1]-1, in route order */
  readonly jobStart: Int32Array
  readonly opJob: Int32Array
  /** alternatives of op o are altStart[o] … altStart[o+1]-1 */
  readonly altStart: Int32Array
  readonly altMachine: Int32Array
  readonly altDuration: Int32Array
  readonly family: Int32Array
  readonly release: Float64Array
  readonly due: Float64Array
  readonly weight: Float64Array
  /** per machine: row-major nFamilies × nFamilies, or null */
  readonly setup: readonly (Int32Array | null)[]
  readonly nFamilies: number
  /** per machine: sorted available stretches [s0,e0,s1,e1,…] (end may be Infinity), or null = always */
  readonly windows: readonly (Float64Array | null)[]
  /** per op: earliest start (repair: frozen and not-yet-started ops), or null */
  readonly minStart: Float64Array | null
  /** per op: 1 = frozen (already started, keeps machine, start and place) */
  readonly frozen: Uint8Array | null
  readonly hasSetups: boolean
  readonly hasCalendars: boolean
  readonly flexible: boolean
}

function isInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && Math.floor(x) === x
}

/** Available stretches = (windows or everything) minus outages, merged and sorted. */
export function availableStretches(
  windows: readonly { start: number; end: number }[] | undefined,
  outages: readonly { start: number; end: number }[] | undefined,
): number[] | null {
  if ((windows === undefined || windows.length === 0) && (outages === undefined || outages.length === 0)) {
    return null
  }
  let free: [number, number][] =
    windows === undefined || windows.length === 0
      ? [[Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]]
      : windows.map((w) => [w.start, w.end] as [number, number]).sort((a, b) => a[0] - b[0])
  const merged: [number, number][] = []
  for (const w of free) {
    const last = merged[merged.length - 1]
    if (last !== undefined && w[0] <= last[1]) last[1] = Math.max(last[1], w[1])
    else if (w[1] > w[0]) merged.push([w[0], w[1]])
  }
  free = merged
  for (const o of outages ?? []) {
    const next: [number, number][] = []
    for (const [s, e] of free) {
      if (o.end <= s || o.start >= e) next.push([s, e])
      else {
        if (o.start > s) next.push([s, o.start])
        if (o.end < e) next.push([o.end, e])
      }
    }
    free = next
  }
  return free.flat()
}

export function compileModel(model: ShopModel): Problem {
  const nJobs = model.jobs.length
  const nMachines = model.machines.length
  if (nJobs === 0 || nMachines === 0) throw SchedulingErrors.invalidModel('a model needs jobs and machines')
  const machineIndex = new Map<string, number>()
  model.machines.forEach((m, i) => {
    if (machineIndex.has(m.id)) throw SchedulingErrors.invalidModel(`duplicate machine ${m.id}`)
    machineIndex.set(m.id, i)
  })
  let nOps = 0
  let nAlts = 0
  for (const j of model.jobs) {
    if (j.operations.length === 0) throw SchedulingErrors.invalidModel(`job ${j.id} has no operations`)
    nOps += j.operations.length
    for (const o of j.operations) nAlts += o.alternatives.length
  }
  const jobStart = new Int32Array(nJobs + 1)
  const opJob = new Int32Array(nOps)
  const altStart = new Int32Array(nOps + 1)
  const altMachine = new Int32Array(nAlts)
  const altDuration = new Int32Array(nAlts)
  const family = new Int32Array(nOps)
  const release = new Float64Array(nJobs)
  const due = new Float64Array(nJobs)
  const weight = new Float64Array(nJobs)
  let o = 0
  let a = 0
  let nFamilies = 1
  let flexible = false
  model.jobs.forEach((j, ji) => {
    jobStart[ji] = o
    release[ji] = j.release ?? 0
    due[ji] = j.due ?? Number.POSITIVE_INFINITY
    weight[ji] = j.weight ?? 1
    if (!Number.isFinite(release[ji]!) || weight[ji]! < 0) {
      throw SchedulingErrors.invalidModel(`job ${j.id}: bad release or weight`)
    }
    for (const op of j.operations) {
      opJob[o] = ji
      family[o] = op.family ?? 0
      if (!isInt(family[o]) || family[o]! < 0) throw SchedulingErrors.invalidModel(`job ${j.id}: bad family`)
      nFamilies = Math.max(nFamilies, family[o]! + 1)
      altStart[o] = a
      if (op.alternatives.length === 0)
        throw SchedulingErrors.invalidModel(`job ${j.id}: operation without machine`)
      if (op.alternatives.length > 1) flexible = true
      const seen = new Set<number>()
      for (const alt of op.alternatives) {
        const m = machineIndex.get(alt.machine)
        if (m === undefined)
          throw SchedulingErrors.invalidModel(`job ${j.id}: unknown machine ${alt.machine}`)
        if (seen.has(m))
          throw SchedulingErrors.invalidModel(`job ${j.id}: machine ${alt.machine} listed twice`)
        seen.add(m)
        if (!isInt(alt.duration) || alt.duration < 0) {
          throw SchedulingErrors.invalidModel(`job ${j.id}: duration must be a non-negative integer`)
        }
        altMachine[a] = m
        altDuration[a] = alt.duration
        a++
      }
      o++
    }
  })
  jobStart[nJobs] = o
  altStart[nOps] = a
  let hasSetups = false
  const setup = model.machines.map((m) => {
    if (m.setupTimes === undefined) return null
    const t = new Int32Array(nFamilies * nFamilies)
    m.setupTimes.forEach((row, f) => {
      row.forEach((v, g) => {
        if (!isInt(v) || v < 0) throw SchedulingErrors.invalidModel(`machine ${m.id}: bad set-up time`)
        if (f < nFamilies && g < nFamilies) t[f * nFamilies + g] = v
        if (v > 0) hasSetups = true
      })
    })
    return t
  })
  let hasCalendars = false
  const windows = model.machines.map((m) => {
    const s = availableStretches(m.calendar?.windows, m.calendar?.outages)
    if (s === null) return null
    hasCalendars = true
    return Float64Array.from(s)
  })
  return {
    nJobs,
    nMachines,
    nOps,
    jobStart,
    opJob,
    altStart,
    altMachine,
    altDuration,
    family,
    release,
    due,
    weight,
    setup,
    nFamilies,
    windows,
    minStart: null,
    frozen: null,
    hasSetups,
    hasCalendars,
    flexible,
  }
}

/**
 * Earliest operation start ≥ `earliest` such that set-up + processing, [start-setup, start+duration),
 * lies inside one available stretch and the set-up begins no earlier than `machineFree`.
 * Infinity when it never fits.
 */
export function fitStart(
  w: Float64Array,
  earliest: number,
  machineFree: number,
  setup: number,
  duration: number,
): number {
  const len = setup + duration
  for (let i = 0; i < w.length; i += 2) {
    const ws = w[i]!
    const we = w[i + 1]!
    const blockStart = Math.max(earliest - setup, machineFree, ws)
    if (blockStart + len <= we) return blockStart + setup
  }
  return Number.POSITIVE_INFINITY
}
