import type { Clock } from '../core/index.ts'
import type { DelegationSource } from './delegations.ts'
import { fromJsonValue, HandleResponseCode } from './handle-http.ts'
import type { HandleStore } from './handle-store.ts'
/** where delegation records live (`0.NA/{prefix}`), as in the Global Handle Registry */
const DELEGATION_PREFIX = '0.na'
import { encodeHandlePath, isValidPrefix, parentPrefix, parseHandle } from './handle-syntax.ts'
import { filterValues, type HandleValue, minTtl, publicValues, type ValueFilter } from './handle-values.ts'

/**
 * Recursive resolver. A handle whose prefix this node homes is answered from the local store; a prefix
 * covered by a more specific delegation is asked of that node over HTTP (the Handle.Net JSON interface),
 * which may in turn delegate further. Answers are cached whole (filters applied on the way out):
 * - positive answers until the smallest value ttl, capped at maxTtl;
 * - "handle not found" (100) for negTtl; other errors are never cached;
 * - after expiry an entry is kept staleMax longer and served, marked stale, only when the upstream fails;
 * - auth=true bypasses the cache (and is passed on upstream), then refreshes it;
 * - local writes call invalidate() at once.
 * Cache rules follow the reference's recommendation (§1.4).
 */
export type ResolutionSource = 'local' | 'remote' | 'cache' | 'stale' | 'negative-cache' | 'none'

export interface Resolution {
  readonly responseCode: number
  readonly handle: string
  /** present when responseCode is 1 (possibly empty after filtering → then code 200) */
  readonly values?: readonly HandleValue[]
  readonly message?: string
  readonly source: ResolutionSource
  /** the node that answered, for remote / cached remote answers */
  readonly upstream?: string
  /**
   * Identity of the cache entry a positive answer came from (`cache`) or was just stored as (`local`,
   * `remote`): the same object for as long as that entry lives (a refresh or invalidate() replaces it),
   * so a face may memoise what it derives from the answer, and the hits after a miss reuse it.
   */
  readonly cacheEntry?: CacheMemo
}

/**
 * What a face derives from a positive cache entry and keeps on it (the public, unfiltered body as JSON
 * text): dropped with the entry, so an answer is never served from a memo older than the entry.
 */
export interface CacheMemo {
  publicJson?: string
}

export interface ResolveOptions {
  readonly filter?: ValueFilter
  readonly auth?: boolean
  /** default true; false only for callers the face authenticated as admins */
  readonly publicOnly?: boolean
  /** hops already taken by the request (loop guard), from the caller's header */
  readonly hops?: number
}

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; signal?: AbortSignal },
) => Promise<{ status: number; headers: { get(name: string): string | null }; json(): Promise<unknown> }>

export interface ResolverCacheOptions {
  /** cap on positive caching, seconds (default 86400) */
  readonly maxTtlS?: number
  /** negative caching of "not found", seconds (default 60) */
  readonly negTtlS?: number
  /** how long past expiry an answer may be served when the upstream fails, seconds (default 300) */
  readonly staleMaxS?: number
  /** entries kept (least recently used dropped first; default 100000) */
  readonly maxEntries?: number
}

export interface HandleResolverDeps {
  readonly store: HandleStore
  readonly delegations: DelegationSource
  readonly clock: Clock
  readonly fetch?: FetchLike
  /** follow delegations (a recursive node); false → 301 for prefixes not held (default true) */
  readonly recursive?: boolean
  readonly cache?: ResolverCacheOptions
  /** per upstream request (default 5000 ms) */
  readonly timeoutMs?: number
  /** longest delegation chain followed (default 8) */
  readonly maxHops?: number
}

export interface ResolverStats {
  hits: number
  /** of the hits, those answered by the server's fast path (cachedPublicJson) */
  fastHits: number
  misses: number
  localReads: number
  remoteCalls: number
  staleServed: number
  negativeHits: number
  upstreamFailures: number
  entries: number
}

export interface HandleResolver {
  resolve(handle: string, opts?: ResolveOptions): Promise<Resolution>
  /**
   * The answer to an anonymous, unfiltered read of `handle` as the HTTP route serialised it, when a
   * fresh cache entry holds it (counted as a hit); null when the full path must answer. For the
   * server's fast path: no parsing, no promise, no object built per request.
   */
  cachedPublicJson(handle: string): { readonly json: string; readonly upstream?: string } | null
  /** Drop a handle from the cache (local writes, admin action). */
  invalidate(handle: string): void
  clear(): void
  stats(): ResolverStats
}

/** Header carrying the hop count between Ronghe nodes (loop guard). */
export const HOPS_HEADER = 'x-ronghe-resolution-hops'

interface Entry extends CacheMemo {
  readonly code: 1 | 100
  readonly values: readonly HandleValue[]
  readonly source: 'local' | 'remote'
  readonly upstream?: string
  /** epoch ms */
  readonly expiresAt: number
  readonly staleUntil: number
}

type Fresh =
  | { kind: 'answer'; entry: Entry }
  /** the upstream itself served a stale answer: usable, never cached as fresh */
  | { kind: 'stale'; entry: Entry }
  | { kind: 'error'; code: number; message: string; upstream?: string; upstreamFailed: boolean }

export function createHandleResolver(deps: HandleResolverDeps): HandleResolver {
  const { store, delegations, clock } = deps
  const doFetch: FetchLike = deps.fetch ?? ((url, init) => fetch(url, init))
  const recursive = deps.recursive ?? true
  const maxTtlMs = (deps.cache?.maxTtlS ?? 86400) * 1000
  const negTtlMs = (deps.cache?.negTtlS ?? 60) * 1000
  const staleMaxMs = (deps.cache?.staleMaxS ?? 300) * 1000
  const maxEntries = deps.cache?.maxEntries ?? 100_000
  const timeoutMs = deps.timeoutMs ?? 5000
  const maxHops = deps.maxHops ?? 8
  const cache = new Map<string, Entry>()
  const inflight = new Map<string, Promise<Fresh>>()
  const st: Omit<ResolverStats, 'entries'> = {
    hits: 0,
    fastHits: 0,
    misses: 0,
    localReads: 0,
    remoteCalls: 0,
    staleServed: 0,
    negativeHits: 0,
    upstreamFailures: 0,
  }

  function remember(key: string, e: Entry): void {
    cache.delete(key)
    cache.set(key, e)
    if (cache.size > maxEntries) {
      const oldest = cache.keys().next()
      if (!oldest.done) cache.delete(oldest.value)
    }
  }

  function positive(
    values: readonly HandleValue[],
    source: 'local' | 'remote',
    now: number,
    upstream?: string,
  ): Entry {
    const ttl = minTtl(values)
    const life = Math.min(maxTtlMs, (ttl ?? 0) * 1000)
    return {
      code: 1,
      values,
      source,
      ...(upstream === undefined ? {} : { upstream }),
      expiresAt: now + life,
      staleUntil: now + life + staleMaxMs,
    }
  }

  function negative(source: 'local' | 'remote', now: number, upstream?: string): Entry {
    // a negative answer is never served stale: staleUntil = expiresAt
    return {
      code: 100,
      values: [],
      source,
      ...(upstream === undefined ? {} : { upstream }),
      expiresAt: now + negTtlMs,
      staleUntil: now + negTtlMs,
    }
  }

  async function fetchFresh(handle: string, prefix: string, auth: boolean, hops: number): Promise<Fresh> {
    const now = clock.now()
    // the homed prefix and the handle under its tenant in one read; the record goes unused when a more
    // specific delegation wins, which is the rarer case on a node that homes what it is asked for
    const { homed, record } = await store.findHandleForPlatform(prefix, handle)
    // a delegation can only win when it is more specific than what we home: none is, when we home the prefix itself
    const deleg =
      (recursive || homed === null) && homed?.prefix !== prefix ? await delegations.find(prefix) : null
    const useRemote = deleg !== null && (homed === null || deleg.prefix.length > homed.prefix.length)
    if (!useRemote && homed !== null) {
      st.localReads++
      return {
        kind: 'answer',
        entry: record === null ? negative('local', now) : positive(record.values, 'local', now),
      }
    }
    if (!useRemote || deleg === null) {
      if (!recursive)
        return {
          kind: 'error',
          code: HandleResponseCode.serverNotResponsible,
          message: `this node is not responsible for prefix ${prefix}`,
          upstreamFailed: false,
        }
      // a recursive node with no route: the prefix is unknown, as the Handle proxy answers
      return { kind: 'answer', entry: negative('local', now) }
    }
    if (hops >= maxHops)
      return {
        kind: 'error',
        code: HandleResponseCode.error,
        message: `delegation chain longer than ${maxHops} hops (loop?)`,
        upstreamFailed: false,
      }
    const url = `${deleg.baseUrl}/api/handles/${encodeHandlePath(handle)}${auth ? '?auth=true' : ''}`
    st.remoteCalls++
    try {
      const res = await doFetch(url, {
        method: 'GET',
        headers: { accept: 'application/json', [HOPS_HEADER]: String(hops + 1) },
        signal: AbortSignal.timeout(timeoutMs),
      })
      const body = (await res.json()) as { responseCode?: unknown; values?: unknown; message?: unknown }
      const after = clock.now()
      if (body.responseCode === 1 && Array.isArray(body.values)) {
        const values = body.values.map(fromJsonValue)
        if (values.some((v) => v === null)) throw new Error('malformed value in upstream answer')
        const entry = positive(values as HandleValue[], 'remote', after, deleg.baseUrl)
        // an upstream serving stale is failing behind it: do not restart the TTL clock on its answer
        if (/^\s*110\b/.test(res.headers.get('warning') ?? '')) return { kind: 'stale', entry }
        return { kind: 'answer', entry }
      }
      if (body.responseCode === 100)
        return { kind: 'answer', entry: negative('remote', after, deleg.baseUrl) }
      const code = typeof body.responseCode === 'number' ? body.responseCode : HandleResponseCode.error
      return {
        kind: 'error',
        code,
        message: `upstream ${deleg.baseUrl} answered responseCode ${code} (HTTP ${res.status})${typeof body.message === 'string' ? `: ${body.message}` : ''}`,
        upstream: deleg.baseUrl,
        upstreamFailed:
          code === HandleResponseCode.error || code === HandleResponseCode.serverTooBusy || res.status >= 500,
      }
    } catch (err) {
      return {
        kind: 'error',
        code: HandleResponseCode.error,
        message: `upstream ${deleg.baseUrl} unreachable: ${err instanceof Error ? err.message : String(err)}`,
        upstream: deleg.baseUrl,
        upstreamFailed: true,
      }
    }
  }

  function answer(handle: string, e: Entry, source: ResolutionSource, opts: ResolveOptions): Resolution {
    const up = e.upstream === undefined ? {} : { upstream: e.upstream }
    if (e.code === 100) return { responseCode: 100, handle, message: 'Handle Not Found', source, ...up }
    let values = (opts.publicOnly ?? true) ? publicValues(e.values) : [...e.values]
    values = filterValues(values, opts.filter ?? {})
    if (
      values.length === 0 &&
      (opts.filter?.types?.length || opts.filter?.indexes?.length || e.values.length > 0)
    )
      return { responseCode: 200, handle, message: 'Values Not Found', source, ...up }
    return { responseCode: 1, handle, values, source, ...up }
  }

  return {
    cachedPublicJson(handle) {
      // the cache is keyed by canonical handles: a string equal to a key names that handle
      const e = cache.get(handle)
      if (e === undefined || e.publicJson === undefined || !(clock.now() < e.expiresAt)) return null
      st.hits++
      st.fastHits++
      return e.upstream === undefined ? { json: e.publicJson } : { json: e.publicJson, upstream: e.upstream }
    },
    async resolve(input, opts = {}) {
      let parsed: ReturnType<typeof parseHandle>
      try {
        parsed = parseHandle(input)
      } catch (err) {
        return {
          responseCode: 102,
          handle: input,
          message: err instanceof Error ? err.message : 'Invalid Handle',
          source: 'none',
        }
      }
      // prefix handles (`0.NA/88.118.8`) name a prefix: compare them case-insensitively, and route them
      // to whoever homes the parent of the named prefix, where delegatePrefix stored them
      const isPrefixHandle = parsed.prefix === DELEGATION_PREFIX && isValidPrefix(parsed.suffix)
      const key = isPrefixHandle ? `${DELEGATION_PREFIX}/${parsed.suffix.toLowerCase()}` : parsed.handle
      const routing = isPrefixHandle
        ? (parentPrefix(parsed.suffix.toLowerCase()) ?? parsed.suffix.toLowerCase())
        : parsed.prefix
      const now = clock.now()
      const auth = opts.auth ?? false
      const cached = cache.get(key)
      if (!auth && cached !== undefined && now < cached.expiresAt) {
        st.hits++
        if (cached.code === 100) st.negativeHits++
        const r = answer(key, cached, cached.code === 100 ? 'negative-cache' : 'cache', opts)
        return cached.code === 1 ? { ...r, cacheEntry: cached } : r
      }
      st.misses++
      // hops in the key: a request that loops back to this node must not wait on its own flight
      const flightKey = `${key}\u0000${auth}\u0000${opts.hops ?? 0}`
      let flight = inflight.get(flightKey)
      if (flight === undefined) {
        flight = fetchFresh(key, routing, auth, opts.hops ?? 0).finally(() => inflight.delete(flightKey))
        inflight.set(flightKey, flight)
      }
      let fresh: Fresh
      try {
        fresh = await flight
      } catch (err) {
        fresh = {
          kind: 'error',
          code: 2,
          message: `resolution failed: ${err instanceof Error ? err.message : String(err)}`,
          upstreamFailed: false,
        }
      }
      if (fresh.kind === 'answer') {
        remember(key, fresh.entry)
        const r = answer(key, fresh.entry, fresh.entry.source, opts)
        return fresh.entry.code === 1 ? { ...r, cacheEntry: fresh.entry } : r
      }
      if (fresh.kind === 'stale' || fresh.upstreamFailed) {
        st.upstreamFailures++
        const old = cache.get(key)
        if (old !== undefined && old.code === 1 && clock.now() < old.staleUntil) {
          st.staleServed++
          return answer(key, old, 'stale', opts)
        }
        if (fresh.kind === 'stale') {
          st.staleServed++
          return answer(key, fresh.entry, 'stale', opts)
        }
      }
      return {
        responseCode: fresh.code,
        handle: key,
        message: fresh.message,
        source: 'none',
        ...(fresh.upstream === undefined ? {} : { upstream: fresh.upstream }),
      }
    },
    invalidate(handle) {
      try {
        cache.delete(parseHandle(handle).handle)
      } catch {
        cache.delete(handle)
      }
    },
    clear() {
      cache.clear()
    },
    stats() {
      return { ...st, entries: cache.size }
    },
  }
}
