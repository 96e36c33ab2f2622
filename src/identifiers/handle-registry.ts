import type { Clock, TenantId } from '../core/index.ts'
import { isRongheError } from '../core/index.ts'
import type { HandleRecord, HandleStore, PrefixRecord } from './handle-store.ts'
import { normalizePrefix, parentPrefix, parseHandle } from './handle-syntax.ts'
import {
  adminValue,
  type HandleValue,
  type HandleValueInput,
  nodeValue,
  normalizeValues,
  type SiteValue,
  siteValue,
} from './handle-values.ts'
import { IdentErrors } from './identifiers-errors.ts'
import {
  assertFields,
  BUILTIN_TEMPLATES,
  type FieldError,
  fieldsToValues,
  type MetadataTemplate,
  templateProblems,
  valuesToFields,
} from './templates.ts'

/** Largest bulk registration (IDIS enterprise APIs cap batches at 2000, reference §2.4). */
export const MAX_BULK = 2000
/** Handle's convention: the admin value sits at index 100 and names `0.NA/{prefix}` index 200. */
export const ADMIN_INDEX = 100
export const DELEGATION_PREFIX = '0.na'

export interface RegisterInput {
  readonly handle: string
  readonly values?: readonly HandleValueInput[]
  /** metadata template the `fields` follow (latest version when absent) */
  readonly template?: { readonly id: string; readonly version?: number }
  readonly fields?: Readonly<Record<string, unknown>>
  /** ttl for the template fields' values (seconds) */
  readonly ttl?: number
}

export type BulkItemResult =
  | { readonly at: number; readonly handle: string; readonly ok: true; readonly created: boolean }
  | {
      readonly at: number
      readonly handle: string
      readonly ok: false
      readonly error: { readonly code: string; readonly message: string; readonly details?: unknown }
    }

export interface BulkResult {
  readonly accepted: number
  readonly rejected: number
  readonly items: readonly BulkItemResult[]
}

export interface HandleRegistry {
  homePrefix(tenant: TenantId, prefix: string): Promise<PrefixRecord>
  /**
   * As a secondary node: record that `childPrefix` (derived from a prefix this tenant homes) is served
   * by another node, as `0.NA/{childPrefix}` with a RONGHE_NODE and/or HS_SITE value.
   */
  delegatePrefix(
    tenant: TenantId,
    childPrefix: string,
    target: { readonly baseUrl?: string; readonly site?: SiteValue; readonly ttl?: number },
  ): Promise<HandleRecord>
  register(tenant: TenantId, input: RegisterInput, opts?: { overwrite?: boolean }): Promise<HandleRecord>
  registerBulk(
    tenant: TenantId,
    inputs: readonly RegisterInput[],
    opts?: { overwrite?: boolean },
  ): Promise<BulkResult>
  /** Add or replace the given values by index (PUT with `?index=`); template fields re-validated. */
  putValues(tenant: TenantId, handle: string, values: readonly HandleValueInput[]): Promise<HandleRecord>
  removeValues(tenant: TenantId, handle: string, indexes: readonly number[]): Promise<HandleRecord>
  remove(tenant: TenantId, handle: string): Promise<boolean>
  get(tenant: TenantId, handle: string): Promise<HandleRecord | null>
  /** The record's fields by its template, or null when it has none. */
  fieldsOf(tenant: TenantId, record: HandleRecord): Promise<Record<string, string> | null>
  putTemplate(tenant: TenantId, template: MetadataTemplate): Promise<void>
  /** A tenant template, else a built-in one. */
  getTemplate(tenant: TenantId, id: string, version?: number): Promise<MetadataTemplate | null>
}

export interface HandleRegistryDeps {
  readonly store: HandleStore
  readonly clock: Clock
  /** called after every committed change (the resolver's cache invalidation hook) */
  readonly onChange?: (handle: string) => void
}

interface Prepared {
  readonly record: HandleRecord
  readonly template?: MetadataTemplate
}

export function createHandleRegistry(deps: HandleRegistryDeps): HandleRegistry {
  const { store, clock } = deps
  const changed = (h: string): void => deps.onChange?.(h)

  async function getTemplate(
    tenant: TenantId,
    id: string,
    version?: number,
  ): Promise<MetadataTemplate | null> {
    const own = await store.getTemplate(tenant, id, version)
    if (own !== null) return own
    const builtins = BUILTIN_TEMPLATES.filter(
      (t) => t.id === id && (version === undefined || t.version === version),
    )
    return builtins.sort((a, b) => b.version - a.version)[0] ?? null
  }

  async function assertHolds(tenant: TenantId, prefix: string): Promise<void> {
    const homed = await store.findHomedPrefixForPlatform(prefix)
    if (homed === null || homed.prefix !== prefix || homed.tenant !== tenant)
      throw IdentErrors.prefixNotHeld(prefix)
  }

  function withAdmin(prefix: string, values: readonly HandleValueInput[]): HandleValueInput[] {
    if (
      values.some((v) => v.type.toUpperCase() === 'HS_ADMIN') ||
      values.some((v) => v.index === ADMIN_INDEX)
    )
      return [...values]
    return [...values, adminValue(ADMIN_INDEX, { handle: `0.NA/${prefix}`, index: 200 })]
  }

  /** Validate one input without touching storage except to read templates. */
  async function prepare(
    tenant: TenantId,
    input: RegisterInput,
    now: number,
    templates: Map<string, MetadataTemplate>,
  ): Promise<Prepared> {
    const { prefix, handle } = parseHandle(input.handle)
    let template: MetadataTemplate | undefined
    let fieldValues: HandleValueInput[] = []
    if (input.template !== undefined) {
      const key = `${input.template.id}@${input.template.version ?? 'latest'}`
      template =
        templates.get(key) ??
        (await getTemplate(tenant, input.template.id, input.template.version)) ??
        undefined
      if (template === undefined) throw IdentErrors.unknownTemplate(input.template.id, input.template.version)
      templates.set(key, template)
      assertFields(template, input.fields ?? {})
      fieldValues = fieldsToValues(template, input.fields ?? {}, input.ttl)
    } else if (input.fields !== undefined && Object.keys(input.fields).length > 0) {
      throw IdentErrors.invalidTemplate('fields given without a template')
    }
    const explicit = input.values ?? []
    const clash = explicit.find((v) => fieldValues.some((f) => f.index === v.index))
    if (clash !== undefined)
      throw IdentErrors.invalidValue(`value index ${clash.index} is taken by template field`, {
        index: clash.index,
      })
    const values = normalizeValues(withAdmin(prefix, [...explicit, ...fieldValues]), now)
    return {
      record: {
        handle,
        prefix,
        values,
        ...(template === undefined ? {} : { template: { id: template.id, version: template.version } }),
        createdAt: now,
        updatedAt: now,
      },
      ...(template === undefined ? {} : { template }),
    }
  }

  async function revalidate(
    tenant: TenantId,
    rec: HandleRecord,
    values: readonly HandleValue[],
  ): Promise<void> {
    if (rec.template === undefined) return
    const t = await getTemplate(tenant, rec.template.id, rec.template.version)
    if (t === null) throw IdentErrors.unknownTemplate(rec.template.id, rec.template.version)
    assertFields(t, valuesToFields(t, values))
  }

  async function mustGet(tenant: TenantId, handle: string): Promise<HandleRecord> {
    const h = parseHandle(handle).handle
    const rec = await store.getHandle(tenant, h)
    if (rec === null) throw IdentErrors.handleNotFound(h)
    return rec
  }

  return {
    async homePrefix(tenant, prefix) {
      return store.homePrefix(tenant, normalizePrefix(prefix), clock.now())
    },

    async delegatePrefix(tenant, childPrefix, target) {
      const child = normalizePrefix(childPrefix)
      const parent = parentPrefix(child)
      if (parent === null) throw IdentErrors.invalidPrefix(child, 'only derived prefixes can be delegated')
      const holder = await store.findHomedPrefixForPlatform(parent)
      if (holder === null || holder.tenant !== tenant) throw IdentErrors.prefixNotHeld(parent)
      const values: HandleValueInput[] = []
      if (target.baseUrl !== undefined) values.push(nodeValue(1, target.baseUrl, target.ttl))
      if (target.site !== undefined) values.push(siteValue(2, target.site, target.ttl))
      if (values.length === 0) throw IdentErrors.invalidValue('a delegation needs a baseUrl or a site')
      const now = clock.now()
      const handle = `${DELEGATION_PREFIX}/${child}`
      const record: HandleRecord = {
        handle,
        prefix: DELEGATION_PREFIX,
        values: normalizeValues(withAdmin(holder.prefix, values), now),
        createdAt: now,
        updatedAt: now,
      }
      await store.putHandle(tenant, record, { overwrite: true })
      changed(handle)
      return record
    },

    async register(tenant, input, opts) {
      const now = clock.now()
      const p = await prepare(tenant, input, now, new Map())
      await assertHolds(tenant, p.record.prefix)
      await store.putHandle(tenant, p.record, { overwrite: opts?.overwrite ?? false })
      changed(p.record.handle)
      return p.record
    },

    async registerBulk(tenant, inputs, opts) {
      if (inputs.length > MAX_BULK) throw IdentErrors.batchTooLarge(inputs.length, MAX_BULK)
      const now = clock.now()
      const templates = new Map<string, MetadataTemplate>()
      const held = new Map<string, boolean>()
      const items: (BulkItemResult | null)[] = new Array(inputs.length).fill(null)
      const ready: { at: number; record: HandleRecord }[] = []
      const seen = new Set<string>()
      for (const [at, input] of inputs.entries()) {
        try {
          const p = await prepare(tenant, input, now, templates)
          let ok = held.get(p.record.prefix)
          if (ok === undefined) {
            ok = await assertHolds(tenant, p.record.prefix).then(
              () => true,
              () => false,
            )
            held.set(p.record.prefix, ok)
          }
          if (!ok) throw IdentErrors.prefixNotHeld(p.record.prefix)
          if (seen.has(p.record.handle))
            throw IdentErrors.invalidValue(`handle ${p.record.handle} appears twice in the batch`, {
              handle: p.record.handle,
            })
          seen.add(p.record.handle)
          ready.push({ at, record: p.record })
        } catch (err) {
          if (!isRongheError(err)) throw err
          items[at] = {
            at,
            handle: typeof input?.handle === 'string' ? input.handle : '',
            ok: false,
            error: {
              code: err.code,
              message: err.message,
              ...(err.details === undefined ? {} : { details: err.details }),
            },
          }
        }
      }
      const results = await store.putHandles(
        tenant,
        ready.map((r) => r.record),
        { overwrite: opts?.overwrite ?? false },
      )
      results.forEach((r, i) => {
        const at = ready[i]!.at
        if (r.ok) {
          items[at] = { at, handle: r.result.handle, ok: true, created: r.result.created }
          changed(r.result.handle)
        } else
          items[at] = {
            at,
            handle: r.handle,
            ok: false,
            error: {
              code: r.code,
              message: r.code === 'IDENT_HANDLE_EXISTS' ? `handle ${r.handle} already exists` : r.code,
            },
          }
      })
      const done = items as BulkItemResult[]
      const accepted = done.filter((x) => x.ok).length
      return { accepted, rejected: done.length - accepted, items: done }
    },

    async putValues(tenant, handle, values) {
      const rec = await mustGet(tenant, handle)
      const now = clock.now()
      const incoming = normalizeValues(values, now)
      const merged = [
        ...rec.values.filter((v) => !incoming.some((n) => n.index === v.index)),
        ...incoming,
      ].sort((a, b) => a.index - b.index)
      await revalidate(tenant, rec, merged)
      const next: HandleRecord = { ...rec, values: merged, updatedAt: now }
      await store.putHandle(tenant, next, { overwrite: true })
      changed(rec.handle)
      return next
    },

    async removeValues(tenant, handle, indexes) {
      const rec = await mustGet(tenant, handle)
      const kept = rec.values.filter((v) => !indexes.includes(v.index))
      await revalidate(tenant, rec, kept)
      const next: HandleRecord = { ...rec, values: kept, updatedAt: clock.now() }
      await store.putHandle(tenant, next, { overwrite: true })
      changed(rec.handle)
      return next
    },

    async remove(tenant, handle) {
      const h = parseHandle(handle).handle
      const gone = await store.deleteHandle(tenant, h)
      if (gone) changed(h)
      return gone
    },

    async get(tenant, handle) {
      return store.getHandle(tenant, parseHandle(handle).handle)
    },

    async fieldsOf(tenant, record) {
      if (record.template === undefined) return null
      const t = await getTemplate(tenant, record.template.id, record.template.version)
      return t === null ? null : valuesToFields(t, record.values)
    },

    async putTemplate(tenant, template) {
      const problems = templateProblems(template)
      if (problems.length > 0)
        throw IdentErrors.invalidTemplate(`invalid template: ${problems.join('; ')}`, { problems })
      await store.putTemplate(tenant, template)
    },

    getTemplate,
  }
}

export type { FieldError }
