/** Answers of the analytics API (src/analytics/analytics-service.ts), as the console reads them. */
// the ISO 22400 elements and KPIs as the server defines them (a pure module, shared)
import type { OeeElements, OeeKpis } from '../../../../src/analytics/oee/oee-elements.ts'

export type { OeeElements, OeeKpis }
export interface OeeShiftRow {
  equipment: string
  shift: string
  productionDay: string
  start: number
  end: number
  elements: OeeElements
}
export type LossState = 'down' | 'setup' | 'idle'
export interface ParetoRow {
  state: LossState
  reason: string
  duration: number
  events: number
  share: number
  cumulativeShare: number
}
export interface LossInterval {
  start: number
  end: number
  state: LossState
  reason: string | null
}
export interface OeeReport {
  equipment: string
  from: number
  to: number
  elements: OeeElements
  kpis: OeeKpis
  rows: OeeShiftRow[]
  pareto: ParetoRow[]
  unknownStates: number
  lossIntervals: LossInterval[]
}
export interface DowntimeReason {
  code: string
  label: { 'zh-CN': string; en: string }
  builtIn: boolean
}

export interface ControlLimits {
  center: number
  ucl: number
  lcl: number
}
export type ChartKind = 'imr' | 'xbar-r' | 'xbar-s'
export interface SpcResult {
  point: string
  chart: ChartKind
  baseline: { from: number; to: number } | null
  points: { ts: number; value: number; spread: number | null }[]
  limits: { center: ControlLimits; spread: ControlLimits }
  sigmaWithin: number
  capability: { cp: number | null; cpk: number | null; pp: number | null; ppk: number | null } | null
  violations: { rule: number; index: number }[]
  samples: number
  excluded: number
}

export type Carrier = 'electricity' | 'natural-gas' | 'water' | 'steam'
export interface EnergyResult {
  point: string
  carrier: Carrier
  from: number
  to: number
  unit: string
  intervals: { start: number; end: number; delta: number | null; status: string }[]
  total: number
  completeness: number
  standardCoal: { version: string; kgce: number; tce: number }
  co2: { tonnes: number; factor: { value: number; unit: string; dataYear: number } } | null
  cost: {
    tariffId: string
    byPeriod: Record<string, { kWh: number; cost: number }>
    totalKWh: number
    totalCost: number
  } | null
}

export interface RegionEnterprise {
  tenant: string
  name: string
  regionCode: string
  rank: number
  electricityKWh: number
  naturalGasM3: number
  tce: number
  co2Tonnes: number
  annualizedTce: number
  keyEnergyUnit: 'key' | 'designation-band' | 'none'
  completeness: number
}
export interface RegionEnergyResult {
  regionCode: string
  from: number
  to: number
  enterprises: RegionEnterprise[]
  totalTce: number
}
