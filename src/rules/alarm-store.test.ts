import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { TenantId } from '../core/index.ts'
import {
  createScratchDatabase,
  needPostgres,
  type ScratchDatabase,
} from '../store/series/postgres-scratch.ts'
import type { AlarmEvent, AlarmRecord } from './alarm-states.ts'
import type { AlarmStore } from './alarm-store.ts'
import { openPostgresAlarmStore, openSqliteAlarmStore } from './open-rules.ts'

const T = 'ten_cas' as TenantId

function record(state: AlarmRecord['state'], at: number): AlarmRecord {
  return {
    alarmId: 'hot:H',
    ruleId: 'hot',
    equipment: null,
    state,
    conditionActive: state !== 'normal',
    priority: 'high',
    message: 'hot',
    value: 90,
    activeSince: state === 'normal' ? null : at,
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

function event(from: AlarmEvent['from'], to: AlarmEvent['to'], at: number): AlarmEvent {
  return { alarmId: 'hot:H', from, to, at, by: 'system', why: 'limit', priority: 'high', ruleId: 'hot' }
}

/** Two nodes sharing one store make the same transition: the store records it once. */
function casSuite(
  name: string,
  open: () => Promise<{ store: AlarmStore; close(): Promise<void> } | null>,
): void {
  describe(`alarm store on ${name}: transitions are compare-and-set on the stored state`, () => {
    let s: { store: AlarmStore; close(): Promise<void> } | null = null
    before(async () => {
      s = await open()
    })
    after(async () => {
      await s?.close()
    })

    it('records a raise once when two writers make it, and the second learns which alarm it lost', async (t) => {
      if (!s) return t.skip('PostgreSQL is not available')
      const { store } = s
      const raise = [event('normal', 'unacknowledged', 1000)]
      assert.deepEqual(await store.recordTransitions(T, [record('unacknowledged', 1000)], raise), [])
      assert.deepEqual(await store.recordTransitions(T, [record('unacknowledged', 1000)], raise), ['hot:H'])
      const evs = await store.listAlarmEvents(T)
      assert.equal(evs.total, 1)
      // a writer that is up to date moves the alarm on; a stale one (still thinks normal) does not
      const rtn = [event('unacknowledged', 'rtn-unacknowledged', 2000)]
      assert.deepEqual(await store.recordTransitions(T, [record('rtn-unacknowledged', 2000)], rtn), [])
      assert.deepEqual(await store.recordTransitions(T, [record('unacknowledged', 3000)], raise), ['hot:H'])
      const [stored] = await store.listAlarms(T)
      assert.equal(stored?.state, 'rtn-unacknowledged')
      assert.deepEqual(
        (await store.listAlarmEvents(T, { order: 'asc' })).items.map((e) => [e.from, e.to]),
        [
          ['normal', 'unacknowledged'],
          ['unacknowledged', 'rtn-unacknowledged'],
        ],
      )
    })
  })
}

casSuite('SQLite', () => openSqliteAlarmStore(':memory:'))

let db: ScratchDatabase | undefined
casSuite('PostgreSQL', async () => {
  if (await needPostgres()) return null
  db = await createScratchDatabase('alarms')
  const opened = await openPostgresAlarmStore(db.url)
  return {
    store: opened.store,
    async close() {
      await opened.close()
      await db?.drop()
    },
  }
})
