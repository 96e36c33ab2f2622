import { join } from 'node:path'
import { connect, type MqttClient } from 'mqtt'
import type { Bus } from './bus/index.ts'
import type { Asset, AssetId, DeviceId, Logger, PointId, TenantId } from './core/index.ts'
import type { IngestPipeline } from './ingest/ingest-pipeline.ts'
import type { ProtocolAdapter } from './ingest/ingest-sink.ts'
import { createModbusAdapter } from './ingest/modbus/index.ts'
import { createOpcuaAdapter } from './ingest/opcua/index.ts'
import type { SecurityService } from './security/security-service.ts'
import {
  buildEnterprises,
  createSparkplugFactoryRunner,
  createVirtualFactory,
  listEquipment,
  type SimValue,
} from './sim/index.ts'
import { createSimModbusServer, type SimModbusServer, simModbusPollGroups } from './sim/modbus-server.ts'
import { createSimOpcuaServer } from './sim/opcua-server.ts'
import type { MetaStore } from './store/meta/index.ts'
import type { AuditFn, RegistryService } from './twin/registry-service.ts'

/**
 * The live demo a new data directory starts with: the virtual factory's three enterprises, their
 * ISA-95 plants, devices and credentials, and the factory running in real time, over real protocols:
 * Sparkplug equipment talks to the platform's own MQTT front door over TCP (one edge node per line),
 * JSON equipment publishes over MQTT, and OPC UA and Modbus equipment is served by the factory's own
 * OPC UA and Modbus TCP servers, read by the platform's OPC UA and Modbus adapters.
 */
export interface DemoDeps {
  readonly meta: MetaStore
  readonly registry: RegistryService
  readonly security: SecurityService
  readonly pipeline: IngestPipeline
  readonly bus: Bus
  readonly log: Logger
  readonly mqttUrl: string
  /** where the demo keeps its OPC UA certificates */
  readonly dataDir: string
}

interface Provisioned {
  readonly tenants: Map<string, TenantId>
  /** `${enterprise}/${equipment}` → asset */
  readonly equipmentAssets: Map<string, AssetId>
  /** `${tenant}/${edgeNode}` → credentials */
  readonly edgeCredentials: Map<string, { username: string; password: string }>
  /** `${enterprise}/${equipment}` → device (non-Sparkplug equipment has its own device) */
  readonly equipmentDevices: Map<
    string,
    { tenant: TenantId; device: DeviceId; key: string; protocol: string; username: string; password: string }
  >
  /** point display names by `${enterprise}/${equipment}/${point}` */
  readonly pointNames: Map<string, { name: string; unit: string }>
}

const system: AuditFn = async () => undefined

/** Creates the demo enterprises on a new installation. Idempotent per credit code (skips existing ones). */
export async function provisionDemo(deps: DemoDeps): Promise<Provisioned> {
  const { registry, security } = deps
  const audit: AuditFn = (tenant, action, target, outcome, details) =>
    security.audit({ principal: null, ip: null }, tenant, action, target, outcome, {
      ...((details as object) ?? {}),
      by: 'demo',
    })
  const enterprises = buildEnterprises()
  const out: Provisioned = {
    tenants: new Map(),
    equipmentAssets: new Map(),
    edgeCredentials: new Map(),
    equipmentDevices: new Map(),
    pointNames: new Map(),
  }
  const actor = {
    principal: {
      kind: 'user' as const,
      userId: 'system' as never,
      username: 'demo',
      role: 'platform_admin' as const,
      tenant: null,
    },
    ip: null,
  }
  for (const e of enterprises) {
    const t = await registry.createTenant(audit, {
      name: e.nameZh,
      uscc: e.uscc,
      industryCode: e.industryCode,
      regionCode: e.regionCode,
    })
    out.tenants.set(e.key, t.id)
    const lineAssets = new Map<string, Asset>()
    for (const site of e.sites) {
      const s = await registry.createAsset(system, t.id, { level: 'site', name: site.nameZh, code: site.key })
      for (const area of site.areas) {
        const a = await registry.createAsset(system, t.id, {
          level: 'area',
          name: area.nameZh,
          code: area.key,
          parentId: s.id,
        })
        for (const line of area.lines) {
          const l = await registry.createAsset(system, t.id, {
            level: 'line',
            name: line.nameZh,
            code: line.key,
            parentId: a.id,
          })
          lineAssets.set(`${site.key}-${line.key}`, l)
          for (const cell of line.cells) {
            const c = await registry.createAsset(system, t.id, {
              level: 'cell',
              name: cell.nameZh,
              code: cell.key,
              parentId: l.id,
            })
            for (const eq of cell.equipment) {
              const q = await registry.createAsset(system, t.id, {
                level: 'equipment',
                name: eq.nameZh,
                code: eq.key,
                parentId: c.id,
                attributes: {
                  kind: eq.kind,
                  numericallyControlled: eq.numericallyControlled,
                  keyProcess: eq.keyProcess,
                  networked: eq.networked,
                  model: eq.model,
                  manufacturer: eq.manufacturer,
                },
              })
              out.equipmentAssets.set(`${e.key}/${eq.key}`, q.id)
              for (const p of eq.points)
                out.pointNames.set(`${e.key}/${eq.key}/${p.key}`, { name: p.nameZh, unit: p.unit })
            }
          }
        }
      }
    }
    for (const p of listEquipment([e])) {
      const eq = p.equipment
      if (!eq.protocol || eq.points.length === 0) continue
      if (eq.protocol === 'sparkplug') {
        const edgeKey = `${p.site.key}-${p.line.key}`
        if (out.edgeCredentials.has(`${t.id}/${edgeKey}`)) continue
        const d = await registry.createDevice(system, t.id, {
          name: `边缘网关 ${edgeKey}`,
          key: edgeKey,
          kind: 'gateway',
          protocol: 'sparkplug',
          assetId: lineAssets.get(edgeKey)?.id ?? null,
        })
        const c = await security.issueCredential(actor, t.id, d.id, 'password')
        out.edgeCredentials.set(`${t.id}/${edgeKey}`, {
          username: c.username,
          password: c.password as string,
        })
      } else {
        const protocol = eq.protocol === 'json' ? 'mqtt' : eq.protocol
        const d = await registry.createDevice(system, t.id, {
          name: eq.nameZh,
          key: eq.key,
          kind: 'machine',
          protocol,
          assetId: out.equipmentAssets.get(`${e.key}/${eq.key}`) ?? null,
        })
        const c = await security.issueCredential(actor, t.id, d.id, 'password')
        out.equipmentDevices.set(`${e.key}/${eq.key}`, {
          tenant: t.id,
          device: d.id,
          key: eq.key,
          protocol: eq.protocol,
          username: c.username,
          password: c.password as string,
        })
      }
    }
  }
  return out
}

export interface DemoRunner {
  stop(): Promise<void>
}

/** Runs the factory in real time against the platform. */
export async function runDemo(deps: DemoDeps, p: Provisioned, seed = 20261125): Promise<DemoRunner> {
  const { meta, pipeline, bus, log } = deps
  const tenantToEnterprise = new Map([...p.tenants].map(([k, t]) => [t, k]))

  // Sparkplug points are registered under the line's gateway as `<equipment>/<point>`: move each onto its
  // equipment asset and give it the catalogue's Chinese name, once, as births arrive.
  const unsubscribe = bus.subscribe<{ tenant: TenantId; device: DeviceId; points: PointId[] }>(
    'point.registered',
    ({ data }) => {
      const enterprise = tenantToEnterprise.get(data.tenant)
      if (!enterprise) return
      void (async () => {
        for (const id of data.points) {
          const pt = await meta.getPoint(data.tenant, id)
          const [eqKey, pointKey] = pt.key.includes('/')
            ? (pt.key.split('/', 2) as [string, string])
            : [null, pt.key]
          const device = eqKey ? null : await meta.getDevice(data.tenant, pt.deviceId)
          const equipment = eqKey ?? device?.key ?? ''
          const info = p.pointNames.get(`${enterprise}/${equipment}/${pointKey}`)
          const assetId = p.equipmentAssets.get(`${enterprise}/${equipment}`) ?? null
          await meta.updatePoint(data.tenant, id, {
            assetId,
            ...(info ? { name: info.name, unit: info.unit || null } : {}),
          })
        }
      })().catch((err) => log.warn('demo: could not place a point', { error: String(err) }))
    },
  )

  const factory = createVirtualFactory({ seed, start: Date.now() - 1000, tickMs: 1000 })
  const jsonClients = new Map<string, MqttClient>()
  for (const [key, d] of p.equipmentDevices) {
    if (d.protocol !== 'json') continue
    const c = connect(deps.mqttUrl, {
      username: d.username,
      password: d.password,
      clientId: `demo-${d.key}-${d.tenant.slice(-6)}`,
      reconnectPeriod: 2000,
    })
    c.on('error', () => undefined)
    jsonClients.set(key, c)
  }
  // the factory's OPC UA server and one Modbus TCP server per enterprise, on ephemeral loopback ports
  const opcua = createSimOpcuaServer({
    enterprises: factory.enterprises,
    pkiDir: join(deps.dataDir, 'demo', 'opcua-server-pki'),
    hostname: '127.0.0.1',
  })
  await opcua.start()
  const modbus = new Map<string, SimModbusServer>()
  for (const e of factory.enterprises) {
    const server = createSimModbusServer({ enterprise: e, host: '127.0.0.1' })
    await server.start()
    modbus.set(e.key, server)
  }
  const adapters: ProtocolAdapter[] = []
  for (const [key, d] of p.equipmentDevices) {
    const enterpriseKey = key.slice(0, key.indexOf('/'))
    if (d.protocol === 'opcua') {
      const items = opcua.variables
        .filter((x) => x.enterpriseKey === enterpriseKey && x.deviceKey === d.key)
        .map((x) => ({ nodeId: x.nodeId, key: x.pointKey }))
      adapters.push(
        createOpcuaAdapter({
          tenant: d.tenant,
          device: d.device,
          endpointUrl: opcua.endpointUrl,
          pkiDir: join(deps.dataDir, 'demo', 'opcua-client-pki'),
          items,
        }),
      )
    } else if (d.protocol === 'modbus') {
      const server = modbus.get(enterpriseKey)
      const unit = server?.units.find((u) => u.deviceKey === d.key)
      const enterprise = factory.enterprises.find((e) => e.key === enterpriseKey)
      if (!server || !unit || !enterprise) continue
      adapters.push(
        createModbusAdapter({
          tenant: d.tenant,
          device: d.device,
          host: '127.0.0.1',
          port: server.port,
          unitId: unit.unitId,
          groups: simModbusPollGroups(enterprise, unit),
        }),
      )
    }
  }
  for (const a of adapters) await a.start(pipeline)

  const pending = new Map<
    string,
    {
      client: MqttClient
      values: { key: string; ts: number; value: number | string | null; quality: SimValue['quality'] }[]
    }
  >()
  const runner = createSparkplugFactoryRunner({
    url: deps.mqttUrl,
    factory,
    speed: 1,
    intervalMs: 1000,
    groupIdFor: (enterpriseKey) => p.tenants.get(enterpriseKey) ?? enterpriseKey,
    credentialsFor: (plan) =>
      p.edgeCredentials.get(`${plan.groupId}/${plan.edgeNodeId}`) ?? { username: '', password: '' },
    onUnrouted: (v) => {
      opcua.apply(v)
      modbus.get(v.enterpriseKey)?.apply(v)
      const key = `${v.enterpriseKey}/${v.deviceKey}`
      const client = jsonClients.get(key)
      if (!client) return
      let b = pending.get(key)
      if (!b) {
        b = { client, values: [] }
        pending.set(key, b)
      }
      b.values.push({ key: v.pointKey, ts: v.ts, value: v.value, quality: v.quality })
    },
  })
  // after each step, the JSON devices send what they produced in it
  const flush = setInterval(() => {
    for (const [key, b] of pending) {
      if (b.values.length === 0) continue
      const d = p.equipmentDevices.get(key)
      if (d)
        b.client.publish(`ronghe/${d.tenant}/${d.key}/data`, JSON.stringify(b.values.splice(0)), { qos: 1 })
    }
  }, 1000)
  await runner.start()
  log.info(
    `demo: virtual factory running — ${runner.plans.length} Sparkplug B edge nodes and ${jsonClients.size} JSON devices over MQTT, ${adapters.length} OPC UA / Modbus devices read from ${opcua.endpointUrl} and ${modbus.size} Modbus TCP servers`,
  )
  return {
    async stop(): Promise<void> {
      clearInterval(flush)
      unsubscribe()
      await runner.stop({ clean: true })
      for (const c of jsonClients.values()) c.end(true)
      for (const a of adapters) await a.stop()
      for (const m of modbus.values()) await m.stop()
      await opcua.stop()
    },
  }
}
