import { IdentErrors } from './identifiers-errors.ts'

/**
 * Handle syntax (RFC 3651 §2, adapted): `prefix "/" suffix`.
 * - prefix (naming authority): dot-separated segments, ASCII, case-insensitive → stored lower case;
 * - suffix (local name): UTF-8, case-sensitive, may itself contain "/".
 * Length limits and the suffix character rules are Ronghe choices (recommendation): they keep
 * identifiers printable on labels and usable in URLs without surprises.
 */
export const HANDLE_LIMITS = {
  maxPrefixLength: 128,
  maxSegmentLength: 32,
  maxSegments: 8,
  /** in UTF-8 bytes */
  maxSuffixBytes: 255,
  /** in UTF-8 bytes, prefix + "/" + suffix */
  maxHandleBytes: 384,
} as const

const SEGMENT = /^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?$/
// control characters, whitespace and the characters a URL path or a label printer treats specially
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const SUFFIX_FORBIDDEN = /[\u0000-\u0020\u007f-\u009f\u2028\u2029\s"<>\\^`{|}]/u

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

export interface ParsedHandle {
  /** canonical, lower-case prefix */
  readonly prefix: string
  /** as given (case-sensitive) */
  readonly suffix: string
  /** canonical `prefix/suffix` */
  readonly handle: string
}

/** Why a prefix is invalid, or null. Accepts any case; validity is judged on the lower-case form. */
export function prefixProblem(prefix: string): string | null {
  if (prefix.length === 0) return 'empty'
  if (prefix.length > HANDLE_LIMITS.maxPrefixLength)
    return `longer than ${HANDLE_LIMITS.maxPrefixLength} characters`
  if (prefix.includes('/')) return 'contains "/"'
  const segments = prefix.toLowerCase().split('.')
  if (segments.length > HANDLE_LIMITS.maxSegments) return `more than ${HANDLE_LIMITS.maxSegments} segments`
  for (const s of segments) {
    if (s.length === 0) return 'empty segment'
    if (s.length > HANDLE_LIMITS.maxSegmentLength)
      return `segment "${s}" longer than ${HANDLE_LIMITS.maxSegmentLength} characters`
    if (!SEGMENT.test(s))
      return `segment "${s}" has characters other than a-z, 0-9, "-", "_" (or starts/ends with "-"/"_")`
  }
  return null
}

/** The canonical (lower-case) prefix; throws IDENT_INVALID_PREFIX. */
export function normalizePrefix(prefix: string): string {
  const p = prefixProblem(prefix)
  if (p !== null) throw IdentErrors.invalidPrefix(prefix, p)
  return prefix.toLowerCase()
}

export function isValidPrefix(prefix: string): boolean {
  return prefixProblem(prefix) === null
}

const utf8 = new TextEncoder()

export function suffixProblem(suffix: string): string | null {
  if (suffix.length === 0) return 'empty suffix'
  if (utf8.encode(suffix).length > HANDLE_LIMITS.maxSuffixBytes)
    return `suffix longer than ${HANDLE_LIMITS.maxSuffixBytes} UTF-8 bytes`
  if (LONE_SURROGATE.test(suffix)) return 'suffix is not well-formed Unicode'
  const m = SUFFIX_FORBIDDEN.exec(suffix)
  if (m)
    return `suffix contains forbidden character U+${(m[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
  return null
}

/** Parse `prefix/suffix`; the prefix is lower-cased, the suffix kept as is. Throws IDENT_INVALID_HANDLE. */
export function parseHandle(handle: string): ParsedHandle {
  const slash = handle.indexOf('/')
  if (slash < 0) throw IdentErrors.invalidHandle(handle, 'missing "/" between prefix and suffix')
  const prefixRaw = handle.slice(0, slash)
  const suffix = handle.slice(slash + 1)
  const pp = prefixProblem(prefixRaw)
  if (pp !== null) throw IdentErrors.invalidHandle(handle, `prefix ${pp}`)
  const sp = suffixProblem(suffix)
  if (sp !== null) throw IdentErrors.invalidHandle(handle, sp)
  const prefix = prefixRaw.toLowerCase()
  const canonical = `${prefix}/${suffix}`
  if (utf8.encode(canonical).length > HANDLE_LIMITS.maxHandleBytes)
    throw IdentErrors.invalidHandle(handle, `longer than ${HANDLE_LIMITS.maxHandleBytes} UTF-8 bytes`)
  return { prefix, suffix, handle: canonical }
}

export function tryParseHandle(handle: string): ParsedHandle | null {
  try {
    return parseHandle(handle)
  } catch {
    return null
  }
}

/** Canonical form: prefix lower-cased, suffix untouched. Two handles are equal iff their canonical forms are. */
export function normalizeHandle(handle: string): string {
  return parseHandle(handle).handle
}

/** `88.118.8` → [`88.118.8`, `88.118`, `88`]: the prefix and its ancestors, most specific first. */
export function prefixAncestry(prefix: string): string[] {
  const segs = prefix.split('.')
  const out: string[] = []
  for (let n = segs.length; n >= 1; n--) out.push(segs.slice(0, n).join('.'))
  return out
}

/** The parent of a derived prefix (`88.118.8` → `88.118`), or null for a top-level prefix. */
export function parentPrefix(prefix: string): string | null {
  const i = prefix.lastIndexOf('.')
  return i < 0 ? null : prefix.slice(0, i)
}

/** True when `prefix` is `ancestor` or derived from it (`88.118.8` is under `88.118`, `88.1180` is not). */
export function isUnderPrefix(prefix: string, ancestor: string): boolean {
  return prefix === ancestor || prefix.startsWith(`${ancestor}.`)
}

/** Derive a child prefix: `derivePrefix('88.118', '8')` → `88.118.8`. */
export function derivePrefix(parent: string, code: string): string {
  return normalizePrefix(`${normalizePrefix(parent)}.${code}`)
}

/** Percent-encode a handle for a URL path, keeping the "/" between prefix and suffix readable. */
export function encodeHandlePath(handle: string): string {
  const { prefix, suffix } = parseHandle(handle)
  return `${prefix}/${suffix.split('/').map(encodeURIComponent).join('/')}`
}
