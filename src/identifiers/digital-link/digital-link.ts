import { IdentErrors } from '../identifiers-errors.ts'
import { AIS, aiDef, aiValueProblem, PRIMARY_KEYS, toGtin14 } from './gs1-keys.ts'

/**
 * GS1 Digital Link URIs (uncompressed form):
 *   http(s)://{domain}[/{path}]/{primary AI}/{value}[/{qualifier AI}/{value}…][?{attribute AI}={value}&…]
 * The primary key is found by scanning the path for the first segment that is a known primary-key AI
 * followed by a value, so resolvers hosted under a path prefix still parse.
 */
export interface DigitalLink {
  /** scheme + host + optional path before the primary key, no trailing slash */
  readonly base: string
  readonly primary: { readonly ai: string; readonly value: string }
  readonly qualifiers: readonly { readonly ai: string; readonly value: string }[]
  /** AI data attributes from the query string, validated */
  readonly attributes: Readonly<Record<string, string>>
  /** other query parameters (linkType, context, …), passed through untouched */
  readonly params: Readonly<Record<string, string>>
}

function decodeSegment(uri: string, seg: string): string {
  try {
    return decodeURIComponent(seg)
  } catch {
    throw IdentErrors.dlInvalidUri(uri, `bad percent-encoding in "${seg}"`)
  }
}

/** Percent-encode everything outside RFC 3986 unreserved characters, upper-case hex. */
export function encodeAiValue(value: string): string {
  let out = ''
  for (const byte of new TextEncoder().encode(value)) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** Parse and validate; throws DL_INVALID_URI with the reason. GTIN-8/12/13 come back as GTIN-14. */
export function parseDigitalLink(uri: string): DigitalLink {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    throw IdentErrors.dlInvalidUri(uri, 'not an absolute URI')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw IdentErrors.dlInvalidUri(uri, 'scheme must be http or https')
  // the raw path: URL keeps percent-escapes, so a %2F inside a value does not split segments
  const segs = url.pathname.split('/').slice(1)
  if (segs.length > 0 && segs[segs.length - 1] === '') segs.pop() // tolerate one trailing slash
  let start = -1
  for (let i = 0; i + 1 < segs.length; i++) {
    if (PRIMARY_KEYS[segs[i] ?? ''] !== undefined) {
      start = i
      break
    }
  }
  if (start < 0) throw IdentErrors.dlInvalidUri(uri, 'no primary key (e.g. /01/{GTIN}) in the path')
  const pairs: { ai: string; value: string }[] = []
  const rest = segs.slice(start)
  if (rest.length % 2 !== 0) throw IdentErrors.dlInvalidUri(uri, `AI ${rest[rest.length - 1]} has no value`)
  for (let i = 0; i < rest.length; i += 2) {
    const ai = rest[i] ?? ''
    const value = decodeSegment(uri, rest[i + 1] ?? '')
    if (!/^\d{2,4}$/.test(ai) || aiDef(ai) === null)
      throw IdentErrors.dlInvalidUri(uri, `"${ai}" is not a known application identifier`)
    if (value.length === 0) throw IdentErrors.dlInvalidUri(uri, `AI ${ai} has an empty value`)
    const p = aiValueProblem(ai, value)
    if (p !== null) throw IdentErrors.dlInvalidUri(uri, p)
    pairs.push({ ai, value })
  }
  const [first, ...quals] = pairs
  if (first === undefined) throw IdentErrors.dlInvalidUri(uri, 'no primary key')
  const paths = PRIMARY_KEYS[first.ai] ?? []
  const ok = paths.some((path) => {
    let pos = 0
    for (const q of quals) {
      const at = path.indexOf(q.ai, pos)
      if (at < 0) return false
      pos = at + 1
    }
    return true
  })
  if (!ok) {
    const allowed = paths.map((p) => (p.length === 0 ? 'none' : p.join(' → '))).join(' or ')
    throw IdentErrors.dlInvalidUri(
      uri,
      `qualifiers ${quals.map((q) => q.ai).join(', ')} not allowed after AI ${first.ai} in that order (allowed: ${allowed})`,
    )
  }
  const attributes: Record<string, string> = {}
  const params: Record<string, string> = {}
  for (const [k, v] of url.searchParams) {
    if (/^\d{2,4}$/.test(k)) {
      if (aiDef(k) === null)
        throw IdentErrors.dlInvalidUri(uri, `query attribute "${k}" is not a known application identifier`)
      if (
        PRIMARY_KEYS[k] !== undefined ||
        pairs.some((p) => p.ai === k) ||
        ['10', '21', '22', '235', '254', '8011', '8019'].includes(k)
      )
        throw IdentErrors.dlInvalidUri(uri, `AI ${k} is a key or qualifier and belongs in the path`)
      const p = aiValueProblem(k, v)
      if (p !== null) throw IdentErrors.dlInvalidUri(uri, p)
      attributes[k] = v
    } else params[k] = v
  }
  const base = `${url.protocol}//${url.host}${start === 0 ? '' : `/${segs.slice(0, start).join('/')}`}`
  const primary = first.ai === '01' ? { ai: '01', value: toGtin14(first.value) } : first
  return { base, primary, qualifiers: quals, attributes, params }
}

export function tryParseDigitalLink(uri: string): DigitalLink | null {
  try {
    return parseDigitalLink(uri)
  } catch {
    return null
  }
}

export interface DigitalLinkParts {
  readonly base: string
  readonly primary: { readonly ai: string; readonly value: string }
  readonly qualifiers?: readonly { readonly ai: string; readonly value: string }[]
  readonly attributes?: Readonly<Record<string, string>>
  readonly params?: Readonly<Record<string, string>>
}

/** Build a canonical URI (GTIN padded to 14, values percent-encoded); validates by parsing the result. */
export function buildDigitalLink(parts: DigitalLinkParts): string {
  const base = parts.base.replace(/\/+$/, '')
  const primaryValue = parts.primary.ai === '01' ? toGtin14(parts.primary.value) : parts.primary.value
  let uri = `${base}/${parts.primary.ai}/${encodeAiValue(primaryValue)}`
  for (const q of parts.qualifiers ?? []) uri += `/${q.ai}/${encodeAiValue(q.value)}`
  const query = [...Object.entries(parts.attributes ?? {}), ...Object.entries(parts.params ?? {})].map(
    ([k, v]) => `${encodeURIComponent(k)}=${encodeAiValue(v)}`,
  )
  if (query.length > 0) uri += `?${query.join('&')}`
  parseDigitalLink(uri)
  return uri
}

/** The URI without attributes and params, only the key path: the resolver's lookup key. */
export function keyPath(
  dl: Pick<DigitalLink, 'primary' | 'qualifiers'>,
  depth = dl.qualifiers.length,
): string {
  let p = `/${dl.primary.ai}/${encodeAiValue(dl.primary.value)}`
  for (const q of dl.qualifiers.slice(0, depth)) p += `/${q.ai}/${encodeAiValue(q.value)}`
  return p
}

/** The EPC-style short name of an AI when it has one (`01` → `gtin`). */
export function aiShortName(ai: string): string | undefined {
  return AIS[ai]?.short
}
