import { fitStart, type Problem } from './problem.ts'

/** A solution: the chosen alternative of each operation and the operation order on each machine. */
export interface Solution {
  readonly assign: Int32Array
  readonly seqs: number[][]
}

export function cloneSolution(s: Solution): Solution {
  return { assign: s.assign.slice(), seqs: s.seqs.map((q) => q.slice()) }
}

export function machineOf(p: Problem, s: Solution, op: number): number {
  return p.altMachine[p.altStart[op]! + s.assign[op]!]!
}

export function durationOf(p: Problem, s: Solution, op: number): number {
  return p.altDuration[p.altStart[op]! + s.assign[op]!]!
}

export function setupBetween(p: Problem, m: number, from: number, to: number): number {
  const t = p.setup[m]
  return t == null ? 0 : t[p.family[from]! * p.nFamilies + p.family[to]!]!
}

export interface Timing {
  readonly start: Float64Array
  readonly setup: Float64Array
  readonly makespan: number
  readonly twt: number
  readonly feasible: boolean
}

/**
 * Semi-active timing of a solution: every operation starts as early as its job predecessor, its
 * machine predecessor (plus set-up), its release and its machine's calendar allow.
 */
export function timeSolution(p: Problem, s: Solution): Timing {
  const n = p.nOps
  const mp = new Int32Array(n).fill(-1)
  const ms = new Int32Array(n).fill(-1)
  for (const seq of s.seqs) {
    for (let i = 0; i < seq.length; i++) {
      if (i > 0) mp[seq[i]!] = seq[i - 1]!
      if (i + 1 < seq.length) ms[seq[i]!] = seq[i + 1]!
    }
  }
  const indeg = new Int32Array(n)
  const queue = new Int32Array(n)
  let tail = 0
  for (let o = 0; o < n; o++) {
    const first = o === p.jobStart[p.opJob[o]!]
    indeg[o] = (first ? 0 : 1) + (mp[o]! >= 0 ? 1 : 0)
    if (indeg[o] === 0) queue[tail++] = o
  }
  const start = new Float64Array(n)
  const setup = new Float64Array(n)
  let head = 0
  let feasible = true
  while (head < tail) {
    const v = queue[head++]!
    const j = p.opJob[v]!
    const first = v === p.jobStart[j]
    let est = first ? p.release[j]! : start[v - 1]! + durationOf(p, s, v - 1)
    if (p.minStart !== null) est = Math.max(est, p.minStart[v]!)
    const u = mp[v]!
    const m = machineOf(p, s, v)
    const su = u >= 0 ? setupBetween(p, m, u, v) : 0
    const free = u >= 0 ? start[u]! + durationOf(p, s, u) : Number.NEGATIVE_INFINITY
    const w = p.windows[m]
    const st = w == null ? Math.max(est, free + su) : fitStart(w, est, free, su, durationOf(p, s, v))
    if (!Number.isFinite(st)) feasible = false
    start[v] = st
    setup[v] = su
    const last = v + 1 === p.jobStart[j + 1]
    if (!last && --indeg[v + 1]! === 0) queue[tail++] = v + 1
    const x = ms[v]!
    if (x >= 0 && --indeg[x]! === 0) queue[tail++] = x
  }
  if (tail < n)
    return {
      start,
      setup,
      makespan: Number.POSITIVE_INFINITY,
      twt: Number.POSITIVE_INFINITY,
      feasible: false,
    }
  let makespan = 0
  let twt = 0
  for (let j = 0; j < p.nJobs; j++) {
    const lastOp = p.jobStart[j + 1]! - 1
    const c = start[lastOp]! + durationOf(p, s, lastOp)
    makespan = Math.max(makespan, c)
    twt += p.weight[j]! * Math.max(0, c - p.due[j]!)
  }
  return { start, setup, makespan, twt, feasible }
}
