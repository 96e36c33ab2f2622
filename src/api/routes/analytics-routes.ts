import type { FastifyInstance } from 'fastify'
import { type AssetId, CoreErrors, type PointId, RongheError } from '../../core/index.ts'
import {
  createAnalyticsService,
  createEnergyReports,
  type EnergyCarrier,
  type EnergyReport,
  referenceRollups,
} from '../../analytics/index.ts'
import { energyReportPdf, energyReportXlsx, reportFileName } from '../../reports/energy-report-files.ts'
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
function badParameter(parameter: string, message: string): RongheError {
  return new RongheError('REPORT_INVALID_PARAMETER', message, { status: 400, details: { parameter } })
}

export function registerAnalyticsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const analytics = createAnalyticsService({ meta: deps.meta, series: deps.series, downtime: deps.downtime })
  const reports = createEnergyReports({
    meta: deps.meta,
    rollups: deps.series.rollups ?? referenceRollups(deps.series),
  })

  app.get(
    '/api/reports/energy',
    {
      schema: {
        tags: ['analytics'],
        summary:
          'Daily or monthly energy report (日报 / 月报) as JSON, Excel (.xlsx) or PDF: scope=enterprise for the caller’s enterprise (by carrier, by line, tce, CO₂, cost, energy per good part), scope=region for a regional authority (its enterprises’ rollups, key energy-consuming units, ranking, year-on-year, data-quality checks, 15-minute load)',
        querystring: {
          type: 'object',
          properties: {
            scope: { type: 'string', description: 'enterprise | region' },
            period: { type: 'string', description: 'day | month' },
            date: {
              type: 'string',
              description: 'YYYY-MM-DD (Asia/Shanghai); a month report takes its month',
            },
            format: { type: 'string', description: 'xlsx | pdf | json (default json)' },
          },
        },
      },
    },
    async (req, reply) => {
      const q = req.query as { scope?: string; period?: string; date?: string; format?: string }
      if (q.scope !== 'enterprise' && q.scope !== 'region') {
        throw badParameter('scope', 'scope must be enterprise or region')
      }
      if (q.period !== 'day' && q.period !== 'month')
        throw badParameter('period', 'period must be day or month')
      const format = q.format ?? 'json'
      if (format !== 'xlsx' && format !== 'pdf' && format !== 'json') {
        throw badParameter('format', 'format must be xlsx, pdf or json')
      }
      const date = q.date ?? ''
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
      const valid =
        m !== null &&
        new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).toISOString().slice(0, 10) === date
      if (!valid) throw badParameter('date', 'date must be an existing day written YYYY-MM-DD')
      const p = principalOf(req)
      let report: EnergyReport
      if (q.scope === 'region') {
        if (p.role !== 'regional_authority' || !p.tenant) {
          throw CoreErrors.forbidden('only a regional authority sees regional reports')
        }
        report = await reports.region(p.tenant, q.period, date)
      } else {
        if (p.role === 'regional_authority') {
          throw CoreErrors.forbidden('a regional authority reads scope=region reports')
        }
        report = await reports.enterprise(tenantOf(req, 'series:read'), q.period, date)
      }
      if (format === 'json') {
        return reply
          .header(
            'content-disposition',
            `attachment; filename="${reportFileName(report, 'xlsx').replace(/xlsx$/, 'json')}"`,
          )
          .type('application/json; charset=utf-8')
          .send(report)
      }
      const body = format === 'xlsx' ? energyReportXlsx(report) : energyReportPdf(report)
      return reply
        .header('content-disposition', `attachment; filename="${reportFileName(report, format)}"`)
        .type(
          format === 'xlsx'
            ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
            : 'application/pdf',
        )
        .send(body)
    },
  )

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
