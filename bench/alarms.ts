/**
 * Alarm benchmark: prints one JSON line.
 *
 * 1. Early warning on the virtual factory: weeks of simulated data (10 s samples) with its seeded
 *    bearing-wear faults, fed in-process to the rule engine and alarm book. One template per machine:
 *    `vibrationRms > 1.5 * vibP99 && state == 1` held for 10 min, where vibP99 is the machine's running
 *    vibration 99th percentile from a commissioning week (what an engineer would set). Lead time =
 *    breakdown − first annunciation after the fault's onset; false alarms = annunciations outside any
 *    fault window, per healthy machine-day.
 * 2. Throughput: the rules service on the platform's ports (SQLite metadata and alarm store, in-process
 *    bus) with 10,000 limit rules, fed 100,000 samples/s as `sample.ingested` batches; p99 from publish
 *    to the alarm transition being stored and announced. Then an unpaced run for the ceiling.
 * 3. Notification latency: alarms raised one at a time, delivered to a local webhook receiver.
 *
 * Usage: npm run bench:alarms [-- --weeks 8 --seconds 10]
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DEFAULT_RULE_PARTITIONS, Subjects } from '../src/bus/index.ts'
import { createMemoryBus } from '../src/bus/memory-bus.ts'
import { type DeviceId, type PointId, type Sample, systemClock, type TenantId } from '../src/core/index.ts'
import {
  createAlarmBook,
  createRuleEngine,
  createRulesService,
  type EquipmentBinding,
  expandTemplates,
  openSqliteAlarmStore,
  type RuleTemplate,
} from '../src/rules/index.ts'
import { createVirtualFactory } from '../src/sim/virtual-factory.ts'
import { createSqliteMetaStore } from '../src/store/meta/sqlite-meta-store.ts'
import type { SeriesStore } from '../src/store/series/series-store.ts'

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : dflt
}
const WEEKS = arg('weeks', 8)
const SECONDS = arg('seconds', 10)
const H = 3_600_000
const DAY = 24 * H
const WEEK = 7 * DAY

function quantile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number
}
const round = (x: number | null, d = 2): number | null =>
  x === null ? null : Math.round(x * 10 ** d) / 10 ** d

// ---------------------------------------------------------------------- 1. early warning
function earlyWarning() {
  const start = Date.UTC(2026, 0, 4, 16) // Monday 00:00 in China
  const factory = createVirtualFactory({ seed: 20260104, start, tickMs: 10_000 })
  const commissioningEnd = start + WEEK
  const end = commissioningEnd + WEEKS * WEEK
  const truth = factory.groundTruth(start, end).filter((f) => f.kind === 'bearing-wear')
  const machineOf = (ent: string, dev: string): string => `${ent}:${dev}`
  const faultsOf = new Map<string, typeof truth>()
  for (const f of truth) {
    const m = machineOf(f.enterpriseKey, f.deviceKey)
    faultsOf.set(m, [...(faultsOf.get(m) ?? []), f])
  }
  const inFault = (m: string, t: number, slackMs: number): boolean =>
    (faultsOf.get(m) ?? []).some((f) => t >= f.onsetTs && t <= f.endTs + slackMs)

  // commissioning week: running vibration per machine, outside faults
  const running = new Map<string, number[]>()
  const state = new Map<string, number>()
  const t1 = performance.now()
  factory.run(commissioningEnd, (v) => {
    const m = machineOf(v.enterpriseKey, v.deviceKey)
    if (v.pointKey === 'state' && typeof v.value === 'number') state.set(m, v.value)
    else if (
      v.pointKey === 'vibrationRms' &&
      typeof v.value === 'number' &&
      state.get(m) === 1 &&
      !inFault(m, v.ts, H)
    ) {
      const a = running.get(m) ?? []
      if (a.length === 0) running.set(m, a)
      a.push(v.value)
    }
  })
  const template: RuleTemplate = {
    id: 'bearing',
    equipmentType: 'vibrating',
    variables: ['vib', 'state'],
    rules: [
      {
        id: 'vib-high',
        kind: 'expression',
        expression: 'vib > 1.5 * vibP99 && state == 1',
        onDelayMs: 10 * 60_000,
        offDelayMs: 30 * 60_000,
        maxAgeMs: 60_000,
        priority: 'medium',
      },
    ],
  }
  const machines: EquipmentBinding[] = [...running.entries()]
    .filter(([, xs]) => xs.length >= 100)
    .map(([m, xs]) => ({
      equipment: m,
      equipmentType: 'vibrating',
      points: { vib: `${m}/vibrationRms`, state: `${m}/state` },
      constants: { vibP99: quantile(xs, 0.99) as number },
    }))
  const engine = createRuleEngine({ rules: expandTemplates([template], machines), clock: systemClock })
  const book = createAlarmBook({ clock: systemClock })
  const raisedAt = new Map<string, number[]>()
  let fed = 0
  factory.run(end, (v) => {
    if (v.pointKey !== 'vibrationRms' && v.pointKey !== 'state') return
    fed++
    const changes = engine.onSample(
      `${machineOf(v.enterpriseKey, v.deviceKey)}/${v.pointKey}`,
      v.ts,
      v.value,
      v.quality,
    )
    if (changes.length === 0) return
    for (const e of book.applyAll(changes)) {
      if (e.to !== 'unacknowledged' || e.equipment === undefined) continue
      raisedAt.set(e.equipment, [...(raisedAt.get(e.equipment) ?? []), e.at])
    }
  })
  const simMs = performance.now() - t1

  const leads: { fault: string; leadH: number | null }[] = []
  for (const f of truth) {
    if (f.breakdownTs === null || f.onsetTs < commissioningEnd || f.breakdownTs > end) continue
    const m = machineOf(f.enterpriseKey, f.deviceKey)
    if (!machines.some((x) => x.equipment === m)) continue
    const first = (raisedAt.get(m) ?? []).find((t) => t >= f.onsetTs && t <= f.breakdownTs!)
    leads.push({ fault: f.id, leadH: first === undefined ? null : (f.breakdownTs - first) / H })
  }
  let falseAlarms = 0
  let healthyMs = 0
  for (const m of machines.map((x) => x.equipment)) {
    for (const t of raisedAt.get(m) ?? []) if (!inFault(m, t, 2 * H)) falseAlarms++
    let faultMs = 0
    for (const f of faultsOf.get(m) ?? []) {
      faultMs += Math.max(0, Math.min(end, f.endTs + 2 * H) - Math.max(commissioningEnd, f.onsetTs))
    }
    healthyMs += end - commissioningEnd - faultMs
  }
  const detected = leads.filter((l) => l.leadH !== null).map((l) => l.leadH as number)
  return {
    simulatedWeeks: WEEKS,
    machines: machines.length,
    samplesEvaluated: fed,
    breakdowns: leads.length,
    detectedBeforeBreakdown: detected.length,
    leadTimeHoursMedian: round(quantile(detected, 0.5)),
    leadTimeHoursMin: round(detected.length ? Math.min(...detected) : null),
    leadTimeHours: leads.map((l) => round(l.leadH, 1)),
    falseAlarms,
    healthyMachineDays: round(healthyMs / DAY, 1),
    falseAlarmsPerMachineDay: round(falseAlarms / (healthyMs / DAY), 4),
    simulationSeconds: round(simMs / 1000, 1),
  }
}

// ---------------------------------------------------------------------- 2 and 3. the service
const noSeries = new Proxy({} as SeriesStore, {
  get: () => () => {
    throw new Error('the benchmark does not read history')
  },
})

async function platformRun() {
  const meta = await createSqliteMetaStore({ path: ':memory:' })
  const alarmDb = await openSqliteAlarmStore(':memory:')
  const bus = createMemoryBus()
  const rules = createRulesService({
    store: alarmDb.store,
    meta,
    series: noSeries,
    bus,
    clock: systemClock,
    tickMs: 0,
    notifyRetryDelayMs: 10,
  })
  await rules.start()
  const tenant = (
    await meta.createTenantForPlatform({
      name: 'bench',
      uscc: '91440606MA4W00001U',
      industryCode: 'C3391',
      regionCode: '440600',
    })
  ).id
  const DEVICES = 20
  const PER = 1000
  const ids: PointId[] = []
  for (let d = 0; d < DEVICES; d++) {
    const dev = await meta.createDevice(tenant, {
      name: `d${d}`,
      key: `d${d}`,
      kind: 'machine',
      protocol: 'mqtt',
    })
    const pts = await meta.createPoints(
      tenant,
      Array.from({ length: PER }, (_, i) => ({
        deviceId: dev.id as DeviceId,
        name: `p${i}`,
        key: `p${i}`,
        dataType: 'float64' as const,
        kind: 'analog' as const,
      })),
    )
    for (const p of pts) ids.push(p.id)
  }
  const RULES = 10_000
  for (let r = 0; r < RULES; r++) {
    const d = r % DEVICES
    const i = Math.floor(r / DEVICES)
    await rules.createRule(
      tenant,
      { id: `r${r}`, kind: 'limit', point: `d${d}/p${i}`, h: 80, deadband: 5 },
      'bench',
    )
  }
  // rule r watches point index i*DEVICES + d… find each rule's point id by its position in `ids`
  const rulePoint = (r: number): PointId => ids[(r % DEVICES) * PER + Math.floor(r / DEVICES)] as PointId

  const pending = new Map<string, number>()
  const latencies: number[] = []
  let transitions = 0
  rules.watch(tenant as TenantId, (c) => {
    transitions++
    if (c.event.to !== 'unacknowledged') return
    const t = pending.get(c.alarm.alarmId)
    if (t !== undefined) {
      latencies.push(performance.now() - t)
      pending.delete(c.alarm.alarmId)
    }
  })

  // paced: 100 batches of 1,000 samples per second; in each batch one rule point goes high, another clears
  const RATE = 100_000
  const BATCH = 1000
  let ts = Date.now()
  let k = 0
  let high: number[] = []
  const batch = (): Sample[] => {
    const out: Sample[] = []
    ts += 1
    for (let j = 0; j < BATCH; j++) {
      const p = ids[(k++ * 7919) % ids.length] as PointId
      out.push({ point: p, ts, value: 50 + (j % 10), quality: 'good' })
    }
    const r = (k / BATCH) % RULES
    out.push({ point: rulePoint(r), ts, value: 95, quality: 'good' })
    pending.set(`r${r}:H`, performance.now())
    high.push(r)
    if (high.length > 50) {
      const c = high.shift() as number
      out.push({ point: rulePoint(c), ts, value: 60, quality: 'good' })
    }
    return out
  }
  const t0 = performance.now()
  let sent = 0
  const batches = (RATE / BATCH) * SECONDS
  // the subject the ingest pipeline would publish this tenant's samples on
  const subject = Subjects.sampleIngestedFor(tenant, DEFAULT_RULE_PARTITIONS)
  for (let b = 0; b < batches; b++) {
    const s = batch()
    sent += s.length
    void bus.publish(subject, { tenant, samples: s })
    // pace to the wall clock: 10 ms per batch
    const due = t0 + ((b + 1) * 1000 * BATCH) / RATE
    const wait = due - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    else if (b % 10 === 0) await new Promise((r) => setImmediate(r))
  }
  await new Promise((r) => setTimeout(r, 50))
  await rules.idle()
  const pacedMs = performance.now() - t0
  const paced = {
    samplesPerSecondOffered: RATE,
    seconds: SECONDS,
    samplesPerSecondAchieved: Math.round(sent / (pacedMs / 1000)),
    alarmTransitionsStored: transitions,
    sampleToAlarmMsP50: round(quantile(latencies, 0.5)),
    sampleToAlarmMsP99: round(quantile(latencies, 0.99)),
    sampleToAlarmMsMax: round(latencies.length ? Math.max(...latencies) : null),
  }

  // unpaced: the ceiling (each sample is checked against the rules on its point)
  const N = 1_000_000
  const u0 = performance.now()
  for (let b = 0; b < N / BATCH; b++) await rules.ingest(tenant, batch())
  await rules.idle()
  const unpacedS = (performance.now() - u0) / 1000
  high = []

  // notification latency to a local webhook receiver
  const got = new Map<string, number>()
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      got.set(JSON.parse(body).alarm.id, performance.now())
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  await rules.putChannel(tenant, {
    id: 'hook',
    kind: 'webhook',
    name: 'hook',
    enabled: true,
    minPriority: 'low',
    escalateAfterMs: null,
    notifyOn: ['raised'],
    dedupeWindowMs: 0,
    equipment: [],
    config: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, secret: 's' },
  })
  const sentAt = new Map<string, number>()
  for (let i = 0; i < 200; i++) {
    const r = 5000 + i
    ts += 1
    sentAt.set(`r${r}:H`, performance.now())
    await rules.ingest(tenant, [{ point: rulePoint(r), ts, value: 99, quality: 'good' }])
    await new Promise((res) => setTimeout(res, 5))
  }
  await rules.idle()
  const notifyMs = [...sentAt].filter(([id]) => got.has(id)).map(([id, t]) => (got.get(id) as number) - t)
  server.close()
  await rules.stop()
  await alarmDb.close()
  await meta.close()
  return {
    rules: RULES,
    points: ids.length,
    paced,
    unpaced: {
      samples: N,
      seconds: round(unpacedS),
      samplesPerSecond: Math.round(N / unpacedS),
      // every sample of a point with a rule evaluates that rule; half the points carry one
      ruleEvaluationsPerSecond: Math.round((N * (RULES / ids.length)) / unpacedS),
    },
    notification: {
      channel: 'webhook (local receiver, HMAC-signed)',
      delivered: notifyMs.length,
      of: sentAt.size,
      latencyMsP50: round(quantile(notifyMs, 0.5)),
      latencyMsP99: round(quantile(notifyMs, 0.99)),
    },
  }
}

const ew = earlyWarning()
const platform = await platformRun()
console.log(
  JSON.stringify({
    bench: 'alarms',
    node: process.version,
    earlyWarning: ew,
    goals: {
      leadTimeMedianH: 2,
      falseAlarmsPerMachineDay: 0.1,
      samplesPerSecond: 100_000,
      sampleToAlarmP99Ms: 1000,
    },
    throughput: platform,
  }),
)
