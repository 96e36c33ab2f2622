import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isRongheError } from '../../core/index.ts'
import {
  energyPerGoodPart,
  evaluateEnpi,
  fitEnergyBaseline,
  keyEnergyUnitStatus,
  ratioEnpiImprovement,
} from './energy-performance.ts'
import { electricityCo2Tonnes, gridEmissionFactor } from './grid-emissions.ts'
import {
  completenessCheck,
  dailyVsMonthlyCheck,
  type EnterpriseEnergyRollup,
  previousYearPeriod,
  rankEnterprises,
  regionTotal,
  totalsByRegion,
  yearOnYearByEnterprise,
} from './regional-rollups.ts'
import { coalCoefficientVersion, toStandardCoal } from './standard-coal.ts'
import { selectTariff, TOU_TARIFFS, touCost, validateTariff } from './tou-cost.ts'

const close = (a: number | null | undefined, b: number, eps = 1e-9): void => {
  assert.ok(a !== null && a !== undefined && Math.abs(a - b) < eps, `${a} ≠ ${b}`)
}
const MIN = 60_000

describe('standard coal (GB/T 2589-2020)', () => {
  it('converts electricity, diesel and natural gas by the version in force', () => {
    const r = toStandardCoal(
      [
        { carrier: 'electricity', amount: 10_000 },
        { carrier: 'diesel', amount: 1, unit: 't' },
        { carrier: 'natural-gas', amount: 1000 },
      ],
      { date: '2024-05-01' },
    )
    assert.equal(r.version, 'GB/T 2589-2020')
    close(r.lines[0]?.kgce, 1229) // 0.1229 kgce/kWh
    close(r.lines[1]?.kgce, 1457.1) // 1.4571 kgce/kg
    close(r.lines[2]?.kgce, 1214.3) // 1.2143 kgce/m³
    close(r.totalTce, 3.9004)
    close(
      toStandardCoal([{ carrier: 'electricity', amount: 1, unit: '万kWh' }], { date: '2024-05-01' }).totalTce,
      1.229,
    )
  })

  it('chooses the coefficient version by date', () => {
    assert.equal(coalCoefficientVersion({ date: '2021-03-31' }).id, 'GB/T 2589-2008')
    assert.equal(coalCoefficientVersion({ date: '2021-04-01' }).id, 'GB/T 2589-2020')
  })

  it('derives the table values from kcal ÷ 7 000 (the table rounds from kcal, not from kJ ÷ 29 307)', () => {
    const v = coalCoefficientVersion({ version: 'GB/T 2589-2020' })
    const value = (carrier: string) => v.coefficients.find((c) => c.carrier === carrier)?.value
    // electricity 860 kcal/kWh: 860 / 7000 = 0.12286 → 0.1229, whereas 3600 kJ / 29 307 kJ = 0.12284 → 0.1228
    assert.equal(value('electricity'), Number((860 / 7000).toFixed(4)))
    assert.notEqual(value('electricity'), Number((3600 / 29_307).toFixed(4)))
    assert.equal(value('raw-coal'), Number((5000 / 7000).toFixed(4)))
    assert.equal(value('diesel'), Number((10_200 / 7000).toFixed(4)))
    assert.equal(value('natural-gas'), Number((8500 / 7000).toFixed(4)))
  })

  it('refuses a carrier or basis that has no coefficient', () => {
    assert.throws(
      () => toStandardCoal([{ carrier: 'unobtainium', amount: 1 }], { date: '2024-01-01' }),
      (e) => isRongheError(e) && e.code === 'ANALYTICS_COEFFICIENT_NOT_FOUND',
    )
    assert.throws(
      () =>
        toStandardCoal([{ carrier: 'electricity', amount: 1 }], { date: '2024-01-01', basis: 'equivalent' }),
      (e) => isRongheError(e) && e.code === 'ANALYTICS_COEFFICIENT_NOT_FOUND',
    )
  })
})

describe('grid emission factors', () => {
  it('falls back from province to grid region to national, and says which it used', () => {
    const hebei = gridEmissionFactor({ regionCode: '130100', dataYear: 2022 })
    assert.deepEqual([hebei.value, hebei.scope, hebei.area], [0.7252, 'provincial', '13'])
    const shenzhen = gridEmissionFactor({ regionCode: '440300', dataYear: 2022 })
    assert.deepEqual([shenzhen.value, shenzhen.scope, shenzhen.area], [0.3869, 'regional', 'south'])
    const y2021 = gridEmissionFactor({ regionCode: '440300', dataYear: 2021 })
    assert.deepEqual([y2021.value, y2021.scope], [0.5568, 'national'])
    assert.equal(gridEmissionFactor({ dataYear: 2022, type: 'fossil' }).value, 0.8325)
    assert.equal(
      gridEmissionFactor({ regionCode: '330100', dataYear: 2023, scope: 'national' }).value,
      0.5306,
    )
  })

  it('picks the newest factors published by a date', () => {
    assert.equal(gridEmissionFactor({ asOf: '2024-06-01' }).dataYear, 2021)
    assert.equal(gridEmissionFactor({ asOf: '2024-12-20' }).dataYear, 2022)
    assert.equal(gridEmissionFactor({ asOf: '2026-02-01' }).dataYear, 2023)
  })

  it('needs the grid region for Inner Mongolia', () => {
    assert.throws(
      () => gridEmissionFactor({ regionCode: '150100', dataYear: 2023 }),
      (e) => isRongheError(e) && e.code === 'ANALYTICS_INVALID_REGION',
    )
    assert.equal(
      gridEmissionFactor({ regionCode: '150100', gridRegion: 'north', dataYear: 2023 }).value,
      0.6361,
    )
  })

  it('computes tonnes of CO₂ as MWh × factor', () => {
    close(electricityCo2Tonnes(10_000, gridEmissionFactor({ dataYear: 2022, scope: 'national' })), 5.366)
  })
})

describe('time-of-use cost', () => {
  const gd = selectTariff('440300', '2024-08-05')
  const day = (y: number, m: number, d: number) => {
    const start = Date.UTC(y, m - 1, d) - 8 * 3_600_000 // local midnight
    return Array.from({ length: 96 }, (_, k) => ({
      start: start + k * 15 * MIN,
      end: start + (k + 1) * 15 * MIN,
      kWh: 1,
    }))
  }

  it('validates every bundled tariff and marks none of them official', () => {
    for (const t of TOU_TARIFFS.tariffs) {
      validateTariff(t)
      assert.equal(t.official, false)
      assert.equal(t.pricesStatus, 'illustrative')
    }
    assert.deepEqual(TOU_TARIFFS.tariffs.map((t) => t.province).sort(), ['33', '44', '45'])
  })

  it('prices a summer day in Guangdong with critical peak', () => {
    const r = touCost(day(2024, 8, 5), gd)
    assert.deepEqual(Object.fromEntries(Object.entries(r.byPeriod).map(([k, v]) => [k, v.kWh])), {
      valley: 32,
      flat: 36,
      peak: 16,
      critical: 12,
    })
    close(r.totalCost, 32 * 0.247 + 36 * 0.65 + 16 * 1.105 + 12 * 1.38125) // 65.559
    assert.equal(r.apportionedKWh, 0)
  })

  it('prices a spring day without critical peak', () => {
    const r = touCost(day(2024, 3, 4), gd)
    assert.equal(r.byPeriod['peak']?.kWh, 28)
    close(r.totalCost, 62.244)
  })

  it('splits an interval across a period boundary and reports the split', () => {
    const start = Date.UTC(2024, 2, 4, 7, 30) - 8 * 3_600_000 // 07:30 local
    const r = touCost(
      [
        { start, end: start + 60 * MIN, kWh: 10 },
        { start: start + 60 * MIN, end: start + 75 * MIN, kWh: null },
      ],
      gd,
    )
    close(r.byPeriod['valley']?.kWh, 5)
    close(r.byPeriod['flat']?.kWh, 5)
    close(r.apportionedKWh, 10)
    assert.equal(r.missingIntervals, 1)
  })

  it('has no tariff for a province without data', () => {
    assert.throws(
      () => selectTariff('110000', '2024-01-01'),
      (e) => isRongheError(e) && e.code === 'ANALYTICS_TARIFF_NOT_FOUND',
    )
  })
})

describe('energy performance (ISO 50001 / 50006)', () => {
  it('fits E = a + b × output by least squares', () => {
    const exact = fitEnergyBaseline([
      { output: 100, energy: 1200 },
      { output: 200, energy: 2200 },
      { output: 300, energy: 3200 },
    ])
    close(exact.a, 200)
    close(exact.b, 10)
    close(exact.r2, 1)
    const noisy = fitEnergyBaseline([
      { output: 100, energy: 1250 },
      { output: 200, energy: 2150 },
      { output: 300, energy: 3200 },
    ])
    close(noisy.b, 9.75)
    close(noisy.a, 250)
    close(noisy.r2, 1 - 3750 / 1_905_000)
  })

  it('normalises reporting periods for output, with savings, EnPI ratio and CUSUM', () => {
    const base = fitEnergyBaseline([
      { output: 100, energy: 1200 },
      { output: 200, energy: 2200 },
      { output: 300, energy: 3200 },
    ])
    const r = evaluateEnpi(base, [
      { output: 250, energy: 2500 },
      { output: 400, energy: 4300 },
    ])
    close(r[0]?.expected, 2700)
    close(r[0]?.savings, 200)
    close(r[0]?.improvement, 200 / 2700)
    close(r[0]?.enpiRatio, 2500 / 2700)
    assert.equal(r[0]?.extrapolated, false)
    close(r[1]?.savings, -100)
    close(r[1]?.cusum, 100)
    assert.equal(r[1]?.extrapolated, true)
    close(
      ratioEnpiImprovement({ output: 100, energy: 1200 }, { output: 250, energy: 2500 }).improvement,
      1 / 6,
    )
  })

  it('gives energy per good part and flags key energy-consuming units', () => {
    assert.equal(energyPerGoodPart(1200, 400), 3)
    assert.equal(energyPerGoodPart(1200, 0), null)
    assert.equal(keyEnergyUnitStatus(10_000), 'key')
    assert.equal(keyEnergyUnitStatus(9_999.9), 'designation-band')
    assert.equal(keyEnergyUnitStatus(4_999), 'none')
  })
})

describe('regional rollups', () => {
  const rollups: EnterpriseEnergyRollup[] = [
    { enterpriseId: 'E1', regionCode: '440305', period: '2024-03', tce: 100, co2Tonnes: 200 },
    { enterpriseId: 'E2', regionCode: '440604', period: '2024-03', tce: 50 },
    { enterpriseId: 'E3', regionCode: '450100', period: '2024-03', tce: 70 },
    { enterpriseId: 'E4', regionCode: '440306', period: '2024-03', tce: 100 },
    { enterpriseId: 'E1', regionCode: '440305', period: '2023-03', tce: 80 },
    { enterpriseId: 'E2', regionCode: '440604', period: '2023-03', tce: 0 },
    { enterpriseId: 'E5', regionCode: '440106', period: '2024', tce: 12_000 },
  ]

  it('sums the enterprises inside a province, city or county', () => {
    const gd = regionTotal(rollups, '440000', '2024-03')
    assert.deepEqual([gd.enterprises, gd.tce, gd.co2Tonnes], [3, 250, 200])
    assert.equal(regionTotal(rollups, '440300', '2024-03').tce, 200)
    assert.equal(regionTotal(rollups, '440305', '2024-03').tce, 100)
    assert.equal(regionTotal(rollups, '450000', '2024-03').tce, 70)
    assert.equal(regionTotal(rollups, '440000', '2024').keyUnits, 1)
    assert.throws(
      () => regionTotal(rollups, '990000', '2024-03'),
      (e) => isRongheError(e) && e.code === 'ANALYTICS_INVALID_REGION',
    )
  })

  it('breaks a province down by city', () => {
    assert.deepEqual(
      totalsByRegion(rollups, 'city', '2024-03', '440000').map((t) => [t.region, t.tce]),
      [
        ['440300', 200],
        ['440600', 50],
      ],
    )
  })

  it('ranks enterprises with shared ranks for ties', () => {
    assert.deepEqual(
      rankEnterprises(rollups, { period: '2024-03', region: '440000' }).map((r) => [
        r.rank,
        r.enterpriseId,
        r.value,
      ]),
      [
        [1, 'E1', 100],
        [1, 'E4', 100],
        [3, 'E2', 50],
      ],
    )
  })

  it('compares with the same period a year earlier', () => {
    const yoy = yearOnYearByEnterprise(rollups, { period: '2024-03', region: '440000' })
    assert.deepEqual(
      yoy.map((y) => [y.enterpriseId, y.change, y.changeRatio]),
      [
        ['E1', 20, 0.25],
        ['E2', 50, null],
        ['E4', null, null],
      ],
    )
    assert.equal(previousYearPeriod('2024-02-29'), '2023-02-28')
  })

  it('checks completeness ≥ 90 % and daily vs monthly within 5 %', () => {
    assert.equal(completenessCheck(87, 96).ok, true) // 90.6 %
    assert.equal(completenessCheck(86, 96).ok, false) // 89.6 %
    const ok = dailyVsMonthlyCheck([10, 10, 10], 31.5)
    close(ok.deviation, 1.5 / 31.5)
    assert.equal(ok.ok, true)
    assert.equal(dailyVsMonthlyCheck([10, 10, 10], 32).ok, false) // 6.25 %
    assert.equal(dailyVsMonthlyCheck([95], 100).ok, true) // exactly 5 %
  })
})
