import type { Clock } from '../core/index.ts'
import type { JobClaims } from './job-claims.ts'

/**
 * Periodic work that must run once per period across the cluster. Time is cut into periods of
 * `periodMs` from the epoch (hourly jobs run in each UTC hour); on every tick each node looks at the
 * current period of each job and, the first time it sees it, claims it through `JobClaims`. Only the
 * node whose claim succeeds runs the job for that period. A node that dies while running a job does
 * not get it run again in that period: jobs are written to be caught up by the next period (retention
 * deletes everything older than a cut-off, whenever it runs).
 */
export interface PeriodicJob {
  /** letters, digits, "_" or "-" */
  readonly name: string
  readonly periodMs: number
  /** runs for the period that starts at `periodStart` (epoch ms) */
  run(periodStart: number): Promise<void>
}

export interface PeriodicJobsDeps {
  readonly claims: JobClaims
  readonly clock: Clock
  /** this node, recorded with its claims */
  readonly holder: string
  readonly log: { warn(msg: string, extra?: unknown): void; error(msg: string, extra?: unknown): void }
  /** how often the node looks for a new period (default 30 s); 0 = only when tick() is called */
  readonly tickMs?: number
}

export interface PeriodicJobs {
  add(job: PeriodicJob): void
  start(): void
  stop(): Promise<void>
  /** one look at every job (the timer calls it; tests call it with a manual clock) */
  tick(): Promise<void>
  /** periods this node claimed and ran, per job (for status and tests) */
  stats(): Readonly<Record<string, { ran: number; lost: number; failed: number }>>
}

export function createPeriodicJobs(deps: PeriodicJobsDeps): PeriodicJobs {
  const { claims, clock, log } = deps
  const jobs: PeriodicJob[] = []
  const seen = new Map<string, number>()
  const counters: Record<string, { ran: number; lost: number; failed: number }> = {}
  let timer: ReturnType<typeof setInterval> | null = null
  let running: Promise<void> | null = null
  let stopped = false

  async function once(job: PeriodicJob): Promise<void> {
    const period = Math.floor(clock.now() / job.periodMs)
    if (seen.get(job.name) === period) return
    const c = counters[job.name] as { ran: number; lost: number; failed: number }
    let won: boolean
    try {
      won = await claims.claim(job.name, period, deps.holder)
    } catch (err) {
      // undecided (bus unreachable): not marked as seen, so the next tick asks again
      log.warn('could not claim a periodic job; trying again at the next tick', {
        job: job.name,
        error: String(err),
      })
      return
    }
    seen.set(job.name, period)
    if (!won) {
      c.lost++
      return
    }
    try {
      await job.run(period * job.periodMs)
      c.ran++
    } catch (err) {
      c.failed++
      log.error('periodic job failed', { job: job.name, error: String(err) })
    }
  }

  async function tick(): Promise<void> {
    if (running) return running
    running = (async () => {
      for (const job of jobs) {
        if (stopped) return
        await once(job)
      }
    })().finally(() => {
      running = null
    })
    return running
  }

  return {
    add(job) {
      if (!/^[A-Za-z0-9_-]+$/.test(job.name))
        throw new Error(`job name ${JSON.stringify(job.name)} is not a token`)
      if (!(job.periodMs >= 1000)) throw new Error(`job ${job.name}: period must be at least 1 s`)
      if (counters[job.name]) throw new Error(`job ${job.name} is already scheduled`)
      counters[job.name] = { ran: 0, lost: 0, failed: 0 }
      jobs.push(job)
    },
    start() {
      const tickMs = deps.tickMs ?? 30_000
      if (tickMs <= 0 || timer) return
      timer = setInterval(() => {
        void tick()
      }, tickMs)
      timer.unref()
    },
    async stop() {
      stopped = true
      if (timer) clearInterval(timer)
      timer = null
      await running
    },
    tick,
    stats: () => Object.fromEntries(Object.entries(counters).map(([k, v]) => [k, { ...v }])),
  }
}
