import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createMemoryBus } from './memory-bus.ts'
import { DEFAULT_RULE_PARTITIONS, partitionOf, Subjects } from './bus.ts'
import { createLocalPartitionLeases, followPartitions } from './partition-leases.ts'

describe('rule partitions', () => {
  it('hashes a tenant with FNV-1a 32 bit, so every node and version agrees', () => {
    // published FNV-1a test vectors: "" → 0x811c9dc5, "a" → 0xe40c292c, "foobar" → 0xbf9cf968
    assert.equal(partitionOf('', 1000), 0x811c9dc5 % 1000)
    assert.equal(partitionOf('a', 1000), 0xe40c292c % 1000)
    assert.equal(partitionOf('foobar', 1000), 0xbf9cf968 % 1000)
    // UTF-8 bytes, not UTF-16 code units
    assert.equal(partitionOf('融合', 1000), 1265048501 % 1000)
  })

  it('spreads tenants over the partitions', () => {
    const counts = new Array<number>(DEFAULT_RULE_PARTITIONS).fill(0)
    for (let i = 0; i < 1600; i++) {
      const p = partitionOf(`ten_${i.toString(36).padStart(6, '0')}`, DEFAULT_RULE_PARTITIONS)
      counts[p] = (counts[p] ?? 0) + 1
    }
    // 100 expected per partition; a hash that ignored most of the id would pile them up
    assert.ok(Math.min(...counts) >= 60 && Math.max(...counts) <= 140, JSON.stringify(counts))
  })

  it('builds the sample subject of a tenant from its partition', () => {
    const p = partitionOf('ten_1', 16)
    assert.equal(Subjects.sampleIngestedFor('ten_1', 16), `sample.ingested.p${p}`)
    assert.equal(Subjects.sampleIngestedIn(7), 'sample.ingested.p7')
    assert.equal(partitionOf('ten_1', 1), 0)
  })

  it('refuses a partition count outside 1–1024 with a stable code', () => {
    for (const bad of [0, -1, 1.5, 1025, Number.NaN])
      assert.throws(() => partitionOf('t', bad), { code: 'BUS_INVALID_CONFIG' })
  })
})

describe('local partition leases', () => {
  it('holds every partition from start to close and tells its listeners', async () => {
    const leases = createLocalPartitionLeases({ partitions: 4 })
    const events: string[] = []
    leases.listen({ acquired: (p) => void events.push(`+${p}`), lost: (p) => void events.push(`-${p}`) })
    assert.deepEqual(leases.held(), [])
    await leases.start()
    assert.deepEqual(leases.held(), [0, 1, 2, 3])
    assert.ok(leases.holds(3) && !leases.holds(4))
    // a listener that comes later hears of what is held already
    const late: number[] = []
    leases.listen({ acquired: (p) => void late.push(p), lost: () => undefined })
    assert.deepEqual(late, [0, 1, 2, 3])
    await leases.close()
    assert.deepEqual(events, ['+0', '+1', '+2', '+3', '-0', '-1', '-2', '-3'])
    assert.deepEqual(leases.held(), [])
  })

  it('follows partitions: subscribes after prepare, unsubscribes on loss', async () => {
    const bus = createMemoryBus()
    const leases = createLocalPartitionLeases({ partitions: 2 })
    const prepared: number[] = []
    const got: number[] = []
    const stop = followPartitions<number>({
      leases,
      bus,
      queue: 'rules',
      subjectOf: Subjects.sampleIngestedIn,
      handler: (m) => void got.push(m.data),
      prepare: async (p) => void prepared.push(p),
    })
    await leases.start()
    await new Promise((r) => setTimeout(r, 10))
    assert.deepEqual(prepared, [0, 1])
    await bus.publish(Subjects.sampleIngestedIn(1), 1)
    await bus.publish(Subjects.sampleIngestedIn(2), 2) // no such partition: nobody evaluates it
    await new Promise((r) => setTimeout(r, 10))
    assert.deepEqual(got, [1])
    await leases.close()
    await bus.publish(Subjects.sampleIngestedIn(0), 3)
    await new Promise((r) => setTimeout(r, 10))
    assert.deepEqual(got, [1])
    stop()
    await bus.close()
  })
})
