import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import type { Objective } from './model.ts'
import type { Problem } from './problem.ts'
import { SchedulingErrors } from './scheduling-errors.ts'
import { Search, type SearchOptions, type SearchResult } from './search.ts'
import type { Solution } from './solution.ts'

export interface ProgressEvent {
  /** best primary objective so far over all threads */
  readonly best: number
  readonly elapsedMs: number
  readonly worker: number
}

export interface RunOptions {
  readonly objective: Objective
  readonly timeLimitMs: number
  /** base seed; thread i uses seed + i */
  readonly seed: number
  /** search threads; 0 runs one search on the calling thread (default 2: this machine's cores) */
  readonly workers?: number
  readonly maxIterations?: number
  readonly maxNoImprove?: number
  readonly target?: number
  readonly initial?: Solution
  readonly signal?: AbortSignal
  readonly onProgress?: (e: ProgressEvent) => void
}

export interface RunOutcome {
  readonly best: SearchResult
  readonly threads: readonly { readonly seed: number; readonly value: number; readonly iterations: number }[]
  readonly elapsedMs: number
  readonly cancelled: boolean
}

function searchOptions(o: RunOptions, seed: number): SearchOptions {
  return {
    objective: o.objective,
    seed,
    timeLimitMs: o.timeLimitMs,
    ...(o.maxIterations === undefined ? {} : { maxIterations: o.maxIterations }),
    ...(o.maxNoImprove === undefined ? {} : { maxNoImprove: o.maxNoImprove }),
    ...(o.target === undefined ? {} : { target: o.target }),
    ...(o.initial === undefined ? {} : { initial: o.initial }),
  }
}

function pickBest(results: readonly SearchResult[]): SearchResult {
  // ties go to the lowest thread index, so a seed and an iteration budget fix the answer
  let best = results[0]!
  for (const r of results) {
    if (r.value < best.value || (r.value === best.value && r.secondary < best.secondary)) best = r
  }
  return best
}

/**
 * Independent searches with different seeds, one per worker thread, the best one wins. Anytime:
 * progress events carry the best value so far; aborting the signal stops every thread at its next
 * check (about every hundred iterations) and still returns the best schedule found.
 */
export async function runSearches(p: Problem, o: RunOptions): Promise<RunOutcome> {
  const t0 = Date.now()
  const workers = o.workers ?? 2
  let bestSoFar = Number.POSITIVE_INFINITY
  const report = (value: number, worker: number): void => {
    if (value < bestSoFar) {
      bestSoFar = value
      o.onProgress?.({ best: value, elapsedMs: Date.now() - t0, worker })
    }
  }
  if (workers <= 0) {
    const search = new Search(p, searchOptions(o, o.seed))
    search.engine.onImprove = (v) => report(v, 0)
    report(search.engine.best1, 0)
    const stopped = (): boolean => o.signal?.aborted === true
    while (!search.finished && !stopped()) {
      search.runSlice(25, stopped)
      await yieldToLoop()
    }
    const r = search.result()
    return {
      best: r,
      threads: [{ seed: o.seed, value: r.value, iterations: r.iterations }],
      elapsedMs: Date.now() - t0,
      cancelled: stopped(),
    }
  }
  const stop = new SharedArrayBuffer(4)
  const stopView = new Int32Array(stop)
  const onAbort = (): void => {
    Atomics.store(stopView, 0, 1)
  }
  o.signal?.addEventListener('abort', onAbort, { once: true })
  if (o.signal?.aborted === true) onAbort()
  const entry = new URL('./solver-worker.ts', import.meta.url).href
  try {
    const results = await Promise.all(
      Array.from({ length: workers }, (_, i) => {
        const w = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { entry } })
        return new Promise<SearchResult>((resolve, reject) => {
          w.on(
            'message',
            (msg: { type: string; value?: number; result?: SearchResult; message?: string }) => {
              if (msg.type === 'progress') report(msg.value!, i)
              else if (msg.type === 'result') {
                // a thread at a proven lower bound (or the target) ends the others' work too
                if (msg.result!.reachedTarget) Atomics.store(stopView, 0, 1)
                resolve(msg.result!)
                void w.terminate()
              } else if (msg.type === 'error') {
                reject(SchedulingErrors.workerFailed(msg.message ?? 'search thread failed'))
                void w.terminate()
              }
            },
          )
          w.on('error', (err) => reject(SchedulingErrors.workerFailed('search thread crashed', err)))
          w.on('exit', (code) => {
            if (code !== 0) reject(SchedulingErrors.workerFailed(`search thread exited with ${code}`))
          })
          w.postMessage({ problem: p, options: searchOptions(o, o.seed + i), stop })
        })
      }),
    )
    return {
      best: pickBest(results),
      threads: results.map((r, i) => ({ seed: o.seed + i, value: r.value, iterations: r.iterations })),
      elapsedMs: Date.now() - t0,
      cancelled: o.signal?.aborted === true,
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort)
  }
}
