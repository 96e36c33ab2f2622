/**
 * The contract every Bus adapter passes. An adapter's test file calls `busContract('nats', open)`;
 * `open` gives a fresh bus whose subjects no other bus of the run sees (adapters that talk to a shared
 * server isolate each run by prefix). Each test closes what it opened.
 *
 * Semantics pinned here:
 * - A plain subscriber receives every message published on its subject after subscribe() returned,
 *   with the subject and the data as published (JSON-safe data round-trips unchanged), in order.
 * - `x.>` matches every subject with at least one token below `x`, never `x` itself or `xy.z`.
 * - Subscribers with the same `queue` on the same subject share the messages: each message is handled
 *   by exactly one of them (while both stay healthy), and plain subscribers still get every message.
 * - After the unsubscribe function runs, the handler is not called again.
 * - A handler that throws or rejects does not stop later messages from reaching it or others;
 *   the error is reported, never thrown at the publisher.
 * - close() stops delivery; a publish after close does not throw and delivers nothing.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Bus, type BusMessage, Subjects } from '../../src/bus/bus.ts'

/** Resolves when `cond()` holds; rejects after `ms` (a bound for the test, not a speed assertion). */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export function busContract(name: string, open: () => Promise<Bus>): void {
  async function withBus(body: (bus: Bus) => Promise<void>): Promise<void> {
    const bus = await open()
    try {
      await body(bus)
    } finally {
      await bus.close()
    }
  }

  describe(`Bus contract: ${name}`, () => {
    it('delivers published messages to a subscriber, in order, with subject and data', async () => {
      await withBus(async (bus) => {
        const got: BusMessage<{ n: number; tag: string; nested: unknown }>[] = []
        bus.subscribe<{ n: number; tag: string; nested: unknown }>('device.connected', (m) => {
          got.push(m)
        })
        for (let n = 0; n < 5; n++) {
          await bus.publish('device.connected', { n, tag: '设备', nested: { a: [1, null, 'x'] } })
        }
        await until(() => got.length === 5, '5 messages')
        assert.deepEqual(
          got.map((m) => m.subject),
          new Array(5).fill('device.connected'),
        )
        assert.deepEqual(
          got.map((m) => m.data.n),
          [0, 1, 2, 3, 4],
        )
        assert.deepEqual(got[3]!.data, { n: 3, tag: '设备', nested: { a: [1, null, 'x'] } })
      })
    })

    it('keeps subjects apart: an exact subscription sees only its subject', async () => {
      await withBus(async (bus) => {
        const a: string[] = []
        const b: string[] = []
        bus.subscribe<string>('device.connected', (m) => {
          a.push(m.data)
        })
        bus.subscribe<string>('device.disconnected', (m) => {
          b.push(m.data)
        })
        await bus.publish('device.connected', 'c1')
        await bus.publish('device.disconnected', 'd1')
        await bus.publish('device.connected', 'c2')
        await until(() => a.length === 2 && b.length === 1, 'both subjects')
        assert.deepEqual(a, ['c1', 'c2'])
        assert.deepEqual(b, ['d1'])
      })
    })

    it('matches every subject below a `.>` wildcard and nothing else', async () => {
      await withBus(async (bus) => {
        const got: string[] = []
        const all: string[] = []
        bus.subscribe('alarm.>', (m) => {
          got.push(m.subject)
        })
        bus.subscribe('alarmx.>', (m) => {
          all.push(m.subject)
        })
        await bus.publish('alarm', 1)
        await bus.publish('alarm.raised', 2)
        await bus.publish('alarmx.raised', 3)
        await bus.publish('alarm.cleared.line1', 4)
        await until(() => got.length === 2 && all.length === 1, 'wildcard deliveries')
        assert.deepEqual(got, ['alarm.raised', 'alarm.cleared.line1'])
        assert.deepEqual(all, ['alarmx.raised'])
      })
    })

    it('carries rule-partition subjects: `.>` sees every partition, a queue member only its own', async () => {
      await withBus(async (bus) => {
        const all: string[] = []
        const p3: number[] = []
        const bare: number[] = []
        bus.subscribe(Subjects.sampleIngestedAll, (m) => void all.push(m.subject))
        bus.subscribe<number>(Subjects.sampleIngestedIn(3), (m) => void p3.push(m.data), { queue: 'rules' })
        bus.subscribe<number>('sample.ingested', (m) => void bare.push(m.data))
        // the un-partitioned subject of earlier versions is not below `sample.ingested.>`
        await bus.publish('sample.ingested', 0)
        await bus.publish(Subjects.sampleIngestedIn(3), 1)
        await bus.publish(Subjects.sampleIngestedIn(15), 2)
        await bus.publish(Subjects.sampleIngestedIn(3), 3)
        await until(() => all.length === 3 && p3.length === 2 && bare.length === 1, 'partition deliveries')
        assert.deepEqual(all, ['sample.ingested.p3', 'sample.ingested.p15', 'sample.ingested.p3'])
        assert.deepEqual(p3, [1, 3])
        assert.deepEqual(bare, [0])
      })
    })

    it('hands each message to exactly one member of a queue group; plain subscribers get all', async () => {
      await withBus(async (bus) => {
        const first: number[] = []
        const second: number[] = []
        const plain: number[] = []
        bus.subscribe<number>('sample.ingested', (m) => void first.push(m.data), { queue: 'writers' })
        bus.subscribe<number>('sample.ingested', (m) => void second.push(m.data), { queue: 'writers' })
        bus.subscribe<number>('sample.ingested', (m) => void plain.push(m.data))
        const n = 40
        for (let i = 0; i < n; i++) await bus.publish('sample.ingested', i)
        await until(() => first.length + second.length >= n && plain.length === n, 'queue deliveries')
        // give a duplicate the chance to show up behind the last expected delivery
        await bus.publish('sample.ingested', -1)
        await until(() => first.includes(-1) || second.includes(-1), 'the marker')
        const handled = [...first, ...second].filter((x) => x >= 0).sort((x, y) => x - y)
        assert.deepEqual(
          handled,
          Array.from({ length: n }, (_, i) => i),
        )
        assert.deepEqual(
          plain.filter((x) => x >= 0),
          Array.from({ length: n }, (_, i) => i),
        )
      })
    })

    it('stops calling a handler once it is unsubscribed', async () => {
      await withBus(async (bus) => {
        const gone: number[] = []
        const kept: number[] = []
        const off = bus.subscribe<number>('point.registered', (m) => void gone.push(m.data))
        bus.subscribe<number>('point.registered', (m) => void kept.push(m.data))
        await bus.publish('point.registered', 1)
        await until(() => gone.length === 1 && kept.length === 1, 'first message')
        off()
        off() // a second call is harmless
        await bus.publish('point.registered', 2)
        await bus.publish('point.registered', 3)
        await until(() => kept.length === 3, 'later messages to the remaining subscriber')
        assert.deepEqual(gone, [1])
        assert.deepEqual(kept, [1, 2, 3])
      })
    })

    it('stops a queue member once unsubscribed; the rest of the group takes everything', async () => {
      await withBus(async (bus) => {
        const gone: number[] = []
        const kept: number[] = []
        const off = bus.subscribe<number>('sample.ingested', (m) => void gone.push(m.data), {
          queue: 'rules',
        })
        bus.subscribe<number>('sample.ingested', (m) => void kept.push(m.data), { queue: 'rules' })
        off()
        for (let i = 0; i < 10; i++) await bus.publish('sample.ingested', i)
        await until(() => kept.length === 10, 'the remaining member')
        assert.deepEqual(gone, [])
        assert.deepEqual(kept, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      })
    })

    it('keeps delivering after a handler throws or rejects', async () => {
      await withBus(async (bus) => {
        const seen: number[] = []
        const other: number[] = []
        bus.subscribe<number>('device.connected', (m) => {
          seen.push(m.data)
          if (m.data === 1) throw new Error('handler failure (expected by the test)')
        })
        bus.subscribe<number>('device.connected', async (m) => {
          other.push(m.data)
          if (m.data === 2) throw new Error('async handler failure (expected by the test)')
        })
        for (const i of [1, 2, 3]) await bus.publish('device.connected', i)
        await until(() => seen.length === 3 && other.length === 3, 'all three messages')
        assert.deepEqual(seen, [1, 2, 3])
        assert.deepEqual(other, [1, 2, 3])
      })
    })

    it('delivers nothing after close, and a publish after close does not throw', async () => {
      const bus = await open()
      const got: number[] = []
      bus.subscribe<number>('device.connected', (m) => void got.push(m.data))
      await bus.publish('device.connected', 1)
      await until(() => got.length === 1, 'the message before close')
      await bus.close()
      await bus.close() // a second close is harmless
      await bus.publish('device.connected', 2)
      await new Promise((r) => setTimeout(r, 50))
      assert.deepEqual(got, [1])
    })
  })
}
