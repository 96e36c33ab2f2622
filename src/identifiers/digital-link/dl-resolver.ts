import { isRongheError } from '../../core/index.ts'
import { type DigitalLink, keyPath, parseDigitalLink } from './digital-link.ts'

/**
 * A GS1-Conformant-style resolver: answers a Digital Link with a redirect to the default link (307 by
 * default, configurable), a specific link type, or an RFC 9264 linkset; 400 for bad syntax (never 200
 * with an error body); 404 when nothing is known; CORS on every answer.
 */
export const GS1_VOC = 'https://gs1.org/voc/'
const GS1_VOC_ALT = 'https://ref.gs1.org/voc/'

export interface DlLink {
  /** `gs1:pip`, `https://gs1.org/voc/pip` or `https://ref.gs1.org/voc/pip` (all the same) */
  readonly linkType: string
  readonly href: string
  readonly title: string
  /** media type of the target */
  readonly type?: string
  readonly hreflang?: readonly string[]
  /** the one gs1:defaultLink of this key level */
  readonly isDefault?: boolean
}

/** Links registered for one key path (`/01/09521234543213/10/ABC123`), without walking up. */
export interface DlLinkSource {
  linksFor(keyPath: string): Promise<readonly DlLink[]> | readonly DlLink[]
}

export interface DlRequest {
  readonly method: string
  /** absolute URL as received (scheme, host, path, query) */
  readonly url: string
  readonly headers?: Readonly<Record<string, string | undefined>>
}

export interface DlResponse {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body?: string
}

export interface DlResolverOptions {
  readonly links: DlLinkSource
  /** redirect status for the default / chosen link (307 unless configured) */
  readonly redirectStatus?: 301 | 302 | 303 | 307 | 308
  /** the resolver's own base for canonical URIs (`https://id.example.com`); default the request's origin */
  readonly canonicalBase?: string
}

/** Normalise a link type to its short `gs1:x` form (other vocabularies keep their full URI). */
export function shortLinkType(t: string): string {
  if (t.startsWith(GS1_VOC)) return `gs1:${t.slice(GS1_VOC.length)}`
  if (t.startsWith(GS1_VOC_ALT)) return `gs1:${t.slice(GS1_VOC_ALT.length)}`
  return t
}

function longLinkType(t: string): string {
  const s = shortLinkType(t)
  return s.startsWith('gs1:') ? `${GS1_VOC}${s.slice(4)}` : s
}

export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'Accept, Accept-Language, Content-Type, Link',
  'access-control-expose-headers': 'Link, Location, Content-Type',
}

function preferredLanguages(header: string | undefined): string[] {
  if (header === undefined) return []
  return header
    .split(',')
    .map((part) => {
      const [tag, ...ps] = part.trim().split(';')
      const q = ps.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find((x) => x !== undefined)
      return { tag: (tag ?? '').toLowerCase(), q: q === undefined ? 1 : Number(q) }
    })
    .filter((x) => x.tag !== '' && x.tag !== '*' && x.q > 0)
    .sort((a, b) => b.q - a.q)
    .map((x) => x.tag)
}

function pickByLanguage(links: readonly DlLink[], langs: readonly string[]): DlLink | undefined {
  for (const lang of langs) {
    const exact = links.find((l) => (l.hreflang ?? []).some((h) => h.toLowerCase() === lang))
    if (exact) return exact
    const primary = lang.split('-')[0]
    const loose = links.find((l) => (l.hreflang ?? []).some((h) => h.toLowerCase().split('-')[0] === primary))
    if (loose) return loose
  }
  return undefined
}

/** Build the RFC 9264 linkset: one context object per key level that has links, most specific first. */
export function buildLinkset(levels: readonly { anchor: string; links: readonly DlLink[] }[]): {
  linkset: Record<string, unknown>[]
} {
  const linkset: Record<string, unknown>[] = []
  for (const level of levels) {
    if (level.links.length === 0) continue
    const ctx: Record<string, unknown[] | string> = { anchor: level.anchor }
    const add = (rel: string, target: Record<string, unknown>): void => {
      const list = ctx[rel]
      if (Array.isArray(list)) list.push(target)
      else ctx[rel] = [target]
    }
    for (const l of level.links) {
      const target: Record<string, unknown> = { href: l.href, title: l.title }
      if (l.type !== undefined) target['type'] = l.type
      if (l.hreflang !== undefined && l.hreflang.length > 0) target['hreflang'] = [...l.hreflang]
      add(longLinkType(l.linkType), target)
      if (l.isDefault) add(`${GS1_VOC}defaultLink`, target)
    }
    linkset.push(ctx)
  }
  return { linkset }
}

function withQuery(href: string, params: URLSearchParams): string {
  const q = params.toString()
  if (q === '') return href
  return href.includes('?') ? `${href}&${q}` : `${href}?${q}`
}

/** Create the resolver: a function from request to response (no I/O of its own beyond the link source). */
export function createDigitalLinkResolver(opts: DlResolverOptions): (req: DlRequest) => Promise<DlResponse> {
  const redirectStatus = opts.redirectStatus ?? 307
  return async function resolveDigitalLink(req: DlRequest): Promise<DlResponse> {
    const method = req.method.toUpperCase()
    if (method === 'OPTIONS')
      return { status: 204, headers: { ...CORS_HEADERS, allow: 'GET, HEAD, OPTIONS' } }
    if (method !== 'GET' && method !== 'HEAD')
      return { status: 405, headers: { ...CORS_HEADERS, allow: 'GET, HEAD, OPTIONS' } }
    const json = (status: number, body: unknown, extra: Record<string, string> = {}): DlResponse => ({
      status,
      headers: { ...CORS_HEADERS, 'content-type': 'application/json', ...extra },
      ...(method === 'HEAD' ? {} : { body: JSON.stringify(body) }),
    })
    let dl: DigitalLink
    try {
      dl = parseDigitalLink(req.url)
    } catch (err) {
      if (isRongheError(err)) return json(400, { error: err.toJSON() })
      throw err
    }
    const base = (opts.canonicalBase ?? dl.base).replace(/\/+$/, '')
    const levels: { anchor: string; links: readonly DlLink[] }[] = []
    for (let depth = dl.qualifiers.length; depth >= 0; depth--) {
      const path = keyPath(dl, depth)
      levels.push({ anchor: `${base}${path}`, links: await opts.links.linksFor(path) })
    }
    const canonical = `${base}${keyPath(dl)}`
    const linksetUrl = `${canonical}?linkType=linkset`
    const linkHeader = `<${linksetUrl}>; rel="linkset"; type="application/linkset+json", <${canonical}>; rel="owl:sameAs"`
    const all = levels.flatMap((l) => l.links)
    if (all.length === 0)
      return json(
        404,
        { error: { code: 'DL_NOT_FOUND', message: `no links for ${canonical}` } },
        { link: linkHeader },
      )

    const requested = dl.params['linkType']
    if (requested === 'linkset' || requested === 'all') {
      return {
        status: 200,
        headers: { ...CORS_HEADERS, 'content-type': 'application/linkset+json', link: linkHeader },
        ...(method === 'HEAD' ? {} : { body: JSON.stringify(buildLinkset(levels)) }),
      }
    }
    // pass every parameter but linkType through to the target (GS1 resolver rule)
    const pass = new URLSearchParams(new URL(req.url).search)
    pass.delete('linkType')
    const langs = preferredLanguages(req.headers?.['accept-language'])
    // walk up: the most specific level that has a match wins
    let chosen: DlLink | undefined
    if (requested !== undefined) {
      const want = shortLinkType(requested)
      for (const level of levels) {
        const matching = level.links.filter((l) => shortLinkType(l.linkType) === want)
        if (matching.length > 0) {
          chosen = pickByLanguage(matching, langs) ?? matching[0]
          break
        }
      }
    }
    if (chosen === undefined) {
      for (const level of levels) {
        const defaults = level.links.filter((l) => l.isDefault)
        if (defaults.length > 0) {
          chosen = pickByLanguage(defaults, langs) ?? defaults[0]
          break
        }
      }
    }
    if (chosen === undefined)
      return json(
        404,
        { error: { code: 'DL_NO_DEFAULT_LINK', message: `no default link for ${canonical}` } },
        { link: linkHeader },
      )
    return {
      status: redirectStatus,
      headers: { ...CORS_HEADERS, location: withQuery(chosen.href, pass), link: linkHeader },
    }
  }
}

/** An in-memory link source, handy for tests and small deployments. */
export function createStaticLinkSource(table: Readonly<Record<string, readonly DlLink[]>>): DlLinkSource {
  return { linksFor: (path) => table[path] ?? [] }
}
