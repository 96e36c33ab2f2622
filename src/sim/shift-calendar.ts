/**
 * Shift calendars in plant-local time. China has one time zone (UTC+8) and no daylight saving, so a fixed
 * offset is exact. A shift belongs to the day it starts on: the 20:00–08:00 night shift of a Saturday runs
 * into Sunday morning even when Sunday is a rest day.
 */

export const MINUTE_MS = 60_000
export const HOUR_MS = 3_600_000
export const DAY_MS = 86_400_000
export const WEEK_MS = 7 * DAY_MS
/** China Standard Time. */
export const CST_OFFSET_MS = 8 * HOUR_MS

export interface ShiftBreak {
  /** Minutes after the shift's start. */
  readonly afterMin: number
  readonly durationMin: number
}

export interface ShiftSpec {
  readonly name: string
  /** Local start, minutes after midnight. */
  readonly startMin: number
  readonly durationMin: number
  /** Meal breaks: planned stops inside the shift. */
  readonly breaks: readonly ShiftBreak[]
}

export interface ShiftCalendarSpec {
  readonly key: string
  readonly name: string
  readonly utcOffsetMs: number
  readonly shifts: readonly ShiftSpec[]
  /** Days on which shifts start: 0 = Sunday … 6 = Saturday. */
  readonly workDays: readonly number[]
}

export type CalendarStatus = 'work' | 'break' | 'off'

/** A stretch of time with one status; `until` is exclusive. */
export interface CalendarSegment {
  readonly status: CalendarStatus
  readonly from: number
  readonly until: number
  /** The shift this segment belongs to (null when off). */
  readonly shift: string | null
  readonly shiftStart: number | null
}

export const CALENDARS = {
  /** Two 12-hour shifts, Monday to Saturday, 30 min meal break in each: usual in Guangdong plants. */
  twoShift12h: {
    key: 'two-shift-12h',
    name: '两班倒 (2 × 12 h, Mon–Sat)',
    utcOffsetMs: CST_OFFSET_MS,
    shifts: [
      {
        name: 'day',
        startMin: 8 * 60,
        durationMin: 12 * 60,
        breaks: [{ afterMin: 4 * 60, durationMin: 30 }],
      },
      {
        name: 'night',
        startMin: 20 * 60,
        durationMin: 12 * 60,
        breaks: [{ afterMin: 4 * 60, durationMin: 30 }],
      },
    ],
    workDays: [1, 2, 3, 4, 5, 6],
  },
  /** Three 8-hour shifts, Monday to Friday, 30 min break in each. */
  threeShift8h: {
    key: 'three-shift-8h',
    name: '三班倒 (3 × 8 h, Mon–Fri)',
    utcOffsetMs: CST_OFFSET_MS,
    shifts: [
      { name: 'morning', startMin: 0, durationMin: 8 * 60, breaks: [{ afterMin: 4 * 60, durationMin: 30 }] },
      { name: 'day', startMin: 8 * 60, durationMin: 8 * 60, breaks: [{ afterMin: 4 * 60, durationMin: 30 }] },
      {
        name: 'evening',
        startMin: 16 * 60,
        durationMin: 8 * 60,
        breaks: [{ afterMin: 4 * 60, durationMin: 30 }],
      },
    ],
    workDays: [1, 2, 3, 4, 5],
  },
  /** One day shift with a lunch hour, Monday to Friday (tool rooms, offices). */
  dayShift: {
    key: 'day-shift',
    name: '常白班 (08:00–17:00, Mon–Fri)',
    utcOffsetMs: CST_OFFSET_MS,
    shifts: [
      { name: 'day', startMin: 8 * 60, durationMin: 9 * 60, breaks: [{ afterMin: 4 * 60, durationMin: 60 }] },
    ],
    workDays: [1, 2, 3, 4, 5],
  },
} as const satisfies Record<string, ShiftCalendarSpec>

/** Local midnight (as UTC epoch ms) of the local day containing ts. */
export function localDayStart(cal: ShiftCalendarSpec, ts: number): number {
  return Math.floor((ts + cal.utcOffsetMs) / DAY_MS) * DAY_MS - cal.utcOffsetMs
}

/** Local weekday of ts, 0 = Sunday. 1970-01-01 was a Thursday. */
export function localWeekday(cal: ShiftCalendarSpec, ts: number): number {
  return (Math.floor((ts + cal.utcOffsetMs) / DAY_MS) + 4) % 7
}

/** Local Monday 00:00 of the week containing ts. */
export function localWeekStart(cal: ShiftCalendarSpec, ts: number): number {
  const day = localDayStart(cal, ts)
  const wd = localWeekday(cal, ts)
  return day - ((wd + 6) % 7) * DAY_MS
}

interface Interval {
  readonly from: number
  readonly until: number
  readonly status: 'work' | 'break'
  readonly shift: string
  readonly shiftStart: number
}

function intervalsOfDay(cal: ShiftCalendarSpec, dayStart: number, out: Interval[]): void {
  const wd = localWeekday(cal, dayStart)
  if (!cal.workDays.includes(wd)) return
  for (const s of cal.shifts) {
    const start = dayStart + s.startMin * MINUTE_MS
    const end = start + s.durationMin * MINUTE_MS
    let t = start
    for (const b of [...s.breaks].sort((x, y) => x.afterMin - y.afterMin)) {
      const bs = start + b.afterMin * MINUTE_MS
      const be = bs + b.durationMin * MINUTE_MS
      if (bs > t) out.push({ from: t, until: bs, status: 'work', shift: s.name, shiftStart: start })
      out.push({ from: bs, until: be, status: 'break', shift: s.name, shiftStart: start })
      t = be
    }
    if (end > t) out.push({ from: t, until: end, status: 'work', shift: s.name, shiftStart: start })
  }
}

/** The calendar segment containing ts. Pure; callers cache it until `until`. */
export function calendarSegmentAt(cal: ShiftCalendarSpec, ts: number): CalendarSegment {
  const day = localDayStart(cal, ts)
  const intervals: Interval[] = []
  // shifts last at most a day, so the previous day's may still be running; the next day's bound 'off'
  for (let d = -1; d <= 2; d++) intervalsOfDay(cal, day + d * DAY_MS, intervals)
  intervals.sort((x, y) => x.from - y.from)
  let offFrom = day - DAY_MS
  for (const iv of intervals) {
    if (ts < iv.from) return { status: 'off', from: offFrom, until: iv.from, shift: null, shiftStart: null }
    if (ts < iv.until)
      return { status: iv.status, from: iv.from, until: iv.until, shift: iv.shift, shiftStart: iv.shiftStart }
    offFrom = iv.until
  }
  // no shift within two days (long weekends): off until the next day boundary, then look again
  return { status: 'off', from: offFrom, until: day + 3 * DAY_MS, shift: null, shiftStart: null }
}

/** The first instant at or after ts that is working time. */
export function nextWorkingTime(cal: ShiftCalendarSpec, ts: number): number {
  let t = ts
  for (let i = 0; i < 64; i++) {
    const seg = calendarSegmentAt(cal, t)
    if (seg.status === 'work') return t
    t = seg.until
  }
  throw new Error(`calendar ${cal.key} has no working time`)
}
