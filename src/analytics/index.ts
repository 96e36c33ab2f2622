/**
 * Ronghe analytics: the public surface other modules and the API import.
 * Pure functions (no I/O):
 * - oee/: ISO 22400 time model and KPIs from machine states, part counts and shift calendars
 * - spc/: Shewhart charts, capability indices, Western Electric / Nelson run rules
 * - energy/: meter counter deltas, GB/T 2589 standard coal, grid CO₂, time-of-use cost, EnPIs,
 *   regional rollups and data-quality checks
 * Coefficients, factors, tariffs and chart constants are versioned JSON in each module's data/.
 * Services over ports handed in by app.ts: the analytics service (SPC, energy, OEE of a point or
 * machine), energy reports over the series store's rollups, and the downtime-reason store.
 */
export { createAnalyticsService, type EnergyCarrier } from './analytics-service.ts'
export {
  type DowntimeReasonStore,
  openDowntimeReasonStore,
  openPostgresDowntimeReasonStore,
} from './downtime/downtime-reasons.ts'
export { createEnergyReports, type EnergyReport } from './energy-report.ts'
export { referenceRollups } from './reference-rollups.ts'
export { AnalyticsErrorCode, analyticsError } from './analytics-errors.ts'
export * from './energy/index.ts'
export * from './oee/index.ts'
export * from './spc/index.ts'
export {
  addDays,
  DEFAULT_TIME_ZONE,
  isoWeek,
  type LocalParts,
  localDate,
  localMonth,
  localToUtc,
  toLocalParts,
  weekdayOf,
  zoneOffsetMs,
} from './time/zoned-time.ts'
