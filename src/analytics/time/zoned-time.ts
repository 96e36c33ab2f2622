import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'

/**
 * Local-time helpers. Inside Ronghe every instant is epoch ms UTC; shift calendars, tariffs and
 * reports are written in local wall-clock time, so we convert at the edge with the IANA zone database
 * (Intl), never with a fixed +8 h, so that a calendar in a zone with daylight saving stays correct.
 */

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai'

export interface LocalParts {
  readonly year: number
  readonly month: number // 1–12
  readonly day: number
  readonly hour: number
  readonly minute: number
  readonly second: number
  readonly millisecond: number
  /** ISO weekday: 1 = Monday … 7 = Sunday */
  readonly weekday: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      })
    } catch (cause) {
      throw analyticsError(AnalyticsErrorCode.invalidTimeZone, `unknown time zone ${timeZone}`, {
        timeZone,
        cause: String(cause),
      })
    }
    formatters.set(timeZone, f)
  }
  return f
}

// Intl is slow (µs per call) and rollups ask for millions of offsets. Zone offsets change only on
// quarter-hour boundaries (every transition in the tz database since 1970), so one lookup per
// quarter hour is exact.
const QUARTER_HOUR = 900_000
const offsetCache = new Map<string, Map<number, number>>()

/** Offset of local time from UTC at instant `ms`, in ms (Asia/Shanghai: +28 800 000). */
export function zoneOffsetMs(ms: number, timeZone: string = DEFAULT_TIME_ZONE): number {
  const key = Math.floor(ms / QUARTER_HOUR)
  let cache = offsetCache.get(timeZone)
  if (cache === undefined) {
    cache = new Map()
    offsetCache.set(timeZone, cache)
  }
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  if (cache.size > 200_000) cache.clear()
  const offset = computeOffset(key * QUARTER_HOUR, timeZone)
  cache.set(key, offset)
  return offset
}

function computeOffset(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000
  const parts = formatter(timeZone).formatToParts(new Date(whole))
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? '0')
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
  return asUtc - whole
}

export function toLocalParts(ms: number, timeZone: string = DEFAULT_TIME_ZONE): LocalParts {
  const local = new Date(ms + zoneOffsetMs(ms, timeZone))
  const dow = local.getUTCDay()
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    millisecond: local.getUTCMilliseconds(),
    weekday: dow === 0 ? 7 : dow,
  }
}

/** The UTC instant of a local wall-clock time. In a DST gap the later offset wins; in an overlap the earlier instant. */
export function localToUtc(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  timeZone: string = DEFAULT_TIME_ZONE,
): number {
  const naive = Date.UTC(year, month - 1, day, hour, minute)
  const first = naive - zoneOffsetMs(naive, timeZone)
  const second = naive - zoneOffsetMs(first, timeZone)
  return Math.min(first, second)
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0')

/** Local calendar date 'YYYY-MM-DD' of an instant. */
export function localDate(ms: number, timeZone: string = DEFAULT_TIME_ZONE): string {
  const p = toLocalParts(ms, timeZone)
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`
}

/** Local calendar month 'YYYY-MM' of an instant. */
export function localMonth(ms: number, timeZone: string = DEFAULT_TIME_ZONE): string {
  const p = toLocalParts(ms, timeZone)
  return `${p.year}-${pad(p.month)}`
}

export interface DateParts {
  readonly year: number
  readonly month: number
  readonly day: number
}

export function parseDate(date: string): DateParts {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (m === null) throw analyticsError(AnalyticsErrorCode.invalidOption, `not a YYYY-MM-DD date: ${date}`)
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const check = new Date(Date.UTC(year, month - 1, day))
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw analyticsError(AnalyticsErrorCode.invalidOption, `no such date: ${date}`)
  }
  return { year, month, day }
}

/** 'YYYY-MM-DD' shifted by whole calendar days (pure date arithmetic, no zone involved). */
export function addDays(date: string, days: number): string {
  const { year, month, day } = parseDate(date)
  const d = new Date(Date.UTC(year, month - 1, day + days))
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a calendar date. */
export function weekdayOf(date: string): number {
  const { year, month, day } = parseDate(date)
  const dow = new Date(Date.UTC(year, month - 1, day)).getUTCDay()
  return dow === 0 ? 7 : dow
}

/** ISO 8601 week of a calendar date, 'YYYY-Www' (weeks start on Monday; week 1 holds the first Thursday). */
export function isoWeek(date: string): string {
  const { year, month, day } = parseDate(date)
  const d = new Date(Date.UTC(year, month - 1, day))
  const wd = weekdayOf(date)
  d.setUTCDate(d.getUTCDate() + 4 - wd) // the Thursday of this week decides the year
  const weekYear = d.getUTCFullYear()
  const jan1 = Date.UTC(weekYear, 0, 1)
  const week = Math.floor((d.getTime() - jan1) / 86_400_000 / 7) + 1
  return `${weekYear}-W${pad(week)}`
}

/** 'HH:MM' → minutes after midnight (24:00 allowed as end of day). */
export function parseClock(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm)
  const h = Number(m?.[1])
  const min = Number(m?.[2])
  if (m === null || h > 24 || min > 59 || (h === 24 && min !== 0)) {
    throw analyticsError(AnalyticsErrorCode.invalidCalendar, `not a HH:MM time of day: ${hhmm}`)
  }
  return h * 60 + min
}
