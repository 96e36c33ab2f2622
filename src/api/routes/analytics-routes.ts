import type { FastifyInstance } from 'fastify'
import { type AssetId, CoreErrors, type PointId } from '../../core/index.ts'
import { createAnalyticsService, type EnergyCarrier } from '../../analytics/analytics-service.ts'
import { type ApiDeps, principalOf, tenantOf } from '../context.ts'

const DAY = 86_400_000

function window(deps: ApiDeps, q: { from?: number; to?: number }): { from: number; to: number } {
  const to = q.to ?? deps.clock.now() + 1
  const from = q.from ?? to - DAY
  if (from >= to) throw CoreErrors.validation('"from" must be before "to"')
  if (to - from > 366 * DAY) throw CoreErrors.validation('an analysis may span at most one year')
  return { from, to }
}

/** Analytics over stored series. Query parameters only (no `:id`), every answer tenant-scoped. */
export function registerAnalyticsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const analytics = createAnalyticsService({ meta: deps.meta, series: deps.series, downtime: deps.downtime })

  app.get(
    '/api/analytics/spc',
    {
      schema: {
        tags: ['analytics'],
        summary:
          'Control chart (I-MR, X̄-R or X̄-S), limits (from a baseline period if given), Western Electric rule violations and Cp/Cpk/Pp/Ppk of a point',
        querystring: {
          type: 'object',
          required: ['point'],
          properties: {
            point: { type: 'string', minLength: 1, maxLength: 64 },
            from: { type: 'integer', description: 'epoch ms, inclusive; default: to − 1 day' },
            to: { type: 'integer', description: 'epoch ms, exclusive; default: now' },
            chart: { type: 'string', enum: ['imr', 'xbar-r', 'xbar-s'], default: 'imr' },
            baselineFrom: {
              type: 'integer',
              description: 'epoch ms: control limits from this baseline period',
            },
            baselineTo: { type: 'integer', description: 'epoch ms, exclusive; needs baselineFrom' },
            subgroup: { type: 'integer', minimum: 2, maximum: 25, default: 5 },
            lsl: { type: 'number' },
            usl: { type: 'number' },
          },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'series:read')
      const q = req.query as {
        point: string
        from?: number
        to?: number
        chart: 'imr' | 'xbar-r' | 'xbar-s'
        subgroup: number
        lsl?: number
        usl?: number
        baselineFrom?: number
        baselineTo?: number
      }
      if ((q.baselineFrom === undefined) !== (q.baselineTo === undefined))
        throw CoreErrors.validation('"baselineFrom" and "baselineTo" go together')
      const baseline =
        q.baselineFrom === undefined || q.baselineTo === undefined
          ? undefined
          : window(deps, { from: q.baselineFrom, to: q.baselineTo })
      return analytics.spc(tenant, {
        baseline,
        point: q.point as PointId,
        ...window(deps, q),
        chart: q.chart,
        subgroup: q.subgroup,
        lsl: q.lsl,
        usl: q.usl,
      })
    },
  )

  app.get(
    '/api/analytics/energy',
    {
      schema: {
        tags: ['analytics'],
        summary:
          'Consumption of a meter counter per 15 minutes (gaps, rollovers and resets reported), standard coal, and for electricity CO₂ (grid factor of the enterprise’s region) and time-of-use cost (tariff of its province)',
        querystring: {
          type: 'object',
          required: ['point', 'carrier'],
          properties: {
            point: { type: 'string', minLength: 1, maxLength: 64 },
            from: {
              type: 'integer',
              description: 'epoch ms; rounded down to 15 minutes; default: to − 1 day',
            },
            to: { type: 'integer', description: 'epoch ms; rounded up to 15 minutes; default: now' },
            carrier: { type: 'string', enum: ['electricity', 'natural-gas', 'water', 'steam'] },
          },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'series:read')
      const q = req.query as { point: string; from?: number; to?: number; carrier: EnergyCarrier }
      return analytics.energy(tenant, { point: q.point as PointId, ...window(deps, q), carrier: q.carrier })
    },
  )

  app.get(
    '/api/region/energy',
    {
      schema: {
        tags: ['analytics'],
        summary:
          'For a regional authority: energy rollups (kWh, m³, tce, CO₂, key-energy-unit flag, ranking) of the enterprises in its region',
        querystring: {
          type: 'object',
          properties: { from: { type: 'integer' }, to: { type: 'integer' } },
        },
      },
    },
    async (req) => {
      const p = principalOf(req)
      // rollups only: the authority's own tenant names its jurisdiction (regionCode)
      if (p.role !== 'regional_authority' || !p.tenant) {
        throw CoreErrors.forbidden('only a regional authority sees regional rollups')
      }
      return analytics.regionEnergy(p.tenant, window(deps, req.query as { from?: number; to?: number }))
    },
  )

  app.get(
    '/api/analytics/oee',
    {
      schema: {
        tags: ['analytics'],
        summary:
          'ISO 22400 OEE of an asset from its points `state` (running, idle, setup, down, planned-stop) and part counters `good` / `scrap`, one 24-hour shift a day',
        querystring: {
          type: 'object',
          required: ['equipment', 'idealCycleMs'],
          properties: {
            equipment: { type: 'string', minLength: 1, maxLength: 64 },
            from: { type: 'integer' },
            to: { type: 'integer' },
            idealCycleMs: {
              type: 'number',
              exclusiveMinimum: 0,
              description: 'planned runtime per part (PRI), ms',
            },
            maxHoldMs: { type: 'integer', minimum: 1000, maximum: 86_400_000, default: 300_000 },
          },
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req, 'series:read')
      const q = req.query as {
        equipment: string
        from?: number
        to?: number
        idealCycleMs: number
        maxHoldMs: number
      }
      return analytics.oee(tenant, {
        equipment: q.equipment as AssetId,
        ...window(deps, q),
        idealCycleMs: q.idealCycleMs,
        maxHoldMs: q.maxHoldMs,
      })
    },
  )
}
