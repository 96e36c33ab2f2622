import { addDays, DEFAULT_TIME_ZONE, localDate, localToUtc, toLocalParts } from '../analytics/index.ts'

/**
 * Which report period a subscription owes at an instant. A day's report is due from 01:00 local time
 * the next day and a month's from 01:00 on the 1st of the next month: the hour lets meters' last
 * readings of the period arrive (and the 23:45–24:00 quarter close) before the figures are frozen in
 * a file. Before 01:00 the period before is still the most recent one due.
 */
export type SubscriptionPeriod = 'day' | 'month'

const DAY_KEY = /^(\d{4})-(\d{2})-(\d{2})$/
const MONTH_KEY = /^(\d{4})-(\d{2})$/
/** the hour of the local day from which the previous period is due */
export const DUE_HOUR = 1

/** 'YYYY-MM-DD' (day) or 'YYYY-MM' (month) of the most recent period whose report is due at `now`. */
export function duePeriodKey(period: SubscriptionPeriod, now: number, timeZone = DEFAULT_TIME_ZONE): string {
  const p = toLocalParts(now, timeZone)
  // before 01:00 it is, for reports, still the day before
  const today = p.hour < DUE_HOUR ? addDays(localDate(now, timeZone), -1) : localDate(now, timeZone)
  if (period === 'day') return addDays(today, -1)
  const y = Number(today.slice(0, 4))
  const m = Number(today.slice(5, 7))
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
}

/** true when `key` names an existing day ('YYYY-MM-DD') or month ('YYYY-MM') for the period */
export function isPeriodKey(period: SubscriptionPeriod, key: string): boolean {
  if (period === 'month') {
    const m = MONTH_KEY.exec(key)
    return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[1]) >= 2000
  }
  const d = DAY_KEY.exec(key)
  if (d === null || Number(d[1]) < 2000) return false
  return new Date(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]))).toISOString().slice(0, 10) === key
}

/** The local instants [from, to) of a period key. */
export function periodBounds(
  period: SubscriptionPeriod,
  key: string,
  timeZone = DEFAULT_TIME_ZONE,
): { from: number; to: number } {
  const y = Number(key.slice(0, 4))
  const m = Number(key.slice(5, 7))
  if (period === 'month')
    return { from: localToUtc(y, m, 1, 0, 0, timeZone), to: localToUtc(y, m + 1, 1, 0, 0, timeZone) }
  const d = Number(key.slice(8, 10))
  return { from: localToUtc(y, m, d, 0, 0, timeZone), to: localToUtc(y, m, d + 1, 0, 0, timeZone) }
}

/** The date the energy report builder takes for a period key (a month report takes its 1st). */
export function reportDateOf(period: SubscriptionPeriod, key: string): string {
  return period === 'month' ? `${key}-01` : key
}
