import type { PlacedEquipment } from './factory-catalog.ts'
import type { FaultEvent } from './factory-types.ts'
import { createRng, hashSeed } from './random.ts'
import { HOUR_MS, localWeekStart, MINUTE_MS, nextWorkingTime, WEEK_MS } from './shift-calendar.ts'

/**
 * Faults are planned per (equipment, local week) from the seed alone, so the ground truth does not depend on
 * when a simulation starts, how long its ticks are, or how its steps are chunked — and any week can be
 * asked for without simulating the weeks before it.
 */

/** Probability per equipment per week (at most one fault of each kind per equipment-week). */
export interface FaultRates {
  readonly bearingWear: number
  readonly toolWear: number
  readonly meterDropout: number
  /** Probability that a repair after a breakdown restarts the controller and resets its part counters. */
  readonly counterResetAfterRepair: number
}

export const DEFAULT_FAULT_RATES: FaultRates = {
  bearingWear: 0.2,
  toolWear: 0.5,
  meterDropout: 0.3,
  counterResetAfterRepair: 0.5,
}

const VIBRATING = new Set(['cnc-machining-centre', 'injection-moulding-machine', 'die-casting-machine'])
const VIBRATING_AUX = new Set(['industrial-robot', 'conveyor', 'air-compressor'])
const TOOLED = new Set(['cnc-machining-centre', 'die-casting-machine'])

function hasPoint(p: PlacedEquipment, key: string): boolean {
  return p.equipment.points.some((pt) => pt.key === key)
}

interface BearingDraw {
  readonly onset: number
  readonly breakdown: number
  readonly end: number
  readonly peakFactor: number
  readonly wearHours: number
  readonly repairHours: number
  readonly resetCounters: boolean
}

function drawBearing(
  seed: number,
  p: PlacedEquipment,
  weekStart: number,
  rates: FaultRates,
): BearingDraw | null {
  if (!hasPoint(p, 'vibrationRms')) return null
  const kind = p.equipment.kind
  if (!VIBRATING.has(kind) && !VIBRATING_AUX.has(kind)) return null
  const rng = createRng(hashSeed(seed, p.enterprise.key, p.equipment.key, 'bearing', weekStart))
  // auxiliary equipment wears less often than the spindles and pumps of the main machines
  const rate = VIBRATING.has(kind) ? rates.bearingWear : rates.bearingWear / 2
  const happens = rng.chance(rate)
  const wearHours = rng.uniform(6, 48)
  const onset = weekStart + Math.floor(rng.uniform(0, WEEK_MS - (wearHours + 12) * HOUR_MS) / 1000) * 1000
  const shiftMin = rng.uniform(5, 90)
  const repairHours = rng.uniform(1.5, 8)
  const peakFactor = rng.uniform(3.5, 6)
  const resetCounters = rng.chance(rates.counterResetAfterRepair)
  if (!happens) return null
  // a bearing fails while the machine turns: move the breakdown into working time
  const due = onset + Math.round(wearHours * 3600) * 1000
  const working = nextWorkingTime(p.site.calendar, due)
  const sec = (ms: number): number => Math.round(ms / 1000) * 1000
  const breakdown = working === due ? due : sec(working + shiftMin * MINUTE_MS)
  const end = sec(breakdown + repairHours * HOUR_MS)
  return { onset, breakdown, end, peakFactor, wearHours, repairHours, resetCounters }
}

/** The faults planned for one piece of equipment in the local week starting at weekStart. */
export function planEquipmentWeek(
  seed: number,
  p: PlacedEquipment,
  weekStart: number,
  rates: FaultRates = DEFAULT_FAULT_RATES,
): FaultEvent[] {
  const out: FaultEvent[] = []
  const e = p.enterprise.key
  const d = p.equipment.key
  const tag = new Date(weekStart + p.site.calendar.utcOffsetMs).toISOString().slice(0, 10)

  const b = drawBearing(seed, p, weekStart, rates)
  // last week's wear may run into this week: never let two bearing faults of one machine overlap
  const prev = drawBearing(seed, p, weekStart - WEEK_MS, rates)
  if (b !== null && (prev === null || prev.end <= b.onset)) {
    out.push({
      id: `bearing-wear:${e}:${d}:${tag}`,
      kind: 'bearing-wear',
      enterpriseKey: e,
      deviceKey: d,
      onsetTs: b.onset,
      breakdownTs: b.breakdown,
      endTs: b.end,
      detail: {
        peakFactor: Math.round(b.peakFactor * 100) / 100,
        wearHours: Math.round(b.wearHours * 10) / 10,
        repairHours: Math.round(b.repairHours * 10) / 10,
      },
    })
    if (b.resetCounters && (hasPoint(p, 'partsGood') || hasPoint(p, 'cycles'))) {
      out.push({
        id: `counter-reset:${e}:${d}:${tag}`,
        kind: 'counter-reset',
        enterpriseKey: e,
        deviceKey: d,
        onsetTs: b.end,
        breakdownTs: null,
        endTs: b.end,
        detail: { cause: 'controller restart after repair' },
      })
    }
  }

  if (TOOLED.has(p.equipment.kind) && hasPoint(p, 'partsScrap')) {
    const rng = createRng(hashSeed(seed, e, d, 'tool', weekStart))
    const happens = rng.chance(rates.toolWear)
    const at = weekStart + rng.uniform(0, WEEK_MS - 24 * HOUR_MS)
    const hours = rng.uniform(2, 10)
    const maxScrapRate = rng.uniform(0.06, 0.2)
    if (happens) {
      const onset = Math.ceil(nextWorkingTime(p.site.calendar, at) / 1000) * 1000
      out.push({
        id: `tool-wear:${e}:${d}:${tag}`,
        kind: 'tool-wear',
        enterpriseKey: e,
        deviceKey: d,
        onsetTs: onset,
        breakdownTs: null,
        endTs: onset + Math.round(hours * 3600) * 1000,
        detail: { maxScrapRate: Math.round(maxScrapRate * 1000) / 1000, hours: Math.round(hours * 10) / 10 },
      })
    }
  }

  if (p.equipment.kind === 'energy-meter') {
    const rng = createRng(hashSeed(seed, e, d, 'dropout', weekStart))
    const happens = rng.chance(rates.meterDropout)
    const onset = weekStart + Math.floor(rng.uniform(0, WEEK_MS - 8 * HOUR_MS) / 1000) * 1000
    const hours = rng.uniform(0.3, 6)
    const mode = rng.chance(0.5) ? 'silent' : 'bad'
    if (happens) {
      out.push({
        id: `meter-dropout:${e}:${d}:${tag}`,
        kind: 'meter-dropout',
        enterpriseKey: e,
        deviceKey: d,
        onsetTs: onset,
        breakdownTs: null,
        endTs: onset + Math.round(hours * 3600) * 1000,
        detail: { mode, hours: Math.round(hours * 10) / 10 },
      })
    }
  }
  return out
}

/** All planned faults of the given equipment whose [onset, end] overlaps [fromTs, toTs], by onset. */
export function planFaults(
  seed: number,
  placed: readonly PlacedEquipment[],
  fromTs: number,
  toTs: number,
  rates: FaultRates = DEFAULT_FAULT_RATES,
): FaultEvent[] {
  const out: FaultEvent[] = []
  for (const p of placed) {
    const cal = p.site.calendar
    // faults start in their week but may run up to ~3 days into the next (weekend-shifted breakdowns)
    for (let w = localWeekStart(cal, fromTs) - WEEK_MS; w <= toTs; w += WEEK_MS) {
      for (const f of planEquipmentWeek(seed, p, w, rates))
        if (f.endTs >= fromTs && f.onsetTs <= toTs) out.push(f)
    }
  }
  return out.sort((a, b) => a.onsetTs - b.onsetTs || a.id.localeCompare(b.id))
}
