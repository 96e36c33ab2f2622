import {
  type JetStreamClient,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import type { JobClaims } from './job-claims.ts'

/**
 * Claims on NATS JetStream, the way a JetStream KV bucket's `create` works: a stream
 * (`<stream>`, subjects `<subjectPrefix>.>`) keeps at most one message per subject, and a claim of
 * (job, period) publishes to `<subjectPrefix>.<job>.<period>` expecting that subject to be empty
 * (last subject sequence 0). JetStream orders publishes to a stream through its leader (Raft on a
 * replicated stream), so of N nodes publishing at once exactly one is stored; the others get "wrong
 * last sequence" and do not run the period. Claims expire after `maxAgeMs` (default 7 days) — the
 * stream's history of who ran what — which must exceed the longest job period.
 */
export interface NatsJobClaimsConfig {
  /** nats://host:4222, or several separated by commas */
  readonly url: string
  /** default `RONGHE_JOBS` */
  readonly stream?: string
  /** default `ronghe.jobs` */
  readonly subjectPrefix?: string
  /** default 7 days */
  readonly maxAgeMs?: number
  /** stream replicas (default 1; 3 on a three-node cluster) */
  readonly replicas?: number
}

export interface NatsJobClaims extends JobClaims {
  readonly stream: string
  /** who holds a claim, if anyone (for operators and tests) */
  holder(job: string, period: number): Promise<string | null>
}

const MS = 1_000_000
const TOKEN = /^[A-Za-z0-9_-]+$/

export async function createNatsJobClaims(config: NatsJobClaimsConfig): Promise<NatsJobClaims> {
  const stream = config.stream ?? 'RONGHE_JOBS'
  const prefix = config.subjectPrefix ?? 'ronghe.jobs'
  const nc: NatsConnection = await connect({
    servers: config.url.split(',').map((x) => x.trim()),
    name: 'ronghe-job-claims',
    maxReconnectAttempts: -1,
  })
  let js: JetStreamClient
  try {
    const jsm = await jetstreamManager(nc)
    const wanted = {
      name: stream,
      subjects: [`${prefix}.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_msgs_per_subject: 1,
      max_age: (config.maxAgeMs ?? 7 * 86_400_000) * MS,
      num_replicas: config.replicas ?? 1,
    }
    try {
      await jsm.streams.add(wanted)
    } catch (err) {
      // another node created it first, or it exists from an earlier start: keep it as it is
      if (!/already in use|exists/i.test(String((err as Error)?.message))) throw err
    }
    js = jetstream(nc)
  } catch (err) {
    await nc.close()
    throw err
  }
  const subject = (job: string, period: number): string => {
    if (!TOKEN.test(job))
      throw new Error(`job name ${JSON.stringify(job)} must be letters, digits, "_" or "-"`)
    if (!Number.isSafeInteger(period)) throw new Error(`period ${period} must be an integer`)
    return `${prefix}.${job}.${period < 0 ? `m${-period}` : period}`
  }
  return {
    kind: 'nats',
    stream,
    async claim(job, period, holder) {
      try {
        await js.publish(subject(job, period), JSON.stringify({ holder, at: Date.now() }), {
          expect: { lastSubjectSequence: 0 },
        })
        return true
      } catch (err) {
        if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence)
          return false
        throw err
      }
    },
    async holder(job, period) {
      const jsm = await jetstreamManager(nc)
      try {
        const m = await jsm.streams.getMessage(stream, { last_by_subj: subject(job, period) })
        return m === null ? null : ((m.json() as { holder?: string }).holder ?? null)
      } catch {
        return null
      }
    },
    async close() {
      await nc.drain().catch(() => nc.close())
    },
  }
}
