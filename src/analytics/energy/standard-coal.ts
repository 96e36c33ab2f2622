import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'
import bundled from './data/standard-coal-coefficients.json' with { type: 'json' }

/** 当量值 (calorific equivalent) or 等价值 (equivalent value: primary energy behind a secondary one). */
export type CoalBasis = 'calorific' | 'equivalent'

export interface CoalCoefficient {
  readonly carrier: string
  readonly nameZh: string
  /** kgce per physical unit */
  readonly value: number
  /** e.g. 'kgce/kWh' */
  readonly unit: string
  readonly physicalUnit: string
  readonly basis: string
  readonly certainty: string
  readonly note?: string
}

export interface CoalCoefficientVersion {
  readonly id: string
  readonly standard: string
  /** 'YYYY-MM-DD' inclusive */
  readonly effectiveFrom: string
  /** 'YYYY-MM-DD' exclusive, or null while in force */
  readonly effectiveTo: string | null
  readonly coefficients: readonly CoalCoefficient[]
}

export interface CoalCoefficientSet {
  readonly versions: readonly CoalCoefficientVersion[]
}

/** The bundled data file (GB/T 2589-2008 and -2020). */
export const STANDARD_COAL_COEFFICIENTS: CoalCoefficientSet = bundled

/** The version in force on `date` ('YYYY-MM-DD'), or the version with id `version`. */
export function coalCoefficientVersion(
  select: { readonly date?: string; readonly version?: string },
  set: CoalCoefficientSet = STANDARD_COAL_COEFFICIENTS,
): CoalCoefficientVersion {
  const found =
    select.version !== undefined
      ? set.versions.find((v) => v.id === select.version)
      : select.date !== undefined
        ? set.versions.find(
            (v) =>
              v.effectiveFrom <= (select.date ?? '') &&
              (v.effectiveTo === null || (select.date ?? '') < v.effectiveTo),
          )
        : undefined
  if (found === undefined) {
    throw analyticsError(
      AnalyticsErrorCode.coefficientNotFound,
      'no standard-coal coefficient version matches',
      select,
    )
  }
  return found
}

/** Multipliers from common units to the coefficient's physical unit. */
const UNIT_SCALE: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  kWh: { kWh: 1, MWh: 1_000, GWh: 1_000_000, 万kWh: 10_000 },
  kg: { kg: 1, t: 1_000 },
  t: { t: 1, kg: 0.001 },
  m3: { m3: 1, 万m3: 10_000 },
  MJ: { MJ: 1, GJ: 1_000 },
}

export interface EnergyAmount {
  readonly carrier: string
  readonly amount: number
  /** Defaults to the coefficient's physical unit (kWh, kg, m3, MJ, t) */
  readonly unit?: string
}

export interface StandardCoalLine {
  readonly carrier: string
  readonly amount: number
  readonly unit: string
  /** kgce per physical unit used */
  readonly coefficient: number
  readonly coefficientUnit: string
  readonly basis: string
  readonly kgce: number
  readonly tce: number
}

export interface StandardCoalResult {
  /** Version id of the coefficients used: reports must record it */
  readonly version: string
  readonly lines: readonly StandardCoalLine[]
  readonly totalKgce: number
  readonly totalTce: number
}

/**
 * Comprehensive energy consumption E = Σ eᵢ × pᵢ (GB/T 2589-2020), eᵢ the net amount of each
 * carrier, pᵢ its coefficient from the version in force. Working media (water, compressed air…)
 * exist only as 等价值 and are taken on that basis whatever `basis` asks for.
 */
export function toStandardCoal(
  amounts: readonly EnergyAmount[],
  select: { readonly date?: string; readonly version?: string; readonly basis?: CoalBasis },
  set: CoalCoefficientSet = STANDARD_COAL_COEFFICIENTS,
): StandardCoalResult {
  const version = coalCoefficientVersion(select, set)
  const basis = select.basis ?? 'calorific'
  const lines: StandardCoalLine[] = []
  let totalKgce = 0
  for (const a of amounts) {
    const rows = version.coefficients.filter((c) => c.carrier === a.carrier)
    const row = rows.find((c) => c.basis === basis) ?? (rows.length === 1 ? rows[0] : undefined)
    if (row === undefined || (row.basis !== basis && a.carrier === 'electricity')) {
      throw analyticsError(
        AnalyticsErrorCode.coefficientNotFound,
        `no ${basis} coefficient for ${a.carrier} in ${version.id}`,
        { carrier: a.carrier, basis, version: version.id },
      )
    }
    const unit = a.unit ?? row.physicalUnit
    const scale = UNIT_SCALE[row.physicalUnit]?.[unit]
    if (scale === undefined) {
      throw analyticsError(
        AnalyticsErrorCode.invalidOption,
        `cannot convert ${unit} to ${row.physicalUnit}`,
        {
          carrier: a.carrier,
        },
      )
    }
    const kgce = a.amount * scale * row.value
    totalKgce += kgce
    lines.push({
      carrier: a.carrier,
      amount: a.amount,
      unit,
      coefficient: row.value,
      coefficientUnit: row.unit,
      basis: row.basis,
      kgce,
      tce: kgce / 1000,
    })
  }
  return { version: version.id, lines, totalKgce, totalTce: totalKgce / 1000 }
}
