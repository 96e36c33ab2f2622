import { join } from 'node:path'
import type { Bus } from '../bus/index.ts'
import type { Clock, DeviceId, TenantId } from '../core/index.ts'
import { type AdapterConfigStore, openSqliteAdapterConfigStore } from './adapter-config-store.ts'
import { AdapterErrors } from './adapter-errors.ts'
import { type AdapterLeases, createLocalAdapterLeases } from './adapter-leases.ts'
import type { AdapterStatus, IngestSink, ProtocolAdapter } from './ingest-sink.ts'
import { createModbusAdapter, type ModbusAdapterConfig } from './modbus/index.ts'
import {
  browseEndpoint,
  createOpcuaAdapter,
  type OpcuaAdapterConfig,
  type OpcuaBrowseNode,
  type OpcuaConnectionConfig,
} from './opcua/index.ts'

/**
 * Adapters configured through the API: one OPC UA or Modbus TCP adapter per device of that protocol,
 * started when the platform starts and restarted whenever its configuration changes. Values go to the
 * ingest pipeline under the device's id, so they are bound to points (auto-registered by key) exactly
 * like values arriving over MQTT.
 *
 * Embedded shape: configurations in `adapters.db` (SQLite) in the data directory, every adapter runs
 * on this node. Scale-out shape: configurations in PostgreSQL, and each adapter runs on the one node
 * that holds its lease (AdapterLeases); every node re-tries the leases it lacks periodically, so an
 * adapter whose node died is taken over, and picks up configurations changed through another node.
 */

export type ModbusSettings = Omit<ModbusAdapterConfig, 'tenant' | 'device' | 'clock'>
export type OpcuaSettings = Omit<OpcuaAdapterConfig, 'tenant' | 'device' | 'clock' | 'pkiDir'>
export type AdapterSettings =
  | ({ readonly kind: 'modbus' } & ModbusSettings)
  | ({ readonly kind: 'opcua' } & OpcuaSettings)

export interface AdapterRecord {
  readonly device: DeviceId
  readonly settings: AdapterSettings
  readonly updatedAt: number
}

export interface AdapterHealth {
  readonly kind: 'modbus' | 'opcua'
  /**
   * false when another node of the cluster runs the adapter: the figures below are then that node's
   * last report (at `reportedAt`), or unknown (connected false, rates 0, no counters) before its first
   */
  readonly runningHere: boolean
  /** epoch ms of the running node's report, when another node runs the adapter */
  readonly reportedAt?: number
  readonly connected: boolean
  readonly lastError: string | null
  /** values delivered per second over the last ~10 s */
  readonly readsPerSec: number
  /** errors per second over the last ~10 s */
  readonly errorsPerSec: number
  readonly counters: AdapterStatus['counters']
}

export interface AdapterManagerDeps {
  /** the OPC UA client PKI folders live here, and adapters.db when no `store` is given */
  readonly dataDir: string
  /** where configurations live; default adapters.db in `dataDir` (opened by start() or first use) */
  readonly store?: AdapterConfigStore
  /** which adapters this node runs; default all of them (one node) */
  readonly leases?: AdapterLeases
  /** with a shared store: how often the node re-reads configurations and re-tries leases (default 5 s) */
  readonly claimIntervalMs?: number
  readonly sink: IngestSink
  readonly clock: Clock
  readonly log?: { warn(msg: string, extra?: unknown): void }
  /** when given, a deleted device's adapter is stopped and its configuration removed */
  readonly bus?: Bus
}

export interface AdapterManager {
  /** starts every stored adapter (without waiting for their peers) and the rate sampler */
  start(): Promise<void>
  stop(): Promise<void>
  get(tenant: TenantId, device: DeviceId): Promise<AdapterRecord | null>
  /** stores the configuration and (re)starts the device's adapter with it */
  put(tenant: TenantId, device: DeviceId, settings: AdapterSettings): Promise<AdapterRecord>
  remove(tenant: TenantId, device: DeviceId): Promise<boolean>
  health(tenant: TenantId, device: DeviceId): Promise<AdapterHealth | null>
  /** the adapters running on this node: `tenant/device` and the updatedAt of the configuration they run */
  runningHere(): readonly { readonly key: string; readonly updatedAt: number }[]
  /** a one-off session to an OPC UA server: its address space from the Objects folder */
  browse(
    connection: Omit<OpcuaConnectionConfig, 'pkiDir'>,
    options?: { root?: string; maxDepth?: number; maxNodes?: number },
  ): Promise<OpcuaBrowseNode>
}

interface Running {
  readonly tenant: TenantId
  readonly device: DeviceId
  readonly adapter: ProtocolAdapter
  readonly kind: 'modbus' | 'opcua'
  /** the configuration's updatedAt this adapter was started with */
  readonly updatedAt: number
  /** counter snapshots for the rates: oldest first */
  readonly samples: { at: number; reads: number; errors: number }[]
}

const readsOf = (c: AdapterStatus['counters']): number => c.values ?? 0
const errorsOf = (c: AdapterStatus['counters']): number =>
  c.errors ?? Object.entries(c).reduce((n, [k, v]) => (/error/i.test(k) ? n + v : n), 0)

export function createAdapterManager(deps: AdapterManagerDeps): AdapterManager {
  let storePromise: Promise<AdapterConfigStore> | null = null
  const leases = deps.leases ?? createLocalAdapterLeases()
  const running = new Map<string, Running>()
  let sampler: NodeJS.Timeout | null = null
  let claimer: NodeJS.Timeout | null = null
  let unsubscribe: (() => void) | null = null
  let stopped = false
  const keyOf = (tenant: TenantId, device: DeviceId): string => `${tenant}/${device}`
  const pkiDir = (name: string): string => join(deps.dataDir, 'opcua-pki', name)

  function store(): Promise<AdapterConfigStore> {
    storePromise ??= deps.store
      ? Promise.resolve(deps.store)
      : openSqliteAdapterConfigStore(join(deps.dataDir, 'adapters.db'))
    return storePromise
  }

  // starts and stops happen one at a time, so a periodic claim never races a put or a remove
  let chain: Promise<unknown> = Promise.resolve()
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = chain.then(fn)
    chain = p.catch(() => undefined)
    return p
  }

  function create(tenant: TenantId, device: DeviceId, s: AdapterSettings): ProtocolAdapter {
    const common = { tenant, device, clock: deps.clock }
    if (s.kind === 'modbus') {
      const { kind: _k, ...rest } = s
      return createModbusAdapter({ ...rest, ...common })
    }
    const { kind: _k, ...rest } = s
    return createOpcuaAdapter({ ...rest, ...common, pkiDir: pkiDir(device), startWaitMs: 0 })
  }

  async function stopOne(key: string): Promise<void> {
    const r = running.get(key)
    if (r === undefined) return
    running.delete(key)
    await r.adapter.stop().catch(() => undefined)
  }

  async function launch(tenant: TenantId, device: DeviceId, s: AdapterSettings, updatedAt: number) {
    const key = keyOf(tenant, device)
    await stopOne(key)
    const adapter = create(tenant, device, s)
    running.set(key, { tenant, device, adapter, kind: s.kind, updatedAt, samples: [] })
    // an unreachable peer is retried by the adapter itself; its state shows in health()
    adapter.start(deps.sink).catch((err: unknown) => {
      deps.log?.warn('adapter did not start', { tenant, device, error: (err as Error).message })
    })
  }

  /**
   * Brings what runs here in line with the stored configurations: starts what this node may run and
   * does not, restarts what changed, stops what is gone. On one node that is every stored adapter.
   */
  async function reconcile(): Promise<void> {
    if (stopped) return
    await leases.check()
    const rows = await (await store()).listForPlatform()
    const wanted = new Set<string>()
    for (const row of rows) {
      const key = keyOf(row.tenant, row.device)
      wanted.add(key)
      if (running.get(key)?.updatedAt === row.updatedAt) continue
      if (!(await leases.claim(key))) continue
      try {
        await launch(row.tenant, row.device, row.settings, row.updatedAt)
      } catch (err) {
        deps.log?.warn('stored adapter configuration refused', {
          device: row.device,
          error: (err as Error).message,
        })
      }
    }
    for (const key of [...running.keys()])
      if (!wanted.has(key)) {
        await stopOne(key)
        await leases.release(key)
      }
    // the other nodes answer for these from the report
    const st = await store()
    if (st.capabilities.shared) {
      const now = deps.clock.now()
      await st.reportHealth(
        [...running.values()].map((r) => ({
          tenant: r.tenant,
          device: r.device,
          health: JSON.stringify(healthOf(r)),
          reportedAt: now,
        })),
      )
    }
  }

  function healthOf(r: Running): AdapterHealth {
    const st = r.adapter.status()
    const now = deps.clock.now()
    const first = r.samples[0]
    const dt = first === undefined ? 0 : (now - first.at) / 1000
    // rates over less than about a second would swing wildly with one poll more or less: report 0 until then
    const rate = (v: number, base: number): number =>
      dt >= 0.9 ? Math.round(((v - base) / dt) * 10) / 10 : 0
    return {
      kind: r.kind,
      runningHere: true,
      connected: st.connected,
      lastError: st.lastError,
      readsPerSec: first === undefined ? 0 : rate(readsOf(st.counters), first.reads),
      errorsPerSec: first === undefined ? 0 : rate(errorsOf(st.counters), first.errors),
      counters: st.counters,
    }
  }

  function sample(): void {
    const now = deps.clock.now()
    for (const r of running.values()) {
      const c = r.adapter.status().counters
      r.samples.push({ at: now, reads: readsOf(c), errors: errorsOf(c) })
      if (r.samples.length > 11) r.samples.shift()
    }
  }

  leases.onLost((keys) => {
    // another node may take these over now: stop polling them at once
    void serial(async () => {
      for (const k of keys) await stopOne(k)
    })
  })

  return {
    async start() {
      stopped = false
      const st = await store()
      await serial(reconcile)
      sampler = setInterval(sample, 1000)
      sampler.unref()
      if (st.capabilities.shared) {
        claimer = setInterval(() => {
          serial(reconcile).catch((err: unknown) =>
            deps.log?.warn('adapter configurations not reconciled', { error: (err as Error).message }),
          )
        }, deps.claimIntervalMs ?? 5000)
        claimer.unref()
      }
      unsubscribe =
        deps.bus?.subscribe<{ tenant: TenantId; device: DeviceId }>('device.deleted', async ({ data }) => {
          await st.remove(data.tenant, data.device)
          const key = keyOf(data.tenant, data.device)
          await serial(async () => {
            await stopOne(key)
            await leases.release(key)
          })
        }) ?? null
    },
    async stop() {
      stopped = true
      if (sampler !== null) clearInterval(sampler)
      if (claimer !== null) clearInterval(claimer)
      sampler = null
      claimer = null
      unsubscribe?.()
      unsubscribe = null
      await serial(async () => {
        await Promise.all([...running.keys()].map((k) => stopOne(k)))
      })
      // ending the lease session frees this node's adapters for the others
      await leases.close()
      const st = storePromise
      storePromise = null
      await (await st)?.close()
    },
    async get(tenant, device) {
      const r = await (await store()).get(tenant, device)
      return r === null ? null : { device: r.device, settings: r.settings, updatedAt: r.updatedAt }
    },
    async put(tenant, device, settings) {
      // the constructor validates (register maps, items) without I/O: refuse before storing
      try {
        create(tenant, device, settings)
      } catch (err) {
        throw AdapterErrors.badConfig((err as Error).message)
      }
      const now = deps.clock.now()
      await (await store()).put({ tenant, device, settings, updatedAt: now })
      const key = keyOf(tenant, device)
      await serial(async () => {
        // the node holding the lease restarts it; any other node's periodic pass sees the new updatedAt
        if (await leases.claim(key)) await launch(tenant, device, settings, now)
      })
      return { device, settings, updatedAt: now }
    },
    async remove(tenant, device) {
      const removed = await (await store()).remove(tenant, device)
      const key = keyOf(tenant, device)
      await serial(async () => {
        await stopOne(key)
        await leases.release(key)
      })
      return removed
    },
    async health(tenant, device) {
      const r = running.get(keyOf(tenant, device))
      if (r !== undefined) return healthOf(r)
      const st = await store()
      if (!st.capabilities.shared) return null
      // configured, but another node holds its lease (or will take it on its next pass)
      const stored = await st.get(tenant, device)
      if (stored === null) return null
      const report = await st.lastHealth(tenant, device)
      if (report !== null)
        return {
          ...(JSON.parse(report.health) as AdapterHealth),
          runningHere: false,
          reportedAt: report.reportedAt,
        }
      return {
        kind: stored.settings.kind,
        runningHere: false,
        connected: false,
        lastError: null,
        readsPerSec: 0,
        errorsPerSec: 0,
        counters: {},
      }
    },
    runningHere: () => [...running].map(([key, r]) => ({ key, updatedAt: r.updatedAt })),
    browse(connection, options = {}) {
      return browseEndpoint({ ...connection, pkiDir: pkiDir('browse') }, options)
    },
  }
}
