import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, it } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { needService, tcpReachable } from '../../test/support/services.ts'
import { ManualClock } from '../core/index.ts'
import { createLocalJobClaims } from './job-claims.ts'
import { createNatsJobClaims, type NatsJobClaims } from './nats-job-claims.ts'
import { createPeriodicJobs, type PeriodicJobs } from './periodic-jobs.ts'

const url = process.env.RONGHE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'
const u = new URL(url)
const skip = await needService(
  `NATS with JetStream at ${u.hostname}:${u.port || 4222}`,
  tcpReachable(u.hostname, Number(u.port || 4222)),
)
const run = randomBytes(4).toString('hex')
const HOUR = 3_600_000
const quiet = { warn: () => undefined, error: () => undefined }

describe('periodic jobs, once per cluster', () => {
  const claimsOpened: NatsJobClaims[] = []
  after(async () => {
    for (const c of claimsOpened) await c.close()
    if (skip) return
    const nc = await connect({ servers: url })
    const jsm = await jetstreamManager(nc)
    for (const s of new Set(claimsOpened.map((c) => c.stream))) await jsm.streams.delete(s).catch(() => false)
    await nc.close()
  })

  /** `nodes` schedulers, each with its own NATS connection, on one claims stream of this run */
  async function cluster(
    nodes: number,
    clock: ManualClock,
    label: string,
    failEvery = 0,
  ): Promise<{ schedulers: PeriodicJobs[]; runs: { node: number; periodStart: number }[] }> {
    const runs: { node: number; periodStart: number }[] = []
    const schedulers: PeriodicJobs[] = []
    for (let n = 0; n < nodes; n++) {
      const claims = await createNatsJobClaims({
        url,
        stream: `T${run}_${label}_JOBS`,
        subjectPrefix: `t${run}.${label}.jobs`,
      })
      claimsOpened.push(claims)
      const s = createPeriodicJobs({ claims, clock, holder: `node-${n}`, log: quiet, tickMs: 0 })
      s.add({
        name: 'series-retention',
        periodMs: HOUR,
        run: async (periodStart) => {
          runs.push({ node: n, periodStart })
          if (failEvery > 0 && runs.length % failEvery === 0) throw new Error('disk full')
        },
      })
      schedulers.push(s)
    }
    return { schedulers, runs }
  }

  it('runs a job once per period when several nodes tick at the same time', { skip }, async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 5, 8, 59, 0))
    const { schedulers, runs } = await cluster(4, clock, 'a')
    const periods: number[] = []
    for (let h = 0; h < 12; h++) {
      // every node ticks twice in the period, all at once
      await Promise.all(schedulers.flatMap((s) => [s.tick(), s.tick()]))
      await Promise.all(schedulers.map((s) => s.tick()))
      periods.push(Math.floor(clock.now() / HOUR) * HOUR)
      clock.advance(HOUR)
    }
    assert.deepEqual(
      runs.map((r) => r.periodStart),
      periods,
    )
    const total = schedulers.map((s) => s.stats()['series-retention'])
    assert.equal(
      total.reduce((a, c) => a + (c?.ran ?? 0), 0),
      12,
    )
    assert.equal(
      total.reduce((a, c) => a + (c?.lost ?? 0), 0),
      12 * 3,
    )
  })

  it('records which node holds a period, and a later node does not run it again', { skip }, async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 5, 9, 30, 0))
    const { schedulers, runs } = await cluster(2, clock, 'b')
    await schedulers[0]?.tick()
    // the second node starts later in the same hour
    clock.advance(10 * 60_000)
    await schedulers[1]?.tick()
    assert.deepEqual(runs, [{ node: 0, periodStart: Date.UTC(2026, 11, 5, 9) }])
    assert.equal(
      await claimsOpened.at(-1)?.holder('series-retention', Math.floor(clock.now() / HOUR)),
      'node-0',
    )
  })

  it('goes on after a job fails and counts the failure', { skip }, async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 5, 10, 0, 0))
    const { schedulers, runs } = await cluster(2, clock, 'c', 1)
    await Promise.all(schedulers.map((s) => s.tick()))
    clock.advance(HOUR)
    await Promise.all(schedulers.map((s) => s.tick()))
    assert.equal(runs.length, 2)
    const failed = schedulers.reduce((a, s) => a + (s.stats()['series-retention']?.failed ?? 0), 0)
    assert.equal(failed, 2)
  })
})

describe('periodic jobs on one node (embedded shape)', () => {
  it('runs each period once and asks again when a claim could not be decided', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 10))
    const local = createLocalJobClaims()
    let down = true
    const claims = {
      kind: local.kind,
      claim: (job: string, period: number, holder: string) =>
        down ? Promise.reject(new Error('bus unreachable')) : local.claim(job, period, holder),
      close: () => local.close(),
    }
    const ran: number[] = []
    const s = createPeriodicJobs({ claims, clock, holder: 'solo', log: quiet, tickMs: 0 })
    s.add({ name: 'retention', periodMs: HOUR, run: async (p) => void ran.push(p) })
    await s.tick()
    assert.deepEqual(ran, [])
    down = false
    await s.tick()
    await s.tick()
    clock.advance(HOUR)
    await s.tick()
    assert.deepEqual(ran, [Date.UTC(2026, 0, 1, 0), Date.UTC(2026, 0, 1, 1)])
  })
  it('refuses a job name that is not a subject token', () => {
    const s = createPeriodicJobs({
      claims: createLocalJobClaims(),
      clock: new ManualClock(),
      holder: 'x',
      log: quiet,
      tickMs: 0,
    })
    assert.throws(
      () => s.add({ name: 'series.retention', periodMs: HOUR, run: async () => {} }),
      /not a token/,
    )
  })
})
