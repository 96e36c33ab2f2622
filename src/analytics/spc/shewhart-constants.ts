import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'
import table from './data/shewhart-constants.json' with { type: 'json' }

/** Shewhart 3σ chart constants for one subgroup size (tabulated values, see data/shewhart-constants.json). */
export interface ShewhartConstants {
  readonly n: number
  readonly A2: number
  readonly A3: number
  readonly d2: number
  readonly d3: number
  readonly c4: number
  readonly D3: number
  readonly D4: number
  readonly B3: number
  readonly B4: number
  readonly E2: number
}

export const SHEWHART_TABLE_VERSION: string = table.version
export const MIN_SUBGROUP = 2
export const MAX_SUBGROUP = 25

const byN = new Map<number, ShewhartConstants>(table.rows.map((r) => [r.n, r]))

/** Constants for subgroup size n (2–25); throws ANALYTICS_SUBGROUP_SIZE outside the table. */
export function shewhartConstants(n: number): ShewhartConstants {
  const c = byN.get(n)
  if (c === undefined) {
    throw analyticsError(
      AnalyticsErrorCode.subgroupSize,
      `subgroup size ${n} is outside the constants table (${MIN_SUBGROUP}–${MAX_SUBGROUP})`,
      { n },
    )
  }
  return c
}
