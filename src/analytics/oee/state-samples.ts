import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'
import { MACHINE_STATES, type MachineState, type StateInterval } from './compute-oee.ts'

export interface StateSample {
  readonly ts: number
  readonly state: MachineState
  readonly reason?: string
}

/**
 * Sampled machine states (e.g. one per minute) → state intervals for computeOee. A sample's state
 * holds until the next sample, but never longer than `maxHoldMs`: past that the machine is silent
 * and the time is left uncovered (noData), not filled with the last state. Consecutive samples with
 * the same state and reason merge into one interval. The last sample holds for `maxHoldMs`.
 */
export function samplesToIntervals(
  equipment: string,
  samples: readonly StateSample[],
  options: { readonly maxHoldMs: number },
): StateInterval[] {
  if (!(options.maxHoldMs > 0))
    throw analyticsError(AnalyticsErrorCode.invalidOption, 'maxHoldMs must be positive')
  const sorted = [...samples].sort((a, b) => a.ts - b.ts)
  const out: StateInterval[] = []
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i]
    if (s === undefined) continue
    if (!MACHINE_STATES.includes(s.state)) {
      throw analyticsError(AnalyticsErrorCode.invalidInterval, `unknown machine state ${String(s.state)}`)
    }
    const next = sorted[i + 1]
    const end = Math.min(next?.ts ?? Number.POSITIVE_INFINITY, s.ts + options.maxHoldMs)
    if (end <= s.ts) continue // duplicate timestamp: the later sample wins
    const last = out[out.length - 1]
    if (last !== undefined && last.end === s.ts && last.state === s.state && last.reason === s.reason) {
      out[out.length - 1] = { ...last, end }
    } else {
      out.push(
        s.reason === undefined
          ? { equipment, start: s.ts, end, state: s.state }
          : { equipment, start: s.ts, end, state: s.state, reason: s.reason },
      )
    }
  }
  return out
}
