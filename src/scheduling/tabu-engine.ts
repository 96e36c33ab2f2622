import type { Objective } from './model.ts'
import { fitStart, type Problem } from './problem.ts'
import { createRng, type Rng } from '../core/rng.ts'
import { cloneSolution, type Solution } from './solution.ts'

export interface EngineConfig {
  readonly objective: Objective
  readonly seed: number
  /** iterations without improvement before a perturbation of the best solution */
  readonly maxNoImprove?: number
  /** stop as soon as the primary objective is ≤ this (a proven lower bound, or a caller's target) */
  readonly target?: number
  /** base tabu tenure in iterations (default 6 + jobs/machines; tuned on ft10, la21-la40) */
  readonly tenure?: number
}

/**
 * Tabu search on the critical path.
 *
 * Neighbourhood: N7 of Zhang et al. (2007) — inside every critical block, move an operation to the
 * front or the back of its block, or move the block's first/last operation into the block — which
 * contains N5 (Nowicki & Smutnicki 1996). In flexible shops, critical operations may also move to
 * another eligible machine.
 *
 * Evaluation: for makespan without calendars the classic head/tail estimate (Balas & Vazacopoulos
 * 1998) recomputes only the moved segment's heads and tails, so a move costs O(block length); the
 * feasibility of a block move is guaranteed by the same paper's conditions. With calendars or
 * weighted tardiness the longest-path identity no longer holds, so moves are evaluated exactly by
 * re-timing the whole schedule.
 *
 * Diversification: a tabu list of reversed operation pairs with a randomised tenure, aspiration
 * by objective, and, after `maxNoImprove` idle iterations, a random walk of a few critical moves
 * from the best solution (iterated tabu search).
 */
export class TabuEngine {
  readonly p: Problem
  readonly n: number
  readonly fast: boolean
  readonly rng: Rng
  readonly objective: Objective
  readonly target: number
  readonly maxNoImprove: number
  readonly tenureBase: number

  readonly jp: Int32Array
  readonly js: Int32Array
  readonly assign: Int32Array
  readonly mach: Int32Array
  readonly dur: Int32Array
  seqs: number[][]
  readonly pos: Int32Array
  readonly mp: Int32Array
  readonly ms: Int32Array
  readonly r: Float64Array
  readonly q: Float64Array
  readonly crit: Int32Array
  readonly order: Int32Array
  readonly indeg: Int32Array
  readonly segOrd: Int32Array
  readonly segR: Float64Array
  readonly segQ: Float64Array
  readonly rBase: Float64Array

  readonly tabuPairs: Int32Array | null
  readonly tabuPairMap: Map<number, number> | null
  readonly tabuAssign = new Map<number, number>()

  cur1 = Number.POSITIVE_INFINITY
  cur2 = Number.POSITIVE_INFINITY
  best1 = Number.POSITIVE_INFINITY
  best2 = Number.POSITIVE_INFINITY
  bestSol: Solution
  iter = 0
  lastImprove = 0
  failedKicks = 0
  done = false
  onImprove: ((value: number) => void) | null = null

  constructor(p: Problem, initial: Solution, config: EngineConfig) {
    this.p = p
    this.n = p.nOps
    this.objective = config.objective
    this.fast = config.objective === 'makespan' && !p.hasCalendars
    this.rng = createRng(config.seed)
    const n = p.nOps
    this.jp = new Int32Array(n)
    this.js = new Int32Array(n)
    for (let o = 0; o < n; o++) {
      const j = p.opJob[o]!
      this.jp[o] = o === p.jobStart[j] ? -1 : o - 1
      this.js[o] = o + 1 === p.jobStart[j + 1] ? -1 : o + 1
    }
    this.assign = initial.assign.slice()
    this.mach = new Int32Array(n)
    this.dur = new Int32Array(n)
    this.seqs = initial.seqs.map((s) => s.slice())
    this.syncAssign()
    this.pos = new Int32Array(n)
    this.mp = new Int32Array(n)
    this.ms = new Int32Array(n)
    this.r = new Float64Array(n)
    this.q = new Float64Array(n)
    this.crit = new Int32Array(n)
    this.order = new Int32Array(n)
    this.indeg = new Int32Array(n)
    this.segOrd = new Int32Array(n)
    this.segR = new Float64Array(n)
    this.segQ = new Float64Array(n)
    this.rBase = new Float64Array(n)
    if (n <= 3000) {
      this.tabuPairs = new Int32Array(n * n)
      this.tabuPairMap = null
    } else {
      this.tabuPairs = null
      this.tabuPairMap = new Map()
    }
    this.tenureBase = config.tenure ?? 6 + Math.floor(p.nJobs / Math.max(1, p.nMachines))
    this.maxNoImprove = config.maxNoImprove ?? 10000
    this.target = config.target ?? this.lowerBound()
    if (!this.decode(this.fast)) throw new Error('initial solution has a cycle')
    this.best1 = this.cur1
    this.best2 = this.cur2
    this.bestSol = this.snapshot()
    if (this.best1 <= this.target) this.done = true
  }

  /** A valid lower bound on the makespan (0 when the objective is not the makespan). */
  lowerBound(): number {
    const p = this.p
    if (this.objective !== 'makespan') return 0
    // job chains, and per machine min head + load + min tail (one-machine relaxation)
    let lb = 0
    const load = new Float64Array(p.nMachines)
    const minHead = new Float64Array(p.nMachines).fill(Number.POSITIVE_INFINITY)
    const minTail = new Float64Array(p.nMachines).fill(Number.POSITIVE_INFINITY)
    const minDur = (o: number): number => {
      let d = Number.POSITIVE_INFINITY
      for (let a = p.altStart[o]!; a < p.altStart[o + 1]!; a++) d = Math.min(d, p.altDuration[a]!)
      return d
    }
    for (let j = 0; j < p.nJobs; j++) {
      let total = 0
      for (let o = p.jobStart[j]!; o < p.jobStart[j + 1]!; o++) total += minDur(o)
      let head = p.release[j]!
      lb = Math.max(lb, head + total)
      for (let o = p.jobStart[j]!; o < p.jobStart[j + 1]!; o++) {
        const d = minDur(o)
        if (p.altStart[o + 1]! - p.altStart[o]! === 1) {
          const m = p.altMachine[p.altStart[o]!]!
          load[m]! += d
          minHead[m] = Math.min(minHead[m]!, head)
          minTail[m] = Math.min(minTail[m]!, total - (head - p.release[j]!) - d)
        }
        head += d
      }
    }
    if (p.minStart === null) {
      for (let m = 0; m < p.nMachines; m++) {
        if (load[m]! > 0) lb = Math.max(lb, minHead[m]! + load[m]! + minTail[m]!)
      }
    }
    return lb
  }

  private syncAssign(): void {
    const p = this.p
    for (let o = 0; o < this.n; o++) {
      const a = p.altStart[o]! + this.assign[o]!
      this.mach[o] = p.altMachine[a]!
      this.dur[o] = p.altDuration[a]!
    }
  }

  snapshot(): Solution {
    return cloneSolution({ assign: this.assign, seqs: this.seqs })
  }

  private restore(s: Solution): void {
    this.assign.set(s.assign)
    this.seqs = s.seqs.map((q) => q.slice())
    this.syncAssign()
  }

  private setup(m: number, a: number, b: number): number {
    const t = this.p.setup[m]
    return t == null ? 0 : t[this.p.family[a]! * this.p.nFamilies + this.p.family[b]!]!
  }

  /** Times the current sequences; false on a cycle. Tails only when asked (fast mode). */
  decode(withTails: boolean): boolean {
    const { p, n, seqs, mp, ms, pos, jp, js, r, dur, crit, order, indeg, mach } = this
    for (let m = 0; m < seqs.length; m++) {
      const s = seqs[m]!
      const len = s.length
      for (let i = 0; i < len; i++) {
        const x = s[i]!
        pos[x] = i
        mp[x] = i > 0 ? s[i - 1]! : -1
        ms[x] = i + 1 < len ? s[i + 1]! : -1
      }
    }
    let tail = 0
    for (let o = 0; o < n; o++) {
      const d = (jp[o]! >= 0 ? 1 : 0) + (mp[o]! >= 0 ? 1 : 0)
      indeg[o] = d
      if (d === 0) order[tail++] = o
    }
    const minStart = p.minStart
    const hasSetups = p.hasSetups
    let head = 0
    while (head < tail) {
      const v = order[head++]!
      const u = jp[v]!
      const w = mp[v]!
      const jobReady = u >= 0 ? r[u]! + dur[u]! : p.release[p.opJob[v]!]!
      let est = jobReady
      if (minStart !== null && minStart[v]! > est) est = minStart[v]!
      let st: number
      let machReady = Number.NEGATIVE_INFINITY
      if (w >= 0) machReady = r[w]! + dur[w]! + (hasSetups ? this.setup(mach[v]!, w, v) : 0)
      const win = p.windows[mach[v]!]
      if (win == null) st = Math.max(est, machReady)
      else {
        const su = w >= 0 && hasSetups ? this.setup(mach[v]!, w, v) : 0
        st = fitStart(win, est, w >= 0 ? r[w]! + dur[w]! : Number.NEGATIVE_INFINITY, su, dur[v]!)
      }
      r[v] = st
      crit[v] = w >= 0 && st === machReady ? w : u >= 0 && st === jobReady ? u : -1
      const a = js[v]!
      if (a >= 0 && --indeg[a]! === 0) order[tail++] = a
      const b = ms[v]!
      if (b >= 0 && --indeg[b]! === 0) order[tail++] = b
    }
    if (tail < n) return false
    let cmax = 0
    let twt = 0
    for (let j = 0; j < p.nJobs; j++) {
      const last = p.jobStart[j + 1]! - 1
      const c = r[last]! + dur[last]!
      if (c > cmax) cmax = c
      if (c > p.due[j]!) twt += p.weight[j]! * (c - p.due[j]!)
    }
    if (this.objective === 'makespan') {
      this.cur1 = cmax
      this.cur2 = 0
    } else {
      this.cur1 = twt
      this.cur2 = cmax
    }
    if (withTails) {
      const q = this.q
      for (let i = n - 1; i >= 0; i--) {
        const v = order[i]!
        const a = js[v]!
        const b = ms[v]!
        let t = a >= 0 ? q[a]! + dur[a]! : 0
        if (b >= 0) {
          const t2 = q[b]! + dur[b]! + (hasSetups ? this.setup(mach[v]!, v, b) : 0)
          if (t2 > t) t = t2
        }
        q[v] = t
      }
    }
    return true
  }

  /** Ends of the critical paths to follow: the last operation(s) that define the objective. */
  private pathEnds(): number[] {
    const p = this.p
    const ends: number[] = []
    if (this.objective === 'weighted-tardiness' && this.cur1 > 0) {
      const tardy: { o: number; wt: number }[] = []
      for (let j = 0; j < p.nJobs; j++) {
        const last = p.jobStart[j + 1]! - 1
        const c = this.r[last]! + this.dur[last]!
        if (c > p.due[j]!) tardy.push({ o: last, wt: p.weight[j]! * (c - p.due[j]!) })
      }
      tardy.sort((a, b) => b.wt - a.wt || a.o - b.o)
      for (let i = 0; i < Math.min(3, tardy.length); i++) ends.push(tardy[i]!.o)
      if (tardy.length > 3) ends.push(tardy[3 + this.rng.int(tardy.length - 3)]!.o)
      return ends
    }
    let cmax = Number.NEGATIVE_INFINITY
    let count = 0
    let pick = -1
    for (let j = 0; j < p.nJobs; j++) {
      const last = p.jobStart[j + 1]! - 1
      const c = this.r[last]! + this.dur[last]!
      if (c > cmax) {
        cmax = c
        pick = last
        count = 1
      } else if (c === cmax && this.rng.int(++count) === 0) pick = last
    }
    ends.push(pick)
    return ends
  }

  /** Critical blocks as [machine, firstPos, lastPos] triples, plus the critical operations. */
  criticalBlocks(blocks: number[], critOps: number[]): void {
    const { crit, mp, mach, pos } = this
    blocks.length = 0
    critOps.length = 0
    const seen = new Set<number>()
    for (const end of this.pathEnds()) {
      let v = end
      let blockLast = v
      while (v >= 0) {
        critOps.push(v)
        const u = crit[v]!
        if (u >= 0 && u === mp[v]) {
          v = u
          continue
        }
        if (v !== blockLast) {
          const key = pos[v]! * this.p.nMachines + mach[v]!
          if (!seen.has(key)) {
            seen.add(key)
            blocks.push(mach[v]!, pos[v]!, pos[blockLast]!)
          }
        }
        v = u
        blockLast = v
      }
    }
  }

  private isTabuPair(a: number, b: number): boolean {
    // true when putting a before b again is forbidden
    if (this.tabuPairs !== null) return this.tabuPairs[a * this.n + b]! > this.iter
    return (this.tabuPairMap!.get(a * this.n + b) ?? 0) > this.iter
  }

  private forbidPair(a: number, b: number, until: number): void {
    if (this.tabuPairs !== null) this.tabuPairs[a * this.n + b] = until
    else this.tabuPairMap!.set(a * this.n + b, until)
  }

  /** Moving seqs[m][from] to index `to` would restore a forbidden order. */
  private moveIsTabu(m: number, from: number, to: number): boolean {
    const s = this.seqs[m]!
    const u = s[from]!
    if (from < to) {
      for (let i = from + 1; i <= to; i++) if (this.isTabuPair(s[i]!, u)) return true
    } else {
      for (let i = to; i < from; i++) if (this.isTabuPair(u, s[i]!)) return true
    }
    return false
  }

  private shift(m: number, from: number, to: number): void {
    const s = this.seqs[m]!
    const u = s[from]!
    if (from < to) for (let i = from; i < to; i++) s[i] = s[i + 1]!
    else for (let i = from; i > to; i--) s[i] = s[i - 1]!
    s[to] = u
  }

  private segmentHasFrozen(m: number, a: number, b: number): boolean {
    const f = this.p.frozen
    if (f === null) return false
    const s = this.seqs[m]!
    for (let i = Math.min(a, b); i <= Math.max(a, b); i++) if (f[s[i]!] === 1) return true
    return false
  }

  /** Balas–Vazacopoulos sufficient conditions: the move creates no cycle. */
  private blockMoveFeasible(m: number, from: number, to: number): boolean {
    const s = this.seqs[m]!
    const u = s[from]!
    const x = s[to]!
    if (from < to) {
      const a = this.js[u]!
      return a < 0 || this.q[a]! < this.q[x]! + this.dur[x]!
    }
    const a = this.jp[u]!
    return a < 0 || this.r[a]! < this.r[x]! + this.dur[x]!
  }

  /** Head/tail estimate of the makespan after moving seqs[m][from] to `to`. */
  private estimate(m: number, from: number, to: number): number {
    const { seqs, segOrd, segR, segQ, r, q, dur, jp, js, p } = this
    const s = seqs[m]!
    const lo = Math.min(from, to)
    const hi = Math.max(from, to)
    const len = hi - lo + 1
    const u = s[from]!
    if (from < to) {
      for (let i = 0; i < len - 1; i++) segOrd[i] = s[from + 1 + i]!
      segOrd[len - 1] = u
    } else {
      segOrd[0] = u
      for (let i = 1; i < len; i++) segOrd[i] = s[to + i - 1]!
    }
    const hasSetups = p.hasSetups
    let prev = lo > 0 ? s[lo - 1]! : -1
    let prevEnd = prev >= 0 ? r[prev]! + dur[prev]! : Number.NEGATIVE_INFINITY
    for (let i = 0; i < len; i++) {
      const x = segOrd[i]!
      const a = jp[x]!
      let h = a >= 0 ? r[a]! + dur[a]! : p.release[p.opJob[x]!]!
      if (p.minStart !== null && p.minStart[x]! > h) h = p.minStart[x]!
      if (prev >= 0) {
        const t = prevEnd + (hasSetups ? this.setup(m, prev, x) : 0)
        if (t > h) h = t
      }
      segR[i] = h
      prev = x
      prevEnd = h + dur[x]!
    }
    let next = hi + 1 < s.length ? s[hi + 1]! : -1
    let nextQ = next >= 0 ? q[next]! + dur[next]! : 0
    let est = 0
    for (let i = len - 1; i >= 0; i--) {
      const x = segOrd[i]!
      const b = js[x]!
      let t = b >= 0 ? q[b]! + dur[b]! : 0
      if (next >= 0) {
        const t2 = nextQ + (hasSetups ? this.setup(m, x, next) : 0)
        if (t2 > t) t = t2
      }
      segQ[i] = t
      const total = segR[i]! + dur[x]! + t
      if (total > est) est = total
      next = x
      nextQ = t + dur[x]!
    }
    return est
  }

  /** Candidate block moves (machine, from, to) of the N7 neighbourhood. */
  private blockMoves(blocks: number[], out: number[]): void {
    out.length = 0
    for (let k = 0; k < blocks.length; k += 3) {
      const m = blocks[k]!
      const a = blocks[k + 1]!
      const b = blocks[k + 2]!
      if (b - a < 1) continue
      const add = (from: number, to: number): void => {
        if (this.segmentHasFrozen(m, from, to)) return
        if (this.fast && !this.blockMoveFeasible(m, from, to)) return
        out.push(m, from, to)
      }
      if (b - a === 1) {
        add(a, b)
        continue
      }
      for (let i = a + 1; i <= b; i++) add(i, a)
      for (let i = a; i < b; i++) add(i, b)
      for (let j = a + 2; j < b; j++) add(a, j)
      for (let j = a + 1; j < b - 1; j++) add(b, j)
    }
  }

  private better(a1: number, a2: number, b1: number, b2: number): boolean {
    return a1 < b1 || (a1 === b1 && a2 < b2)
  }

  /** Where `v` goes in machine m's sequence: by current start time, after frozen operations. */
  private insertPosition(m: number, v: number): number {
    const s = this.seqs[m]!
    const f = this.p.frozen
    let i = 0
    const r = this.rBase
    while (i < s.length && (r[s[i]!]! < r[v]! || (f !== null && f[s[i]!] === 1))) i++
    return i
  }

  private reassign(v: number, alt: number, insertAt: number): { m: number; pos: number; alt: number } {
    const oldM = this.mach[v]!
    const oldPos = this.seqs[oldM]!.indexOf(v)
    const oldAlt = this.assign[v]!
    this.seqs[oldM]!.splice(oldPos, 1)
    this.assign[v] = alt
    const a = this.p.altStart[v]! + alt
    this.mach[v] = this.p.altMachine[a]!
    this.dur[v] = this.p.altDuration[a]!
    this.seqs[this.mach[v]!]!.splice(insertAt, 0, v)
    return { m: oldM, pos: oldPos, alt: oldAlt }
  }

  private readonly blocks: number[] = []
  private readonly critOps: number[] = []
  private readonly moves: number[] = []

  /** One tabu iteration. */
  step(): void {
    const { blocks, critOps, moves, p } = this
    this.iter++
    this.criticalBlocks(blocks, critOps)
    if (p.flexible) this.rBase.set(this.r)
    this.blockMoves(blocks, moves)
    const exact = !this.fast
    let best1 = Number.POSITIVE_INFINITY
    let best2 = Number.POSITIVE_INFINITY
    let pick = -1
    let ties = 0
    let anyMove = -1
    let anyCount = 0
    for (let k = 0; k < moves.length; k += 3) {
      const m = moves[k]!
      const from = moves[k + 1]!
      const to = moves[k + 2]!
      let v1: number
      let v2 = 0
      if (exact) {
        this.shift(m, from, to)
        const ok = this.decode(false)
        v1 = this.cur1
        v2 = this.cur2
        this.shift(m, to, from)
        if (!ok) continue
      } else v1 = this.estimate(m, from, to)
      if (this.rng.int(++anyCount) === 0) anyMove = k
      const aspire = this.better(v1, v2, this.best1, this.best2)
      if (!aspire && this.moveIsTabu(m, from, to)) continue
      if (this.better(v1, v2, best1, best2)) {
        best1 = v1
        best2 = v2
        pick = k
        ties = 1
      } else if (v1 === best1 && v2 === best2 && this.rng.int(++ties) === 0) pick = k
    }
    // flexible shops: move a critical operation to another eligible machine
    let reassignPick: { v: number; alt: number; at: number } | null = null
    if (p.flexible) {
      for (const v of critOps) {
        if (p.frozen !== null && p.frozen[v] === 1) continue
        const nAlt = p.altStart[v + 1]! - p.altStart[v]!
        if (nAlt < 2) continue
        for (let alt = 0; alt < nAlt; alt++) {
          if (alt === this.assign[v]) continue
          const m = p.altMachine[p.altStart[v]! + alt]!
          const at = this.insertPosition(m, v)
          const undo = this.reassign(v, alt, at)
          const ok = this.decode(false)
          const v1 = this.cur1
          const v2 = this.cur2
          this.reassign(v, undo.alt, undo.pos)
          if (!ok) continue
          const aspire = this.better(v1, v2, this.best1, this.best2)
          if (!aspire && (this.tabuAssign.get(v * p.nMachines + m) ?? 0) > this.iter) continue
          if (this.better(v1, v2, best1, best2)) {
            best1 = v1
            best2 = v2
            reassignPick = { v, alt, at }
            pick = -1
          }
        }
      }
    }
    const tenure = (): number => this.tenureBase + this.rng.int(Math.ceil(this.tenureBase / 2) + 1)
    if (reassignPick !== null) {
      const oldM = this.mach[reassignPick.v]!
      this.reassign(reassignPick.v, reassignPick.alt, reassignPick.at)
      this.tabuAssign.set(reassignPick.v * p.nMachines + oldM, this.iter + tenure())
    } else {
      if (pick < 0) pick = anyMove
      if (pick < 0) {
        // no critical block: the makespan equals a job's chain, or every move is blocked
        if (this.objective === 'makespan' && !p.hasCalendars && p.minStart === null) this.done = true
        else this.kick()
        if (!this.decode(this.fast)) this.restore(this.bestSol)
        return
      }
      const m = moves[pick]!
      const from = moves[pick + 1]!
      const to = moves[pick + 2]!
      const s = this.seqs[m]!
      const u = s[from]!
      const until = this.iter + tenure()
      if (from < to) for (let i = from + 1; i <= to; i++) this.forbidPair(u, s[i]!, until)
      else for (let i = to; i < from; i++) this.forbidPair(s[i]!, u, until)
      this.shift(m, from, to)
    }
    if (!this.decode(this.fast)) {
      // the estimate's feasibility test is exact for block moves; this guards zero durations
      this.restore(this.bestSol)
      this.decode(this.fast)
      return
    }
    if (this.better(this.cur1, this.cur2, this.best1, this.best2)) {
      this.best1 = this.cur1
      this.best2 = this.cur2
      this.bestSol = this.snapshot()
      this.lastImprove = this.iter
      this.failedKicks = 0
      this.onImprove?.(this.best1)
      if (this.best1 <= this.target) this.done = true
    } else if (this.iter - this.lastImprove > this.maxNoImprove) {
      this.kick()
    }
  }

  /** Random walk of a few critical moves from the best solution. */
  kick(): void {
    this.failedKicks++
    this.restore(this.bestSol)
    this.decode(true)
    const steps = 2 + this.rng.int(2 + Math.min(this.failedKicks, 6))
    for (let s = 0; s < steps; s++) {
      this.criticalBlocks(this.blocks, this.critOps)
      this.fastFeasibleMoves()
      const moves = this.moves
      if (moves.length === 0) break
      const k = 3 * this.rng.int(moves.length / 3)
      const m = moves[k]!
      const from = moves[k + 1]!
      const to = moves[k + 2]!
      this.shift(m, from, to)
      if (!this.decode(true)) {
        this.shift(m, to, from)
        this.decode(true)
      }
    }
    this.decode(this.fast)
    this.lastImprove = this.iter
  }

  private fastFeasibleMoves(): void {
    // tails are fresh here, so the cheap feasibility test applies in every mode
    const saved = this.fast
    ;(this as { fast: boolean }).fast = true
    this.blockMoves(this.blocks, this.moves)
    ;(this as { fast: boolean }).fast = saved
  }

  /** Runs until the deadline (ms, Date.now clock), the iteration budget, the target or stop(). */
  run(opts: { deadline: number; maxIterations: number; shouldStop: () => boolean }): void {
    while (!this.done && this.iter < opts.maxIterations) {
      this.step()
      // exact evaluation makes iterations slow on big models: check the clock every time then
      const check = !this.fast || (this.iter & 127) === 0
      if (check && (Date.now() >= opts.deadline || opts.shouldStop())) return
    }
  }
}
