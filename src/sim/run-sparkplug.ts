import type { DataType } from '../core/index.ts'
import { type Clock, systemClock } from '../core/index.ts'
import { listEquipment } from './factory-catalog.ts'
import type { EnterpriseSpec, SimValue } from './factory-types.ts'
import {
  createSparkplugEdgeNode,
  type SparkplugDataType,
  type SparkplugDeviceSpec,
  type SparkplugEdgeNode,
  type SparkplugMetricUpdate,
} from './sparkplug-edge-node.ts'
import type { VirtualFactory } from './virtual-factory.ts'

/**
 * Puts the virtual factory's Sparkplug-exposed equipment on a broker: one edge node per production line
 * (group = enterprise key, edge node = `<site>-<line>`, device = equipment key, metric = point key), in real
 * time or accelerated. OPC UA, Modbus and JSON equipment is served elsewhere.
 */

export const SPARKPLUG_DATATYPE: Readonly<Record<DataType, SparkplugDataType>> = {
  float64: 'Double',
  float32: 'Float',
  int64: 'Int64',
  int32: 'Int32',
  int16: 'Int16',
  uint32: 'UInt32',
  uint16: 'UInt16',
  bool: 'Boolean',
  string: 'String',
}

export interface EdgeNodePlan {
  readonly enterpriseKey: string
  readonly groupId: string
  readonly edgeNodeId: string
  readonly devices: readonly SparkplugDeviceSpec[]
}

/** Pure: which edge nodes and devices the Sparkplug side of the factory has, with aliases 1.. per node. */
export function sparkplugTopology(enterprises: readonly EnterpriseSpec[], groupPrefix = ''): EdgeNodePlan[] {
  const plans = new Map<
    string,
    { enterpriseKey: string; groupId: string; edgeNodeId: string; devices: SparkplugDeviceSpec[] }
  >()
  for (const p of listEquipment(enterprises)) {
    const eq = p.equipment
    if (eq.protocol !== 'sparkplug' || eq.points.length === 0) continue
    const groupId = `${groupPrefix}${p.enterprise.key}`
    const edgeNodeId = `${p.site.key}-${p.line.key}`
    const key = `${groupId}/${edgeNodeId}`
    let plan = plans.get(key)
    if (plan === undefined) {
      plan = { enterpriseKey: p.enterprise.key, groupId, edgeNodeId, devices: [] }
      plans.set(key, plan)
    }
    const aliasBase = plan.devices.reduce((n, d) => n + d.metrics.length, 0)
    plan.devices.push({
      deviceId: eq.key,
      metrics: eq.points.map((pt, i) => ({
        name: pt.key,
        alias: aliasBase + i + 1,
        datatype: SPARKPLUG_DATATYPE[pt.dataType],
        ...(pt.unit === '' ? {} : { unit: pt.unit }),
      })),
    })
  }
  return [...plans.values()]
}

export interface SparkplugFactoryRunnerOptions {
  readonly url: string
  readonly factory: VirtualFactory
  /** Simulated ms per wall ms: 1 = real time, 60 = a minute per second. */
  readonly speed?: number
  readonly groupPrefix?: string
  readonly username?: string
  readonly password?: string
  readonly protocolVersion?: 4 | 5
  readonly clock?: Clock
  /** Wall period of the publishing timer; 0 = no timer (the caller calls pump()). Default 1000. */
  readonly intervalMs?: number
  /** QoS of DDATA (default 0 as Sparkplug recommends; tests use 1 to know the broker has it). */
  readonly qos?: 0 | 1
  /** Sparkplug group id of an enterprise; default `groupPrefix + enterprise key`. */
  readonly groupIdFor?: (enterpriseKey: string) => string
  /** Credentials of one edge node (a platform that gives every edge node its own); default username/password. */
  readonly credentialsFor?: (plan: EdgeNodePlan) => { readonly username: string; readonly password: string }
  /** Values of equipment that is not on Sparkplug (OPC UA, Modbus, JSON), for whoever serves those protocols. */
  readonly onUnrouted?: (v: SimValue) => void
}

export interface SparkplugFactoryRunnerCounters {
  readonly edgeNodes: number
  readonly messages: number
  readonly values: number
  readonly errors: number
  /** Simulated time of the last tick published. */
  readonly simulatedTo: number
}

export interface SparkplugFactoryRunner {
  readonly plans: readonly EdgeNodePlan[]
  start(): Promise<void>
  stop(options?: { readonly clean?: boolean }): Promise<void>
  /** Simulates up to the simulated time matching the clock's now, then publishes one DDATA per device. */
  pump(): Promise<number>
  counters(): SparkplugFactoryRunnerCounters
}

export function createSparkplugFactoryRunner(options: SparkplugFactoryRunnerOptions): SparkplugFactoryRunner {
  const { factory } = options
  const clock = options.clock ?? systemClock
  const speed = options.speed ?? 1
  const plans = sparkplugTopology(factory.enterprises, options.groupPrefix ?? '').map((p) =>
    options.groupIdFor ? { ...p, groupId: options.groupIdFor(p.enterpriseKey) } : p,
  )
  const nodes = new Map<string, SparkplugEdgeNode>()
  // (enterprise, device) → its edge node
  const route = new Map<string, SparkplugEdgeNode>()
  for (const plan of plans) {
    const creds = options.credentialsFor?.(plan) ?? { username: options.username, password: options.password }
    const node = createSparkplugEdgeNode({
      url: options.url,
      groupId: plan.groupId,
      edgeNodeId: plan.edgeNodeId,
      devices: plan.devices,
      clock,
      ...(creds.username === undefined ? {} : { username: creds.username }),
      ...(creds.password === undefined ? {} : { password: creds.password }),
      ...(options.protocolVersion === undefined ? {} : { protocolVersion: options.protocolVersion }),
    })
    nodes.set(`${plan.groupId}/${plan.edgeNodeId}`, node)
    for (const d of plan.devices) route.set(`${plan.enterpriseKey}/${d.deviceId}`, node)
  }
  let wallStart = 0
  let simStart = 0
  let timer: NodeJS.Timeout | null = null
  let pumping: Promise<number> | null = null
  let messages = 0
  let values = 0
  let errors = 0

  async function pumpOnce(): Promise<number> {
    const simNow = simStart + Math.floor((clock.now() - wallStart) * speed)
    const batches = new Map<
      string,
      { node: SparkplugEdgeNode; deviceId: string; updates: SparkplugMetricUpdate[] }
    >()
    factory.run(simNow, (v: SimValue) => {
      const key = `${v.enterpriseKey}/${v.deviceKey}`
      const node = route.get(key)
      if (node === undefined) {
        options.onUnrouted?.(v)
        return
      }
      let b = batches.get(key)
      if (b === undefined) {
        b = { node, deviceId: v.deviceKey, updates: [] }
        batches.set(key, b)
      }
      b.updates.push({
        name: v.pointKey,
        value: v.value,
        timestamp: v.ts,
        ...(v.quality === 'good' ? {} : { quality: 'bad' as const }),
      })
    })
    let sent = 0
    const sends: Promise<void>[] = []
    for (const b of batches.values()) {
      sent += b.updates.length
      sends.push(
        b.node.publishDeviceData(b.deviceId, b.updates, { qos: options.qos ?? 0 }).then(
          () => {
            messages++
            values += b.updates.length
          },
          () => {
            // the edge node is offline or reconnecting: this step's values for the device are lost, as on
            // a real edge without store-and-forward
            errors++
          },
        ),
      )
    }
    await Promise.all(sends)
    return sent
  }

  const runner: SparkplugFactoryRunner = {
    plans,
    async start() {
      wallStart = clock.now()
      simStart = factory.nextTickTs()
      await Promise.all([...nodes.values()].map((n) => n.start()))
      const interval = options.intervalMs ?? 1000
      if (interval > 0) {
        timer = setInterval(() => {
          if (pumping !== null) return
          pumping = pumpOnce().finally(() => {
            pumping = null
          })
        }, interval)
      }
    },
    async stop(opts = {}) {
      if (timer !== null) clearInterval(timer)
      timer = null
      if (pumping !== null) await pumping
      await Promise.all([...nodes.values()].map((n) => n.stop(opts)))
    },
    pump() {
      return pumpOnce()
    },
    counters() {
      return {
        edgeNodes: nodes.size,
        messages,
        values,
        errors,
        simulatedTo: factory.nextTickTs() - factory.tickMs,
      }
    },
  }
  return runner
}

/**
 * `tsx src/sim/run-sparkplug.ts [--url mqtt://127.0.0.1:1883] [--seed 1] [--speed 1] [--prefix ""]`:
 * runs the Sparkplug side of the virtual factory until SIGINT / SIGTERM (then NDEATH and disconnect).
 */
export async function runSparkplugFromArgs(argv: readonly string[]): Promise<void> {
  const arg = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? (argv[i + 1] ?? fallback) : fallback
  }
  const { createVirtualFactory } = await import('./virtual-factory.ts')
  const speed = Number(arg('speed', '1'))
  const factory = createVirtualFactory({ seed: arg('seed', '1'), start: Date.now() })
  const runner = createSparkplugFactoryRunner({
    url: arg('url', 'mqtt://127.0.0.1:1883'),
    factory,
    speed,
    groupPrefix: arg('prefix', ''),
  })
  await runner.start()
  console.log(
    JSON.stringify({
      edgeNodes: runner.plans.map((p) => `${p.groupId}/${p.edgeNodeId}`),
      speed,
      seed: factory.seed,
    }),
  )
  const report = setInterval(() => console.log(JSON.stringify(runner.counters())), 10_000)
  const stop = (): void => {
    clearInterval(report)
    runner.stop({ clean: true }).then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runSparkplugFromArgs(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
