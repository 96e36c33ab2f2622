import { parentPort, workerData } from 'node:worker_threads'
import type { Problem } from './problem.ts'
import { Search, type SearchOptions } from './search.ts'

/** One search thread: runs until told to stop (shared flag), the deadline or the target. */
interface Job {
  readonly problem: Problem
  readonly options: SearchOptions
  readonly stop: SharedArrayBuffer
}

const port = parentPort
if (port === null) throw new Error('solver-worker must run in a worker thread')

port.once('message', (job: Job) => {
  try {
    const stop = new Int32Array(job.stop)
    const shouldStop = (): boolean => Atomics.load(stop, 0) !== 0
    const search = new Search(job.problem, job.options)
    search.engine.onImprove = (value) =>
      port.postMessage({ type: 'progress', value, iterations: search.engine.iter })
    port.postMessage({ type: 'progress', value: search.engine.best1, iterations: 0 })
    while (!search.finished && !shouldStop()) search.runSlice(100, shouldStop)
    port.postMessage({ type: 'result', result: search.result() })
  } catch (err) {
    port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) })
  }
})
void workerData
