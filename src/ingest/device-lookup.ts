import type { Device, TenantId } from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'

/**
 * The device a front door's topic names, by (tenant, key), cached. Front doors that take the tenant
 * and device from a topic the broker authorised (NATS MQTT, an external broker) use it. A device
 * that is not registered is asked for again next time: it may be registered meanwhile.
 */
export type DeviceLookup = (tenant: TenantId, key: string) => Promise<Device | null>

export function createDeviceLookup(meta: MetaStore): DeviceLookup {
  const devices = new Map<string, Promise<Device | null>>()
  return function deviceOf(tenant: TenantId, key: string): Promise<Device | null> {
    const k = `${tenant}\u0000${key}`
    let p = devices.get(k)
    if (p === undefined) {
      p = meta.findDeviceByKey(tenant, key)
      p.then(
        (d) => {
          if (d === null) devices.delete(k)
        },
        () => devices.delete(k),
      )
      devices.set(k, p)
    }
    return p
  }
}
