import { type Clock, type DeviceId, isRongheError, systemClock, type TenantId } from '../../core/index.ts'
import type { AdapterStatus, IngestSink, ProtocolAdapter, RawValue } from '../ingest-sink.ts'
import { createModbusClient, type ModbusClient } from './modbus-client.ts'
import { ModbusErrors } from './modbus-errors.ts'
import {
  decodePoint,
  isBitTable,
  type ModbusPollGroupConfig,
  planReads,
  type ReadRequest,
  validatePoints,
} from './register-map.ts'

export interface ModbusAdapterConfig {
  readonly tenant: TenantId
  readonly device: DeviceId
  readonly host: string
  /** default 502 */
  readonly port?: number
  /** Modbus unit identifier (slave id) behind the TCP endpoint; default 1 */
  readonly unitId?: number
  /** per request; default 1000 ms */
  readonly timeoutMs?: number
  /** further attempts after a timeout or a busy device (exceptions 5, 6); default 2 */
  readonly retries?: number
  /** reconnect back-off: starts at initialMs, doubles up to maxMs; defaults 500 and 30 000 */
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number }
  /** registers per read request (≤ 125) */
  readonly maxRegistersPerRequest?: number
  /** unused registers a request may span to join two points; default 0 */
  readonly maxGap?: number
  readonly groups: readonly ModbusPollGroupConfig[]
  readonly clock?: Clock
}

export interface ModbusAdapter extends ProtocolAdapter {
  readonly kind: 'modbus'
  /** the read requests each poll group makes after coalescing (for the console and tests) */
  readonly plan: ReadonlyMap<string, readonly ReadRequest[]>
  /** polls one group now, outside its timer; resolves with the values it delivered */
  pollNow(group: string): Promise<RawValue[]>
}

/**
 * The Modbus TCP adapter: polls each group of points on its own period, reading coalesced ranges, decodes
 * them per the register map, and delivers them to the ingest sink. A request that fails after its retries
 * turns its points bad (one null sample with quality bad on the transition, not one per poll); a lost
 * connection is re-established with exponential back-off while the groups keep their schedule.
 */
export function createModbusAdapter(config: ModbusAdapterConfig): ModbusAdapter {
  const clock = config.clock ?? systemClock
  const port = config.port ?? 502
  const unit = config.unitId ?? 1
  const timeoutMs = config.timeoutMs ?? 1000
  const retries = config.retries ?? 2
  const backoffInitial = config.reconnect?.initialMs ?? 500
  const backoffMax = config.reconnect?.maxMs ?? 30_000
  if (!Number.isInteger(unit) || unit < 0 || unit > 255) throw ModbusErrors.badConfig(`unit id ${unit}`)
  if (config.groups.length === 0) throw ModbusErrors.badConfig('no poll groups')
  const plan = new Map<string, ReadRequest[]>()
  for (const g of config.groups) {
    if (!(g.intervalMs > 0)) throw ModbusErrors.badConfig(`group "${g.name}" has interval ${g.intervalMs}`)
    if (plan.has(g.name)) throw ModbusErrors.badConfig(`group name "${g.name}" is used twice`)
    validatePoints(g.points)
    plan.set(
      g.name,
      planReads(g.points, {
        ...(config.maxRegistersPerRequest === undefined
          ? {}
          : { maxRegisters: config.maxRegistersPerRequest }),
        ...(config.maxGap === undefined ? {} : { maxGap: config.maxGap }),
      }),
    )
  }

  const counters = {
    polls: 0,
    requests: 0,
    registersRead: 0,
    values: 0,
    errors: 0,
    timeouts: 0,
    exceptions: 0,
    retries: 0,
    connects: 0,
    disconnects: 0,
    overruns: 0,
    sinkErrors: 0,
  }
  let lastError: string | null = null
  let sink: IngestSink | null = null
  let client: ModbusClient | null = null
  let running = false
  let connecting: Promise<void> | null = null
  let reconnectTimer: NodeJS.Timeout | null = null
  let backoff = backoffInitial
  const timers = new Map<string, NodeJS.Timeout>()
  const busy = new Set<string>()
  // points currently bad, so a failure is reported once and not on every poll
  const bad = new Set<string>()

  function noteError(err: unknown): void {
    counters.errors++
    lastError = err instanceof Error ? err.message : String(err)
    if (isRongheError(err)) {
      if (err.code === 'MODBUS_TIMEOUT') counters.timeouts++
      if (err.code === 'MODBUS_EXCEPTION') counters.exceptions++
    }
  }

  function scheduleReconnect(): void {
    if (!running || reconnectTimer !== null || connecting !== null) return
    const delay = backoff
    backoff = Math.min(backoff * 2, backoffMax)
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null
      void ensureConnected().catch(() => undefined)
    }, delay)
  }

  function ensureConnected(): Promise<void> {
    if (client?.connected) return Promise.resolve()
    if (connecting !== null) return connecting
    const c = createModbusClient({ host: config.host, port, connectTimeoutMs: timeoutMs * 3 })
    connecting = c
      .connect()
      .then(() => {
        if (!running) {
          c.close()
          return
        }
        client = c
        counters.connects++
        backoff = backoffInitial
        c.onClose(() => {
          if (client === c) client = null
          counters.disconnects++
          lastError = `connection to ${config.host}:${port} lost`
          scheduleReconnect()
        })
      })
      .catch((err: unknown) => {
        noteError(err)
        throw err
      })
      .finally(() => {
        connecting = null
        if (running && !client?.connected) scheduleReconnect()
      })
    return connecting
  }

  async function readOnce(req: ReadRequest): Promise<{ words?: Uint16Array; bits?: boolean[] }> {
    for (let attempt = 0; ; attempt++) {
      const c = client
      if (c === null || !c.connected) throw ModbusErrors.notConnected(`${config.host}:${port}`)
      try {
        counters.requests++
        if (isBitTable(req.table)) {
          const bits = await c.readBits(unit, req.functionCode as 1 | 2, req.address, req.quantity, timeoutMs)
          return { bits }
        }
        const words = await c.readRegisters(
          unit,
          req.functionCode as 3 | 4,
          req.address,
          req.quantity,
          timeoutMs,
        )
        counters.registersRead += req.quantity
        return { words }
      } catch (err) {
        const retriable =
          isRongheError(err) &&
          (err.code === 'MODBUS_TIMEOUT' ||
            (err.code === 'MODBUS_EXCEPTION' &&
              [5, 6].includes((err.details as { exceptionCode: number }).exceptionCode)))
        if (!retriable || attempt >= retries) throw err
        counters.retries++
        noteError(err)
      }
    }
  }

  async function poll(name: string): Promise<RawValue[]> {
    const reqs = plan.get(name)
    if (reqs === undefined) throw ModbusErrors.badConfig(`no poll group "${name}"`)
    counters.polls++
    const out: RawValue[] = []
    if (!client?.connected) {
      try {
        await ensureConnected()
      } catch {
        // reported by ensureConnected; the points turn bad below
      }
    }
    for (const req of reqs) {
      const ts = clock.now()
      try {
        const data = await readOnce(req)
        for (const p of req.points) {
          let value: number | boolean
          try {
            value = decodePoint(p, req.address, data)
          } catch (err) {
            noteError(err)
            continue
          }
          bad.delete(p.key)
          out.push({ key: p.key, ts, value, quality: 'good' })
        }
      } catch (err) {
        noteError(err)
        for (const p of req.points) {
          if (bad.has(p.key)) continue
          bad.add(p.key)
          out.push({ key: p.key, ts, value: null, quality: 'bad' })
        }
      }
    }
    if (out.length > 0 && sink !== null) {
      try {
        const r = await sink.write(config.tenant, config.device, out)
        counters.values += r.accepted
      } catch (err) {
        counters.sinkErrors++
        lastError = err instanceof Error ? err.message : String(err)
      }
    }
    return out
  }

  function schedule(g: ModbusPollGroupConfig, at: number): void {
    if (!running) return
    const delay = Math.max(0, at - Date.now())
    timers.set(
      g.name,
      setTimeout(() => {
        const next = at + g.intervalMs
        if (busy.has(g.name)) {
          counters.overruns++
          schedule(g, next)
          return
        }
        busy.add(g.name)
        poll(g.name)
          .catch((err: unknown) => noteError(err))
          .finally(() => {
            busy.delete(g.name)
          })
        // fixed rate: a slow poll makes the next start late, not the whole schedule drift
        schedule(g, Math.max(next, Date.now()))
      }, delay),
    )
  }

  const adapter: ModbusAdapter = {
    kind: 'modbus',
    plan,
    async start(s) {
      if (running) return
      sink = s
      running = true
      try {
        await ensureConnected()
      } catch {
        // keep going: the groups report bad quality and the back-off keeps trying
      }
      const now = Date.now()
      for (const g of config.groups) schedule(g, now)
    },
    async stop() {
      running = false
      for (const t of timers.values()) clearTimeout(t)
      timers.clear()
      if (reconnectTimer !== null) clearTimeout(reconnectTimer)
      reconnectTimer = null
      if (connecting !== null) await connecting.catch(() => undefined)
      client?.close()
      client = null
    },
    status(): AdapterStatus {
      return { connected: client?.connected ?? false, lastError, counters: { ...counters } }
    },
    pollNow(group) {
      return poll(group)
    },
  }
  return adapter
}
