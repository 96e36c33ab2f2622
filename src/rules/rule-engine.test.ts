import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isRongheError, ManualClock } from '../core/index.ts'
import { createRuleEngine } from './rule-engine.ts'
import type { ConditionChange, RuleDefinition } from './rule-types.ts'

const T0 = Date.UTC(2026, 0, 1)
const S = 1_000
const MIN = 60_000
const H = 3_600_000

/** [conditionId, change, at − T0] triples: compact and exact. */
function brief(changes: readonly ConditionChange[]): [string, string, number][] {
  return changes.map((c) => [c.conditionId, c.change, c.at - T0])
}

function engineWith(...rules: RuleDefinition[]) {
  const clock = new ManualClock(T0)
  const engine = createRuleEngine({ rules, clock })
  const at = (
    ms: number,
    point: string,
    value: number | string | boolean | null,
    q: 'good' | 'bad' = 'good',
  ) => {
    clock.set(T0 + ms)
    return brief(engine.onSample(point, T0 + ms, value, q))
  }
  const tick = (ms: number) => {
    clock.set(T0 + ms)
    return brief(engine.tick())
  }
  return { engine, clock, at, tick }
}

describe('limit rules', () => {
  it('raises H and HH on crossing and clears only past the deadband', () => {
    const { at } = engineWith({ kind: 'limit', id: 'r', point: 'p', h: 100, hh: 120, deadband: 5 })
    assert.deepEqual(at(0, 'p', 90), [])
    assert.deepEqual(at(1 * S, 'p', 100), [], 'at the limit is not beyond it')
    assert.deepEqual(at(2 * S, 'p', 101), [['r:H', 'active', 2 * S]])
    assert.deepEqual(at(3 * S, 'p', 96), [], '96 > 100 − 5 keeps H active')
    assert.deepEqual(at(4 * S, 'p', 95), [['r:H', 'inactive', 4 * S]])
    assert.deepEqual(at(5 * S, 'p', 99), [], 'below the limit again does not re-raise')
    assert.deepEqual(at(6 * S, 'p', 121), [
      ['r:HH', 'active', 6 * S],
      ['r:H', 'active', 6 * S],
    ])
    assert.deepEqual(at(7 * S, 'p', 116), [], '116 > 120 − 5 keeps HH active')
    assert.deepEqual(at(7500, 'p', 115), [['r:HH', 'inactive', 7500]])
    assert.deepEqual(at(8 * S, 'p', 80), [['r:H', 'inactive', 8 * S]])
  })

  it('raises L and LL below the limit and clears at limit + deadband', () => {
    const { at } = engineWith({ kind: 'limit', id: 'r', point: 'p', l: 20, ll: 10, deadband: 5 })
    assert.deepEqual(at(0, 'p', 20), [])
    assert.deepEqual(at(1 * S, 'p', 19.9), [['r:L', 'active', 1 * S]])
    assert.deepEqual(at(2 * S, 'p', 9), [['r:LL', 'active', 2 * S]])
    assert.deepEqual(at(3 * S, 'p', 14.9), [])
    assert.deepEqual(at(4 * S, 'p', 15), [['r:LL', 'inactive', 4 * S]])
    assert.deepEqual(at(5 * S, 'p', 24.9), [])
    assert.deepEqual(at(6 * S, 'p', 25), [['r:L', 'inactive', 6 * S]])
  })

  it('waits the on-delay, stamping the alarm at the exact expiry, and forgets a short excursion', () => {
    const { at, tick } = engineWith({ kind: 'limit', id: 'r', point: 'p', h: 100, onDelayMs: 10 * S })
    assert.deepEqual(at(0, 'p', 101), [])
    assert.deepEqual(at(5 * S, 'p', 99), [], 'back within limit before the delay: cancelled')
    assert.deepEqual(tick(30 * S), [])
    assert.deepEqual(at(40 * S, 'p', 105), [])
    assert.deepEqual(at(45 * S, 'p', 103), [], 'still beyond: the delay runs from 40 s, not 45 s')
    assert.deepEqual(tick(49_999 + 0), [])
    assert.deepEqual(tick(57 * S), [['r:H', 'active', 50 * S]], 'a late tick stamps the expiry time')
  })

  it('fires a delay that expires exactly when the next sample arrives before applying that sample', () => {
    const { at } = engineWith({ kind: 'limit', id: 'r', point: 'p', h: 100, onDelayMs: 10 * S })
    assert.deepEqual(at(0, 'p', 101), [])
    assert.deepEqual(at(10 * S, 'p', 50), [
      ['r:H', 'active', 10 * S],
      ['r:H', 'inactive', 10 * S],
    ])
  })

  it('waits the off-delay and lets a return inside the deadband cancel it', () => {
    const { at, tick } = engineWith({
      kind: 'limit',
      id: 'r',
      point: 'p',
      h: 100,
      deadband: 5,
      offDelayMs: 10 * S,
    })
    assert.deepEqual(at(0, 'p', 101), [['r:H', 'active', 0]])
    assert.deepEqual(at(20 * S, 'p', 90), [])
    assert.deepEqual(at(25 * S, 'p', 97), [], '97 is inside the deadband: counts as still active')
    assert.deepEqual(tick(35 * S), [])
    assert.deepEqual(at(40 * S, 'p', 94), [])
    assert.deepEqual(tick(49 * S), [])
    assert.deepEqual(tick(60 * S), [['r:H', 'inactive', 50 * S]])
  })

  it('ignores bad-quality, null and out-of-order samples', () => {
    const { at } = engineWith({ kind: 'limit', id: 'r', point: 'p', h: 100 })
    assert.deepEqual(at(0, 'p', 150, 'bad'), [])
    assert.deepEqual(at(1 * S, 'p', null), [])
    assert.deepEqual(at(3 * S, 'p', 50), [])
    assert.deepEqual(at(2 * S, 'p', 150), [], 'older than the newest sample of the point')
    assert.deepEqual(at(4 * S, 'p', 150), [['r:H', 'active', 4 * S]])
  })

  it('gives each level its priority and a readable message', () => {
    const { engine } = engineWith(
      { kind: 'limit', id: 'r', point: 'temp', hh: 120, h: 100, priorities: { HH: 'critical' } },
      { kind: 'limit', id: 'q', point: 'temp', h: 110, priority: 'low', equipment: 'm1' },
    )
    const out = engine.onSample('temp', T0, 125.5, 'good')
    assert.deepEqual(
      out.map((c) => [c.conditionId, c.priority, c.message]),
      [
        ['r:HH', 'critical', 'temp = 125.5 > HH limit 120'],
        ['r:H', 'medium', 'temp = 125.5 > H limit 100'],
        ['q:H', 'low', 'temp = 125.5 > H limit 110'],
      ],
    )
    assert.equal(out[2]?.equipment, 'm1')
    assert.equal(out[2]?.point, 'temp')
    assert.deepEqual(
      engine.activeConditions().map((a) => [a.conditionId, a.since - T0]),
      [
        ['r:HH', 0],
        ['r:H', 0],
        ['q:H', 0],
      ],
    )
  })

  it('rejects inconsistent limits with the field at fault', () => {
    const bad = (rule: RuleDefinition): unknown => {
      try {
        createRuleEngine({ rules: [rule] })
      } catch (e) {
        if (isRongheError(e)) return [e.code, (e.details as { field: string }).field]
      }
      return 'no error'
    }
    assert.deepEqual(bad({ kind: 'limit', id: 'r', point: 'p' }), ['RULES_DEFINITION_INVALID', 'h'])
    assert.deepEqual(bad({ kind: 'limit', id: 'r', point: 'p', h: 10, hh: 5 }), [
      'RULES_DEFINITION_INVALID',
      'hh',
    ])
    assert.deepEqual(bad({ kind: 'limit', id: 'r', point: 'p', h: 10, l: 10 }), [
      'RULES_DEFINITION_INVALID',
      'l',
    ])
    assert.deepEqual(bad({ kind: 'limit', id: 'r', point: 'p', h: 10, deadband: -1 }), [
      'RULES_DEFINITION_INVALID',
      'deadband',
    ])
    assert.deepEqual(bad({ kind: 'limit', id: 'r', point: 'p', h: 10, onDelayMs: -5 }), [
      'RULES_DEFINITION_INVALID',
      'onDelayMs',
    ])
    assert.deepEqual(bad({ kind: 'expression', id: 'e', expression: 'a +' }), [
      'RULES_EXPRESSION_INVALID',
      'expression',
    ])
    assert.deepEqual(bad({ kind: 'limit', id: 'r', point: 'p', h: 1, suppressWhen: 'state = 1' }), [
      'RULES_EXPRESSION_INVALID',
      'suppressWhen',
    ])
  })
})

describe('rate-of-change rules', () => {
  it('compares the rate over a full window with rise and fall limits, with deadband', () => {
    const { at } = engineWith({
      kind: 'rate',
      id: 'r',
      point: 'p',
      windowMs: 60 * S,
      per: 'minute',
      maxRise: 10,
      maxFall: 10,
      deadband: 2,
    })
    assert.deepEqual(at(0, 'p', 0), [])
    assert.deepEqual(at(30 * S, 'p', 30), [], 'window not full yet: no rate')
    assert.deepEqual(at(60 * S, 'p', 6), [], '(6 − 0) / 1 min = 6/min')
    assert.deepEqual(at(90 * S, 'p', 41), [['r:rise', 'active', 90 * S]], '(41 − 30) / 1 min = 11/min')
    assert.deepEqual(at(120 * S, 'p', 15), [], '(15 − 6) = 9/min > 10 − 2 keeps it active')
    assert.deepEqual(at(150 * S, 'p', 49), [['r:rise', 'inactive', 150 * S]], '(49 − 41) = 8/min')
    assert.deepEqual(at(180 * S, 'p', 4), [['r:fall', 'active', 180 * S]], '(4 − 15) = −11/min')
  })

  it('expresses the rate per second or per hour', () => {
    const perSecond = engineWith({
      kind: 'rate',
      id: 's',
      point: 'p',
      windowMs: 10 * S,
      per: 'second',
      maxRise: 1,
    })
    perSecond.at(0, 'p', 0)
    assert.deepEqual(perSecond.at(10 * S, 'p', 10), [], '1/s is not above 1/s')
    assert.deepEqual(perSecond.at(20 * S, 'p', 21), [['s:rise', 'active', 20 * S]])
    const perHour = engineWith({
      kind: 'rate',
      id: 'h',
      point: 'p',
      windowMs: 10 * MIN,
      per: 'hour',
      maxFall: 5,
    })
    perHour.at(0, 'p', 100)
    assert.deepEqual(perHour.at(10 * MIN, 'p', 99.5), [], '−0.5 per 10 min = −3/h')
    assert.deepEqual(
      perHour.at(20 * MIN, 'p', 98),
      [['h:fall', 'active', 20 * MIN]],
      '−1.5 per 10 min = −9/h',
    )
  })
})

describe('no-data rules', () => {
  it('raises at exactly last sample + timeout and clears on the next sample', () => {
    const { at, tick } = engineWith({ kind: 'no-data', id: 'nd', points: ['p'], timeoutMs: 30 * S })
    assert.deepEqual(tick(0), [])
    assert.deepEqual(at(10 * S, 'p', 1), [])
    assert.deepEqual(tick(39_999), [])
    assert.deepEqual(tick(95 * S), [['nd', 'active', 40 * S]])
    assert.deepEqual(tick(200 * S), [], 'raised once')
    assert.deepEqual(at(210 * S, 'p', 2), [['nd', 'inactive', 210 * S]])
    assert.deepEqual(tick(240 * S), [['nd', 'active', 240 * S]])
  })

  it('counts from the start when a point never reports, and ignores bad quality', () => {
    const { at, tick } = engineWith({ kind: 'no-data', id: 'nd', points: ['p'], timeoutMs: 30 * S })
    assert.deepEqual(tick(0), [])
    assert.deepEqual(at(20 * S, 'p', 5, 'bad'), [])
    assert.deepEqual(tick(31 * S), [['nd', 'active', 30 * S]])
  })

  it('treats a device as offline only when all its points are silent', () => {
    const { at, tick } = engineWith({
      kind: 'no-data',
      id: 'dev',
      points: ['a', 'b'],
      timeoutMs: 60 * S,
      badCountsAsData: true,
    })
    tick(0)
    at(10 * S, 'a', 1)
    at(50 * S, 'b', 1, 'bad')
    assert.deepEqual(tick(100 * S), [], 'b reported at 50 s: the device is alive until 110 s')
    assert.deepEqual(tick(110 * S), [['dev', 'active', 110 * S]])
  })
})

describe('state rules', () => {
  it('raises when a machine stays down longer than N minutes, timed from entering the state', () => {
    const { at, tick } = engineWith({
      kind: 'state',
      id: 'down',
      point: 'state',
      states: ['down', 'fault'],
      longerThanMs: 5 * MIN,
    })
    assert.deepEqual(at(0, 'state', 'running'), [])
    assert.deepEqual(at(1 * MIN, 'state', 'down'), [])
    assert.deepEqual(
      at(3 * MIN, 'state', 'fault'),
      [],
      'still in the set: the clock keeps running from 1 min',
    )
    assert.deepEqual(tick(6 * MIN - 1), [])
    assert.deepEqual(tick(6 * MIN), [['down', 'active', 6 * MIN]])
    assert.deepEqual(at(7 * MIN, 'state', 'running'), [['down', 'inactive', 7 * MIN]])
    assert.deepEqual(at(8 * MIN, 'state', 'down'), [])
    assert.deepEqual(at(9 * MIN, 'state', 'running'), [], 'two minutes down is not an alarm')
    assert.deepEqual(tick(20 * MIN), [])
  })

  it('matches numeric state codes', () => {
    const { at, tick } = engineWith({ kind: 'state', id: 's', point: 'st', states: [3], longerThanMs: MIN })
    at(0, 'st', 3)
    assert.deepEqual(tick(MIN), [['s', 'active', MIN]])
  })
})

describe('expression rules', () => {
  const rule: RuleDefinition = {
    kind: 'expression',
    id: 'over',
    expression: 'motor_current > 1.2 * rated_current && state == "running"',
    bindings: { motor_current: 'm1.current', state: 'm1.state' },
    constants: { rated_current: 10 },
  }

  it('evaluates over the latest values of several points', () => {
    const { at } = engineWith(rule)
    assert.deepEqual(at(0, 'm1.current', 13), [], 'state still unknown: no decision')
    assert.deepEqual(at(1 * S, 'm1.state', 'running'), [['over', 'active', 1 * S]])
    assert.deepEqual(at(2 * S, 'm1.current', 12.5), [])
    assert.deepEqual(at(3 * S, 'm1.current', 12), [['over', 'inactive', 3 * S]], '12 is not > 12')
    assert.deepEqual(at(4 * S, 'm1.current', 15), [['over', 'active', 4 * S]])
    assert.deepEqual(at(5 * S, 'm1.state', 'idle'), [['over', 'inactive', 5 * S]])
  })

  it('applies on-delay and treats values older than maxAge as missing', () => {
    const { at, tick } = engineWith({ ...rule, onDelayMs: 5 * S, maxAgeMs: 60 * S })
    at(0, 'm1.state', 'running')
    assert.deepEqual(at(1 * S, 'm1.current', 13), [])
    assert.deepEqual(tick(6 * S), [['over', 'active', 6 * S]])
    assert.deepEqual(at(100 * S, 'm1.current', 20), [], 'state is 100 s old: unknown, alarm kept')
    assert.deepEqual(
      at(101 * S, 'm1.current', 5),
      [['over', 'inactive', 101 * S]],
      'false && unknown is false',
    )
  })

  it('type checks against declared point types when the rule is added', () => {
    try {
      createRuleEngine({
        rules: [{ kind: 'expression', id: 'x', expression: 'st > 3', bindings: { st: 'm.state' } }],
        pointTypes: { 'm.state': 'string' },
      })
      assert.fail('expected an error')
    } catch (e) {
      assert.ok(isRongheError(e))
      assert.equal(e.code, 'RULES_EXPRESSION_INVALID')
      assert.deepEqual(e.details, {
        position: 0,
        line: 1,
        column: 1,
        expected: 'a number',
        found: 'a string',
        ruleId: 'x',
        field: 'expression',
      })
    }
  })
})

describe('suppression by design', () => {
  it('suppresses every condition of a rule while its expression holds', () => {
    const { at } = engineWith({
      kind: 'limit',
      id: 'r',
      point: 'm1.temp',
      h: 80,
      l: 10,
      suppressWhen: 'state == "planned_stop"',
      bindings: { state: 'm1.state' },
    })
    assert.deepEqual(at(0, 'm1.state', 'running'), [])
    assert.deepEqual(at(1 * S, 'm1.state', 'planned_stop'), [
      ['r:H', 'suppressed', 1 * S],
      ['r:L', 'suppressed', 1 * S],
    ])
    assert.deepEqual(at(2 * S, 'm1.temp', 5), [['r:L', 'active', 2 * S]], 'the condition is still tracked')
    assert.deepEqual(at(3 * S, 'm1.state', 'planned_stop'), [], 'no repeat')
    assert.deepEqual(at(4 * S, 'm1.state', 'running'), [
      ['r:H', 'unsuppressed', 4 * S],
      ['r:L', 'unsuppressed', 4 * S],
    ])
  })
})

describe('rule management', () => {
  it('adds a rule to a running engine and clears its conditions on removal', () => {
    const { engine, at } = engineWith()
    at(0, 'p', 1)
    engine.addRule({ kind: 'limit', id: 'r', point: 'p', h: 10 })
    assert.equal(engine.ruleCount, 1)
    assert.deepEqual(at(1 * S, 'p', 11), [['r:H', 'active', 1 * S]])
    assert.deepEqual(brief(engine.removeRule('r')), [['r:H', 'inactive', 1 * S]])
    assert.deepEqual(at(2 * S, 'p', 20), [])
    assert.equal(engine.ruleCount, 0)
  })

  it('refuses a duplicate id and honours enabled: false', () => {
    const { engine } = engineWith({ kind: 'limit', id: 'r', point: 'p', h: 10 })
    assert.throws(() => engine.addRule({ kind: 'limit', id: 'r', point: 'p', h: 10 }), /exists/)
    engine.addRule({ kind: 'limit', id: 'off', point: 'p', h: 1, enabled: false })
    assert.equal(engine.ruleCount, 1)
    assert.deepEqual(brief(engine.onSample('p', T0, 5, 'good')), [])
  })

  it('restores conditions still active in the alarm store after a restart, so their clear is reported', () => {
    const { engine, at } = engineWith(
      { kind: 'limit', id: 'r', point: 'p', h: 10, deadband: 1 },
      { kind: 'no-data', id: 'nd', points: ['p'], timeoutMs: H },
    )
    engine.restoreActive([
      { conditionId: 'r:H', since: T0 - H },
      { conditionId: 'nd', since: T0 - H },
      { conditionId: 'gone:H', since: T0 - H },
    ])
    assert.deepEqual(
      engine.activeConditions().map((a) => [a.conditionId, a.since - T0]),
      [
        ['r:H', -H],
        ['nd', -H],
      ],
    )
    assert.deepEqual(at(0, 'p', 9.5), [['nd', 'inactive', 0]], '9.5 is inside the deadband: still active')
    assert.deepEqual(at(S, 'p', 8), [['r:H', 'inactive', S]])
  })

  it('uses the injected clock when tick is called without a time', () => {
    const { engine, clock } = engineWith({ kind: 'no-data', id: 'nd', points: ['p'], timeoutMs: H })
    engine.tick()
    clock.advance(2 * H)
    assert.deepEqual(brief(engine.tick()), [['nd', 'active', H]])
    assert.equal(engine.time, T0 + 2 * H)
  })
})

describe('SPC rules', () => {
  const spc: RuleDefinition = { kind: 'spc', id: 'q', point: 'bore', center: 10, sigma: 0.1, clearAfter: 3 }

  it('raises on a point beyond 3σ (Western Electric 1) and clears after clearAfter in-control points', () => {
    const { at } = engineWith(spc)
    assert.deepEqual(at(0, 'bore', 10.05), [])
    assert.deepEqual(at(1 * S, 'bore', 9.98), [])
    assert.deepEqual(at(2 * S, 'bore', 10.31), [['q', 'active', 2 * S]], '10.31 is 3.1σ above the centre')
    assert.deepEqual(at(2500, 'bore', 10.0), [], 'one in-control point does not clear it')
    assert.deepEqual(at(3 * S, 'bore', 10.02), [])
    assert.deepEqual(at(4 * S, 'bore', 9.97), [['q', 'inactive', 4 * S]], 'third in-control point in a row')
  })

  it('raises on 2 of 3 beyond 2σ on one side (WE 2) and on 8 in a row on one side (WE 4), not on the other side', () => {
    const two = engineWith(spc)
    assert.deepEqual(two.at(0, 'bore', 10.25), [])
    assert.deepEqual(two.at(1 * S, 'bore', 9.99), [])
    assert.deepEqual(two.at(2 * S, 'bore', 10.22), [['q', 'active', 2 * S]])
    const mixed = engineWith(spc)
    assert.deepEqual(mixed.at(0, 'bore', 10.25), [])
    assert.deepEqual(mixed.at(1 * S, 'bore', 9.75), [], 'beyond 2σ, but on opposite sides')
    const run = engineWith(spc)
    for (let i = 0; i < 7; i++) assert.deepEqual(run.at(i * S, 'bore', 10.01), [])
    assert.deepEqual(run.at(7 * S, 'bore', 10.01), [['q', 'active', 7 * S]], 'eighth point above the centre')
  })

  it('applies only the chosen rules of the Nelson set and ignores bad samples', () => {
    // Nelson 3: six points in a row steadily increasing; rule 1 left out
    const { at } = engineWith({ ...spc, ruleSet: 'nelson', rules: [3] })
    assert.deepEqual(at(0, 'bore', 10.5), [], 'beyond 3σ, but rule 1 is not chosen')
    for (let i = 1; i <= 5; i++) assert.deepEqual(at(i * S, 'bore', 9.9 + i * 0.01), [])
    assert.deepEqual(at(6 * S, 'bore', 11, 'bad'), [], 'a bad sample is not a chart point')
    assert.deepEqual(at(7 * S, 'bore', 9.96), [['q', 'active', 7 * S]])
  })

  it('refuses σ ≤ 0 and rule numbers outside the set', () => {
    for (const bad of [
      { ...spc, sigma: 0 },
      { ...spc, rules: [5] },
      { ...spc, ruleSet: 'nelson', rules: [9] },
    ]) {
      assert.throws(
        () => createRuleEngine({ rules: [bad as RuleDefinition] }),
        (e: unknown) => isRongheError(e) && e.code === 'RULES_DEFINITION_INVALID',
      )
    }
  })
})
