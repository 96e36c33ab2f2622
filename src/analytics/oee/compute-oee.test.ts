import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isRongheError } from '../../core/index.ts'
import { aggregateOee, computeOee, lossPareto, type OeeInput, type StateInterval } from './compute-oee.ts'
import { oeeKpis, sumElements } from './oee-elements.ts'
import { expandShifts, type ShiftCalendar } from './shift-calendar.ts'

const MIN = 60_000
/** Local Asia/Shanghai wall clock on March 2024 → epoch ms (UTC+8, no DST). */
const t = (day: number, h: number, m = 0, s = 0): number => Date.UTC(2024, 2, day, h - 8, m, s)
const close = (a: number | null, b: number, eps = 1e-12): void => {
  assert.ok(a !== null && Math.abs(a - b) < eps, `${a} ≠ ${b}`)
}

// 2024-03-04 is a Monday.
const calendar: ShiftCalendar = {
  shifts: [
    {
      name: 'A',
      weekdays: [1, 2, 3, 4, 5],
      start: '08:00',
      end: '16:00',
      breaks: [{ start: '12:00', end: '12:30' }],
    },
    {
      name: 'N',
      weekdays: [1, 2, 3, 4, 5],
      start: '22:00',
      end: '06:00',
      breaks: [{ start: '02:00', end: '02:30' }],
    },
  ],
}

const iv = (equipment: string, start: number, end: number, state: StateInterval['state'], reason?: string) =>
  reason === undefined ? { equipment, start, end, state } : { equipment, start, end, state, reason }

const m1: StateInterval[] = [
  iv('M1', t(4, 8), t(4, 9), 'setup', 'changeover'),
  iv('M1', t(4, 9), t(4, 11), 'running'),
  iv('M1', t(4, 11), t(4, 11, 30), 'down', 'jam'),
  iv('M1', t(4, 11, 30), t(4, 13), 'running'), // runs through the 12:00–12:30 break
  iv('M1', t(4, 13), t(4, 13, 20), 'idle', 'no-material'),
  iv('M1', t(4, 13, 20), t(4, 15), 'running'),
  iv('M1', t(4, 15), t(4, 15, 10), 'down', 'jam'),
  iv('M1', t(4, 15, 10), t(4, 15, 40), 'planned-stop', 'maintenance'),
  iv('M1', t(4, 15, 40), t(4, 15, 50), 'running'), // then no data until 16:00
]

const m2: StateInterval[] = [
  iv('M2', t(4, 21), t(4, 23), 'running'), // straddles the night-shift start
  iv('M2', t(4, 23), t(5, 1), 'down', 'spindle'), // straddles midnight
  iv('M2', t(5, 1), t(5, 5), 'running'), // holds the 02:00–02:30 break
  iv('M2', t(5, 5), t(5, 9), 'down', 'spindle'), // straddles night end 06:00 and the next shift start 08:00
  iv('M2', t(5, 9), t(5, 16), 'running'),
]

const input: OeeInput = {
  equipment: ['M1', 'M2'],
  from: t(4, 0),
  to: t(6, 0),
  calendar,
  intervals: [...m2, ...m1],
  counts: [
    { equipment: 'M1', ts: t(4, 10), item: 'P1', good: 200, scrap: 5, rework: 3 },
    { equipment: 'M1', ts: t(4, 14), item: 'P1', good: 300, scrap: 10, rework: 2 },
    { equipment: 'M2', ts: t(4, 23, 30), item: 'P2', good: 100 },
    { equipment: 'M2', ts: t(5, 5, 59, 59), item: 'P2', good: 50, scrap: 2 },
    { equipment: 'M2', ts: t(5, 6, 30), item: 'P2', good: 10 }, // between shifts
    { equipment: 'M2', ts: t(5, 10), item: 'P2', good: 300, rework: 10, inspected: 310, firstPassGood: 290 },
  ],
  plannedRuntime: { P1: 30_000, P2: 60_000 },
}

const result = computeOee(input)
const row = (equipment: string, day: string, shift: string) => {
  const r = result.rows.find((x) => x.equipment === equipment && x.productionDay === day && x.shift === shift)
  assert.ok(r, `no row ${equipment} ${day} ${shift}`)
  return r
}

describe('shift calendar', () => {
  it('expands a night shift across midnight with its break on the next day', () => {
    const inst = expandShifts(calendar, t(4, 0), t(5, 8)).filter((i) => i.shift === 'N')
    assert.equal(inst.length, 1)
    assert.equal(inst[0]?.productionDay, '2024-03-04')
    assert.equal(inst[0]?.start, t(4, 22))
    assert.equal(inst[0]?.end, t(5, 6))
    assert.deepEqual(inst[0]?.breaks, [[t(5, 2), t(5, 2, 30)]])
  })

  it('skips holidays and works make-up days (调休) with the given weekday pattern', () => {
    const cal: ShiftCalendar = { ...calendar, holidays: ['2024-03-05'], workdays: { '2024-03-10': 1 } }
    const inst = expandShifts(cal, t(4, 0), t(11, 0))
    const days = inst.filter((i) => i.shift === 'A').map((i) => i.productionDay)
    assert.deepEqual(days, ['2024-03-04', '2024-03-06', '2024-03-07', '2024-03-08', '2024-03-10'])
  })

  it('rejects overlapping shifts', () => {
    const bad: ShiftCalendar = {
      shifts: [
        { name: 'A', weekdays: [1], start: '08:00', end: '16:00' },
        { name: 'B', weekdays: [1], start: '15:00', end: '23:00' },
      ],
    }
    assert.throws(
      () => expandShifts(bad, t(4, 0), t(5, 0)),
      (e) => isRongheError(e) && e.code === 'ANALYTICS_INVALID_CALENDAR',
    )
  })
})

describe('ISO 22400 time model', () => {
  it('computes the day shift of M1 by hand', () => {
    const e = row('M1', '2024-03-04', 'A').elements
    assert.equal(e.pot, 480 * MIN)
    assert.equal(e.pdot, 60 * MIN) // 30 min break + 30 min planned maintenance
    assert.equal(e.pbt, 420 * MIN)
    assert.equal(e.apt, 290 * MIN) // 120 + 60 (90 minus the break) + 100 + 10
    assert.equal(e.aust, 60 * MIN)
    assert.equal(e.adet, 40 * MIN)
    assert.equal(e.adot, 20 * MIN)
    assert.equal(e.noData, 10 * MIN)
    assert.deepEqual([e.pq, e.gq, e.sq, e.rq, e.ip, e.gp], [520, 500, 15, 5, 520, 500])
    assert.equal(e.idealTime, 260 * MIN) // 520 × 30 s
    assert.deepEqual([e.fe, e.ttr, e.tbf], [2, 40 * MIN, 290 * MIN])

    const k = oeeKpis(e)
    close(k.availability, 290 / 420)
    close(k.effectiveness, 260 / 290)
    close(k.qualityRate, 500 / 520)
    close(k.oee, 250 / 420) // PRI × GQ / PBT = 500 × 0.5 min / 420 min
    close(k.nee, (350 / 420) * (260 / 290) * (500 / 520))
    close(k.technicalEfficiency, 290 / 330)
    close(k.setupRatio, 60 / 350)
    close(k.utilizationEfficiency, 290 / 390)
    close(k.allocationEfficiency, 390 / 420)
    close(k.firstPassYield, 500 / 520)
    close(k.scrapRatio, 15 / 520)
    close(k.reworkRatio, 5 / 520)
    assert.equal(k.mtbf, 145 * MIN)
    assert.equal(k.mttr, 20 * MIN)
    assert.equal(k.effectivenessAbove100, false)
  })

  it('splits intervals at shift starts, midnight, breaks and shift ends', () => {
    const n = row('M2', '2024-03-04', 'N').elements
    assert.equal(n.pbt, 450 * MIN)
    assert.equal(n.apt, 270 * MIN) // 60 of 21:00–23:00, 210 of 01:00–05:00 (break excluded)
    assert.equal(n.adet, 180 * MIN) // 120 across midnight + 60 until the 06:00 shift end
    assert.equal(n.noData, 0)
    assert.deepEqual([n.fe, n.ttr], [2, 180 * MIN])
    assert.deepEqual([n.pq, n.gq, n.sq], [152, 150, 2])
    const kn = oeeKpis(n)
    close(kn.oee, 150 / 450)
    assert.equal(kn.mttr, 90 * MIN)

    // the 05:00–09:00 failure continues into Tuesday's day shift: its time counts there, the event does not
    const a = row('M2', '2024-03-05', 'A').elements
    assert.equal(a.apt, 390 * MIN)
    assert.equal(a.adet, 60 * MIN)
    assert.deepEqual([a.fe, a.ttr], [0, 60 * MIN])
    assert.equal(oeeKpis(a).mttr, null)
    assert.equal(oeeKpis(a).mtbf, null)
    close(oeeKpis(a).oee, 300 / 450)
    close(oeeKpis(a).firstPassYield, 290 / 310)

    // the Tuesday night shift is clipped at the window end (Wednesday 00:00)
    const tn = row('M2', '2024-03-05', 'N').elements
    assert.deepEqual([tn.pot, tn.pdot, tn.pbt, tn.noData], [120 * MIN, 0, 120 * MIN, 120 * MIN])
  })

  it('reports running time and parts outside the plan instead of counting them', () => {
    const m1out = result.outsidePlan.find((o) => o.equipment === 'M1')
    const m2out = result.outsidePlan.find((o) => o.equipment === 'M2')
    assert.deepEqual(m1out, { equipment: 'M1', runningMs: 30 * MIN, pq: 0, gq: 0 })
    // M2 ran 21:00–22:00 before the night shift, through the 02:00–02:30 break and Tuesday's 12:00–12:30 break
    assert.deepEqual(m2out, { equipment: 'M2', runningMs: 120 * MIN, pq: 10, gq: 10 })
  })

  it('holds the ISO 22400 identities on every row', () => {
    for (const r of result.rows) {
      const e = r.elements
      const k = oeeKpis(e)
      assert.equal(e.pbt, e.pot - e.pdot)
      assert.equal(e.apt + e.aust + e.adet + e.adot + e.noData, e.pbt)
      assert.equal(k.aupt, e.apt + e.aust)
      assert.equal(k.aubt, k.aupt + e.adet)
      assert.ok(e.apt <= k.aubt && k.aubt <= e.pbt)
      assert.equal(e.pq, e.gq + e.sq + e.rq)
      if (k.availability !== null && k.effectiveness !== null && k.qualityRate !== null) {
        close(k.oee, k.availability * k.effectiveness * k.qualityRate)
      }
    }
  })

  it('gives OEE 0 when time was planned but nothing ran', () => {
    const e = row('M2', '2024-03-04', 'A').elements
    assert.equal(e.noData, 450 * MIN)
    assert.equal(oeeKpis(e).availability, 0)
    assert.equal(oeeKpis(e).oee, 0)
  })

  it('flags effectiveness above 100 % instead of capping it', () => {
    const r = computeOee({ ...input, plannedRuntime: { P1: 60_000, P2: 60_000 } })
    const e = r.rows.find((x) => x.equipment === 'M1' && x.shift === 'A' && x.productionDay === '2024-03-04')
    assert.ok(e)
    const k = oeeKpis(e.elements)
    close(k.effectiveness, 520 / 290)
    assert.equal(k.effectivenessAbove100, true)
  })

  it('counts only the configured failure reasons as failure events', () => {
    const r = computeOee({ ...input, equipment: ['M1'], failureReasons: ['spindle'] })
    const e = r.rows.find((x) => x.shift === 'A' && x.productionDay === '2024-03-04')?.elements
    assert.equal(e?.fe, 0)
    assert.equal(e?.ttr, 0)
    assert.equal(e?.adet, 40 * MIN)
  })

  it('merges contiguous failure intervals into one event', () => {
    const r = computeOee({
      ...input,
      equipment: ['M3'],
      intervals: [
        iv('M3', t(4, 8), t(4, 9), 'down', 'jam'),
        iv('M3', t(4, 9), t(4, 9, 30), 'down', 'motor'),
        iv('M3', t(4, 9, 30), t(4, 16), 'running'),
      ],
      counts: [],
    })
    const e = r.rows.find((x) => x.shift === 'A' && x.productionDay === '2024-03-04')?.elements
    assert.deepEqual([e?.fe, e?.ttr], [1, 90 * MIN])
  })

  it('rejects overlapping intervals and items without planned runtime', () => {
    assert.throws(
      () => computeOee({ ...input, intervals: [...m1, iv('M1', t(4, 10), t(4, 10, 30), 'down')] }),
      (e) => isRongheError(e) && e.code === 'ANALYTICS_OVERLAPPING_INTERVALS',
    )
    assert.throws(
      () => computeOee({ ...input, plannedRuntime: { P1: 30_000 } }),
      (e) => isRongheError(e) && e.code === 'ANALYTICS_MISSING_PLANNED_RUNTIME',
    )
  })
})

describe('roll-up and Pareto', () => {
  const hierarchy = { M1: { line: 'L1', site: 'S1' }, M2: { line: 'L1', site: 'S1' } }

  it('rolls a line up by summing elements, not averaging ratios', () => {
    const day = aggregateOee(result.rows, { level: 'line', period: 'day', hierarchy }).find(
      (a) => a.entity === 'L1' && a.period === '2024-03-04',
    )
    assert.ok(day)
    // Monday: M1 A (PBT 420, APT 290) + M1 N (450, 0) + M2 A (450, 0) + M2 N (450, 270)
    assert.equal(day.elements.pbt, (420 + 450 + 450 + 450) * MIN)
    assert.equal(day.elements.apt, 560 * MIN)
    close(day.kpis.availability, 560 / 1770)
    // OEE of the sums: (260 min + 152 min) ideal, quality 650 / 672
    close(day.kpis.oee, (560 / 1770) * (412 / 560) * (650 / 672))
    const perMachine = aggregateOee(result.rows, { level: 'equipment', period: 'day' }).filter(
      (a) => a.period === '2024-03-04',
    )
    // M1: 290 / 870, M2: 270 / 900; their mean (0.31667) is not the line's availability (0.31638)
    assert.deepEqual(
      perMachine.map((a) => a.kpis.availability),
      [290 / 870, 270 / 900],
    )
    const meanOfRatios = (290 / 870 + 270 / 900) / 2
    assert.ok(Math.abs(meanOfRatios - 560 / 1770) > 2e-4)
  })

  it('makes a week equal the sum of its days and shifts', () => {
    const week = aggregateOee(result.rows, { level: 'site', period: 'week', hierarchy })
    assert.equal(week.length, 1)
    assert.equal(week[0]?.period, '2024-W10')
    assert.deepEqual(week[0]?.elements, sumElements(result.rows.map((r) => r.elements)))
  })

  it('ranks losses by reason with cumulative shares', () => {
    const pareto = lossPareto(result.losses, { filter: (l) => l.equipment === 'M1' })
    assert.deepEqual(
      pareto.map((p) => [p.state, p.reason, p.duration / MIN, p.events]),
      [
        ['setup', 'changeover', 60, 1],
        ['down', 'jam', 40, 2],
        ['idle', 'no-material', 20, 1],
      ],
    )
    close(pareto[1]?.cumulativeShare ?? null, 100 / 120)
    // the spindle failure spanning two shifts counts as two events (two intervals), 240 minutes
    const m2 = lossPareto(result.losses, { filter: (l) => l.equipment === 'M2' })
    assert.deepEqual(
      m2.map((p) => [p.reason, p.duration / MIN, p.events]),
      [['spindle', 240, 2]],
    )
  })
})
