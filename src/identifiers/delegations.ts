import type { HandleStore } from './handle-store.ts'
import { isUnderPrefix, normalizePrefix, parentPrefix, prefixAncestry } from './handle-syntax.ts'
import { delegationTarget } from './handle-values.ts'

/** Where a prefix this node does not hold is served: another node's base URL. */
export interface Delegation {
  readonly prefix: string
  /** base URL of the node's HTTP interface, no trailing slash (`http://127.0.0.1:8000`) */
  readonly baseUrl: string
}

export interface DelegationSource {
  /** The most specific delegation covering `prefix` (itself or an ancestor), or null. */
  find(prefix: string): Promise<Delegation | null>
}

/** A fixed table, e.g. a recursive node's configured top-level nodes (`88` → national node). */
export function createStaticDelegations(entries: readonly Delegation[]): DelegationSource {
  const table = entries.map((e) => ({
    prefix: normalizePrefix(e.prefix),
    baseUrl: e.baseUrl.replace(/\/+$/, ''),
  }))
  return {
    async find(prefix) {
      let best: Delegation | null = null
      for (const e of table)
        if (isUnderPrefix(prefix, e.prefix) && (best === null || e.prefix.length > best.prefix.length))
          best = e
      return best
    },
  }
}

/**
 * Delegations recorded in the store as `0.NA/{child}` handles (RONGHE_NODE or HS_SITE values) by the
 * tenant that homes the child's parent — how a secondary node points an unhosted enterprise prefix at
 * the enterprise node.
 */
export function createStoreDelegations(store: HandleStore): DelegationSource {
  return {
    async find(prefix) {
      for (const candidate of prefixAncestry(prefix)) {
        const parent = parentPrefix(candidate)
        if (parent === null) continue
        const holder = await store.findHomedPrefixForPlatform(parent)
        if (holder === null) continue
        const rec = await store.getHandle(holder.tenant, `0.na/${candidate}`)
        if (rec === null) continue
        for (const v of rec.values) {
          const url = delegationTarget(v)
          if (url !== null) return { prefix: candidate, baseUrl: url }
        }
      }
      return null
    },
  }
}

/** The most specific answer of several sources. */
export function combineDelegations(...sources: readonly DelegationSource[]): DelegationSource {
  return {
    async find(prefix) {
      let best: Delegation | null = null
      for (const s of sources) {
        const d = await s.find(prefix)
        if (d !== null && (best === null || d.prefix.length > best.prefix.length)) best = d
      }
      return best
    },
  }
}
