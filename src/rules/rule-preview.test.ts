import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isRongheError, ManualClock } from '../core/index.ts'
import { createRuleEngine } from './rule-engine.ts'
import { episodesOf, type PreviewSample, previewRules } from './rule-preview.ts'
import { type EquipmentBinding, expandTemplates, type RuleTemplate } from './rule-templates.ts'
import type { ConditionChange } from './rule-types.ts'

const T0 = Date.UTC(2026, 0, 5)
const S = 1_000
const MIN = 60_000
const H = 3_600_000

const pressTemplate: RuleTemplate = {
  id: 'press',
  equipmentType: 'press',
  variables: ['current', 'state', 'vib'],
  rules: [
    {
      kind: 'limit',
      id: 'current',
      point: 'current',
      h: 30,
      hh: 40,
      deadband: 2,
      onDelayMs: 30 * S,
      offDelayMs: 20 * S,
      suppressWhen: 'state == "planned_stop"',
    },
    { kind: 'rate', id: 'current-rate', point: 'current', windowMs: MIN, per: 'minute', maxRise: 15 },
    { kind: 'no-data', id: 'offline', points: ['current', 'state', 'vib'], timeoutMs: 2 * MIN },
    { kind: 'state', id: 'down', point: 'state', states: ['down'], longerThanMs: 10 * MIN },
    {
      kind: 'expression',
      id: 'overload',
      expression: 'current > 1.2 * rated_current && state == "running"',
      onDelayMs: 10 * S,
    },
    { kind: 'anomaly', id: 'vib-anomaly', point: 'vib', statePoint: 'state', warmupSamples: 120 },
    {
      kind: 'forecast',
      id: 'vib-forecast',
      point: 'vib',
      limit: 12,
      direction: 'up',
      windowMs: 2 * H,
      horizonMs: 6 * H,
    },
  ],
}

const machines: EquipmentBinding[] = [
  {
    equipment: 'm1',
    equipmentType: 'press',
    points: { current: 'm1.current', state: 'm1.state', vib: 'm1.vib' },
    constants: { rated_current: 22 },
  },
  {
    equipment: 'm2',
    equipmentType: 'press',
    points: { current: 'm2.current', state: 'm2.state', vib: 'm2.vib' },
    constants: { rated_current: 25 },
  },
  { equipment: 'c1', equipmentType: 'conveyor', points: {} },
]

function jitter(i: number): number {
  return (((i * 7919) % 200) - 100) / 100
}

/** 12 h of a two-press shop, one sample per point every 10 s, with scripted trouble. */
function history(): PreviewSample[] {
  const out: PreviewSample[] = []
  for (let i = 0; i < 4320; i++) {
    const t = T0 + i * 10 * S
    const h = (i * 10) / 3600
    for (const m of ['m1', 'm2']) {
      if (m === 'm2' && h >= 5 && h < 5.2) continue // m2 goes silent for 12 min
      let state = 'running'
      if (m === 'm1' && h >= 2 && h < 2.5) state = 'down' // 30 min down
      if (m === 'm2' && h >= 8 && h < 9) state = 'planned_stop'
      let current = state === 'running' ? 20 + jitter(i) : 1 + jitter(i) / 10
      if (m === 'm1' && h >= 4 && h < 4.05) current = 35 // 3 min over H: after the 30 s on-delay
      if (m === 'm1' && h >= 6 && h < 6.003) current = 45 // 10 s spike: shorter than the on-delay
      if (m === 'm2' && h >= 8.2 && h < 8.4) current = 33 // during the planned stop: suppressed
      if (m === 'm2' && h >= 10 && h < 10.1) current = 31 // 6 min overload (> 1.2 × 25 = 30)
      // m1's bearing wears from 7 h on (vibration +1.5 mm/s per hour); m2 stays healthy
      const vib = 3 + 0.2 * jitter(i + 17) + (m === 'm1' && h > 7 ? 1.5 * (h - 7) : 0)
      out.push({ point: `${m}.state`, ts: t, value: state })
      out.push({ point: `${m}.current`, ts: t, value: current })
      out.push({ point: `${m}.vib`, ts: t, value: vib, quality: i % 997 === 0 ? 'bad' : 'good' })
    }
  }
  return out
}

describe('rule templates', () => {
  it('applies a template to every machine of its type with bound points and constants', () => {
    const rules = expandTemplates([pressTemplate], machines)
    assert.equal(rules.length, 14)
    assert.deepEqual(
      rules.slice(0, 7).map((r) => r.id),
      [
        'current@m1',
        'current-rate@m1',
        'offline@m1',
        'down@m1',
        'overload@m1',
        'vib-anomaly@m1',
        'vib-forecast@m1',
      ],
    )
    const limit = rules.find((r) => r.id === 'current@m2')
    assert.ok(limit?.kind === 'limit')
    assert.equal(limit.point, 'm2.current')
    assert.equal(limit.equipment, 'm2')
    assert.deepEqual(limit.bindings, { current: 'm2.current', state: 'm2.state', vib: 'm2.vib' })
    const offline = rules.find((r) => r.id === 'offline@m1')
    assert.ok(offline?.kind === 'no-data')
    assert.deepEqual(offline.points, ['m1.current', 'm1.state', 'm1.vib'])
    const anomaly = rules.find((r) => r.id === 'vib-anomaly@m2')
    assert.ok(anomaly?.kind === 'anomaly')
    assert.equal(anomaly.statePoint, 'm2.state')
    assert.deepEqual(rules.find((r) => r.id === 'overload@m2')?.constants, { rated_current: 25 })
  })

  it('refuses a machine that leaves a template variable unbound', () => {
    try {
      expandTemplates(
        [pressTemplate],
        [{ equipment: 'm9', equipmentType: 'press', points: { current: 'x' } }],
      )
      assert.fail('expected an error')
    } catch (e) {
      assert.ok(isRongheError(e))
      assert.equal(e.code, 'RULES_TEMPLATE_BINDING_MISSING')
      assert.deepEqual(e.details, { templateId: 'press', equipment: 'm9', variable: 'state' })
    }
  })
})

describe('preview', () => {
  const rules = expandTemplates([pressTemplate], machines)
  const samples = history()
  const from = T0
  const to = T0 + 12 * H
  const preview = previewRules(rules, samples, { from, to })

  it('raises what the scripted history should raise, at the right times', () => {
    const ep = preview.episodes.map((e) => [
      e.conditionId,
      (e.raisedAt - T0) / MIN,
      e.clearedAt === null ? null : (e.clearedAt - T0) / MIN,
    ])
    const find = (id: string) => ep.filter((e) => e[0] === id)
    // down 2:00–2:30, alarm after 10 min
    assert.deepEqual(find('down@m1'), [['down@m1', 130, 150]])
    // 35 A from 4:00 (240 min) for 3 min: active after the 30 s on-delay, clears 20 s after it drops
    assert.deepEqual(find('current@m1:H'), [['current@m1:H', 240.5, 243 + 20 / 60]])
    assert.deepEqual(find('current@m1:HH'), [], 'the 10 s spike to 45 A is shorter than the on-delay')
    // m2 silent from 5:00: last sample 4:59:50, offline 2 min later, back at 5:12
    assert.deepEqual(find('offline@m2'), [['offline@m2', 299 + 50 / 60 + 2, 312]])
    // overload 31 A > 30 from 10:00 while running, 10 s on-delay
    assert.deepEqual(find('overload@m2'), [['overload@m2', 600 + 10 / 60, 606]])
    // m1 vibration 3 + 1.5·(h − 7) crosses 12 at 13 h: inside the 6 h horizon from 7 h on, seen once
    // the 2 h window holds enough of the ramp for the median slope to follow it
    const fc = preview.episodes.filter((e) => e.conditionId === 'vib-forecast@m1')
    assert.equal(fc.length, 1)
    const warnedAt = ((fc[0]?.raisedAt ?? 0) - T0) / H
    assert.ok(warnedAt > 7 && warnedAt < 9, `forecast warning at ${warnedAt} h`)
    const remainingH = Number(fc[0]?.details?.remainingMs) / H
    assert.ok(
      Math.abs(warnedAt + remainingH - 13) < 0.5,
      `expects the crossing at ${warnedAt + remainingH} h`,
    )
    assert.equal(find('vib-forecast@m2').length, 0)
    assert.ok(find('vib-anomaly@m1').length >= 1, 'the wear also shows as drift from the baseline')
    assert.deepEqual(find('vib-anomaly@m2'), [], 'no false alarm on the healthy machine')
    const suppressed = preview.changes
      .filter((c) => c.change === 'suppressed')
      .map((c) => [c.conditionId, (c.at - T0) / MIN])
    assert.deepEqual(suppressed, [
      ['current@m2:HH', 480],
      ['current@m2:H', 480],
    ])
    assert.deepEqual(find('current@m2:H'), [
      ['current@m2:H', 492.5, 504 + 20 / 60], // raised while suppressed: the lifecycle hides it
      ['current@m2:H', 600.5, 606 + 20 / 60], // the 31 A overload at 10:00 is over H = 30 too
    ])
  })

  it('matches live evaluation on the same data, whatever the tick rhythm', () => {
    const clock = new ManualClock(from)
    const engine = createRuleEngine({ rules, clock })
    const live: ConditionChange[] = [...engine.tick()]
    let nextTick = from + 7 * S
    let n = 0
    for (const s of samples) {
      while (nextTick <= s.ts) {
        clock.set(nextTick)
        live.push(...engine.tick())
        nextTick += (3 + ((n++ * 37) % 29)) * S // irregular, like a busy event loop
      }
      clock.set(s.ts)
      live.push(...engine.onSample(s.point, s.ts, s.value, s.quality ?? 'good'))
    }
    clock.set(to)
    live.push(...engine.tick())
    assert.deepEqual(live, preview.changes)
    assert.deepEqual(episodesOf(live), preview.episodes)
    const kinds = new Set(preview.changes.filter((c) => c.change === 'active').map((c) => c.ruleKind))
    assert.deepEqual([...kinds].sort(), [
      'anomaly',
      'expression',
      'forecast',
      'limit',
      'no-data',
      'rate',
      'state',
    ])
  })

  it('orders shuffled history by time and counts activations per rule', () => {
    const reversed = previewRules(rules, samples.slice().reverse(), { from, to })
    // same-time samples keep their reversed relative order, which can only matter within one timestamp
    assert.deepEqual(
      reversed.episodes.map((e) => [e.conditionId, e.raisedAt]),
      preview.episodes.map((e) => [e.conditionId, e.raisedAt]),
    )
    assert.equal(preview.activations['down@m1'], 1)
    assert.equal(preview.activations['overload@m2'], 1)
  })
})
