import { randomBytes, scrypt as scryptCb, timingSafeEqual, createHash } from 'node:crypto'
import { promisify } from 'node:util'

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>

/** scrypt parameters (RFC 7914): N=2^15, r=8, p=1 ≈ 32 MiB and ~50 ms per hash on this class of machine. */
const N = 1 << 15
const R = 8
const P = 1
const KEYLEN = 32
const MAXMEM = 64 * 1024 * 1024

/** `scrypt$N$r$p$salt$hash` (base64url), so parameters can rise later without breaking stored hashes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scrypt(password, salt, KEYLEN, { N, r: R, p: P, maxmem: MAXMEM })
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [, n, r, p, salt, hash] = parts
  const expected = Buffer.from(hash ?? '', 'base64url')
  const key = await scrypt(password, Buffer.from(salt ?? '', 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  })
  return key.length === expected.length && timingSafeEqual(key, expected)
}

/**
 * Tokens we generate (sessions, API keys, device secrets) carry 192+ bits of randomness, so a fast
 * SHA-256 digest is as safe to store as a slow password hash — and 10,000 devices reconnecting at once
 * must not cost 10,000 scrypt runs.
 */
export function digestToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export function randomToken(prefix: string, bytes = 24): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`
}

export function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex')
  const y = Buffer.from(b, 'hex')
  return x.length === y.length && timingSafeEqual(x, y)
}

/** A readable initial password: 4 groups of 4 from an alphabet without look-alikes. */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
  const bytes = randomBytes(16)
  let out = ''
  for (let i = 0; i < 16; i++) {
    if (i > 0 && i % 4 === 0) out += '-'
    out += alphabet[(bytes[i] ?? 0) % alphabet.length]
  }
  return out
}

/** Minimum password policy: long enough and not all one kind of character. */
export function passwordProblem(pw: string): string | null {
  if (pw.length < 10) return 'a password needs at least 10 characters'
  if (pw.length > 256) return 'a password may have at most 256 characters'
  const kinds = [/[a-z]/, /[A-Z]/, /\d/, /[^a-zA-Z\d]/].filter((re) => re.test(pw)).length
  if (kinds < 2) return 'a password needs at least two of: lower case, upper case, digits, symbols'
  return null
}
