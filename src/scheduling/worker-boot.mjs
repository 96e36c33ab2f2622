// Worker threads do not inherit tsx's loader on Node 20 (`execArgv: process.execArgv` still fails
// with "Unknown file extension .ts"), so each worker registers tsx itself before loading the
// TypeScript entry. Without tsx installed (a compiled build) the entry is imported as is.
import { workerData } from 'node:worker_threads'

try {
  const { register } = await import('tsx/esm/api')
  register()
} catch {
  // no tsx: the entry is plain JavaScript
}
await import(workerData.entry)
