import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Bus } from '../bus/index.ts'
import type { Clock, DeviceId, TenantId } from '../core/index.ts'
import { AdapterErrors } from './adapter-errors.ts'
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
 * Adapters configured through the API: one OPC UA or Modbus TCP adapter per device of that protocol, its
 * configuration kept in `adapters.db` (SQLite) in the data directory, started when the platform starts and
 * restarted whenever its configuration changes. Values go to the ingest pipeline under the device's id, so
 * they are bound to points (auto-registered by key) exactly like values arriving over MQTT.
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
  readonly connected: boolean
  readonly lastError: string | null
  /** values delivered per second over the last ~10 s */
  readonly readsPerSec: number
  /** errors per second over the last ~10 s */
  readonly errorsPerSec: number
  readonly counters: AdapterStatus['counters']
}

export interface AdapterManagerDeps {
  /** adapters.db and the OPC UA client PKI folders live here */
  readonly dataDir: string
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
  get(tenant: TenantId, device: DeviceId): AdapterRecord | null
  /** stores the configuration and (re)starts the device's adapter with it */
  put(tenant: TenantId, device: DeviceId, settings: AdapterSettings): Promise<AdapterRecord>
  remove(tenant: TenantId, device: DeviceId): Promise<boolean>
  health(tenant: TenantId, device: DeviceId): AdapterHealth | null
  /** a one-off session to an OPC UA server: its address space from the Objects folder */
  browse(
    connection: Omit<OpcuaConnectionConfig, 'pkiDir'>,
    options?: { root?: string; maxDepth?: number; maxNodes?: number },
  ): Promise<OpcuaBrowseNode>
}

interface Running {
  readonly adapter: ProtocolAdapter
  readonly kind: 'modbus' | 'opcua'
  /** counter snapshots for the rates: oldest first */
  readonly samples: { at: number; reads: number; errors: number }[]
}

const readsOf = (c: AdapterStatus['counters']): number => c.values ?? 0
const errorsOf = (c: AdapterStatus['counters']): number =>
  c.errors ?? Object.entries(c).reduce((n, [k, v]) => (/error/i.test(k) ? n + v : n), 0)

export function createAdapterManager(deps: AdapterManagerDeps): AdapterManager {
  let db: Database.Database | null = null
  const running = new Map<string, Running>()
  let sampler: NodeJS.Timeout | null = null
  let unsubscribe: (() => void) | null = null
  const keyOf = (tenant: TenantId, device: DeviceId): string => `${tenant}/${device}`
  const pkiDir = (name: string): string => join(deps.dataDir, 'opcua-pki', name)

  function open(): Database.Database {
    if (db !== null) return db
    mkdirSync(deps.dataDir, { recursive: true })
    const d = new Database(join(deps.dataDir, 'adapters.db'))
    d.pragma('journal_mode = WAL')
    d.exec(`CREATE TABLE IF NOT EXISTS adapters (
      tenant TEXT NOT NULL, device TEXT NOT NULL, settings TEXT NOT NULL, updated_at INTEGER NOT NULL,
      PRIMARY KEY (tenant, device))`)
    db = d
    return d
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

  async function launch(tenant: TenantId, device: DeviceId, s: AdapterSettings): Promise<void> {
    const key = keyOf(tenant, device)
    await stopOne(key)
    const adapter = create(tenant, device, s)
    running.set(key, { adapter, kind: s.kind, samples: [] })
    // an unreachable peer is retried by the adapter itself; its state shows in health()
    adapter.start(deps.sink).catch((err: unknown) => {
      deps.log?.warn('adapter did not start', { tenant, device, error: (err as Error).message })
    })
  }

  function sample(): void {
    const now = deps.clock.now()
    for (const r of running.values()) {
      const c = r.adapter.status().counters
      r.samples.push({ at: now, reads: readsOf(c), errors: errorsOf(c) })
      if (r.samples.length > 11) r.samples.shift()
    }
  }

  const rowOf = (row: { device: string; settings: string; updated_at: number }): AdapterRecord => ({
    device: row.device as DeviceId,
    settings: JSON.parse(row.settings) as AdapterSettings,
    updatedAt: row.updated_at,
  })

  return {
    async start() {
      const d = open()
      const rows = d.prepare('SELECT tenant, device, settings, updated_at FROM adapters').all() as {
        tenant: string
        device: string
        settings: string
        updated_at: number
      }[]
      for (const row of rows) {
        try {
          await launch(row.tenant as TenantId, row.device as DeviceId, rowOf(row).settings)
        } catch (err) {
          deps.log?.warn('stored adapter configuration refused', {
            device: row.device,
            error: (err as Error).message,
          })
        }
      }
      sampler = setInterval(sample, 1000)
      sampler.unref()
      unsubscribe =
        deps.bus?.subscribe<{ tenant: TenantId; device: DeviceId }>('device.deleted', async ({ data }) => {
          db?.prepare('DELETE FROM adapters WHERE tenant = ? AND device = ?').run(data.tenant, data.device)
          await stopOne(keyOf(data.tenant, data.device))
        }) ?? null
    },
    async stop() {
      if (sampler !== null) clearInterval(sampler)
      sampler = null
      unsubscribe?.()
      unsubscribe = null
      await Promise.all([...running.keys()].map((k) => stopOne(k)))
      db?.close()
      db = null
    },
    get(tenant, device) {
      const row = open()
        .prepare('SELECT device, settings, updated_at FROM adapters WHERE tenant = ? AND device = ?')
        .get(tenant, device) as { device: string; settings: string; updated_at: number } | undefined
      return row === undefined ? null : rowOf(row)
    },
    async put(tenant, device, settings) {
      // the constructor validates (register maps, items) without I/O: refuse before storing
      try {
        create(tenant, device, settings)
      } catch (err) {
        throw AdapterErrors.badConfig((err as Error).message)
      }
      const now = deps.clock.now()
      open()
        .prepare(
          `INSERT INTO adapters (tenant, device, settings, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (tenant, device) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
        )
        .run(tenant, device, JSON.stringify(settings), now)
      await launch(tenant, device, settings)
      return { device, settings, updatedAt: now }
    },
    async remove(tenant, device) {
      const r = open().prepare('DELETE FROM adapters WHERE tenant = ? AND device = ?').run(tenant, device)
      await stopOne(keyOf(tenant, device))
      return r.changes > 0
    },
    health(tenant, device) {
      const r = running.get(keyOf(tenant, device))
      if (r === undefined) return null
      const st = r.adapter.status()
      const now = deps.clock.now()
      const first = r.samples[0]
      const dt = first === undefined ? 0 : (now - first.at) / 1000
      // rates over less than about a second would swing wildly with one poll more or less: report 0 until then
      const rate = (v: number, base: number): number =>
        dt >= 0.9 ? Math.round(((v - base) / dt) * 10) / 10 : 0
      return {
        kind: r.kind,
        connected: st.connected,
        lastError: st.lastError,
        readsPerSec: first === undefined ? 0 : rate(readsOf(st.counters), first.reads),
        errorsPerSec: first === undefined ? 0 : rate(errorsOf(st.counters), first.errors),
        counters: st.counters,
      }
    },
    browse(connection, options = {}) {
      return browseEndpoint({ ...connection, pkiDir: pkiDir('browse') }, options)
    },
  }
}
