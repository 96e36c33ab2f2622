import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock, type TenantId } from '../../core/index.ts'
import type { AlarmEvent, AlarmRecord } from '../alarm-states.ts'
import type { AlarmNotice, NotificationChannel } from './notification-types.ts'
import { createNotifier } from './notifier.ts'

const T1 = 'ten_one' as TenantId
const T2 = 'ten_two' as TenantId
const MIN = 60_000

const escalation: NotificationChannel = {
  id: 'manager',
  name: 'manager',
  kind: 'webhook',
  config: { url: 'http://127.0.0.1:9/never-called' },
  enabled: true,
  minPriority: 'low',
  escalateAfterMs: 15 * MIN,
  notifyOn: [],
  dedupeWindowMs: 10 * MIN,
  equipment: [],
}
const onRaise: NotificationChannel = {
  ...escalation,
  id: 'operators',
  name: 'operators',
  escalateAfterMs: null,
}

function record(alarmId: string, state: AlarmRecord['state'], at: number): AlarmRecord {
  return {
    alarmId,
    ruleId: 'hot',
    equipment: null,
    state,
    conditionActive: state === 'unacknowledged',
    priority: 'high',
    message: 'hot',
    value: 90,
    activeSince: at,
    acknowledgedBy: null,
    acknowledgedAt: null,
    shelvedUntil: null,
    shelvedBy: null,
    suppressedByDesign: false,
    outOfService: false,
    activations: 1,
    lastChangeAt: at,
  }
}
const event = (alarmId: string, from: AlarmEvent['from'], to: AlarmEvent['to'], at: number): AlarmEvent => ({
  alarmId,
  from,
  to,
  at,
  by: to === 'acknowledged' ? 'operator' : 'system',
  why: 'test',
  priority: 'high',
})

describe('notifier in a cluster: one node escalates a tenant, the others keep track', () => {
  it('escalates only the tenants this node escalates, and observes without sending', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 5, 8))
    const t0 = clock.now()
    const sent: { tenant: string; channel: string; reason: AlarmNotice['reason']; alarm: string }[] = []
    let mine = new Set<string>([T1])
    const notifier = createNotifier({
      clock,
      channelsOf: () => [onRaise, escalation],
      record: async () => undefined,
      send: async (c, n) =>
        void sent.push({ tenant: n.tenant, channel: c.id, reason: n.reason, alarm: n.alarmId }),
      escalates: (t) => mine.has(t),
    })
    // raised here (this node recorded it): announced at once
    notifier.onTransition(T1, event('a1', 'normal', 'unacknowledged', t0), record('a1', 'unacknowledged', t0))
    // raised on another node, which announced it: tracked here, not sent again
    notifier.observe(T2, event('a2', 'normal', 'unacknowledged', t0), record('a2', 'unacknowledged', t0))
    // raised and then acknowledged on another node: nothing left to escalate
    notifier.observe(T1, event('a3', 'normal', 'unacknowledged', t0), record('a3', 'unacknowledged', t0))
    notifier.observe(
      T1,
      event('a3', 'unacknowledged', 'acknowledged', t0 + MIN),
      record('a3', 'acknowledged', t0),
    )
    await notifier.idle()
    assert.deepEqual(sent, [{ tenant: T1, channel: 'operators', reason: 'raised', alarm: 'a1' }])
    assert.equal(notifier.pendingCount(), 2)

    clock.advance(20 * MIN)
    notifier.tick()
    await notifier.idle()
    // a1 escalated (T1 is this node's); a2 waits for the node that escalates T2; a3 was acknowledged
    assert.deepEqual(sent.slice(1), [{ tenant: T1, channel: 'manager', reason: 'escalated', alarm: 'a1' }])

    // T2's partition comes to this node: the alarm it tracked is escalated here now, once
    mine = new Set([T1, T2])
    notifier.tick()
    notifier.tick()
    await notifier.idle()
    assert.deepEqual(sent.slice(2), [{ tenant: T2, channel: 'manager', reason: 'escalated', alarm: 'a2' }])
    notifier.stop()
  })
})
