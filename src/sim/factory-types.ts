import type { DataType, PointKind, Quality } from '../core/index.ts'
import type { ShiftCalendarSpec } from './shift-calendar.ts'

/**
 * Machine states and their numeric codes, as the `state` point reports them. The order follows how OEE
 * accounts time (ISO 22400): planned stop is outside planned busy time, down and setup are losses inside it.
 */
export const MACHINE_STATE = {
  plannedStop: 0,
  running: 1,
  idle: 2,
  setup: 3,
  down: 4,
} as const
export type MachineState = keyof typeof MACHINE_STATE
export type MachineStateCode = (typeof MACHINE_STATE)[MachineState]
export const MACHINE_STATE_NAMES: Readonly<Record<MachineStateCode, { en: string; zh: string }>> = {
  0: { en: 'planned stop', zh: '计划停机' },
  1: { en: 'running', zh: '运行' },
  2: { en: 'idle', zh: '待机' },
  3: { en: 'setup', zh: '换型调试' },
  4: { en: 'down', zh: '故障停机' },
}

export type Protocol = 'sparkplug' | 'opcua' | 'modbus' | 'json'

export type EquipmentKind =
  | 'cnc-machining-centre'
  | 'injection-moulding-machine'
  | 'die-casting-machine'
  | 'industrial-robot'
  | 'conveyor'
  | 'air-compressor'
  | 'energy-meter'
  /** A conventional (not numerically controlled) machine tool: counts in the NC-rate denominator. */
  | 'machine-tool'

export type EnergyMedium = 'electricity' | 'natural-gas' | 'water' | 'steam'

export interface PointSpec {
  /** Unique within the equipment, camelCase: `spindleTemp`. */
  readonly key: string
  readonly name: string
  readonly nameZh: string
  /** UCUM-style unit: `Cel`, `mm/s`, `A`, `bar`, `s`, `{pcs}`, `kW.h`, `m3`, `t`, `r/min`. Empty for states. */
  readonly unit: string
  readonly dataType: DataType
  readonly kind: PointKind
  readonly protocol: Protocol
  /** The simulator samples the point this often (and also on every change for counter / state / text). */
  readonly samplePeriodMs: number
  /** Plausible engineering range, for sanity checks and console axes. */
  readonly range?: readonly [number, number]
}

export interface EquipmentSpec {
  /** Unique within the enterprise: `CNC-01`. */
  readonly key: string
  readonly name: string
  readonly nameZh: string
  readonly kind: EquipmentKind
  readonly model: string
  readonly manufacturer: string
  /** 数控 — counts in the NC-rate (数控化率) numerator. */
  readonly numericallyControlled: boolean
  /** 关键工序 — a key process step. */
  readonly keyProcess: boolean
  /** 联网 — connected; equipment that is not networked has no points. */
  readonly networked: boolean
  readonly protocol: Protocol | null
  /** Rated electrical power (kW), 0 for meters. */
  readonly ratedPowerKw: number
  /** For energy meters. */
  readonly medium?: EnergyMedium
  /** For energy meters: the equipment whose consumption it measures (keys in the same enterprise). */
  readonly measures?: readonly string[]
  /** Equipment whose state this one follows (a robot tending a machine, a conveyor feeding a line). */
  readonly follows?: string
  readonly points: readonly PointSpec[]
}

export interface CellSpec {
  readonly key: string
  readonly name: string
  readonly nameZh: string
  readonly equipment: readonly EquipmentSpec[]
}

export interface LineSpec {
  readonly key: string
  readonly name: string
  readonly nameZh: string
  readonly product: string
  readonly cells: readonly CellSpec[]
}

export interface AreaSpec {
  readonly key: string
  readonly name: string
  readonly nameZh: string
  readonly lines: readonly LineSpec[]
}

export interface SiteSpec {
  readonly key: string
  readonly name: string
  readonly nameZh: string
  readonly address: string
  /** GB/T 2260 county-level code of the site. */
  readonly regionCode: string
  readonly latitude: number
  readonly longitude: number
  readonly calendar: ShiftCalendarSpec
  readonly areas: readonly AreaSpec[]
}

export interface EnterpriseSpec {
  /** Stable short key, used as the Sparkplug group prefix and the tenant slug: `fs-diecast`. */
  readonly key: string
  readonly name: string
  readonly nameZh: string
  /** 统一社会信用代码, GB 32100-2015 (fictional but valid). */
  readonly uscc: string
  /** GB/T 2260 city code (also characters 3–8 of the USCC). */
  readonly regionCode: string
  readonly province: string
  readonly city: string
  /** GB/T 4754-2017 industry class: `C3392`. */
  readonly industryCode: string
  readonly industryName: string
  readonly sites: readonly SiteSpec[]
}

/** One simulated reading. Text points carry a string value; a dropped-out meter reports null / bad. */
export interface SimValue {
  readonly enterpriseKey: string
  readonly deviceKey: string
  readonly pointKey: string
  readonly ts: number
  readonly value: number | string | null
  readonly quality: Quality
}

export type FaultKind = 'bearing-wear' | 'tool-wear' | 'meter-dropout' | 'counter-reset'

/**
 * Ground truth for the alarm benchmark. bearing-wear: vibration rises from onsetTs, the machine breaks down
 * at breakdownTs and is repaired at endTs. tool-wear: scrap rises from onsetTs until the tool change at endTs.
 * meter-dropout: no data (mode silent) or bad-quality nulls (mode bad) from onsetTs to endTs.
 * counter-reset: the part counters restart from 0 at onsetTs (a controller restart after a repair).
 */
export interface FaultEvent {
  readonly id: string
  readonly kind: FaultKind
  readonly enterpriseKey: string
  readonly deviceKey: string
  readonly onsetTs: number
  readonly breakdownTs: number | null
  readonly endTs: number
  readonly detail: Readonly<Record<string, number | string>>
}
