import { fitStart, type Problem } from './problem.ts'
import { setupBetween, type Solution } from './solution.ts'

export type DispatchRule = 'spt' | 'mwkr' | 'edd' | 'atc' | 'est'
export const DISPATCH_RULES: readonly DispatchRule[] = ['mwkr', 'spt', 'edd', 'atc', 'est']

/**
 * Giffler–Thompson style list scheduling: among the next operation of every job, take the one
 * that can finish first; its conflict set is every candidate that can start before that; the
 * rule picks among them. Each candidate goes to the eligible machine where it finishes first
 * (set-ups and calendars included), which also gives flexible job shops a sound first assignment.
 */
export function dispatch(p: Problem, rule: DispatchRule): Solution {
  const assign = new Int32Array(p.nOps)
  const seqs: number[][] = Array.from({ length: p.nMachines }, () => [])
  const next = Int32Array.from({ length: p.nJobs }, (_, j) => p.jobStart[j]!)
  const jobReady = Float64Array.from(p.release)
  const machFree = new Float64Array(p.nMachines).fill(Number.NEGATIVE_INFINITY)
  const machLast = new Int32Array(p.nMachines).fill(-1)
  const minDur = new Float64Array(p.nOps)
  for (let o = 0; o < p.nOps; o++) {
    let d = Number.POSITIVE_INFINITY
    for (let a = p.altStart[o]!; a < p.altStart[o + 1]!; a++) d = Math.min(d, p.altDuration[a]!)
    minDur[o] = d
  }
  const remaining = new Float64Array(p.nJobs)
  let total = 0
  for (let o = 0; o < p.nOps; o++) {
    remaining[p.opJob[o]!]! += minDur[o]!
    total += minDur[o]!
  }
  const pbar = total / p.nOps || 1
  const candStart = new Float64Array(p.nJobs)
  const candEnd = new Float64Array(p.nJobs)
  const candAlt = new Int32Array(p.nJobs)

  for (let step = 0; step < p.nOps; step++) {
    let minEnd = Number.POSITIVE_INFINITY
    for (let j = 0; j < p.nJobs; j++) {
      const o = next[j]!
      if (o >= p.jobStart[j + 1]!) continue
      let est = jobReady[j]!
      if (p.minStart !== null) est = Math.max(est, p.minStart[o]!)
      let bestEnd = Number.POSITIVE_INFINITY
      let bestStart = Number.POSITIVE_INFINITY
      let bestAlt = 0
      for (let a = p.altStart[o]!; a < p.altStart[o + 1]!; a++) {
        const m = p.altMachine[a]!
        const d = p.altDuration[a]!
        const last = machLast[m]!
        const s = last >= 0 ? setupBetween(p, m, last, o) : 0
        const w = p.windows[m]
        const st = w == null ? Math.max(est, machFree[m]! + s) : fitStart(w, est, machFree[m]!, s, d)
        if (st + d < bestEnd) {
          bestEnd = st + d
          bestStart = st
          bestAlt = a - p.altStart[o]!
        }
      }
      candStart[j] = bestStart
      candEnd[j] = bestEnd
      candAlt[j] = bestAlt
      if (bestEnd < minEnd) minEnd = bestEnd
    }
    let pick = -1
    let pickKey = Number.POSITIVE_INFINITY
    for (let j = 0; j < p.nJobs; j++) {
      const o = next[j]!
      if (o >= p.jobStart[j + 1]!) continue
      // zero-duration operations make minEnd equal a start: keep them in the conflict set
      if (candStart[j]! >= minEnd && candStart[j]! !== candEnd[j]!) continue
      const d = candEnd[j]! - candStart[j]!
      let key: number
      switch (rule) {
        case 'spt':
          key = d
          break
        case 'mwkr':
          key = -remaining[j]!
          break
        case 'edd':
          key = Number.isFinite(p.due[j]!) ? p.due[j]! : Number.MAX_VALUE
          break
        case 'atc': {
          const slack = Math.max(0, p.due[j]! - candStart[j]! - remaining[j]!)
          const s = Number.isFinite(slack) ? slack : 1e12
          key = -(p.weight[j]! / Math.max(d, 1e-9)) * Math.exp(-s / (2 * pbar))
          break
        }
        default:
          key = candStart[j]!
      }
      if (key < pickKey) {
        pickKey = key
        pick = j
      }
    }
    if (pick < 0) pick = firstOpen(p, next)
    const o = next[pick]!
    const a = candAlt[pick]!
    const m = p.altMachine[p.altStart[o]! + a]!
    assign[o] = a
    seqs[m]!.push(o)
    machFree[m] = candEnd[pick]!
    machLast[m] = o
    jobReady[pick] = candEnd[pick]!
    remaining[pick]! -= minDur[o]!
    next[pick] = o + 1
  }
  return { assign, seqs }
}

function firstOpen(p: Problem, next: Int32Array): number {
  for (let j = 0; j < p.nJobs; j++) if (next[j]! < p.jobStart[j + 1]!) return j
  return 0
}
