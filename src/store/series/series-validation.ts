import { QUALITY_CODE, type Quality, type Sample } from '../../core/index.ts'
import { SeriesErrors } from './series-errors.ts'
import { type BucketQuery, chooseBucketMs } from './series-store.ts'

/**
 * Input checks every series-store adapter makes before touching its engine, so that a bad batch is
 * refused whole with the same error on every engine. NUL characters are refused in ids and texts:
 * PostgreSQL text cannot hold them, and no real id contains one.
 */
export type Row = { tenant: string; sample: Sample }

export function validateTenant(tenant: unknown, index?: number): void {
  if (typeof tenant !== 'string' || tenant === '' || tenant.includes('\0')) {
    throw SeriesErrors.invalidSample(
      'tenant must be a non-empty string',
      index === undefined ? {} : { index },
    )
  }
}

export function validatePoint(point: unknown): void {
  if (typeof point !== 'string' || point === '') {
    throw SeriesErrors.invalidQuery('point must be a non-empty string', { point })
  }
}

export function validateSpan(from: unknown, to: unknown): void {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) {
    throw SeriesErrors.invalidQuery('from and to must be integer epoch ms', { from, to })
  }
}

export function validateSample(row: Row, index: number): void {
  const x = row.sample
  const bad = (why: string): never => {
    throw SeriesErrors.invalidSample(`sample ${index}: ${why}`, { index })
  }
  if (x === null || typeof x !== 'object') bad('not an object')
  // PostgreSQL text cannot hold NUL; refuse it here rather than fail the whole COPY later.
  if (typeof x.point !== 'string' || x.point === '' || x.point.includes('\0')) {
    bad('point must be a non-empty string')
  }
  if (!Number.isSafeInteger(x.ts)) bad('ts must be an integer epoch ms')
  if (
    x.value !== null &&
    x.value !== undefined &&
    !(typeof x.value === 'number' && Number.isFinite(x.value))
  ) {
    bad('value must be a finite number or null')
  }
  if (x.text !== null && x.text !== undefined && (typeof x.text !== 'string' || x.text.includes('\0'))) {
    bad('text must be a string without NUL characters, or null')
  }
  if (!Object.hasOwn(QUALITY_CODE, x.quality as Quality)) bad('quality must be good, uncertain or bad')
}

/** Checks a bucket query and returns the bucket width it asks for (or the one chosen from targetPoints). */
export function validateBucketQuery(q: BucketQuery, maxBuckets: number): number {
  if (!Array.isArray(q.points)) throw SeriesErrors.invalidQuery('points must be an array')
  for (const p of q.points) validatePoint(p)
  validateSpan(q.from, q.to)
  const target = q.targetPoints ?? 500
  if (!Number.isSafeInteger(target) || target < 1) {
    throw SeriesErrors.invalidQuery('targetPoints must be a positive integer', { targetPoints: target })
  }
  const bucketMs = q.bucketMs ?? chooseBucketMs(q.from, q.to, target)
  if (!Number.isSafeInteger(bucketMs) || bucketMs < 1) {
    throw SeriesErrors.invalidQuery('bucketMs must be a positive integer', { bucketMs })
  }
  if ((q.to - q.from) / bucketMs > maxBuckets) {
    throw SeriesErrors.invalidQuery(`more than ${maxBuckets} buckets per point`, { bucketMs })
  }
  return bucketMs
}
