import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'
import {
  addDays,
  DEFAULT_TIME_ZONE,
  localDate,
  localToUtc,
  parseClock,
  parseDate,
  weekdayOf,
} from '../time/zoned-time.ts'

/**
 * Shift calendars are written in local wall-clock time (the plant's time zone, Asia/Shanghai by
 * default) and expanded here into UTC instants. A shift belongs to the production day on which it
 * starts: a night shift 22:00–06:00 that starts on Monday is Monday's shift.
 */

export interface ShiftBreak {
  /** 'HH:MM' local; a break earlier in the day than the shift start lies on the next day */
  readonly start: string
  readonly end: string
}

export interface ShiftDefinition {
  readonly name: string
  /** ISO weekdays (1 = Monday … 7 = Sunday) on which this shift starts */
  readonly weekdays: readonly number[]
  /** 'HH:MM' local */
  readonly start: string
  /** 'HH:MM' local; an end at or before the start means the shift ends the next day */
  readonly end: string
  /** Planned breaks: planned down time (PDOT) inside the shift */
  readonly breaks?: readonly ShiftBreak[]
}

export interface ShiftCalendar {
  /** IANA zone of the wall-clock times; default Asia/Shanghai */
  readonly timeZone?: string
  readonly shifts: readonly ShiftDefinition[]
  /** Production days ('YYYY-MM-DD') on which no shift starts (public holidays, plant shutdowns) */
  readonly holidays?: readonly string[]
  /**
   * Make-up working days (调休): a date that is worked with the shift pattern of the given weekday,
   * e.g. { '2024-02-04': 1 } works Sunday 4 February 2024 as a Monday.
   */
  readonly workdays?: Readonly<Record<string, number>>
}

export interface ShiftInstance {
  readonly shift: string
  /** Local date on which the shift starts */
  readonly productionDay: string
  /** Epoch ms UTC, end exclusive */
  readonly start: number
  readonly end: number
  /** Break intervals [start, end) in epoch ms, sorted, inside [start, end) */
  readonly breaks: readonly (readonly [number, number])[]
}

function validateShift(s: ShiftDefinition): void {
  if (s.weekdays.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
    throw analyticsError(AnalyticsErrorCode.invalidCalendar, `shift ${s.name}: weekdays must be 1–7`, {
      shift: s.name,
    })
  }
}

/** Minutes after the production day's midnight for a shift's start, end and breaks. */
function shiftMinutes(s: ShiftDefinition): { start: number; end: number; breaks: [number, number][] } {
  const start = parseClock(s.start)
  let end = parseClock(s.end)
  if (end <= start) end += 1440
  const breaks: [number, number][] = []
  for (const b of s.breaks ?? []) {
    let bs = parseClock(b.start)
    if (bs < start) bs += 1440
    let be = parseClock(b.end)
    while (be <= bs) be += 1440
    if (bs < start || be > end) {
      throw analyticsError(
        AnalyticsErrorCode.invalidCalendar,
        `shift ${s.name}: break ${b.start}–${b.end} is outside the shift`,
        {
          shift: s.name,
        },
      )
    }
    breaks.push([bs, be])
  }
  breaks.sort((a, b) => a[0] - b[0])
  for (let i = 1; i < breaks.length; i++) {
    if ((breaks[i]?.[0] ?? 0) < (breaks[i - 1]?.[1] ?? 0)) {
      throw analyticsError(AnalyticsErrorCode.invalidCalendar, `shift ${s.name}: breaks overlap`, {
        shift: s.name,
      })
    }
  }
  return { start, end, breaks }
}

function atMinute(day: string, minutes: number, timeZone: string): number {
  const date = addDays(day, Math.floor(minutes / 1440))
  const { year, month, day: d } = parseDate(date)
  const m = minutes % 1440
  return localToUtc(year, month, d, Math.floor(m / 60), m % 60, timeZone)
}

/**
 * Every shift instance that overlaps [from, to), in time order. Instances are not clipped: callers
 * clip to their own window. Throws ANALYTICS_INVALID_CALENDAR if two shift instances overlap.
 */
export function expandShifts(calendar: ShiftCalendar, from: number, to: number): ShiftInstance[] {
  const timeZone = calendar.timeZone ?? DEFAULT_TIME_ZONE
  for (const s of calendar.shifts) validateShift(s)
  const minutes = calendar.shifts.map(shiftMinutes)
  const holidays = new Set(calendar.holidays ?? [])
  const workdays = calendar.workdays ?? {}
  for (const [date, wd] of Object.entries(workdays)) {
    parseDate(date)
    if (holidays.has(date)) {
      throw analyticsError(
        AnalyticsErrorCode.invalidCalendar,
        `${date} is both a holiday and a make-up workday`,
        {
          date,
        },
      )
    }
    if (!Number.isInteger(wd) || wd < 1 || wd > 7) {
      throw analyticsError(AnalyticsErrorCode.invalidCalendar, `make-up workday ${date}: weekday must be 1–7`)
    }
  }
  // A shift starting the day before `from` can reach into the window; shifts span at most 48 h here.
  let day = addDays(localDate(from, timeZone), -2)
  const lastDay = localDate(to, timeZone)
  const out: ShiftInstance[] = []
  while (day <= lastDay) {
    if (!holidays.has(day)) {
      const pattern = workdays[day] ?? weekdayOf(day)
      calendar.shifts.forEach((s, i) => {
        if (!s.weekdays.includes(pattern)) return
        const m = minutes[i]
        if (m === undefined) return
        const start = atMinute(day, m.start, timeZone)
        const end = atMinute(day, m.end, timeZone)
        if (end <= from || start >= to) return
        out.push({
          shift: s.name,
          productionDay: day,
          start,
          end,
          breaks: m.breaks.map(
            ([bs, be]) => [atMinute(day, bs, timeZone), atMinute(day, be, timeZone)] as const,
          ),
        })
      })
    }
    day = addDays(day, 1)
  }
  out.sort((a, b) => a.start - b.start || a.end - b.end)
  for (let i = 1; i < out.length; i++) {
    const prev = out[i - 1]
    const cur = out[i]
    if (prev !== undefined && cur !== undefined && cur.start < prev.end) {
      throw analyticsError(
        AnalyticsErrorCode.invalidCalendar,
        `shift ${cur.shift} on ${cur.productionDay} overlaps shift ${prev.shift} on ${prev.productionDay}`,
        { a: prev, b: cur },
      )
    }
  }
  return out
}

/** The planned working windows of a shift instance: the shift minus its breaks, clipped to [from, to). */
export function workingWindows(instance: ShiftInstance, from: number, to: number): [number, number][] {
  const out: [number, number][] = []
  let cursor = Math.max(instance.start, from)
  const end = Math.min(instance.end, to)
  for (const [bs, be] of instance.breaks) {
    if (bs > cursor) out.push([cursor, Math.min(bs, end)])
    cursor = Math.max(cursor, be)
    if (cursor >= end) break
  }
  if (cursor < end) out.push([cursor, end])
  return out.filter(([a, b]) => b > a)
}
