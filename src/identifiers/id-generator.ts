import type { Clock, TenantId } from '../core/index.ts'
import type { HandleStore } from './handle-store.ts'
import { parseHandle } from './handle-syntax.ts'
import { IdentErrors } from './identifiers-errors.ts'

/**
 * Automatic identifiers for produced parts and batches from a pattern such as
 * `{prefix}/{line}-{yyyymmdd}-{seq:4}`. The sequence is kept per expanded pattern without `{seq}`, so
 * it restarts for each line and each day, and is reserved atomically in the store (two lines or two
 * processes never get the same number). Dates use the plant's UTC offset (China: +480 minutes).
 */
export interface GeneratorDeps {
  readonly store: HandleStore
  readonly clock: Clock
  /** minutes east of UTC for the date tokens; default 480 (UTC+8) */
  readonly utcOffsetMinutes?: number
}

export interface IdentifierGenerator {
  /** `count` consecutive identifiers (default 1). */
  next(
    tenant: TenantId,
    pattern: string,
    vars: Readonly<Record<string, string>>,
    count?: number,
  ): Promise<string[]>
}

const TOKEN = /\{([a-zA-Z][a-zA-Z0-9_]*)(?::(\d{1,2}))?\}/g
const DATE_TOKENS = new Set(['yyyy', 'yy', 'mm', 'dd', 'yyyymmdd', 'hh'])
const VAR_VALUE = /^[A-Za-z0-9._-]{1,64}$/

/** Problems of a pattern (empty when valid). */
export function patternProblems(pattern: string): string[] {
  const out: string[] = []
  const tokens = [...pattern.matchAll(TOKEN)].map((m) => m[1])
  const seqs = tokens.filter((t) => t === 'seq').length
  if (seqs !== 1) out.push('needs exactly one {seq} token')
  if (!pattern.startsWith('{prefix}/') && !/^[0-9a-z.]+\//i.test(pattern))
    out.push('must start with {prefix}/ or a literal prefix')
  const stripped = pattern.replace(TOKEN, '')
  if (/[{}]/.test(stripped)) out.push('has an unbalanced or malformed {token}')
  return out
}

function dateParts(ms: number, offsetMin: number): Record<string, string> {
  const d = new Date(ms + offsetMin * 60_000)
  const yyyy = String(d.getUTCFullYear()).padStart(4, '0')
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0')
  const dd = String(d.getUTCDate()).padStart(2, '0')
  return {
    yyyy,
    yy: yyyy.slice(2),
    mm,
    dd,
    yyyymmdd: `${yyyy}${mm}${dd}`,
    hh: String(d.getUTCHours()).padStart(2, '0'),
  }
}

/** Expand a pattern; `seq === null` leaves the `{seq}` token in place (that string is the sequence key). */
export function expandPattern(
  pattern: string,
  vars: Readonly<Record<string, string>>,
  at: number,
  seq: number | null,
  utcOffsetMinutes = 480,
): string {
  const problems = patternProblems(pattern)
  if (problems.length > 0) throw IdentErrors.invalidPattern(pattern, problems.join('; '))
  const date = dateParts(at, utcOffsetMinutes)
  return pattern.replace(TOKEN, (whole, name: string, width: string | undefined) => {
    if (name === 'seq') return seq === null ? whole : String(seq).padStart(Number(width ?? 1), '0')
    if (DATE_TOKENS.has(name)) return date[name] ?? ''
    const v = vars[name]
    if (v === undefined) throw IdentErrors.invalidPattern(pattern, `no value for {${name}}`)
    // the prefix is validated by parseHandle below; other values must be label- and URL-safe
    if (name !== 'prefix' && !VAR_VALUE.test(v))
      throw IdentErrors.invalidPattern(pattern, `value of {${name}} must be 1–64 of A-Z a-z 0-9 . _ -`)
    return v
  })
}

export function createIdentifierGenerator(deps: GeneratorDeps): IdentifierGenerator {
  const offset = deps.utcOffsetMinutes ?? 480
  return {
    async next(tenant, pattern, vars, count = 1) {
      if (!Number.isInteger(count) || count < 1 || count > 100_000)
        throw IdentErrors.invalidPattern(pattern, 'count must be 1…100000')
      const at = deps.clock.now()
      const key = expandPattern(pattern, vars, at, null, offset)
      const first = await deps.store.nextSequence(tenant, key, count)
      const out: string[] = []
      for (let i = 0; i < count; i++)
        out.push(parseHandle(expandPattern(pattern, vars, at, first + i, offset)).handle)
      return out
    },
  }
}
