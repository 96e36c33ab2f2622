import { randomBytes } from 'node:crypto'

/** Branded string ids: a PointId cannot be passed where a TenantId is expected. */
export type Brand<T, B extends string> = T & { readonly __brand: B }
export type TenantId = Brand<string, 'TenantId'>
export type PointId = Brand<string, 'PointId'>
export type DeviceId = Brand<string, 'DeviceId'>
export type AssetId = Brand<string, 'AssetId'>
export type UserId = Brand<string, 'UserId'>

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz' // Crockford base32, lower case

/**
 * A sortable id: 10 chars of millisecond time + 12 random chars, Crockford base32, lower case.
 * Sortable ids keep B-tree inserts local and make "newest first" an index scan.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let t = now
  let time = ''
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time
    t = Math.floor(t / 32)
  }
  const bytes = randomBytes(12)
  let rand = ''
  for (const b of bytes) rand += ALPHABET[b % 32]
  return `${prefix}_${time}${rand}`
}
