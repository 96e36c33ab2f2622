import type { PointId, TenantId } from './ids.ts'

/** OPC UA-style quality, reduced to its three severities. Stored as 0 / 1 / 2. */
export type Quality = 'good' | 'uncertain' | 'bad'
export const QUALITY_CODE: Readonly<Record<Quality, number>> = { good: 0, uncertain: 1, bad: 2 }
export const QUALITY_BY_CODE: readonly Quality[] = ['good', 'uncertain', 'bad']

/**
 * One value of one point at one time. `value` is numeric for analog, counter and state points
 * (a state is its numeric code); text points carry `text` and `value` is null.
 */
export interface Sample {
  readonly point: PointId
  readonly ts: number
  readonly value: number | null
  readonly text?: string | null
  readonly quality: Quality
}

export interface TenantSample extends Sample {
  readonly tenant: TenantId
}

export type PointKind = 'analog' | 'counter' | 'state' | 'text'
export type DataType =
  | 'float64'
  | 'float32'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'uint32'
  | 'uint16'
  | 'bool'
  | 'string'
