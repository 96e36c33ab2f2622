import type { Quality } from '../core/index.ts'
import { buildEnterprises, listEquipment, type PlacedEquipment } from './factory-catalog.ts'
import {
  type EnterpriseSpec,
  type EquipmentKind,
  type FaultEvent,
  MACHINE_STATE,
  type PointSpec,
  type SimValue,
  type SiteSpec,
} from './factory-types.ts'
import { DEFAULT_FAULT_RATES, type FaultRates, planEquipmentWeek, planFaults } from './fault-plan.ts'
import { createRng, hashSeed, type Rng } from './random.ts'
import {
  type CalendarSegment,
  calendarSegmentAt,
  DAY_MS,
  HOUR_MS,
  localWeekStart,
  MINUTE_MS,
  WEEK_MS,
} from './shift-calendar.ts'
import { SimErrors } from './sim-errors.ts'

/**
 * The virtual factory: a pure, deterministic simulation of the catalogue's enterprises. Time advances in
 * fixed ticks; machines run a state machine on their site's shift calendar, count parts, heat up and cool
 * down, draw power; meters integrate what they measure; planned faults (see fault-plan.ts) bend the process
 * variables and stop machines. Points are sampled on a fixed period aligned to the start time, and counters,
 * states, texts and cycle times also whenever they change. Same seed, start and tick → same values, however
 * the steps are chunked.
 */

export interface VirtualFactoryOptions {
  readonly seed: number | string
  /** Epoch ms of the first tick. */
  readonly start: number
  /** Simulation tick (default 1000 ms). Sample periods are rounded up to whole ticks. */
  readonly tickMs?: number
  readonly faultRates?: Partial<FaultRates>
  /** Defaults to the three catalogue enterprises. */
  readonly enterprises?: readonly EnterpriseSpec[]
}

export interface EquipmentStatus {
  readonly state: number
  readonly partsGood: number
  readonly partsScrap: number
  readonly cycles: number
  readonly powerKw: number
  /** Cumulative consumption attributed to this equipment: kWh, natural gas m³, water m³, steam t. */
  readonly consumption: {
    readonly electricity: number
    readonly gas: number
    readonly water: number
    readonly steam: number
  }
}

export interface VirtualFactory {
  readonly enterprises: readonly EnterpriseSpec[]
  readonly tickMs: number
  readonly seed: number
  /** Time of the next tick to simulate. */
  nextTickTs(): number
  /** Simulates every tick up to and including untilTs and returns the values sampled on the way. */
  step(untilTs: number): SimValue[]
  /** Like step, but hands each value to `sink` instead of collecting them (for long runs). Returns the count. */
  run(untilTs: number, sink: (value: SimValue) => void): number
  /** Planned faults overlapping [fromTs, toTs] (default: from the start to the last simulated tick). */
  groundTruth(fromTs?: number, toTs?: number): FaultEvent[]
  status(enterpriseKey: string, deviceKey: string): EquipmentStatus
}

const RUNNING = MACHINE_STATE.running
const IDLE = MACHINE_STATE.idle
const SETUP = MACHINE_STATE.setup
const DOWN = MACHINE_STATE.down
const PLANNED = MACHINE_STATE.plannedStop

/** Three-phase 380 V, power factor 0.85: I = P / (√3 · U · cos φ). */
const AMPS_PER_KW = 1000 / (Math.sqrt(3) * 380 * 0.85)

/** Electrical power as a fraction of rated power by state (running is scaled by the job's load). */
const POWER_FACTOR_BY_STATE = [0.015, 1, 0.22, 0.18, 0.03] as const

// media: 0 electricity kWh, 1 natural gas m³, 2 water m³, 3 steam t; rates per hour by state code
const MEDIA = ['electricity', 'natural-gas', 'water', 'steam'] as const
type MediaRates = readonly [number, number, number, number, number]

function mediaRates(kind: EquipmentKind, medium: 1 | 2 | 3): MediaRates | null {
  // order: planned, running, idle, setup, down
  if (medium === 1) {
    // a die-casting cell's share of the melting / holding furnace, and heat treatment for machined parts
    if (kind === 'die-casting-machine') return [5, 14, 9, 9, 8]
    if (kind === 'cnc-machining-centre') return [0.5, 3, 1.8, 1.5, 1.5]
    return null
  }
  if (medium === 2) {
    if (kind === 'die-casting-machine') return [0.1, 1.2, 0.6, 0.5, 0.3]
    if (kind === 'injection-moulding-machine') return [0.05, 0.8, 0.5, 0.4, 0.2]
    if (kind === 'cnc-machining-centre') return [0.02, 0.15, 0.05, 0.05, 0.02]
    if (kind === 'air-compressor') return [0, 0.5, 0.2, 0, 0]
    return null
  }
  // steam: the washing tunnel (its conveyor is what the steam meter measures)
  if (kind === 'conveyor') return [0.05, 0.9, 0.6, 0.6, 0.3]
  return null
}

interface KindParams {
  readonly cycleS: readonly [number, number]
  readonly baseScrap: number
  readonly vibBase: number
  readonly load: readonly [number, number]
}

const KIND_PARAMS: Readonly<Record<EquipmentKind, KindParams>> = {
  'cnc-machining-centre': { cycleS: [90, 300], baseScrap: 0.008, vibBase: 1.2, load: [0.45, 0.8] },
  'injection-moulding-machine': { cycleS: [18, 45], baseScrap: 0.015, vibBase: 1.6, load: [0.5, 0.8] },
  'die-casting-machine': { cycleS: [55, 110], baseScrap: 0.03, vibBase: 2.2, load: [0.55, 0.85] },
  'industrial-robot': { cycleS: [15, 40], baseScrap: 0, vibBase: 0.7, load: [0.4, 0.7] },
  conveyor: { cycleS: [25, 45], baseScrap: 0, vibBase: 1.1, load: [0.5, 0.75] },
  'air-compressor': { cycleS: [60, 60], baseScrap: 0, vibBase: 2.0, load: [0.5, 0.9] },
  'energy-meter': { cycleS: [60, 60], baseScrap: 0, vibBase: 0, load: [0, 0] },
  'machine-tool': { cycleS: [120, 400], baseScrap: 0.01, vibBase: 1.5, load: [0.4, 0.7] },
}

interface Job {
  readonly program: string
  readonly cycleS: number
  readonly load: number
  readonly rpm: number
  readonly pressure: number
  readonly barrelSet: number
  readonly mouldSet: number
  readonly dieSet: number
  readonly speed: number
}

interface Pt {
  readonly spec: PointSpec
  readonly period: number
  nextAt: number
  lastTs: number
}

interface SiteRt {
  readonly spec: SiteSpec
  seg: CalendarSegment
  weekLoadedUntil: number
  readonly ambientBase: number
  readonly producers: Eq[]
  readonly compressors: Eq[]
  runningRatio: number
}

type Role = 'producer' | 'follower' | 'compressor' | 'meter'

interface Eq {
  readonly placed: PlacedEquipment
  readonly entKey: string
  readonly devKey: string
  readonly kind: EquipmentKind
  readonly role: Role
  readonly site: SiteRt
  readonly k: KindParams
  readonly rng: Rng
  readonly noise: Rng
  readonly rated: number
  leader: Eq | null
  readonly followers: Eq[]
  state: number
  until: number
  nextMicro: number
  nextJob: number
  lastShiftStart: number | null
  pendingJob: boolean
  firstPart: boolean
  readonly jobs: Job[]
  job: Job
  cycleMs: number
  progressMs: number
  lastCycleS: number
  good: number
  scrap: number
  cycles: number
  runHours: number
  heat: number
  heat2: number
  load: number
  powerKw: number
  readonly cum: Float64Array
  readonly rates: (MediaRates | null)[]
  faults: FaultEvent[]
  faultCheckAt: number
  breakdown: FaultEvent | null
  wear: FaultEvent | null
  tool: FaultEvent | null
  dropout: FaultEvent | null
  toolChangeDue: boolean
  lastResetAt: number
  readonly points: Pt[]
  readonly byKey: Map<string, Pt>
  // meters
  readonly mediumIdx: number
  readonly measured: Eq[]
  baseCum: number
  baseRate: number
}

function programName(rng: Rng, kind: EquipmentKind): string {
  const n = rng.int(1000, 9899)
  if (kind === 'cnc-machining-centre') return `O${n}`
  if (kind === 'injection-moulding-machine') return `MOLD-${n}`
  if (kind === 'die-casting-machine') return `DIE-${n}`
  return `P${n}`
}

function makeJobs(rng: Rng, k: KindParams, kind: EquipmentKind): Job[] {
  const count = rng.int(3, 5)
  const jobs: Job[] = []
  for (let i = 0; i < count; i++) {
    jobs.push({
      program: programName(rng, kind),
      cycleS: Math.round(rng.uniform(k.cycleS[0], k.cycleS[1]) * 10) / 10,
      load: rng.uniform(k.load[0], k.load[1]),
      rpm: Math.round(rng.uniform(6000, 12000) / 100) * 100,
      pressure: rng.uniform(120, 165),
      barrelSet: rng.pick([230, 245, 260, 280]),
      mouldSet: rng.pick([45, 60, 80]),
      dieSet: rng.uniform(190, 240),
      speed: Math.round(rng.uniform(6, 12) * 10) / 10,
    })
  }
  return jobs
}

function round(v: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(v * f) / f
}

export function createVirtualFactory(options: VirtualFactoryOptions): VirtualFactory {
  const tickMs = options.tickMs ?? 1000
  if (!Number.isInteger(tickMs) || tickMs <= 0 || tickMs > HOUR_MS)
    throw SimErrors.invalidConfig('tickMs must be a whole number of milliseconds between 1 and 3 600 000', {
      tickMs,
    })
  if (!Number.isFinite(options.start)) throw SimErrors.invalidConfig('start must be an epoch-ms number')
  const seed = typeof options.seed === 'number' ? options.seed >>> 0 : hashSeed(options.seed)
  const rates: FaultRates = { ...DEFAULT_FAULT_RATES, ...options.faultRates }
  const enterprises = options.enterprises ?? buildEnterprises()
  const placedAll = listEquipment(enterprises)
  const start = options.start
  let nextTick = start

  // ------------------------------------------------------------------ build the runtime
  const sites = new Map<SiteSpec, SiteRt>()
  const eqs: Eq[] = []
  const byDevice = new Map<string, Eq>()
  const kHeat = 1 - Math.exp(-tickMs / (20 * MINUTE_MS))
  const kHeat2 = 1 - Math.exp(-tickMs / (40 * MINUTE_MS))

  for (const p of placedAll) {
    let site = sites.get(p.site)
    if (site === undefined) {
      site = {
        spec: p.site,
        seg: calendarSegmentAt(p.site.calendar, start),
        weekLoadedUntil: Number.NEGATIVE_INFINITY,
        // subtropical Guangdong is a little warmer than Liuzhou
        ambientBase: p.site.latitude < 24 ? 27 : 24,
        producers: [],
        compressors: [],
        runningRatio: 0,
      }
      sites.set(p.site, site)
    }
    const spec = p.equipment
    const role: Role =
      spec.kind === 'energy-meter'
        ? 'meter'
        : spec.kind === 'air-compressor'
          ? 'compressor'
          : spec.follows !== undefined
            ? 'follower'
            : 'producer'
    const k = KIND_PARAMS[spec.kind]
    const rng = createRng(hashSeed(seed, p.enterprise.key, spec.key, 'behaviour'))
    const noise = createRng(hashSeed(seed, p.enterprise.key, spec.key, 'noise'))
    const jobs = role === 'meter' ? [] : makeJobs(rng, k, spec.kind)
    const job = jobs.length > 0 ? rng.pick(jobs) : makeJobs(rng, k, spec.kind)[0]!
    const points: Pt[] = []
    const byKey = new Map<string, Pt>()
    for (const ps of spec.points) {
      const period = Math.max(tickMs, Math.ceil(ps.samplePeriodMs / tickMs) * tickMs)
      const pt: Pt = { spec: ps, period, nextAt: start, lastTs: Number.NEGATIVE_INFINITY }
      points.push(pt)
      byKey.set(ps.key, pt)
    }
    const mediumIdx = spec.medium === undefined ? -1 : MEDIA.indexOf(spec.medium)
    const eq: Eq = {
      placed: p,
      entKey: p.enterprise.key,
      devKey: spec.key,
      kind: spec.kind,
      role,
      site,
      k,
      rng,
      noise,
      rated: spec.ratedPowerKw,
      leader: null,
      followers: [],
      state: PLANNED,
      until: start,
      nextMicro: start + Math.round(rng.exponential(50 * MINUTE_MS)),
      nextJob: start + Math.round(rng.uniform(0.2, 6) * HOUR_MS),
      lastShiftStart: null,
      pendingJob: false,
      firstPart: false,
      jobs,
      job,
      cycleMs: Math.round(job.cycleS * 1000),
      progressMs: Math.round(rng.uniform(0, job.cycleS * 1000)),
      lastCycleS: job.cycleS,
      // controllers have counted for years before the simulation starts
      good: role === 'meter' ? 0 : rng.int(10_000, 900_000),
      scrap: 0,
      cycles: role === 'meter' ? 0 : rng.int(100_000, 5_000_000),
      runHours: round(rng.uniform(2000, 40_000), 1),
      heat: 0,
      heat2: 0,
      load: job.load,
      powerKw: 0,
      cum: new Float64Array(4),
      rates: [null, null, null, null],
      faults: [],
      faultCheckAt: Number.POSITIVE_INFINITY,
      breakdown: null,
      wear: null,
      tool: null,
      dropout: null,
      toolChangeDue: false,
      lastResetAt: Number.NEGATIVE_INFINITY,
      points,
      byKey,
      mediumIdx,
      measured: [],
      baseCum: role === 'meter' ? round(rng.uniform(50_000, 900_000), 1) : 0,
      baseRate: 0,
    }
    eq.scrap = Math.round(eq.good * k.baseScrap)
    eqs.push(eq)
    byDevice.set(`${eq.entKey}/${eq.devKey}`, eq)
    if (role === 'producer') site.producers.push(eq)
    if (role === 'compressor') site.compressors.push(eq)
  }

  for (const eq of eqs) {
    const spec = eq.placed.equipment
    if (spec.follows !== undefined) {
      const leader = byDevice.get(`${eq.entKey}/${spec.follows}`)
      if (leader === undefined || leader.role !== 'producer')
        throw SimErrors.invalidConfig(
          `${eq.entKey}/${eq.devKey} follows ${spec.follows}, which is not a leading machine`,
        )
      eq.leader = leader
      leader.followers.push(eq)
    }
    if (eq.role === 'meter') {
      for (const key of spec.measures ?? []) {
        const m = byDevice.get(`${eq.entKey}/${key}`)
        if (m === undefined)
          throw SimErrors.invalidConfig(`meter ${eq.devKey} measures unknown equipment ${key}`)
        eq.measured.push(m)
        const mi = eq.mediumIdx
        if (mi >= 1 && mi <= 3) m.rates[mi] = mediaRates(m.kind, mi as 1 | 2 | 3)
      }
    }
  }
  const meters = eqs.filter((e) => e.role === 'meter')
  const producers = eqs.filter((e) => e.role === 'producer')
  const followers = eqs.filter((e) => e.role === 'follower')
  const emitting = eqs.filter((e) => e.points.length > 0)

  // machines that are inside a shift at the start are warm and mid-shift (no start-up setup)
  for (const eq of eqs) {
    const seg = eq.site.seg
    if (seg.status !== 'off') {
      eq.lastShiftStart = seg.shiftStart
      eq.heat = 0.7
      eq.heat2 = 1
    }
  }

  // ------------------------------------------------------------------ faults
  function loadWeek(site: SiteRt, t: number): void {
    const cal = site.spec.calendar
    const w = localWeekStart(cal, t)
    site.weekLoadedUntil = w + WEEK_MS
    for (const eq of eqs) {
      if (eq.site !== site) continue
      const fs = planEquipmentWeek(seed, eq.placed, w - WEEK_MS, rates).concat(
        planEquipmentWeek(seed, eq.placed, w, rates),
      )
      eq.faults = fs.filter((f) => f.endTs >= t)
      eq.faultCheckAt = t
    }
  }

  function refreshFaults(eq: Eq, t: number): void {
    const hadTool = eq.tool
    eq.breakdown = null
    eq.wear = null
    eq.tool = null
    eq.dropout = null
    let next = Number.POSITIVE_INFINITY
    for (const f of eq.faults) {
      if (t < f.onsetTs) {
        next = Math.min(next, f.onsetTs)
        continue
      }
      switch (f.kind) {
        case 'bearing-wear': {
          const bd = f.breakdownTs ?? f.endTs
          if (t < bd) {
            eq.wear = f
            next = Math.min(next, bd)
          } else if (t < f.endTs) {
            eq.breakdown = f
            next = Math.min(next, f.endTs)
          }
          break
        }
        case 'tool-wear':
          if (t < f.endTs) {
            eq.tool = f
            next = Math.min(next, f.endTs)
          }
          break
        case 'meter-dropout':
          if (t < f.endTs) {
            eq.dropout = f
            next = Math.min(next, f.endTs)
          }
          break
        case 'counter-reset':
          // only a reset the simulation actually passes through; counters before the start are arbitrary
          if (f.onsetTs > eq.lastResetAt && f.onsetTs >= start && t - f.onsetTs < tickMs) {
            eq.lastResetAt = f.onsetTs
            eq.good = 0
            eq.scrap = 0
            eq.cycles = 0
            changed(eq, 'partsGood', t)
            changed(eq, 'partsScrap', t)
            changed(eq, 'cycles', t)
          }
          break
      }
    }
    if (hadTool !== null && eq.tool === null) eq.toolChangeDue = true
    eq.faultCheckAt = next
  }

  function wearProgress(eq: Eq, t: number): number {
    const f = eq.wear
    if (f === null) return 0
    const bd = f.breakdownTs ?? f.endTs
    const p = (t - f.onsetTs) / Math.max(1, bd - f.onsetTs)
    return Math.min(1, Math.max(0, p))
  }

  function wearFactor(eq: Eq, t: number): number {
    const f = eq.wear
    if (f === null) return 1
    const peak = Number(f.detail['peakFactor'] ?? 4)
    const p = wearProgress(eq, t)
    return 1 + (peak - 1) * p * p
  }

  function toolScrapExtra(eq: Eq, t: number): number {
    const f = eq.tool
    if (f === null) return 0
    const q = (t - f.onsetTs) / Math.max(1, f.endTs - f.onsetTs)
    return (Number(f.detail['maxScrapRate'] ?? 0.1) - eq.k.baseScrap) * Math.min(1, Math.max(0, q))
  }

  // ------------------------------------------------------------------ emission
  let sink: (v: SimValue) => void = () => {}
  let emitted = 0

  function emit(eq: Eq, pt: Pt, t: number): void {
    pt.lastTs = t
    let value: number | string | null
    let quality: Quality = 'good'
    if (eq.dropout !== null) {
      if (eq.dropout.detail['mode'] === 'silent') return
      value = null
      quality = 'bad'
    } else {
      value = sample(eq, pt.spec.key, t)
    }
    emitted++
    sink({ enterpriseKey: eq.entKey, deviceKey: eq.devKey, pointKey: pt.spec.key, ts: t, value, quality })
  }

  function changed(eq: Eq, key: string, t: number): void {
    const pt = eq.byKey.get(key)
    if (pt !== undefined && pt.lastTs !== t) emit(eq, pt, t)
  }

  function ambient(site: SiteRt, t: number): number {
    const localHour = ((((t + site.spec.calendar.utcOffsetMs) % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS
    return site.ambientBase + 4 * Math.sin((2 * Math.PI * (localHour - 9)) / 24)
  }

  function meterRate(m: Eq): number {
    const mi = m.mediumIdx
    let r = m.baseRate
    for (const e of m.measured) {
      if (mi === 0) r += e.powerKw
      else {
        const rt = e.rates[mi]
        if (rt) r += rt[e.state] ?? 0
      }
    }
    return r
  }

  function meterTotal(m: Eq): number {
    let c = m.baseCum
    for (const e of m.measured) c += e.cum[m.mediumIdx] ?? 0
    return c
  }

  function sample(eq: Eq, key: string, t: number): number | string {
    const n = eq.noise
    const s = eq.state
    switch (key) {
      case 'state':
        return s
      case 'partsGood':
        return eq.good
      case 'partsScrap':
        return eq.scrap
      case 'cycles':
        return eq.cycles
      case 'cycleTime':
        return round(eq.lastCycleS, 2)
      case 'program':
        return eq.job.program
      case 'runHours':
        return round(eq.runHours, 3)
      case 'spindleSpeed':
        return s === RUNNING ? round(eq.job.rpm * (1 + 0.002 * n.normal()), 1) : 0
      case 'spindleTemp':
        return round(
          ambient(eq.site, t) + 4 + 24 * eq.heat + 10 * wearProgress(eq, t) ** 2 + 0.3 * n.normal(),
          2,
        )
      case 'jointTemp':
        return round(
          ambient(eq.site, t) + 3 + 18 * eq.heat + 8 * wearProgress(eq, t) ** 2 + 0.3 * n.normal(),
          2,
        )
      case 'dischargeTemp':
        return round(ambient(eq.site, t) + 8 + 60 * eq.heat + 0.5 * n.normal(), 2)
      case 'vibrationRms': {
        const base = eq.k.vibBase * wearFactor(eq, t)
        let v: number
        if (s === RUNNING) v = base * (0.85 + 0.3 * eq.load) * (1 + 0.08 * n.normal())
        else if (s === IDLE || s === SETUP)
          v = base * (eq.role === 'compressor' ? 0.6 : 0.3) * (1 + 0.1 * n.normal())
        else v = 0.05 + 0.02 * Math.abs(n.normal())
        return round(Math.max(0.01, v), 3)
      }
      case 'motorCurrent':
        return round(Math.max(0, eq.powerKw * AMPS_PER_KW * (1 + 0.02 * n.normal())), 2)
      case 'hydraulicPressure': {
        if (s === RUNNING) {
          // injection peak, then holding, then low pressure while cooling and ejecting
          const phase = eq.progressMs / eq.cycleMs
          const p = eq.job.pressure
          const level = phase < 0.15 ? p : phase < 0.5 ? 0.6 * p : 0.25 * p
          return round(level + 2 * n.normal(), 1)
        }
        if (s === IDLE || s === SETUP) return round(35 + 2 * n.normal(), 1)
        return round(Math.max(0, 2 + n.normal()), 1)
      }
      case 'barrelTemp': {
        const a = ambient(eq.site, t)
        return round(a + (eq.job.barrelSet - a) * eq.heat2 + 0.8 * n.normal(), 1)
      }
      case 'mouldTemp': {
        const a = ambient(eq.site, t)
        return round(a + (eq.job.mouldSet - a) * eq.heat2 * (0.8 + 0.2 * eq.heat) + 0.5 * n.normal(), 1)
      }
      case 'dieTemp': {
        const a = ambient(eq.site, t)
        return round(a + (eq.job.dieSet - a) * (0.55 * eq.heat2 + 0.45 * eq.heat) + 1.5 * n.normal(), 1)
      }
      case 'meltTemp':
        // the holding furnace keeps the aluminium liquid around the clock, a little cooler outside shifts
        return round((eq.heat2 > 0.5 ? 672 : 656) + 3 * n.normal(), 1)
      case 'speed':
        return s === RUNNING ? round(eq.job.speed * (1 + 0.003 * n.normal()), 2) : 0
      case 'dischargePressure':
        if (s === RUNNING) return round(7.3 - 0.5 * eq.load + 0.05 * n.normal(), 3)
        if (s === IDLE) return round(7.5 + 0.03 * n.normal(), 3)
        return round(0.3 + 0.05 * Math.abs(n.normal()), 3)
      case 'energy':
      case 'volume':
      case 'mass':
        return round(meterTotal(eq), 3)
      case 'power':
      case 'flow':
        return round(Math.max(0, meterRate(eq) * (1 + 0.01 * n.normal())), 3)
      default:
        return 0
    }
  }

  // ------------------------------------------------------------------ behaviour
  function setState(eq: Eq, s: number, t: number): void {
    if (eq.state === s) return
    if (eq.state === SETUP && s === RUNNING) {
      eq.firstPart = true
      if (eq.pendingJob) {
        eq.pendingJob = false
        const others = eq.jobs.filter((j) => j !== eq.job)
        eq.job = others.length > 0 ? eq.rng.pick(others) : eq.job
        eq.load = eq.job.load
        eq.cycleMs = Math.round(eq.job.cycleS * 1000)
        eq.progressMs = 0
        changed(eq, 'program', t)
      }
    }
    eq.state = s
    changed(eq, 'state', t)
  }

  function anyFollowerDown(eq: Eq): boolean {
    for (const f of eq.followers) if (f.state === DOWN) return true
    return false
  }

  function nextCycleMs(eq: Eq, t: number, seg: CalendarSegment): number {
    let f = 1 + 0.02 * eq.rng.normal()
    if (f < 0.9) f = 0.9
    const localHour = ((((t + eq.site.spec.calendar.utcOffsetMs) % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS
    // night work is a little slower, and so is the first hour of a shift
    if (localHour >= 22 || localHour < 6) f *= 1.03
    if (seg.shiftStart !== null && t - seg.shiftStart < HOUR_MS) f *= 1.04
    return Math.max(tickMs, Math.round(eq.job.cycleS * 1000 * f))
  }

  function completePart(eq: Eq, t: number, seg: CalendarSegment): void {
    eq.lastCycleS = eq.cycleMs / 1000
    let pScrap = eq.k.baseScrap + toolScrapExtra(eq, t)
    if (eq.firstPart) {
      // the first part after a setup is often out of tolerance
      pScrap += 0.04
      eq.firstPart = false
    }
    if (eq.rng.next() < pScrap) {
      eq.scrap++
      changed(eq, 'partsScrap', t)
    } else {
      eq.good++
      changed(eq, 'partsGood', t)
    }
    changed(eq, 'cycleTime', t)
    for (const f of eq.followers) {
      if (f.state === RUNNING) {
        f.cycles++
        changed(f, 'cycles', t)
      }
    }
    eq.cycleMs = nextCycleMs(eq, t, seg)
  }

  function tickProducer(eq: Eq, t: number, seg: CalendarSegment): void {
    const r = eq.rng
    let s = eq.state
    const working = seg.status === 'work'
    if (eq.breakdown !== null) s = DOWN
    else if (s === DOWN) {
      // repaired: restart and check the machine before running again
      if (working) {
        s = SETUP
        eq.until = t + Math.round(r.uniform(15, 30) * MINUTE_MS)
      } else s = PLANNED
    } else if (!working) s = PLANNED
    else if (s === PLANNED) {
      if (seg.shiftStart !== eq.lastShiftStart) {
        // start of shift: warm-up and first-part check
        s = SETUP
        eq.until = t + Math.round(r.uniform(8, 25) * MINUTE_MS)
      } else s = RUNNING
    } else if (s === SETUP) {
      if (t >= eq.until) s = RUNNING
    } else if (s === IDLE) {
      if (t >= eq.until && !anyFollowerDown(eq)) s = RUNNING
    } else if (s === RUNNING) {
      if (eq.toolChangeDue) {
        eq.toolChangeDue = false
        s = SETUP
        eq.until = t + Math.round(r.uniform(10, 20) * MINUTE_MS)
      } else if (t >= eq.nextJob) {
        s = SETUP
        eq.pendingJob = true
        eq.until = t + Math.round(r.uniform(20, 45) * MINUTE_MS)
        eq.nextJob = t + HOUR_MS + Math.round(r.exponential(5 * HOUR_MS))
      } else if (t >= eq.nextMicro) {
        // starved, blocked, waiting for an operator: short idle stops
        s = IDLE
        eq.until = t + Math.round((0.5 + r.exponential(4)) * MINUTE_MS)
        eq.nextMicro = t + Math.round(r.exponential(50 * MINUTE_MS))
      } else if (anyFollowerDown(eq)) {
        s = IDLE
        eq.until = t
      }
    }
    if (working) eq.lastShiftStart = seg.shiftStart
    setState(eq, s, t)
    if (s === RUNNING) {
      eq.progressMs += tickMs
      while (eq.progressMs >= eq.cycleMs) {
        eq.progressMs -= eq.cycleMs
        completePart(eq, t, seg)
      }
    }
  }

  function tickFollower(eq: Eq, t: number): void {
    let s: number
    if (eq.breakdown !== null) s = DOWN
    else {
      const ls = eq.leader?.state ?? PLANNED
      s = ls === RUNNING ? RUNNING : ls === PLANNED ? PLANNED : ls === SETUP ? SETUP : IDLE
    }
    setState(eq, s, t)
  }

  function tickCompressor(eq: Eq, t: number, seg: CalendarSegment, index: number): void {
    let s: number
    if (eq.breakdown !== null) s = DOWN
    else if (seg.status !== 'off') s = RUNNING
    // the lead compressor stays on unloaded outside shifts to hold the network's pressure
    else s = index === 0 ? IDLE : PLANNED
    setState(eq, s, t)
  }

  function power(eq: Eq): number {
    const s = eq.state
    if (eq.role === 'compressor') {
      if (s === RUNNING) return eq.rated * (0.35 + 0.65 * eq.load)
      if (s === IDLE) return eq.rated * 0.28
      return 0
    }
    const f = POWER_FACTOR_BY_STATE[s as 0 | 1 | 2 | 3 | 4]
    return s === RUNNING ? eq.rated * eq.load * f : eq.rated * f
  }

  function tick(t: number): void {
    for (const site of sites.values()) {
      if (t >= site.weekLoadedUntil) loadWeek(site, t)
      if (t >= site.seg.until || t < site.seg.from) site.seg = calendarSegmentAt(site.spec.calendar, t)
    }
    for (const eq of eqs) if (t >= eq.faultCheckAt) refreshFaults(eq, t)
    for (const eq of producers) tickProducer(eq, t, eq.site.seg)
    for (const eq of followers) tickFollower(eq, t)
    for (const site of sites.values()) {
      let running = 0
      for (const p of site.producers) if (p.state === RUNNING) running++
      site.runningRatio = site.producers.length > 0 ? running / site.producers.length : 0
      let up = 0
      site.compressors.forEach((c, i) => {
        tickCompressor(c, t, site.seg, i)
        if (c.state === RUNNING) up++
      })
      const demand = 0.2 + 0.8 * site.runningRatio
      for (const c of site.compressors)
        c.load = Math.min(1, (demand * site.compressors.length * 0.6) / Math.max(1, up))
    }
    const hours = tickMs / HOUR_MS
    for (const eq of eqs) {
      if (eq.role === 'meter') continue
      const s = eq.state
      eq.powerKw = power(eq)
      eq.cum[0] = (eq.cum[0] ?? 0) + eq.powerKw * hours
      for (let m = 1; m < 4; m++) {
        const rt = eq.rates[m]
        if (rt) eq.cum[m] = (eq.cum[m] ?? 0) + (rt[s] ?? 0) * hours
      }
      const target = s === RUNNING ? 0.55 + 0.45 * eq.load : s === IDLE ? 0.35 : s === SETUP ? 0.3 : 0
      eq.heat += (target - eq.heat) * kHeat
      eq.heat2 += ((s === PLANNED ? 0 : 1) - eq.heat2) * kHeat2
      if (eq.role === 'compressor' && (s === RUNNING || s === IDLE)) eq.runHours += hours
    }
    for (const m of meters) {
      const seg = m.site.seg
      const main = m.devKey.endsWith('MAIN')
      if (m.mediumIdx === 0 && main) {
        // lighting, HVAC and offices: a daily profile, lower outside shifts
        let rated = 0
        for (const e of m.measured) rated += e.rated
        const hour = ((((t + m.site.spec.calendar.utcOffsetMs) % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS
        const daily = 1 + 0.25 * Math.sin((2 * Math.PI * (hour - 9)) / 24)
        m.baseRate = 0.05 * rated * daily * (seg.status === 'off' ? 0.5 : 1)
      } else if (m.mediumIdx === 2 && main === false && m.devKey === 'WM-01' && m.measured.length > 3) {
        m.baseRate = seg.status === 'off' ? 0.2 : 0.8 // canteen and washrooms
      } else m.baseRate = 0
      m.baseCum += m.baseRate * hours
    }
    for (const eq of emitting) {
      for (const pt of eq.points) {
        if (t >= pt.nextAt) {
          pt.nextAt += pt.period
          if (pt.nextAt <= t) pt.nextAt = t + pt.period
          if (pt.lastTs !== t) emit(eq, pt, t)
        }
      }
    }
  }

  function run(untilTs: number, s: (v: SimValue) => void): number {
    sink = s
    emitted = 0
    while (nextTick <= untilTs) {
      tick(nextTick)
      nextTick += tickMs
    }
    sink = () => {}
    return emitted
  }

  return {
    enterprises,
    tickMs,
    seed,
    nextTickTs: () => nextTick,
    step(untilTs) {
      const out: SimValue[] = []
      run(untilTs, (v) => out.push(v))
      return out
    },
    run,
    groundTruth(fromTs = start, toTs = nextTick - tickMs) {
      return planFaults(seed, placedAll, fromTs, toTs, rates)
    },
    status(enterpriseKey, deviceKey) {
      const eq = byDevice.get(`${enterpriseKey}/${deviceKey}`)
      if (eq === undefined) throw SimErrors.unknownDevice(`${enterpriseKey}/${deviceKey}`)
      return {
        state: eq.state,
        partsGood: eq.good,
        partsScrap: eq.scrap,
        cycles: eq.cycles,
        powerKw: eq.powerKw,
        consumption: {
          electricity: eq.cum[0] ?? 0,
          gas: eq.cum[1] ?? 0,
          water: eq.cum[2] ?? 0,
          steam: eq.cum[3] ?? 0,
        },
      }
    },
  }
}
