import type { Clock, DeviceId, Sample, TenantId } from '../../core/index.ts'
import type { RongheError } from '../../core/index.ts'
import type { IngestPipeline, PointDefinition } from '../ingest-pipeline.ts'
import { IngestErrors } from '../ingest-errors.ts'
import {
  type DecodedMetric,
  type DecodedPayload,
  decodeSparkplug,
  encodeSparkplug,
  pointTypeOf,
} from './sparkplug-codec.ts'

export type SparkplugMessageType =
  | 'NBIRTH'
  | 'NDEATH'
  | 'DBIRTH'
  | 'DDEATH'
  | 'NDATA'
  | 'DDATA'
  | 'NCMD'
  | 'DCMD'

export interface SparkplugTopic {
  readonly group: string
  readonly type: SparkplugMessageType
  readonly edgeNode: string
  readonly device: string | null
}

/** `spBv1.0/{group}/{type}/{edgeNode}[/{device}]`; null if it is not a Sparkplug B data topic. */
export function parseSparkplugTopic(topic: string): SparkplugTopic | null {
  const parts = topic.split('/')
  if (parts[0] !== 'spBv1.0' || parts.length < 4 || parts.length > 5) return null
  const [, group, type, edgeNode, device] = parts
  if (!group || !edgeNode || !type) return null
  if (!['NBIRTH', 'NDEATH', 'DBIRTH', 'DDEATH', 'NDATA', 'DDATA', 'NCMD', 'DCMD'].includes(type)) return null
  const isDeviceType = type.startsWith('D')
  if (isDeviceType !== (parts.length === 5)) return null
  return { group, type: type as SparkplugMessageType, edgeNode, device: device ?? null }
}

interface NodeState {
  bdSeq: number | null
  seq: number
  born: boolean
  aliases: Map<number, string>
  devices: Map<string, { born: boolean }>
  lastRebirthRequest: number
}

export interface SparkplugHostDeps {
  readonly pipeline: IngestPipeline
  readonly clock: Clock
  /** publishes a platform message to the broker (NCMD rebirth requests, STATE) */
  readonly publish: (
    topic: string,
    payload: Uint8Array | string,
    opts: { qos: 0 | 1; retain: boolean },
  ) => Promise<void>
  /** device (edge node) online state changes, for the twin and the metadata store */
  readonly onNodeState?: (tenant: TenantId, device: DeviceId, online: boolean, at: number) => void
  readonly onSparkplugDeviceState?: (
    tenant: TenantId,
    device: DeviceId,
    sparkplugDevice: string,
    online: boolean,
  ) => void
  /** smallest gap between two rebirth requests to one edge node */
  readonly rebirthIntervalMs?: number
}

export interface SparkplugHandleResult {
  readonly ok: boolean
  readonly error?: RongheError
  readonly accepted: number
}

export interface SparkplugHost {
  readonly hostId: string
  /** Handles one message from an authenticated edge node that `device` stands for. */
  handle(
    tenant: TenantId,
    device: DeviceId,
    topic: SparkplugTopic,
    payload: Buffer,
  ): Promise<SparkplugHandleResult>
  /** announces the host online (retained STATE, Sparkplug 3.0) */
  start(): Promise<void>
  stop(): Promise<void>
  stats(): { births: number; deaths: number; seqGaps: number; rebirthRequests: number; rejected: number }
}

const CONTROL = /^(Node Control|Device Control)\//
const isData = (m: DecodedMetric): boolean =>
  !CONTROL.test(m.name ?? '') && m.name !== 'bdSeq' && !(m.name ?? '').startsWith('Properties/')

/**
 * Sparkplug B host application (primary host). Keeps, per edge node, the aliases from its BIRTH
 * certificates and the message sequence; registers points from births; turns data into samples; asks
 * for a rebirth (NCMD `Node Control/Rebirth`) when the sequence has a gap or a message refers to
 * something no birth declared.
 */
export function createSparkplugHost(deps: SparkplugHostDeps, hostId = 'ronghe'): SparkplugHost {
  const nodes = new Map<string, NodeState>()
  const rebirthInterval = deps.rebirthIntervalMs ?? 5000
  const counters = { births: 0, deaths: 0, seqGaps: 0, rebirthRequests: 0, rejected: 0 }

  const nodeKey = (tenant: TenantId, t: SparkplugTopic): string => `${tenant}/${t.group}/${t.edgeNode}`
  const metricKey = (device: string | null, name: string): string => (device ? `${device}/${name}` : name)

  function requestRebirth(t: SparkplugTopic, state: NodeState | undefined): void {
    const now = deps.clock.now()
    if (state && now - state.lastRebirthRequest < rebirthInterval) return
    if (state) state.lastRebirthRequest = now
    counters.rebirthRequests++
    const payload = encodeSparkplug({
      timestamp: now,
      metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true, timestamp: now }],
    })
    void deps
      .publish(`spBv1.0/${t.group}/NCMD/${t.edgeNode}`, payload, { qos: 0, retain: false })
      .catch(() => undefined)
  }

  function reject(error: RongheError): SparkplugHandleResult {
    counters.rejected++
    return { ok: false, error, accepted: 0 }
  }

  async function birth(
    tenant: TenantId,
    device: DeviceId,
    t: SparkplugTopic,
    p: DecodedPayload,
    state: NodeState,
  ): Promise<number> {
    const defs: PointDefinition[] = []
    const aliasFor: [number, string][] = []
    for (const m of p.metrics) {
      if (!m.name || !isData(m)) continue
      const pt = pointTypeOf(m.type)
      if (!pt) continue
      const key = metricKey(t.device, m.name)
      defs.push({ key, name: key, unit: m.unit, ...pt })
      if (m.alias !== null) aliasFor.push([m.alias, key])
    }
    await deps.pipeline.registerPoints(tenant, device, defs)
    // aliases are per edge node; a rebirth replaces the old ones of the same scope
    for (const [alias, key] of aliasFor) state.aliases.set(alias, key)
    return write(tenant, device, t, p, state)
  }

  async function write(
    tenant: TenantId,
    device: DeviceId,
    t: SparkplugTopic,
    p: DecodedPayload,
    state: NodeState,
  ): Promise<number> {
    const points = await deps.pipeline.pointsByKey(tenant, device)
    const samples: Sample[] = []
    const fallbackTs = p.timestamp ?? deps.clock.now()
    for (const m of p.metrics) {
      if (m.name !== null && !isData(m)) continue
      const key = m.name !== null ? metricKey(t.device, m.name) : state.aliases.get(m.alias ?? -1)
      const point = key === undefined ? undefined : points.get(key)
      if (!point) continue // checked before: only control metrics or non-series types land here
      const v = m.value
      const value = typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'number' ? v : null
      const text = typeof v === 'string' ? v : null
      if (value !== null && !Number.isFinite(value)) continue
      samples.push({ point: point.id, ts: m.timestamp ?? fallbackTs, value, text, quality: m.quality })
    }
    await deps.pipeline.writeSamples(tenant, samples)
    return samples.length
  }

  return {
    hostId,
    async handle(tenant, device, t, payload): Promise<SparkplugHandleResult> {
      const key = nodeKey(tenant, t)
      let p: DecodedPayload
      try {
        p = decodeSparkplug(payload)
      } catch (err) {
        return reject(IngestErrors.malformedPayload(`not a Sparkplug B protobuf (${(err as Error).message})`))
      }
      let state = nodes.get(key)
      const now = deps.clock.now()

      if (t.type === 'NBIRTH') {
        const bd = p.metrics.find((m) => m.name === 'bdSeq')
        state = {
          bdSeq: typeof bd?.value === 'number' ? bd.value : null,
          seq: p.seq ?? 0,
          born: true,
          aliases: new Map(),
          devices: new Map(),
          lastRebirthRequest: 0,
        }
        nodes.set(key, state)
        counters.births++
        const n = await birth(tenant, device, t, p, state)
        deps.onNodeState?.(tenant, device, true, now)
        return { ok: true, accepted: n }
      }
      if (t.type === 'NDEATH') {
        const bd = p.metrics.find((m) => m.name === 'bdSeq')
        // an NDEATH from an older session (a late will) must not kill the newer one
        if (state && state.bdSeq !== null && typeof bd?.value === 'number' && bd.value !== state.bdSeq)
          return { ok: true, accepted: 0 }
        if (state) {
          state.born = false
          for (const [name, d] of state.devices) {
            d.born = false
            deps.onSparkplugDeviceState?.(tenant, device, name, false)
          }
        }
        counters.deaths++
        deps.onNodeState?.(tenant, device, false, now)
        return { ok: true, accepted: 0 }
      }
      if (!state?.born) {
        requestRebirth(t, state)
        return reject(IngestErrors.unknownDevice(`edge node ${t.group}/${t.edgeNode}`))
      }
      if (p.seq !== null) {
        const expected = (state.seq + 1) % 256
        if (p.seq !== expected) {
          counters.seqGaps++
          requestRebirth(t, state)
        }
        state.seq = p.seq
      }
      if (t.type === 'DBIRTH') {
        state.devices.set(t.device as string, { born: true })
        counters.births++
        const n = await birth(tenant, device, t, p, state)
        deps.onSparkplugDeviceState?.(tenant, device, t.device as string, true)
        return { ok: true, accepted: n }
      }
      if (t.type === 'DDEATH') {
        const d = state.devices.get(t.device as string)
        if (d) d.born = false
        counters.deaths++
        deps.onSparkplugDeviceState?.(tenant, device, t.device as string, false)
        return { ok: true, accepted: 0 }
      }
      if (t.type === 'DDATA' && !state.devices.get(t.device as string)?.born) {
        requestRebirth(t, state)
        return reject(IngestErrors.unknownDevice(`device ${t.group}/${t.edgeNode}/${t.device}`))
      }
      if (t.type === 'NDATA' || t.type === 'DDATA') {
        // all or nothing: a message naming an alias no birth declared is refused whole
        const points = await deps.pipeline.pointsByKey(tenant, device)
        for (const m of p.metrics) {
          if (m.name !== null) {
            if (isData(m) && pointTypeOf(m.type) !== null && !points.has(metricKey(t.device, m.name))) {
              requestRebirth(t, state)
              return reject(IngestErrors.unknownPoint(metricKey(t.device, m.name)))
            }
            continue
          }
          if (m.alias === null || !state.aliases.has(m.alias)) {
            requestRebirth(t, state)
            return reject(
              IngestErrors.unknownAlias(
                m.alias ?? -1,
                `${t.group}/${t.edgeNode}${t.device ? `/${t.device}` : ''}`,
              ),
            )
          }
        }
        const n = await write(tenant, device, t, p, state)
        return { ok: true, accepted: n }
      }
      // NCMD / DCMD from a device: not ours to act on
      return reject(IngestErrors.topicDenied(`spBv1.0/${t.group}/${t.type}/${t.edgeNode}`))
    },
    async start(): Promise<void> {
      await deps.publish(
        `spBv1.0/STATE/${hostId}`,
        JSON.stringify({ online: true, timestamp: deps.clock.now() }),
        {
          qos: 1,
          retain: true,
        },
      )
    },
    async stop(): Promise<void> {
      await deps
        .publish(`spBv1.0/STATE/${hostId}`, JSON.stringify({ online: false, timestamp: deps.clock.now() }), {
          qos: 1,
          retain: true,
        })
        .catch(() => undefined)
    },
    stats: () => ({ ...counters }),
  }
}
