import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type Bus, type PublishOptions, Subjects } from '../bus/index.ts'
import { createMemoryBus } from '../bus/memory-bus.ts'
import { type PointId, type Sample, systemClock, type TenantId } from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import { createSqliteMetaStore } from '../store/meta/sqlite-meta-store.ts'
import { createDuckdbSeriesStore } from '../store/series/duckdb-series-store.ts'
import type { SeriesStore } from '../store/series/series-store.ts'
import { createIngestPipeline } from './ingest-pipeline.ts'
import { openWriteAheadLog, type WriteAheadLog } from './wal/write-ahead-log.ts'

/**
 * The in-process bus behind a switch that refuses the first `failures` publishes — what a NATS
 * publish does while a stream's leader moves after a server died. Delivery is the real bus's.
 */
function refusingBus(inner: Bus, failures: number): Bus & { attempts: { subject: string; id?: string }[] } {
  const attempts: { subject: string; id?: string }[] = []
  return {
    capabilities: inner.capabilities,
    attempts,
    async publish<T>(subject: string, data: T, options?: PublishOptions): Promise<void> {
      attempts.push({ subject, ...(options?.id === undefined ? {} : { id: options.id }) })
      if (attempts.length <= failures) throw new Error('no responders (stream leader moving)')
      await inner.publish(subject, data, options)
    },
    subscribe: (subject, handler, options) => inner.subscribe(subject, handler, options),
    close: () => inner.close(),
  }
}

describe('ingest pipeline: announcing samples on their rule partition', () => {
  let dir: string
  let meta: MetaStore
  let series: SeriesStore
  const wals: WriteAheadLog[] = []
  const tenant = 'ten_announce' as TenantId
  const sample: Sample = { point: 'pt_1' as PointId, ts: Date.UTC(2026, 11, 5), value: 1, quality: 'good' }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ronghe-pipeline-'))
    meta = await createSqliteMetaStore({ path: join(dir, 'meta.db') })
    series = await createDuckdbSeriesStore({ path: join(dir, 'series.duckdb') })
  })
  after(async () => {
    for (const w of wals) await w.close()
    await series.close()
    await meta.close()
    rmSync(dir, { recursive: true, force: true })
  })

  async function pipelineOn(bus: Bus, label: string, errors: string[] = []) {
    const wal = openWriteAheadLog({ dir: join(dir, `wal-${label}`) })
    wals.push(wal)
    const pipeline = createIngestPipeline({
      meta,
      series,
      wal,
      bus,
      clock: systemClock,
      config: { maxBatch: 1000, autoRegisterPoints: true },
      log: { warn: () => undefined, error: (msg) => void errors.push(msg) },
      rulePartitions: 8,
    })
    await pipeline.start()
    return pipeline
  }

  it('publishes on the tenant’s partition subject, retrying a refused publish with the same id', async () => {
    const inner = createMemoryBus()
    const bus = refusingBus(inner, 2)
    const got: string[] = []
    inner.subscribe(Subjects.sampleIngestedAll, (m) => void got.push(m.subject))
    const pipeline = await pipelineOn(bus, 'retry')
    await pipeline.writeSamples(tenant, [sample])
    const end = Date.now() + 5000
    while (got.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
    assert.deepEqual(got, [Subjects.sampleIngestedFor(tenant, 8)])
    assert.equal(bus.attempts.length, 3)
    const ids = new Set(bus.attempts.map((a) => a.id))
    assert.equal(ids.size, 1, 'every attempt carries the same message id')
    assert.ok([...ids][0], 'and it has one')
    await pipeline.stop()
    await inner.close()
  })

  it('gives up after five refusals and says the samples were stored but not announced', async () => {
    const inner = createMemoryBus()
    const bus = refusingBus(inner, 100)
    const errors: string[] = []
    const pipeline = await pipelineOn(bus, 'give-up', errors)
    await pipeline.writeSamples(tenant, [sample])
    const end = Date.now() + 10_000
    while (errors.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
    assert.equal(bus.attempts.length, 5)
    assert.deepEqual(errors, ['samples stored but not announced: rules will not evaluate them'])
    await pipeline.stop()
    await inner.close()
  })
})
