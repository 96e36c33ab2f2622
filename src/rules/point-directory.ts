/**
 * Rules name points by path, `<device key>/<point key>` (e.g. `CNC-01/vibrationRms`), so a rule can be
 * written before its points exist (devices register points on first publish) and reads the same in
 * every export. Samples carry point ids; this directory maps between the two, caching both ways.
 */
import type { DeviceId, PointId, TenantId } from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'

export interface PointDirectory {
  /** paths of the given point ids (null for ids that do not exist); cached after the first lookup */
  paths(tenant: TenantId, ids: readonly PointId[]): Promise<Map<PointId, string | null>>
  /** the cached path, if known (the hot path) */
  cachedPath(tenant: TenantId, id: PointId): string | null | undefined
  /** the point id of a path, or null */
  idOf(tenant: TenantId, path: string): Promise<PointId | null>
  /** forget what is cached for a tenant (points or devices changed) */
  invalidate(tenant: TenantId): void
}

export function isPointPath(ref: string): boolean {
  const i = ref.indexOf('/')
  return i > 0 && i < ref.length - 1
}

export function createPointDirectory(meta: MetaStore): PointDirectory {
  const byTenant = new Map<TenantId, Map<PointId, string | null>>()
  const deviceKeys = new Map<TenantId, Map<DeviceId, string>>()

  function cacheOf(tenant: TenantId): Map<PointId, string | null> {
    let m = byTenant.get(tenant)
    if (m === undefined) {
      m = new Map()
      byTenant.set(tenant, m)
    }
    return m
  }

  async function deviceKey(tenant: TenantId, id: DeviceId): Promise<string | null> {
    let m = deviceKeys.get(tenant)
    if (m === undefined) {
      m = new Map()
      deviceKeys.set(tenant, m)
    }
    const k = m.get(id)
    if (k !== undefined) return k
    try {
      const d = await meta.getDevice(tenant, id)
      m.set(id, d.key)
      return d.key
    } catch {
      return null
    }
  }

  return {
    cachedPath(tenant, id) {
      return byTenant.get(tenant)?.get(id)
    },
    async paths(tenant, ids) {
      const cache = cacheOf(tenant)
      const out = new Map<PointId, string | null>()
      const missing: PointId[] = []
      for (const id of ids) {
        const p = cache.get(id)
        if (p === undefined) missing.push(id)
        else out.set(id, p)
      }
      if (missing.length > 0) {
        const unique = [...new Set(missing)]
        const found = await meta.pointsByIds(tenant, unique)
        const got = new Set<PointId>()
        for (const pt of found) {
          const dk = await deviceKey(tenant, pt.deviceId)
          const path = dk === null ? null : `${dk}/${pt.key}`
          cache.set(pt.id, path)
          out.set(pt.id, path)
          got.add(pt.id)
        }
        for (const id of unique) {
          if (got.has(id)) continue
          cache.set(id, null)
          out.set(id, null)
        }
      }
      return out
    },
    async idOf(tenant, path) {
      const cache = cacheOf(tenant)
      for (const [id, p] of cache) if (p === path) return id
      const i = path.indexOf('/')
      if (i <= 0) return null
      const device = await meta.findDeviceByKey(tenant, path.slice(0, i))
      if (device === null) return null
      const pts = await meta.pointsOfDevice(tenant, device.id)
      const key = path.slice(i + 1)
      for (const pt of pts) cache.set(pt.id, `${device.key}/${pt.key}`)
      return pts.find((pt) => pt.key === key)?.id ?? null
    },
    invalidate(tenant) {
      byTenant.delete(tenant)
      deviceKeys.delete(tenant)
    },
  }
}
