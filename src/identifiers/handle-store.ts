import type { TenantId } from '../core/index.ts'
import type { HandleValue } from './handle-values.ts'
import type { MetadataTemplate } from './templates.ts'

/** A homed prefix: this node serves it, on behalf of one tenant. */
export interface PrefixRecord {
  readonly prefix: string
  readonly tenant: TenantId
  /** epoch ms */
  readonly createdAt: number
}

export interface HandleRecord {
  /** canonical `prefix/suffix` */
  readonly handle: string
  readonly prefix: string
  readonly values: readonly HandleValue[]
  readonly template?: { readonly id: string; readonly version: number }
  readonly createdAt: number
  readonly updatedAt: number
}

export interface PutResult {
  readonly handle: string
  readonly created: boolean
}

/**
 * Storage port of the identifier registry. Every method takes the tenant; methods without one are
 * platform-level and named `…ForPlatform` (used by the resolver, which answers for all tenants).
 */
export interface HandleStore {
  /** Home a prefix for a tenant; IDENT_PREFIX_EXISTS if any tenant already homes it. */
  homePrefix(tenant: TenantId, prefix: string, now: number): Promise<PrefixRecord>
  /** Unhome; true when it was homed by this tenant. Records under it stay but stop resolving. */
  unhomePrefix(tenant: TenantId, prefix: string): Promise<boolean>
  listPrefixes(tenant: TenantId): Promise<readonly PrefixRecord[]>
  /** The most specific homed prefix among `prefix` and its ancestors, whoever holds it. */
  findHomedPrefixForPlatform(prefix: string): Promise<PrefixRecord | null>

  getHandle(tenant: TenantId, handle: string): Promise<HandleRecord | null>
  /**
   * The read of a resolution in one step: `homed` as findHomedPrefixForPlatform(prefix) gives it and
   * `record`, the handle as getHandle(homed.tenant, handle) gives it (null when nothing is homed).
   */
  findHandleForPlatform(
    prefix: string,
    handle: string,
  ): Promise<{ readonly homed: PrefixRecord | null; readonly record: HandleRecord | null }>
  /**
   * Create or replace. With `overwrite: false` an existing handle is IDENT_HANDLE_EXISTS.
   * Atomic per handle.
   */
  putHandle(tenant: TenantId, record: HandleRecord, opts: { overwrite: boolean }): Promise<PutResult>
  /** Many records in one transaction; per-item outcome, never all-or-nothing on conflicts. */
  putHandles(
    tenant: TenantId,
    records: readonly HandleRecord[],
    opts: { overwrite: boolean },
  ): Promise<readonly ({ ok: true; result: PutResult } | { ok: false; handle: string; code: string })[]>
  deleteHandle(tenant: TenantId, handle: string): Promise<boolean>
  /** Handles under a prefix, ordered by handle, keyset-paginated by `after`. */
  listHandles(
    tenant: TenantId,
    q: { prefix: string; after?: string; limit: number },
  ): Promise<readonly HandleRecord[]>

  putTemplate(tenant: TenantId, template: MetadataTemplate): Promise<void>
  /** Latest version when `version` is absent. */
  getTemplate(tenant: TenantId, id: string, version?: number): Promise<MetadataTemplate | null>
  listTemplates(tenant: TenantId): Promise<readonly MetadataTemplate[]>

  /** Reserve `count` consecutive sequence numbers under `key`; returns the first (starts at 1). */
  nextSequence(tenant: TenantId, key: string, count: number): Promise<number>
}
