import { RongheError } from '../core/index.ts'

/**
 * Error codes of the analytics module. Every function here is pure: these errors mean the caller
 * handed in input that cannot give a correct figure, so we refuse rather than guess.
 */
export const AnalyticsErrorCode = {
  invalidInterval: 'ANALYTICS_INVALID_INTERVAL',
  overlappingIntervals: 'ANALYTICS_OVERLAPPING_INTERVALS',
  invalidCalendar: 'ANALYTICS_INVALID_CALENDAR',
  invalidTimeZone: 'ANALYTICS_INVALID_TIME_ZONE',
  missingPlannedRuntime: 'ANALYTICS_MISSING_PLANNED_RUNTIME',
  invalidCount: 'ANALYTICS_INVALID_COUNT',
  subgroupSize: 'ANALYTICS_SUBGROUP_SIZE',
  notEnoughData: 'ANALYTICS_NOT_ENOUGH_DATA',
  invalidSpec: 'ANALYTICS_INVALID_SPEC',
  invalidOption: 'ANALYTICS_INVALID_OPTION',
  coefficientNotFound: 'ANALYTICS_COEFFICIENT_NOT_FOUND',
  emissionFactorNotFound: 'ANALYTICS_EMISSION_FACTOR_NOT_FOUND',
  tariffNotFound: 'ANALYTICS_TARIFF_NOT_FOUND',
  invalidRegion: 'ANALYTICS_INVALID_REGION',
} as const

export type AnalyticsErrorCode = (typeof AnalyticsErrorCode)[keyof typeof AnalyticsErrorCode]

export function analyticsError(code: AnalyticsErrorCode, message: string, details?: unknown): RongheError {
  return new RongheError(code, message, { status: 422, details })
}
