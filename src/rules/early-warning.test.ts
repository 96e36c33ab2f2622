import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createRuleEngine } from './rule-engine.ts'
import type { AnomalyRule, ConditionChange, ForecastRule } from './rule-types.ts'
import { KOfN, learnSample, newBaseline, scoreSample, theilSen } from './statistics.ts'

const T0 = Date.UTC(2026, 0, 1)
const MIN = 60_000
const H = 3_600_000

/** Deterministic noise, uniform on [−1, 1): MAD 0.5, so the robust σ estimate is ≈ 0.627. */
function noise(i: number): number {
  return (((i * 7919) % 200) - 100) / 100
}

describe('robust statistics', () => {
  it('Theil–Sen recovers a line through an outlier that would drag least squares', () => {
    const ts = [0, 1, 2, 3, 4, 5, 6]
    const ys = [1, 3, 5, 7, 100, 11, 13] // y = 2t + 1, one gross outlier
    const fit = theilSen(ts, ys)
    assert.deepEqual(fit, { slope: 2, intercept: 1 })
    assert.equal(theilSen([1], [1]), null)
  })

  it('counts k of the last n flags', () => {
    const w = new KOfN(3)
    assert.deepEqual(
      [true, true, false, false, true, true].map((f) => w.push(f)),
      [1, 2, 2, 1, 1, 2],
    )
  })

  it('seeds the baseline from the median and MAD of warm-up, then learns with clipped residuals', () => {
    const b = newBaseline()
    const opts = { alpha: 0.05, warmup: 5, clip: 4, lambda: 0.1, minScale: 1e-9 }
    for (const x of [10, 12, 1000, 11, 9]) {
      assert.equal(scoreSample(b, x, opts).warm, false)
      learnSample(b, x, opts)
    }
    // median 11; absolute deviations 1, 1, 989, 0, 2 → MAD 1 → σ = 1.4826 despite the 1000
    assert.equal(b.mean, 11)
    const s = scoreSample(b, 111, opts)
    assert.ok(Math.abs(s.sigma - 1.4826) < 1e-12)
    assert.ok(Math.abs(s.z - 100 / 1.4826) < 1e-9)
    assert.ok(Math.abs(s.zSmoothed - 0.4) < 1e-12, 'the drift statistic smooths z clipped to ±4')
    learnSample(b, 111, opts)
    assert.ok(Math.abs(b.mean - (11 + 0.05 * 4 * 1.4826)) < 1e-9, 'the step is clipped at 4σ')
  })
})

function run(
  rule: AnomalyRule | ForecastRule,
  feed: (push: (ts: number, point: string, v: number | string) => void) => void,
) {
  const engine = createRuleEngine({ rules: [rule] })
  const out: ConditionChange[] = []
  feed((ts, point, v) => out.push(...engine.onSample(point, ts, v, 'good')))
  return out
}

describe('anomaly rules (robust z against an EWMA baseline)', () => {
  const rule: AnomalyRule = { kind: 'anomaly', id: 'a', point: 'vib', warmupSamples: 60, k: 3, n: 5 }

  it('stays quiet on healthy data and during warm-up', () => {
    const out = run(rule, (push) => {
      push(T0, 'vib', 1000) // a wild first value during warm-up must not alarm
      for (let i = 1; i < 5000; i++) push(T0 + i * MIN, 'vib', 50 + noise(i))
    })
    assert.deepEqual(out, [])
  })

  it('needs k of n flagged samples (persistence) and clears when the window is clean', () => {
    // driftLambda 1 turns the drift statistic into the instant test, so only the spikes count here
    const out = run({ ...rule, driftLambda: 1 }, (push) => {
      for (let i = 0; i < 100; i++) push(T0 + i * MIN, 'vib', 50 + noise(i))
      for (const i of [100, 101]) push(T0 + i * MIN, 'vib', 70)
      for (const i of [102, 103, 104]) push(T0 + i * MIN, 'vib', 50)
      // 2 of 5 above did not alarm; now 105, 106, 107 make 3 of the last 5 (103…107)
      for (const i of [105, 106, 107]) push(T0 + i * MIN, 'vib', 70)
      for (let i = 108; i < 130; i++) push(T0 + i * MIN, 'vib', 50 + noise(i))
    })
    assert.deepEqual(
      out.map((c) => [c.change, (c.at - T0) / MIN]),
      [
        ['active', 107],
        ['inactive', 112],
      ],
    )
    assert.ok(Number(out[0]?.details?.z) > 20)
    assert.equal(out[0]?.priority, 'low')
  })

  it('catches a sustained shift too small for the instant test through the smoothed z', () => {
    const out = run(rule, (push) => {
      for (let i = 0; i < 300; i++) push(T0 + i * MIN, 'vib', 50 + noise(i) + (i >= 200 ? 1.2 : 0))
    })
    assert.equal(out[0]?.change, 'active')
    const at = ((out[0]?.at ?? 0) - T0) / MIN
    assert.ok(at >= 200 && at < 215, `raised ${at - 200} samples after the shift`)
    assert.ok(Math.abs(Number(out[0]?.details?.z)) < 4, 'no single sample was beyond 4σ')
  })

  it('learns one baseline per machine state', () => {
    const feed = (push: (ts: number, point: string, v: number | string) => void): void => {
      let t = T0
      for (let cycle = 0; cycle < 6; cycle++) {
        const state = cycle % 2 === 0 ? 'running' : 'idle'
        push(t, 'state', state)
        for (let i = 0; i < 80; i++) {
          t += MIN
          push(t, 'vib', (state === 'running' ? 50 : 5) + noise(i + cycle * 80))
        }
      }
    }
    assert.deepEqual(run({ ...rule, statePoint: 'state' }, feed), [])
    const single = run(rule, feed)
    assert.ok(single.length > 0, 'one baseline for both states mistakes every state change for a fault')
  })

  it('keeps what it learned across a restart through exportLearned / importLearned', () => {
    const first = createRuleEngine({ rules: [{ ...rule, statePoint: 'state' }] })
    first.onSample('state', T0, 'running', 'good')
    for (let i = 1; i <= 100; i++) first.onSample('vib', T0 + i * MIN, 50 + noise(i), 'good')
    const saved = JSON.parse(JSON.stringify(first.exportLearned()))
    assert.deepEqual(Object.keys(saved), ['a'])
    assert.deepEqual(Object.keys(saved.a), ['running'])
    assert.equal(saved.a.running.count, 100)

    const spikes = (e: ReturnType<typeof createRuleEngine>): string[] => {
      const out: string[] = []
      e.onSample('state', T0 + 200 * MIN, 'running', 'good')
      for (let i = 201; i <= 203; i++) {
        for (const c of e.onSample('vib', T0 + i * MIN, 70, 'good')) out.push(`${c.change}@${i}`)
      }
      return out
    }
    const restarted = createRuleEngine({ rules: [{ ...rule, statePoint: 'state' }] })
    restarted.importLearned(saved)
    assert.deepEqual(spikes(restarted), ['active@203'], 'warm at once: no second warm-up')
    const cold = createRuleEngine({ rules: [{ ...rule, statePoint: 'state' }] })
    assert.deepEqual(spikes(cold), [], 'a cold engine is still warming up')
  })

  it('is more sensitive with a lower threshold', () => {
    const feed = (push: (ts: number, point: string, v: number | string) => void): void => {
      for (let i = 0; i < 100; i++) push(T0 + i * MIN, 'vib', 50 + noise(i))
      for (let i = 100; i < 105; i++) push(T0 + i * MIN, 'vib', 52.2) // z ≈ 3.5
    }
    assert.deepEqual(run({ ...rule, driftLambda: 1 }, feed), [])
    assert.equal(run({ ...rule, driftLambda: 1, sensitivity: 3 }, feed)[0]?.change, 'active')
  })
})

describe('trend-to-limit forecast', () => {
  const rule: ForecastRule = {
    kind: 'forecast',
    id: 'f',
    point: 'vib',
    limit: 30,
    direction: 'up',
    windowMs: 2 * H,
    horizonMs: 12 * H,
    equipment: 'm1',
  }

  it('warns with the expected remaining time once the crossing is inside the horizon', () => {
    // vib = 10 + 1 per hour, one sample a minute: crosses 30 at 20 h. Fits run every 6 min from the
    // 10th sample (9, 15, 21, … min); 20 h − t ≤ 12 h first at t = 483 min, confirmed at 489 and 495.
    const out = run(rule, (push) => {
      for (let m = 0; m < 600; m++) push(T0 + m * MIN, 'vib', 10 + m / 60)
    })
    assert.equal(out.length, 1)
    assert.equal(out[0]?.change, 'active')
    assert.equal(out[0]?.at, T0 + 495 * MIN)
    const remaining = Number(out[0]?.details?.remainingMs)
    assert.ok(Math.abs(remaining - (1200 - 495) * MIN) < 1000, `remaining ${remaining}`)
    assert.ok(Math.abs(Number(out[0]?.details?.slopePerHour) - 1) < 1e-9)
    assert.equal(out[0]?.details?.expectedAt, T0 + 20 * H)
    assert.match(out[0]?.message ?? '', /expected to reach 30 in 11\.75 h/)
  })

  it('ignores noise without a trend, and clears when the trend stops', () => {
    const out = run(rule, (push) => {
      for (let m = 0; m < 3000; m++) push(T0 + m * MIN, 'vib', 20 + 3 * noise(m))
    })
    assert.deepEqual(out, [])
    const recovering = run(rule, (push) => {
      for (let m = 0; m < 600; m++) push(T0 + m * MIN, 'vib', 10 + m / 60)
      for (let m = 600; m < 1000; m++) push(T0 + m * MIN, 'vib', 20) // repaired: flat
    })
    assert.deepEqual(
      recovering.map((c) => c.change),
      ['active', 'inactive'],
    )
    assert.ok((recovering[1]?.at ?? 0) > T0 + 600 * MIN)
  })

  it('forecasts a downward degradation', () => {
    const out = run({ ...rule, direction: 'down', limit: 2 }, (push) => {
      for (let m = 0; m < 240; m++) push(T0 + m * MIN, 'thickness', 10 - m / 60)
    })
    assert.deepEqual(out, [], 'a different point')
    const down = run({ ...rule, point: 'thickness', direction: 'down', limit: 2 }, (push) => {
      for (let m = 0; m < 240; m++) push(T0 + m * MIN, 'thickness', 10 - m / 60)
    })
    // 10 − t crosses 2 at 8 h, already inside the horizon at the first fit (9 min); confirmed at 21 min
    assert.equal(down[0]?.at, T0 + 21 * MIN)
    assert.ok(Math.abs(Number(down[0]?.details?.remainingMs) - (480 - 21) * MIN) < 1000)
  })
})
