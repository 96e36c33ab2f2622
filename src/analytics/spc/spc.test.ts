import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isRongheError } from '../../core/index.ts'
import { capabilityFromIndividuals, capabilityFromSubgroups } from './capability.ts'
import { imrChart, imrLimits, xbarRChart, xbarRLimits, xbarSLimits } from './control-charts.ts'
import { detectRuleViolations } from './run-rules.ts'
import { shewhartConstants } from './shewhart-constants.ts'

const close = (a: number | null | undefined, b: number, eps = 1e-9): void => {
  assert.ok(a !== null && a !== undefined && Math.abs(a - b) < eps, `${a} ≠ ${b}`)
}

// Four subgroups of five, worked by hand: means 12, 11, 13, 12; ranges 4, 2, 2, 4.
const subgroups = [
  [10, 12, 11, 13, 14],
  [11, 11, 12, 10, 11],
  [13, 12, 14, 12, 14],
  [12, 13, 10, 11, 14],
]

describe('Shewhart constants', () => {
  it('match the reference table (manufacturing-kpis.md §3.1)', () => {
    assert.deepEqual(shewhartConstants(2), {
      n: 2,
      A2: 1.88,
      A3: 2.659,
      d2: 1.128,
      d3: 0.853,
      c4: 0.7979,
      D3: 0,
      D4: 3.267,
      B3: 0,
      B4: 3.267,
      E2: 2.66,
    })
    const c5 = shewhartConstants(5)
    assert.deepEqual([c5.A2, c5.d2, c5.D4, c5.c4, c5.A3, c5.B4], [0.577, 2.326, 2.114, 0.94, 1.427, 2.089])
    const c7 = shewhartConstants(7)
    assert.deepEqual([c7.D3, c7.B3, c7.E2], [0.076, 0.118, 1.109])
    const c10 = shewhartConstants(10)
    assert.equal(c10.A3, 0.975) // not the 0.957 typo of one published table
    const c25 = shewhartConstants(25)
    assert.deepEqual([c25.A2, c25.d2, c25.c4, c25.D4, c25.B3], [0.153, 3.931, 0.9896, 1.541, 0.565])
  })

  it('agree with the closed forms to table rounding for n = 2…25', () => {
    const lgamma = (x: number): number => {
      // Lanczos (g = 7), accurate to ~1e-15 for x > 0.5
      const c = [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
      ]
      const z = x - 1
      let a = c[0] ?? 0
      const t = z + 7.5
      for (let i = 1; i < 9; i++) a += (c[i] ?? 0) / (z + i)
      return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
    }
    for (let n = 2; n <= 25; n++) {
      const k = shewhartConstants(n)
      const c4 = Math.sqrt(2 / (n - 1)) * Math.exp(lgamma(n / 2) - lgamma((n - 1) / 2))
      const tol = 0.002 // d3 is tabulated to 3 decimals: D4(2) = 1 + 3·0.853/1.128 = 3.2686 vs 3.267
      assert.ok(Math.abs(k.c4 - c4) < 0.00006, `c4(${n})`)
      assert.ok(Math.abs(k.A2 - 3 / (k.d2 * Math.sqrt(n))) < tol, `A2(${n})`)
      assert.ok(Math.abs(k.A3 - 3 / (c4 * Math.sqrt(n))) < tol, `A3(${n})`)
      assert.ok(Math.abs(k.D3 - Math.max(0, 1 - (3 * k.d3) / k.d2)) < tol, `D3(${n})`)
      assert.ok(Math.abs(k.D4 - (1 + (3 * k.d3) / k.d2)) < tol, `D4(${n})`)
      const b = (3 * Math.sqrt(1 - c4 * c4)) / c4
      assert.ok(Math.abs(k.B3 - Math.max(0, 1 - b)) < tol, `B3(${n})`)
      assert.ok(Math.abs(k.B4 - (1 + b)) < tol, `B4(${n})`)
      assert.ok(Math.abs(k.E2 - 3 / k.d2) < tol, `E2(${n})`)
    }
  })

  it('agree with d2 = E[range of n standard normals] by numerical integration', () => {
    const erf = (x: number): number => {
      let sum = x
      let p = x
      for (let k = 1; k < 200; k++) {
        p *= (-x * x) / k
        const add = p / (2 * k + 1)
        sum += add
        if (Math.abs(add) < 1e-17) break
      }
      return (2 / Math.sqrt(Math.PI)) * sum
    }
    const phi = (x: number): number => 0.5 * (1 + erf(x / Math.SQRT2))
    const h = 0.02
    const xs: number[] = []
    for (let x = -7; x <= 7 + 1e-9; x += h) xs.push(phi(x))
    for (let n = 2; n <= 25; n++) {
      let s = 0
      xs.forEach((p, i) => {
        const w = i === 0 || i === xs.length - 1 ? 1 : i % 2 === 1 ? 4 : 2
        s += w * (1 - p ** n - (1 - p) ** n)
      })
      const d2 = (s * h) / 3
      assert.ok(
        Math.abs(shewhartConstants(n).d2 - d2) < 0.0006,
        `d2(${n}) table ${shewhartConstants(n).d2} vs ${d2}`,
      )
    }
  })

  it('rejects subgroup sizes outside 2–25', () => {
    assert.throws(
      () => shewhartConstants(26),
      (e) => isRongheError(e) && e.code === 'ANALYTICS_SUBGROUP_SIZE',
    )
    assert.throws(
      () => xbarRLimits([[1]]),
      (e) => isRongheError(e) && e.code === 'ANALYTICS_SUBGROUP_SIZE',
    )
    assert.throws(
      () =>
        xbarRLimits([
          [1, 2],
          [1, 2, 3],
        ]),
      (e) => isRongheError(e) && e.code === 'ANALYTICS_SUBGROUP_SIZE',
    )
  })
})

describe('control charts', () => {
  it('computes X̄-R limits by hand (X̿ = 12, R̄ = 3, n = 5)', () => {
    const l = xbarRLimits(subgroups)
    close(l.xbar.center, 12)
    close(l.xbar.ucl, 12 + 0.577 * 3) // 13.731
    close(l.xbar.lcl, 12 - 0.577 * 3) // 10.269
    close(l.range.center, 3)
    close(l.range.ucl, 2.114 * 3) // 6.342
    assert.equal(l.range.lcl, 0)
    close(l.sigmaWithin, 3 / 2.326)
  })

  it('computes X̄-S limits by hand (S̄ = (√2.5 + √0.5 + 1 + √2.5) / 4)', () => {
    const sbar = (2 * Math.sqrt(2.5) + Math.sqrt(0.5) + 1) / 4 // 1.217347
    const l = xbarSLimits(subgroups)
    close(l.s.center, sbar)
    close(l.xbar.ucl, 12 + 1.427 * sbar)
    close(l.xbar.lcl, 12 - 1.427 * sbar)
    close(l.s.ucl, 2.089 * sbar)
    assert.equal(l.s.lcl, 0)
    close(l.sigmaWithin, sbar / 0.94)
  })

  it('plots new subgroups against baseline limits', () => {
    const chart = xbarRChart([[14, 15, 14, 16, 15]], xbarRLimits(subgroups))
    close(chart.means[0], 14.8)
    close(chart.spreads[0], 2)
    assert.ok((chart.means[0] ?? 0) > chart.limits.xbar.ucl)
  })

  it('computes I-MR limits by hand (x̄ = 6, MR̄ = 2.25)', () => {
    const l = imrLimits([5, 7, 6, 8, 4])
    close(l.individuals.center, 6)
    close(l.individuals.ucl, 6 + 2.66 * 2.25) // 11.985
    close(l.individuals.lcl, 6 - 2.66 * 2.25) // 0.015
    close(l.movingRange.ucl, 3.267 * 2.25) // 7.35075
    close(l.sigmaWithin, 2.25 / 1.128)
    assert.deepEqual(imrChart([5, 7, 6, 8, 4]).movingRanges, [2, 1, 2, 4])
  })
})

describe('capability', () => {
  it('computes Cp, Cpk, Pp, Ppk by hand', () => {
    // μ = 12, σ_within = R̄/d2 = 3/2.326, σ_overall = √(36/19) over the 20 values
    const c = capabilityFromSubgroups(subgroups, { lsl: 8, usl: 16 })
    const sw = 3 / 2.326
    const so = Math.sqrt(36 / 19)
    close(c.mean, 12)
    close(c.sigmaOverall, so)
    close(c.cp, 8 / (6 * sw)) // 1.033778
    close(c.cpk, 4 / (3 * sw))
    close(c.pp, 8 / (6 * so)) // 0.968644
    close(c.ppk, 4 / (3 * so))
    close(c.cp, 1.033778, 1e-6)
    close(c.pp, 0.968644, 1e-6)

    const off = capabilityFromSubgroups(subgroups, { lsl: 9, usl: 16 }, 's')
    const ss = (2 * Math.sqrt(2.5) + Math.sqrt(0.5) + 1) / 4 / 0.94
    close(off.cpl, 3 / (3 * ss))
    close(off.cpu, 4 / (3 * ss))
    close(off.cpk, 1 / ss)
  })

  it('gives only the one-sided index for a one-sided specification', () => {
    const c = capabilityFromIndividuals([5, 7, 6, 8, 4], { usl: 12 })
    const sw = 2.25 / 1.128
    assert.equal(c.cp, null)
    assert.equal(c.cpl, null)
    close(c.cpu, 6 / (3 * sw))
    close(c.cpk, 6 / (3 * sw))
    close(c.ppk, 6 / (3 * Math.sqrt(2.5)))
  })

  it('rejects a specification with USL ≤ LSL', () => {
    assert.throws(
      () => capabilityFromIndividuals([1, 2, 3], { lsl: 5, usl: 5 }),
      (e) => isRongheError(e) && e.code === 'ANALYTICS_INVALID_SPEC',
    )
  })
})

describe('run rules', () => {
  const unit = { center: 0, ucl: 3, lcl: -3 } // σ = 1
  const rules = (values: number[], ruleSet: 'western-electric' | 'nelson', runLength?: number) =>
    detectRuleViolations(values, unit, runLength === undefined ? { ruleSet } : { ruleSet, runLength }).map(
      (v) => [v.rule, v.index, v.indexes] as const,
    )

  it('rule 1: a point beyond 3σ on either side (not on the limit)', () => {
    const v = detectRuleViolations([0, 3.5, 3, -3.1], unit, { ruleSet: 'western-electric' })
    assert.deepEqual(
      v.map((x) => [x.rule, x.index, x.indexes]),
      [
        [1, 1, [1]],
        [2, 2, [1, 2]], // 3.5 and 3 are also 2 of 3 beyond 2σ
        [1, 3, [3]],
      ],
    )
  })

  it('2 of 3 beyond 2σ on the same side; opposite sides do not count', () => {
    assert.deepEqual(rules([2.5, 0, 2.1], 'western-electric'), [[2, 2, [0, 2]]])
    assert.deepEqual(rules([2.5, 0, 2.1], 'nelson'), [[5, 2, [0, 2]]])
    assert.deepEqual(rules([2.5, -2.5, 0.5], 'western-electric'), [])
  })

  it('4 of 5 beyond 1σ on the same side', () => {
    assert.deepEqual(rules([1.5, 1.2, 0.3, 1.1, 1.9], 'western-electric'), [[3, 4, [0, 1, 3, 4]]])
    assert.deepEqual(rules([1.5, 1.2, 0.3, 1.1, 1.9], 'nelson'), [[6, 4, [0, 1, 3, 4]]])
  })

  it('a run on one side: 8 for Western Electric, 9 for Nelson, configurable', () => {
    const nine = Array.from({ length: 9 }, () => 0.5)
    assert.deepEqual(rules(nine, 'western-electric'), [
      [4, 7, [0, 1, 2, 3, 4, 5, 6, 7]],
      [4, 8, [1, 2, 3, 4, 5, 6, 7, 8]],
    ])
    assert.deepEqual(rules(nine, 'nelson'), [[2, 8, [0, 1, 2, 3, 4, 5, 6, 7, 8]]])
    assert.deepEqual(rules(nine.slice(0, 7), 'nelson', 7), [[2, 6, [0, 1, 2, 3, 4, 5, 6]]])
    // a point on the centre line breaks the run
    assert.deepEqual(rules([...nine.slice(0, 4), 0, ...nine.slice(0, 4)], 'western-electric'), [])
  })

  it('Nelson 3: six points steadily increasing', () => {
    assert.deepEqual(rules([0, 0.1, 0.2, 0.3, 0.4, 0.5], 'nelson'), [[3, 5, [0, 1, 2, 3, 4, 5]]])
    assert.deepEqual(rules([0, 0.1, 0.2, 0.2, 0.4, 0.5], 'nelson'), [])
  })

  it('Nelson 4: fourteen points alternating up and down', () => {
    const alt = Array.from({ length: 14 }, (_, i) => (i % 2 === 0 ? 0.5 : -0.5))
    assert.deepEqual(rules(alt, 'nelson'), [[4, 13, Array.from({ length: 14 }, (_, i) => i)]])
    assert.deepEqual(rules(alt.slice(0, 13), 'nelson'), [])
  })

  it('Nelson 7: fifteen points within 1σ', () => {
    const base = [0.1, 0.2, 0.3, -0.1, -0.2, -0.3]
    const v = [...base, ...base, ...base.slice(0, 3)]
    assert.deepEqual(rules(v, 'nelson'), [[7, 14, Array.from({ length: 15 }, (_, i) => i)]])
  })

  it('Nelson 8: eight points beyond 1σ on either side', () => {
    const v = [1.5, -1.5, 1.5, -1.5, 1.5, -1.5, 1.5, -1.5]
    assert.deepEqual(rules(v, 'nelson'), [[8, 7, [0, 1, 2, 3, 4, 5, 6, 7]]])
  })

  it('uses the chart σ of real limits', () => {
    const l = imrLimits([5, 7, 6, 8, 4])
    const v = detectRuleViolations([6, 12.5, 6], l.individuals, { ruleSet: 'western-electric', rules: [1] })
    assert.deepEqual(
      v.map((x) => [x.rule, x.index]),
      [[1, 1]],
    )
  })
})
