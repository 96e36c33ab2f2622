import { AnalyticsErrorCode, analyticsError } from '../analytics-errors.ts'
import bundled from './data/grid-emission-factors.json' with { type: 'json' }

export type GridFactorType = 'average' | 'excludingMarketNonFossil' | 'fossil'
export type GridScope = 'provincial' | 'regional' | 'national'

export interface GridFactorVersion {
  readonly dataYear: number
  readonly announcement: string
  /** 'YYYY-MM-DD' or 'YYYY-MM' when only the month is known */
  readonly published: string
  readonly national: Readonly<Record<GridFactorType, number | null>>
  readonly regional: Readonly<Partial<Record<string, number>>>
  readonly provincial: Readonly<Partial<Record<string, number>>>
}

export interface GridFactorSet {
  readonly unit: string
  readonly gridRegions: Readonly<
    Record<string, { readonly nameZh: string; readonly provinces: readonly string[] }>
  >
  readonly versions: readonly GridFactorVersion[]
}

export const GRID_EMISSION_FACTORS: GridFactorSet = bundled

export interface GridFactorQuery {
  /** Use this data year's factors … */
  readonly dataYear?: number
  /** … or the newest factors published on or before this date ('YYYY-MM-DD') */
  readonly asOf?: string
  /** GB/T 2260 code of the site (6 digits) or province prefix (2 digits) */
  readonly regionCode?: string
  /** Grid region key ('east', 'south' …); required for Inner Mongolia, which spans two grids */
  readonly gridRegion?: string
  /** Narrowest scope wanted; falls back to a wider one when the narrower factor is not published */
  readonly scope?: GridScope
  readonly type?: GridFactorType
}

export interface GridFactor {
  /** kgCO2/kWh = tCO2/MWh */
  readonly value: number
  readonly unit: string
  readonly scope: GridScope
  /** province prefix, grid region key or 'national' */
  readonly area: string
  readonly dataYear: number
  readonly announcement: string
}

export function gridRegionOf(
  provincePrefix: string,
  set: GridFactorSet = GRID_EMISSION_FACTORS,
): string | null {
  for (const [key, r] of Object.entries(set.gridRegions)) if (r.provinces.includes(provincePrefix)) return key
  return null
}

/**
 * The official grid CO₂ emission factor (MEE / NBS) for a site. Provincial where published and
 * asked for, else the regional grid, else national: the scope actually used is returned and must
 * be shown in reports. Types other than the average exist only nationally.
 */
export function gridEmissionFactor(
  query: GridFactorQuery,
  set: GridFactorSet = GRID_EMISSION_FACTORS,
): GridFactor {
  const sorted = [...set.versions].sort((a, b) => b.dataYear - a.dataYear)
  const version =
    query.dataYear !== undefined
      ? sorted.find((v) => v.dataYear === query.dataYear)
      : query.asOf !== undefined
        ? sorted.find((v) => v.published <= (query.asOf ?? ''))
        : sorted[0]
  if (version === undefined) {
    throw analyticsError(
      AnalyticsErrorCode.emissionFactorNotFound,
      'no grid emission factor for that year',
      query,
    )
  }
  const type = query.type ?? 'average'
  const scope = query.scope ?? 'provincial'
  const base = { unit: set.unit, dataYear: version.dataYear, announcement: version.announcement }
  const province = query.regionCode?.slice(0, 2)
  if (type === 'average' && scope === 'provincial' && province !== undefined) {
    const v = version.provincial[province]
    if (v !== undefined) return { ...base, value: v, scope: 'provincial', area: province }
  }
  if (type === 'average' && scope !== 'national') {
    const region = query.gridRegion ?? (province === undefined ? null : gridRegionOf(province, set))
    if (region === null && province === '15') {
      throw analyticsError(
        AnalyticsErrorCode.invalidRegion,
        'Inner Mongolia spans the North and Northeast grids: pass gridRegion',
        query,
      )
    }
    const v = region === null ? undefined : version.regional[region]
    if (v !== undefined && region !== null) return { ...base, value: v, scope: 'regional', area: region }
  }
  const v = version.national[type]
  if (v === null || v === undefined) {
    throw analyticsError(
      AnalyticsErrorCode.emissionFactorNotFound,
      `no national ${type} factor for data year ${version.dataYear}`,
      query,
    )
  }
  return { ...base, value: v, scope: 'national', area: 'national' }
}

/** Emissions (t CO₂) = activity data (MWh) × factor (t CO₂/MWh), from kWh. */
export function electricityCo2Tonnes(kWh: number, factor: GridFactor): number {
  return (kWh / 1000) * factor.value
}
