import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isRongheError, ManualClock } from '../core/index.ts'
import { type AlarmEvent, createAlarmBook } from './alarm-states.ts'
import { createRuleEngine } from './rule-engine.ts'
import type { ConditionChange } from './rule-types.ts'

const T0 = Date.UTC(2026, 0, 1)
const MIN = 60_000
const H = 3_600_000

function change(kind: ConditionChange['change'], atMs: number, id = 'r:H'): ConditionChange {
  return {
    conditionId: id,
    ruleId: 'r',
    ruleKind: 'limit',
    change: kind,
    at: T0 + atMs,
    priority: 'high',
    equipment: 'm1',
    value: 101,
    message: `condition ${kind}`,
  }
}

/** [from, to, at − T0, by, why] */
function brief(events: readonly AlarmEvent[]): [string, string, number, string, string][] {
  return events.map((e) => [e.from, e.to, e.at - T0, e.by, e.why])
}

function setup() {
  const clock = new ManualClock(T0)
  const book = createAlarmBook({ clock, maxShelveMs: 8 * H })
  return { clock, book }
}

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    if (isRongheError(e)) return e.code
    throw e
  }
  return 'no error'
}

describe('ISA-18.2 alarm lifecycle', () => {
  it('goes normal → unacknowledged → acknowledged → normal, recording who and why', () => {
    const { clock, book } = setup()
    assert.deepEqual(brief(book.apply(change('active', 0))), [
      ['normal', 'unacknowledged', 0, 'system', 'condition active'],
    ])
    clock.set(T0 + 2 * MIN)
    assert.deepEqual(brief(book.acknowledge('r:H', 'li.wei', 'checking pump')), [
      ['unacknowledged', 'acknowledged', 2 * MIN, 'li.wei', 'checking pump'],
    ])
    assert.deepEqual(brief(book.apply(change('inactive', 5 * MIN))), [
      ['acknowledged', 'normal', 5 * MIN, 'system', 'condition inactive'],
    ])
    const rec = book.get('r:H')
    assert.equal(rec?.state, 'normal')
    assert.equal(rec?.acknowledgedBy, 'li.wei')
    assert.equal(rec?.activations, 1)
    assert.equal(rec?.equipment, 'm1')
  })

  it('returns to normal unacknowledged, then needs an acknowledgement; a new activation re-alarms', () => {
    const { clock, book } = setup()
    book.apply(change('active', 0))
    assert.deepEqual(brief(book.apply(change('inactive', MIN))), [
      ['unacknowledged', 'rtn-unacknowledged', MIN, 'system', 'condition inactive'],
    ])
    assert.deepEqual(brief(book.apply(change('active', 2 * MIN))), [
      ['rtn-unacknowledged', 'unacknowledged', 2 * MIN, 'system', 'condition active'],
    ])
    book.apply(change('inactive', 3 * MIN))
    clock.set(T0 + 4 * MIN)
    assert.deepEqual(brief(book.acknowledge('r:H', 'op')), [
      ['rtn-unacknowledged', 'normal', 4 * MIN, 'op', 'acknowledged'],
    ])
    assert.equal(book.get('r:H')?.activations, 2)
  })

  it('produces each transition once: repeated changes and acknowledgements add nothing', () => {
    const { book } = setup()
    assert.equal(book.apply(change('active', 0)).length, 1)
    assert.deepEqual(book.apply(change('active', 1000)), [])
    assert.equal(book.acknowledge('r:H', 'op').length, 1)
    assert.deepEqual(book.acknowledge('r:H', 'op2'), [], 'already acknowledged')
    assert.deepEqual(book.apply(change('inactive', 2000)).length, 1)
    assert.deepEqual(book.apply(change('inactive', 3000)), [])
    assert.deepEqual(book.acknowledge('r:H', 'op'), [], 'nothing to acknowledge in normal')
    assert.deepEqual(book.apply(change('inactive', 0, 'never-active')), [], 'a clear for an unknown alarm')
    assert.equal(book.get('never-active')?.state, 'normal')
  })

  it('shelves with a reason until an expiry, and comes back unacknowledged if still active', () => {
    const { clock, book } = setup()
    book.apply(change('active', 0))
    clock.set(T0 + MIN)
    assert.equal(
      codeOf(() => book.shelve('r:H', 'op', ' ', T0 + H)),
      'RULES_REASON_REQUIRED',
    )
    assert.equal(
      codeOf(() => book.shelve('r:H', 'op', 'sensor fault', T0 + 9 * H)),
      'VALIDATION_FAILED',
    )
    assert.equal(
      codeOf(() => book.shelve('r:H', 'op', 'sensor fault', T0)),
      'VALIDATION_FAILED',
    )
    assert.deepEqual(brief(book.shelve('r:H', 'op', 'sensor fault, ticket 42', T0 + H)), [
      ['unacknowledged', 'shelved', MIN, 'op', 'sensor fault, ticket 42'],
    ])
    assert.equal(
      codeOf(() => book.acknowledge('r:H', 'op')),
      'RULES_TRANSITION_INVALID',
    )
    assert.deepEqual(book.apply(change('inactive', 10 * MIN)), [], 'hidden while shelved')
    assert.deepEqual(book.apply(change('active', 20 * MIN)), [])
    assert.deepEqual(book.tick(T0 + H - 1), [])
    assert.deepEqual(brief(book.tick(T0 + 2 * H)), [
      ['shelved', 'unacknowledged', H, 'system', 'shelving expired'],
    ])
    assert.equal(book.get('r:H')?.shelvedUntil, null)
  })

  it('returns from shelving to normal when the condition cleared meanwhile, or when unshelved by hand', () => {
    const { clock, book } = setup()
    book.apply(change('active', 0))
    book.shelve('r:H', 'op', 'nuisance', T0 + H)
    book.apply(change('inactive', 5 * MIN))
    clock.set(T0 + 10 * MIN)
    assert.deepEqual(brief(book.unshelve('r:H', 'chief', 'review done')), [
      ['shelved', 'normal', 10 * MIN, 'chief', 'review done'],
    ])
    assert.equal(
      codeOf(() => book.unshelve('r:H', 'chief')),
      'RULES_TRANSITION_INVALID',
    )
    assert.equal(
      codeOf(() => book.acknowledge('nope', 'op')),
      'RULES_ALARM_UNKNOWN',
    )
  })

  it('takes an alarm out of service and back, dropping any shelving', () => {
    const { clock, book } = setup()
    book.apply(change('active', 0))
    book.acknowledge('r:H', 'op')
    book.shelve('r:H', 'op', 'noisy', T0 + H)
    assert.equal(
      codeOf(() => book.removeFromService('r:H', 'tech', '')),
      'RULES_REASON_REQUIRED',
    )
    clock.set(T0 + 5 * MIN)
    assert.deepEqual(brief(book.removeFromService('r:H', 'tech', 'replacing transmitter')), [
      ['shelved', 'out-of-service', 5 * MIN, 'tech', 'replacing transmitter'],
    ])
    assert.deepEqual(book.removeFromService('r:H', 'tech', 'again'), [])
    assert.equal(
      codeOf(() => book.shelve('r:H', 'op', 'x', T0 + H)),
      'RULES_TRANSITION_INVALID',
    )
    assert.deepEqual(book.tick(T0 + 2 * H), [], 'the old shelving cannot expire into anything')
    assert.deepEqual(book.apply(change('inactive', 30 * MIN)), [])
    clock.set(T0 + 3 * H)
    assert.deepEqual(brief(book.returnToService('r:H', 'tech')), [
      ['out-of-service', 'normal', 3 * H, 'tech', 'returned to service'],
    ])
    assert.equal(
      codeOf(() => book.returnToService('r:H', 'tech')),
      'RULES_TRANSITION_INVALID',
    )
  })

  it('suppresses by design and annunciates on release if the condition still stands', () => {
    const { book } = setup()
    assert.deepEqual(brief(book.apply(change('suppressed', 0))), [
      ['normal', 'suppressed-by-design', 0, 'system', 'condition suppressed'],
    ])
    assert.deepEqual(book.apply(change('active', MIN)), [])
    assert.equal(book.get('r:H')?.conditionActive, true)
    assert.deepEqual(brief(book.apply(change('unsuppressed', 2 * MIN))), [
      ['suppressed-by-design', 'unacknowledged', 2 * MIN, 'system', 'condition unsuppressed'],
    ])
  })

  it('expires shelving in time order among condition changes in applyAll', () => {
    const { book } = setup()
    book.apply(change('active', 0))
    book.shelve('r:H', 'op', 'known issue', T0 + 10 * MIN)
    const events = book.applyAll([change('inactive', 15 * MIN)])
    assert.deepEqual(brief(events), [
      ['shelved', 'unacknowledged', 10 * MIN, 'system', 'shelving expired'],
      ['unacknowledged', 'rtn-unacknowledged', 15 * MIN, 'system', 'condition inactive'],
    ])
  })

  it('lists alarms by state, priority and equipment', () => {
    const { book } = setup()
    book.apply(change('active', 0, 'a'))
    book.apply(change('active', 0, 'b'))
    book.acknowledge('b', 'op')
    assert.deepEqual(
      book.list({ states: ['unacknowledged'] }).map((r) => r.alarmId),
      ['a'],
    )
    assert.equal(book.list({ priorities: ['low'] }).length, 0)
    assert.equal(book.list({ equipment: 'm1' }).length, 2)
  })

  it('follows the rule engine through a planned stop', () => {
    const clock = new ManualClock(T0)
    const engine = createRuleEngine({
      clock,
      rules: [
        {
          kind: 'limit',
          id: 'temp',
          point: 'm1.temp',
          l: 40,
          priority: 'medium',
          suppressWhen: 'state == "planned_stop"',
          bindings: { state: 'm1.state' },
        },
      ],
    })
    const book = createAlarmBook({ clock })
    const feed = (ms: number, point: string, value: number | string): AlarmEvent[] => {
      clock.set(T0 + ms)
      return book.applyAll(engine.onSample(point, T0 + ms, value, 'good'))
    }
    feed(0, 'm1.state', 'running')
    feed(0, 'm1.temp', 60)
    assert.deepEqual(brief(feed(MIN, 'm1.state', 'planned_stop')), [
      ['normal', 'suppressed-by-design', MIN, 'system', 'suppressed by design: state == "planned_stop"'],
    ])
    assert.deepEqual(feed(10 * MIN, 'm1.temp', 25), [], 'the machine cools down: nobody is bothered')
    assert.deepEqual(feed(50 * MIN, 'm1.temp', 45), [])
    assert.deepEqual(brief(feed(60 * MIN, 'm1.state', 'running')), [
      [
        'suppressed-by-design',
        'normal',
        60 * MIN,
        'system',
        'no longer suppressed: state == "planned_stop" is false',
      ],
    ])
  })
})
