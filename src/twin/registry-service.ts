import {
  ASSET_LEVELS,
  type Asset,
  type AssetId,
  type Clock,
  CoreErrors,
  type Device,
  type DeviceId,
  isIndustryCode,
  isRegionCode,
  type Point,
  type PointId,
  type Tenant,
  type TenantId,
  usccProblem,
} from '../core/index.ts'
import type { Bus } from '../bus/index.ts'
import { Subjects } from '../bus/index.ts'
import type { MetaStore, NewAsset, NewDevice, NewPoint, NewTenant } from '../store/meta/index.ts'
import type { SeriesStore } from '../store/series/series-store.ts'

/** Records who did what; the security module provides it. */
export type AuditFn = (
  tenant: TenantId | null,
  action: string,
  target: string | null,
  outcome: 'ok' | 'denied' | 'failed',
  details?: unknown,
) => Promise<void>

const USCC_WHY = {
  length: 'must have 18 characters',
  charset: 'may contain only digits and the capital letters A–Y except I, O, S, V, Z',
  region: 'characters 3–8 must be a GB/T 2260 administrative division code',
  check: 'has a wrong check character (the 18th); please re-check the code on the business licence',
} as const

export function validateTenant(t: Partial<NewTenant>): void {
  const problems: { field: string; message: string }[] = []
  if (t.uscc !== undefined) {
    const p = usccProblem(t.uscc)
    if (p) problems.push({ field: 'uscc', message: `unified social credit code ${USCC_WHY[p]}` })
  }
  if (t.regionCode !== undefined && !isRegionCode(t.regionCode)) {
    problems.push({
      field: 'regionCode',
      message: 'region code must be a six-digit GB/T 2260 code such as 440600 (Foshan)',
    })
  }
  if (t.industryCode !== undefined && !isIndustryCode(t.industryCode)) {
    problems.push({
      field: 'industryCode',
      message: 'industry code must be a GB/T 4754 code such as C3360 (a section letter A–T and 2–4 digits)',
    })
  }
  if (t.name !== undefined && t.name.trim().length === 0)
    problems.push({ field: 'name', message: 'name must not be empty' })
  if (problems.length > 0)
    throw CoreErrors.validation(problems.map((p) => p.message).join('; '), { problems })
}

/**
 * Enterprises, the ISA-95 asset tree, devices and points: validation, tenant scoping and an audit
 * entry for every change.
 */
export function createRegistryService(deps: {
  meta: MetaStore
  series: SeriesStore
  bus: Bus
  clock: Clock
}) {
  const { meta, series, bus } = deps

  function checkLevel(level: Asset['level'], parent: Asset | null): void {
    if (!parent) return
    if (ASSET_LEVELS.indexOf(level) <= ASSET_LEVELS.indexOf(parent.level)) {
      throw CoreErrors.validation(
        `a ${level} cannot sit under a ${parent.level}: ISA-95 levels go site → area → line → cell → equipment`,
      )
    }
  }

  return {
    async createTenant(audit: AuditFn, t: NewTenant): Promise<Tenant> {
      validateTenant(t)
      const tenant = await meta.createTenantForPlatform(t)
      await audit(tenant.id, 'tenant.create', tenant.id, 'ok', { name: t.name, uscc: t.uscc })
      return tenant
    },
    async updateTenant(audit: AuditFn, tenant: TenantId, patch: Partial<NewTenant>): Promise<Tenant> {
      validateTenant(patch)
      const t = await meta.updateTenant(tenant, patch)
      await audit(tenant, 'tenant.update', tenant, 'ok', patch)
      return t
    },

    async createAsset(audit: AuditFn, tenant: TenantId, a: NewAsset): Promise<Asset> {
      const parent = a.parentId ? await meta.getAsset(tenant, a.parentId) : null
      checkLevel(a.level, parent)
      const asset = await meta.createAsset(tenant, a)
      await audit(tenant, 'asset.create', asset.id, 'ok', { name: a.name, level: a.level })
      return asset
    },
    async updateAsset(
      audit: AuditFn,
      tenant: TenantId,
      id: AssetId,
      patch: Partial<Omit<NewAsset, 'level'>>,
    ): Promise<Asset> {
      const current = await meta.getAsset(tenant, id)
      if (patch.parentId) {
        const parent = await meta.getAsset(tenant, patch.parentId)
        checkLevel(current.level, parent)
        // refuse cycles: the new parent must not be below this asset
        let p: Asset | null = parent
        while (p) {
          if (p.id === id)
            throw CoreErrors.validation('an asset cannot move under one of its own descendants')
          p = p.parentId ? await meta.getAsset(tenant, p.parentId) : null
        }
      }
      const a = await meta.updateAsset(tenant, id, patch)
      await audit(tenant, 'asset.update', id, 'ok', patch)
      return a
    },
    async deleteAsset(audit: AuditFn, tenant: TenantId, id: AssetId): Promise<void> {
      await meta.deleteAsset(tenant, id)
      await audit(tenant, 'asset.delete', id, 'ok')
    },

    async createDevice(audit: AuditFn, tenant: TenantId, d: NewDevice): Promise<Device> {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(d.key)) {
        throw CoreErrors.validation(
          'device key must be 1–64 letters, digits, _ . or - (it becomes an MQTT topic segment)',
        )
      }
      const device = await meta.createDevice(tenant, d)
      await audit(tenant, 'device.create', device.id, 'ok', {
        name: d.name,
        key: d.key,
        protocol: d.protocol,
      })
      return device
    },
    async updateDevice(
      audit: AuditFn,
      tenant: TenantId,
      id: DeviceId,
      patch: Partial<NewDevice>,
    ): Promise<Device> {
      if (patch.key !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(patch.key)) {
        throw CoreErrors.validation('device key must be 1–64 letters, digits, _ . or -')
      }
      const d = await meta.updateDevice(tenant, id, patch)
      await audit(tenant, 'device.update', id, 'ok', patch)
      return d
    },
    async deleteDevice(audit: AuditFn, tenant: TenantId, id: DeviceId): Promise<void> {
      const points = await meta.pointsOfDevice(tenant, id)
      await meta.deleteDevice(tenant, id)
      for (const p of points) await series.deletePoint(tenant, p.id)
      await audit(tenant, 'device.delete', id, 'ok', { points: points.length })
      void bus.publish('device.deleted', { tenant, device: id })
    },

    async createPoint(audit: AuditFn, tenant: TenantId, p: NewPoint): Promise<Point> {
      if (p.key.length === 0 || p.key.length > 256)
        throw CoreErrors.validation('point key must have 1–256 characters')
      if (p.assetId) await meta.getAsset(tenant, p.assetId)
      const [point] = await meta.createPoints(tenant, [p])
      await audit(tenant, 'point.create', point?.id ?? null, 'ok', { name: p.name, key: p.key })
      void bus.publish(Subjects.pointRegistered, { tenant, device: p.deviceId, points: [point?.id] })
      return point as Point
    },
    async updatePoint(
      audit: AuditFn,
      tenant: TenantId,
      id: PointId,
      patch: Partial<Omit<NewPoint, 'deviceId' | 'key'>>,
    ): Promise<Point> {
      const p = await meta.updatePoint(tenant, id, patch)
      await audit(tenant, 'point.update', id, 'ok', patch)
      void bus.publish('point.changed', { tenant, device: p.deviceId })
      return p
    },
    async deletePoint(audit: AuditFn, tenant: TenantId, id: PointId): Promise<void> {
      const p = await meta.getPoint(tenant, id)
      await meta.deletePoint(tenant, id)
      const removed = await series.deletePoint(tenant, id)
      await audit(tenant, 'point.delete', id, 'ok', { samples: removed })
      void bus.publish('point.changed', { tenant, device: p.deviceId })
    },
  }
}

export type RegistryService = ReturnType<typeof createRegistryService>
