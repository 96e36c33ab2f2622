import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { listEquipment } from './factory-catalog.ts'
import { MACHINE_STATE, type SimValue } from './factory-types.ts'
import { calendarSegmentAt, HOUR_MS } from './shift-calendar.ts'
import { createVirtualFactory } from './virtual-factory.ts'

/** Epoch ms of a China Standard Time wall-clock time. */
const cst = (y: number, mo: number, d: number, h: number, mi = 0): number => Date.UTC(y, mo - 1, d, h - 8, mi)
const MONDAY = cst(2026, 3, 2, 0)

function series(values: readonly SimValue[], ent: string, dev: string, point: string): SimValue[] {
  return values.filter((v) => v.enterpriseKey === ent && v.deviceKey === dev && v.pointKey === point)
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length
}

describe('virtual factory', () => {
  it('is deterministic: the same seed gives identical values however the steps are chunked', () => {
    const a = createVirtualFactory({ seed: 7, start: MONDAY + 7 * HOUR_MS })
    const b = createVirtualFactory({ seed: 7, start: MONDAY + 7 * HOUR_MS })
    const end = MONDAY + 10 * HOUR_MS
    const va = a.step(end)
    const vb: SimValue[] = []
    for (let t = MONDAY + 7 * HOUR_MS + 1234; t < end; t += 777_777) vb.push(...b.step(t))
    vb.push(...b.step(end))
    assert.ok(va.length > 30_000, `only ${va.length} values`)
    assert.equal(vb.length, va.length)
    assert.deepEqual(vb, va)
    assert.equal(a.nextTickTs(), end + 1000)

    const c = createVirtualFactory({ seed: 8, start: MONDAY + 7 * HOUR_MS })
    const vc = c.step(end)
    assert.notDeepEqual(
      vc.filter((v) => v.pointKey === 'vibrationRms').slice(0, 100),
      va.filter((v) => v.pointKey === 'vibrationRms').slice(0, 100),
    )
  })

  it('plans different faults for different seeds, independent of start and tick', () => {
    const from = MONDAY
    const to = MONDAY + 28 * 24 * HOUR_MS
    const g1 = createVirtualFactory({ seed: 1, start: from }).groundTruth(from, to)
    const g1b = createVirtualFactory({ seed: 1, start: from + 5 * HOUR_MS, tickMs: 5000 }).groundTruth(
      from,
      to,
    )
    const g2 = createVirtualFactory({ seed: 2, start: from }).groundTruth(from, to)
    assert.deepEqual(g1b, g1)
    assert.notDeepEqual(
      g2.map((f) => f.id),
      g1.map((f) => f.id),
    )
    // four weeks of ~50 pieces of equipment with the default rates: a few dozen faults of every kind
    for (const kind of ['bearing-wear', 'tool-wear', 'meter-dropout'] as const)
      assert.ok(g1.filter((f) => f.kind === kind).length >= 3, kind)
    for (const f of g1) {
      assert.ok(f.onsetTs <= f.endTs, f.id)
      if (f.kind === 'bearing-wear') {
        const bd = f.breakdownTs ?? 0
        assert.ok(bd - f.onsetTs >= 6 * HOUR_MS - 1000, `${f.id} wears at least 6 h`)
        assert.ok(bd < f.endTs)
        const placed = listEquipment(createVirtualFactory({ seed: 1, start: from }).enterprises).find(
          (p) => p.enterprise.key === f.enterpriseKey && p.equipment.key === f.deviceKey,
        )
        // bearings fail while the machine is meant to run
        assert.equal(calendarSegmentAt(placed!.site.calendar, bd).status, 'work', f.id)
      }
    }
  })

  it('keeps a day of values in range, counters monotonic, and nothing running during planned stops', () => {
    const start = MONDAY
    const f = createVirtualFactory({ seed: 11, start })
    const placed = listEquipment(f.enterprises)
    const specOf = new Map(
      placed.flatMap((p) =>
        p.equipment.points.map((pt) => [`${p.enterprise.key}/${p.equipment.key}/${pt.key}`, { pt, p }]),
      ),
    )
    const lastCounter = new Map<string, number>()
    const resets: string[] = []
    let outOfRange = 0
    let runningInPlannedStop = 0
    let values = 0
    const statesSeen = new Set<number>()
    f.run(start + 24 * HOUR_MS - 1000, (v) => {
      values++
      const key = `${v.enterpriseKey}/${v.deviceKey}/${v.pointKey}`
      const s = specOf.get(key)
      assert.ok(s, key)
      if (v.quality !== 'good') return
      if (s.pt.kind === 'text') {
        assert.equal(typeof v.value, 'string')
        return
      }
      assert.equal(typeof v.value, 'number', key)
      const x = v.value as number
      const range = s.pt.range
      if (range && (x < range[0] || x > range[1])) outOfRange++
      if (s.pt.kind === 'counter') {
        const prev = lastCounter.get(key)
        if (prev !== undefined && x < prev) resets.push(`${key}@${v.ts}`)
        lastCounter.set(key, x)
      }
      if (s.pt.kind === 'state') {
        statesSeen.add(x)
        const kind = s.p.equipment.kind
        if (x === MACHINE_STATE.running && kind !== 'air-compressor') {
          if (calendarSegmentAt(s.p.site.calendar, v.ts).status !== 'work') runningInPlannedStop++
        }
      }
    })
    assert.ok(values > 1_000_000, `${values} values`)
    assert.equal(outOfRange, 0)
    assert.equal(runningInPlannedStop, 0)
    const injected = f
      .groundTruth()
      .filter((g) => g.kind === 'counter-reset')
      .map((g) => `${g.enterpriseKey}/${g.deviceKey}`)
    for (const r of resets)
      assert.ok(
        injected.some((k) => r.startsWith(k)),
        `unexpected counter decrease ${r}`,
      )
    for (const code of [0, 1, 2, 3]) assert.ok(statesSeen.has(code), `state ${code} seen`)
  })

  it('raises vibration for hours before a bearing breakdown, then holds the machine down until repaired', () => {
    const probe = createVirtualFactory({ seed: 5, start: MONDAY, faultRates: { bearingWear: 1 } })
    const fault = probe
      .groundTruth(MONDAY, MONDAY + 7 * 24 * HOUR_MS)
      .filter(
        (g) =>
          g.kind === 'bearing-wear' &&
          g.deviceKey.startsWith('CNC') &&
          (g.breakdownTs ?? 0) - g.onsetTs < 16 * HOUR_MS &&
          g.onsetTs > MONDAY + 8 * HOUR_MS,
      )[0]
    assert.ok(fault, 'seed 5 plans a short CNC bearing fault in the first week')
    const bd = fault.breakdownTs!
    const start = fault.onsetTs - 8 * HOUR_MS
    const tick = 5000
    const f = createVirtualFactory({ seed: 5, start, tickMs: tick, faultRates: { bearingWear: 1 } })
    const values = f.step(fault.endTs + HOUR_MS)
    const vib = series(values, fault.enterpriseKey, fault.deviceKey, 'vibrationRms')
    const states = series(values, fault.enterpriseKey, fault.deviceKey, 'state')
    const stateAt = (ts: number): number => {
      let s = -1
      for (const v of states) if (v.ts <= ts) s = v.value as number
      return s
    }
    const running = (from: number, to: number): number[] =>
      vib
        .filter((v) => v.ts >= from && v.ts < to && stateAt(v.ts) === MACHINE_STATE.running)
        .map((v) => v.value as number)
    const before = running(start, fault.onsetTs)
    const late = running(fault.onsetTs + 0.75 * (bd - fault.onsetTs), bd)
    assert.ok(before.length > 20 && late.length > 20, `${before.length} / ${late.length} running samples`)
    assert.ok(mean(late) > 2 * mean(before), `late wear ${mean(late)} vs healthy ${mean(before)}`)

    // down exactly from the breakdown to the end of the repair, never before
    const downs = states.filter((v) => v.value === MACHINE_STATE.down)
    assert.ok(downs.length > 0)
    assert.equal(downs[0]!.ts, Math.ceil((bd - start) / tick) * tick + start)
    for (const d of downs) assert.ok(d.ts >= bd && d.ts < fault.endTs, `down at ${d.ts}`)
    assert.notEqual(stateAt(fault.endTs + tick), MACHINE_STATE.down)
    // after the repair the bearing is new again
    const after = running(fault.endTs, fault.endTs + HOUR_MS)
    if (after.length > 5) assert.ok(mean(after) < 1.5 * mean(before))
  })

  it('raises the scrap rate while a tool wears and changes the tool at the end', () => {
    const probe = createVirtualFactory({ seed: 5, start: MONDAY, faultRates: { toolWear: 1 } })
    const faults = probe
      .groundTruth(MONDAY, MONDAY + 7 * 24 * HOUR_MS)
      .filter((g) => g.kind === 'tool-wear' && Number(g.detail['maxScrapRate']) > 0.12)
    // the worst tool that wears for more than 4 h: the late part of its wear has enough parts to measure
    const fault = faults
      .filter((g) => g.endTs - g.onsetTs > 4 * HOUR_MS)
      .sort((a, b) => Number(b.detail['maxScrapRate']) - Number(a.detail['maxScrapRate']))[0]
    assert.ok(fault)
    const f = createVirtualFactory({
      seed: 5,
      start: fault.onsetTs - HOUR_MS,
      tickMs: 5000,
      faultRates: { toolWear: 1 },
    })
    const values = f.step(fault.endTs + 30 * 60_000)
    const good = series(values, fault.enterpriseKey, fault.deviceKey, 'partsGood')
    const scrap = series(values, fault.enterpriseKey, fault.deviceKey, 'partsScrap')
    const delta = (s: SimValue[], from: number, to: number): number => {
      const inside = s.filter((v) => v.ts >= from && v.ts <= to)
      return (inside.at(-1)!.value as number) - (inside[0]!.value as number)
    }
    const mid = fault.onsetTs + (fault.endTs - fault.onsetTs) / 3
    const rate = (vs: SimValue[]): number => {
      const g = series(vs, fault.enterpriseKey, fault.deviceKey, 'partsGood')
      const sc = series(vs, fault.enterpriseKey, fault.deviceKey, 'partsScrap')
      const ds = delta(sc, mid, fault.endTs)
      return ds / (ds + delta(g, mid, fault.endTs))
    }
    assert.ok(good.length > 0 && scrap.length > 0)
    const worn = rate(values)
    // the same seed without tool wear: the same machine, the same hours, a sharp tool
    const sharpRun = createVirtualFactory({
      seed: 5,
      start: fault.onsetTs - HOUR_MS,
      tickMs: 5000,
      faultRates: { toolWear: 0 },
    })
    const sharp = rate(sharpRun.step(fault.endTs))
    assert.ok(worn > 0.04 && worn > 3 * sharp, `scrap rate worn ${worn} vs sharp ${sharp}`)
    // a running machine stops for a tool change when the worn tool is noticed
    const states = series(values, fault.enterpriseKey, fault.deviceKey, 'state')
    const before = states.filter((v) => v.ts < fault.endTs).at(-1)
    if (before?.value === MACHINE_STATE.running) {
      const next = states.find((v) => v.ts >= fault.endTs && v.value !== MACHINE_STATE.running)
      assert.equal(next?.value, MACHINE_STATE.setup)
      assert.ok(next!.ts - fault.endTs <= 5000, `tool change at +${next!.ts - fault.endTs} ms`)
    }
  })

  it('drops a meter out: silent meters send nothing, others send bad-quality nulls', () => {
    const probe = createVirtualFactory({ seed: 9, start: MONDAY, faultRates: { meterDropout: 1 } })
    const all = probe.groundTruth(MONDAY, MONDAY + 7 * 24 * HOUR_MS).filter((g) => g.kind === 'meter-dropout')
    for (const mode of ['silent', 'bad']) {
      const fault = all.find((g) => g.detail['mode'] === mode && g.endTs - g.onsetTs > HOUR_MS)
      assert.ok(fault, mode)
      const f = createVirtualFactory({
        seed: 9,
        start: fault.onsetTs - HOUR_MS,
        tickMs: 5000,
        faultRates: { meterDropout: 1 },
      })
      const values = f
        .step(fault.endTs + HOUR_MS)
        .filter((v) => v.enterpriseKey === fault.enterpriseKey && v.deviceKey === fault.deviceKey)
      const inside = values.filter((v) => v.ts >= fault.onsetTs && v.ts < fault.endTs)
      const outside = values.filter((v) => v.ts < fault.onsetTs || v.ts >= fault.endTs)
      assert.ok(outside.length > 100)
      assert.ok(outside.every((v) => v.quality === 'good' && typeof v.value === 'number'))
      if (mode === 'silent') assert.equal(inside.length, 0)
      else {
        assert.ok(inside.length > 50)
        assert.ok(inside.every((v) => v.quality === 'bad' && v.value === null))
      }
      // the meter kept counting during the gap: the first reading after it covers the missing consumption
      const counterKey =
        values[0]!.pointKey === 'power' || values[0]!.pointKey === 'flow' ? undefined : values[0]!.pointKey
      const energy = values.filter(
        (v) => v.pointKey !== 'power' && v.pointKey !== 'flow' && v.quality === 'good',
      )
      assert.ok(energy.length > 0, String(counterKey))
      for (let i = 1; i < energy.length; i++)
        assert.ok((energy[i]!.value as number) >= (energy[i - 1]!.value as number))
    }
  })

  it('draws standby power on a rest day: 1.5 % of 75 kW is 1.125 kWh per hour', () => {
    // Sunday 1 March 2026 is a rest day for the Foshan two-shift calendar
    const start = cst(2026, 3, 1, 10)
    const f = createVirtualFactory({ seed: 1, start })
    f.step(start)
    const e0 = f.status('fs-diecast', 'DC-01').consumption.electricity
    const values = f.step(start + HOUR_MS)
    const e1 = f.status('fs-diecast', 'DC-01').consumption.electricity
    assert.equal(f.status('fs-diecast', 'DC-01').state, MACHINE_STATE.plannedStop)
    assert.ok(Math.abs(e1 - e0 - 1.125) < 1e-9, `${e1 - e0}`)
    // I = P / (√3 · 380 V · 0.85) = 1125 W / 559.4 V ≈ 2.01 A, with 2 % noise
    const amps = series(values, 'fs-diecast', 'DC-01', 'motorCurrent').map((v) => v.value as number)
    assert.ok(Math.abs(mean(amps) - 2.011) < 0.01, `${mean(amps)}`)
    // the main meter reads the sum of everything it measures plus the building's base load
    const main = series(values, 'fs-diecast', 'EM-MAIN', 'energy')
    const dc = series(values, 'fs-diecast', 'EM-DC', 'energy')
    const mc = series(values, 'fs-diecast', 'EM-MC', 'energy')
    const d = (s: SimValue[]): number => (s.at(-1)!.value as number) - (s[0]!.value as number)
    assert.ok(d(main) > d(dc) + d(mc))
  })

  it('rejects a bad tick', () => {
    assert.throws(() => createVirtualFactory({ seed: 1, start: MONDAY, tickMs: 0 }), {
      code: 'SIM_INVALID_CONFIG',
    })
  })
})
