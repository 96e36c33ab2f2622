import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TenantId } from '../../core/index.ts'
import {
  CAPTURE_LIMIT,
  type CaptureErrorBehaviour,
  EPCIS_CONTEXT,
  type EpcisProblem,
  type EventVisibility,
  type IdentifierService,
  IdentErrors,
  isoSeconds,
  parseEpcisQuery,
  type ProductionRecord,
  type StoredEpcisEvent,
  transformationFromProduction,
  type Visibility,
} from '../../identifiers/index.ts'
import { type ApiDeps, auditOf, tenantOf } from '../context.ts'
import { pathOf, searchOf } from './identifier-routes.ts'

/**
 * EPCIS 2.0 REST binding: POST /api/epcis/capture (a document; 202 + Location of the capture job),
 * POST /api/epcis/events (one event; 201), GET /api/epcis/events with the standard query parameters
 * and paging (nextPageToken, Link rel="next"), GET /api/epcis/events/{eventID}, and
 * POST /api/epcis/production (a production record becomes a TransformationEvent).
 * Who may see captured events in traces is set per call: `visibility=private|public|shared`,
 * `sharedWith=tenantA,tenantB`, `privateFields=ilmd,example:cost`.
 */
interface CaptureJob {
  readonly captureID: string
  readonly tenant: TenantId
  readonly createdAt: string
  readonly finishedAt: string
  readonly running: false
  readonly success: boolean
  readonly captureErrorBehaviour: CaptureErrorBehaviour
  readonly errors: readonly EpcisProblem[]
  readonly eventIDs: readonly string[]
}

const EPCIS_HEADERS = { 'gs1-epcis-version': '2.0.0', 'gs1-cbv-version': '2.0.0' }
/** capture jobs kept for GET /capture/{id} (synchronous here, so only their outcome) */
const MAX_JOBS = 1000

function list(params: URLSearchParams, name: string): string[] {
  return params
    .getAll(name)
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter((x) => x !== '')
}

/** The visibility a capture call asks for; private unless told. */
export function visibilityFrom(params: URLSearchParams): EventVisibility {
  const kind = params.get('visibility')
  const sharedWith = list(params, 'sharedWith')
  let event: Visibility
  if (kind === null)
    event = sharedWith.length > 0 ? { kind: 'shared', tenants: sharedWith } : { kind: 'private' }
  else if (kind === 'public') event = { kind: 'public' }
  else if (kind === 'private') event = { kind: 'private' }
  else if (kind === 'shared') {
    if (sharedWith.length === 0)
      throw IdentErrors.epcisInvalidQuery('sharedWith', 'visibility=shared needs sharedWith')
    event = { kind: 'shared', tenants: sharedWith }
  } else throw IdentErrors.epcisInvalidQuery('visibility', 'must be private, public or shared')
  const fields: Record<string, Visibility> = {}
  for (const f of list(params, 'privateFields')) fields[f] = { kind: 'private' }
  for (const f of list(params, 'sharedFields'))
    fields[f] = sharedWith.length > 0 ? { kind: 'shared', tenants: sharedWith } : { kind: 'private' }
  return Object.keys(fields).length > 0 ? { event, fields } : { event }
}

/** An event as the query interface returns it: with its eventID and recordTime. */
export function eventJson(s: StoredEpcisEvent): Record<string, unknown> {
  return { ...s.event, eventID: s.eventId, recordTime: new Date(s.recordTimeMs).toISOString() }
}

function behaviourOf(req: FastifyRequest): CaptureErrorBehaviour {
  const h = req.headers['gs1-capture-error-behaviour']
  const v = (
    typeof h === 'string' ? h : (searchOf(req).get('captureErrorBehaviour') ?? 'rollback')
  ).toLowerCase()
  if (v !== 'rollback' && v !== 'proceed')
    throw IdentErrors.epcisInvalidQuery('GS1-Capture-Error-Behaviour', 'must be rollback or proceed')
  return v
}

/** Capture parameters are not EPCIS query parameters: strip them before parsing a query. */
const CAPTURE_PARAMS = new Set([
  'visibility',
  'sharedWith',
  'privateFields',
  'sharedFields',
  'captureErrorBehaviour',
])

export function registerIdentifierEpcisRoutes(
  app: FastifyInstance,
  deps: ApiDeps,
  ident: IdentifierService,
): void {
  const tags = ['epcis']
  const jobs = new Map<string, CaptureJob>()
  const bodyLimit = Math.max(deps.bodyLimit, 64 * 1024 * 1024)
  if (!app.hasContentTypeParser('application/ld+json'))
    app.addContentTypeParser('application/ld+json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string))
      } catch (err) {
        ;(err as { statusCode?: number }).statusCode = 400
        done(err as Error, undefined)
      }
    })

  function remember(job: CaptureJob): void {
    jobs.set(job.captureID, job)
    if (jobs.size > MAX_JOBS) {
      const oldest = jobs.keys().next()
      if (!oldest.done) jobs.delete(oldest.value)
    }
  }

  app.post(
    '/api/epcis/capture',
    { bodyLimit, schema: { tags, summary: 'Capture an EPCISDocument (JSON / JSON-LD)' } },
    async (req, reply) => {
      const tenant = tenantOf(req, 'identifier:write')
      const params = searchOf(req)
      const behaviour = behaviourOf(req)
      const started = new Date(deps.clock.now()).toISOString()
      const result = await ident.capture.capture(tenant, req.body, {
        errorBehaviour: behaviour,
        visibility: visibilityFrom(params),
      })
      const job: CaptureJob = {
        captureID: randomUUID(),
        tenant,
        createdAt: started,
        finishedAt: new Date(deps.clock.now()).toISOString(),
        running: false,
        success: result.problems.length === 0,
        captureErrorBehaviour: behaviour,
        errors: result.problems,
        eventIDs: result.captured.map((c) => c.eventId),
      }
      remember(job)
      await auditOf(req, deps)(tenant, 'epcis.capture', job.captureID, 'ok', {
        captured: result.captured.length,
        rejected: new Set(result.problems.map((p) => p.index)).size,
      })
      const { tenant: _t, ...body } = job
      return reply
        .code(202)
        .headers({
          ...EPCIS_HEADERS,
          'gs1-epcis-capture-limit': String(CAPTURE_LIMIT),
          location: `/api/epcis/capture/${job.captureID}`,
        })
        .send(body)
    },
  )

  app.get(
    '/api/epcis/capture/:captureID',
    { schema: { tags, params: { type: 'object', properties: { captureID: { type: 'string' } } } } },
    async (req, reply) => {
      const tenant = tenantOf(req, 'identifier:read')
      const job = jobs.get((req.params as { captureID: string }).captureID)
      if (job === undefined || job.tenant !== tenant)
        return reply
          .code(404)
          .send({ error: { code: 'EPCIS_CAPTURE_NOT_FOUND', message: 'no such capture job' } })
      const { tenant: _t, ...body } = job
      return reply.headers(EPCIS_HEADERS).send(body)
    },
  )

  app.post(
    '/api/epcis/events',
    { schema: { tags, summary: 'Capture a single event (201 + Location)' } },
    async (req, reply) => {
      const tenant = tenantOf(req, 'identifier:write')
      const doc = {
        '@context': [EPCIS_CONTEXT],
        type: 'EPCISDocument',
        schemaVersion: '2.0',
        creationDate: new Date(deps.clock.now()).toISOString(),
        epcisBody: { eventList: [req.body] },
      }
      const result = await ident.capture.capture(tenant, doc, { visibility: visibilityFrom(searchOf(req)) })
      const id = result.captured[0]?.eventId ?? ''
      await auditOf(req, deps)(tenant, 'epcis.capture', id, 'ok', { captured: 1 })
      return reply
        .code(201)
        .headers({ ...EPCIS_HEADERS, location: `/api/epcis/events/${encodeURIComponent(id)}` })
        .send({ eventID: id })
    },
  )

  app.get(
    '/api/epcis/events',
    {
      schema: {
        tags,
        summary: 'Query events: GE_eventTime, LT_eventTime, EQ_bizStep, MATCH_epc, … perPage, nextPageToken',
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'identifier:read')
      const params = searchOf(req)
      const q = parseEpcisQuery(params)
      const page = await ident.epcis.query(tenant, q)
      if (page.nextPageToken !== undefined) {
        const next = new URLSearchParams(params)
        next.set('nextPageToken', page.nextPageToken)
        next.delete('NextPageToken')
        reply.header('link', `</api/epcis/events?${next.toString()}>; rel="next"`)
      }
      return reply.headers(EPCIS_HEADERS).send({
        '@context': [EPCIS_CONTEXT],
        type: 'EPCISQueryDocument',
        schemaVersion: '2.0',
        creationDate: isoSeconds(deps.clock.now()),
        epcisBody: {
          queryResults: {
            queryName: 'SimpleEventQuery',
            resultsBody: { eventList: page.events.map(eventJson) },
          },
        },
        ...(page.nextPageToken === undefined ? {} : { nextPageToken: page.nextPageToken }),
      })
    },
  )

  app.get(
    '/api/epcis/events/*',
    { schema: { tags, summary: 'One event by its (percent-encoded) eventID' } },
    async (req, reply) => {
      const tenant = tenantOf(req, 'identifier:read')
      let id: string
      try {
        id = decodeURIComponent(pathOf(req).slice('/api/epcis/events/'.length))
      } catch {
        throw IdentErrors.epcisInvalidQuery('eventID', 'bad percent-encoding')
      }
      // a query part of the eventID (`?ver=CBV2.0`) arrives as the request's query when not encoded
      const rawQuery = req.url.indexOf('?')
      if (rawQuery >= 0 && !id.includes('?')) id = `${id}${req.url.slice(rawQuery)}`
      const s = await ident.epcis.get(tenant, id)
      if (s === null)
        return reply.code(404).send({
          error: { code: 'EPCIS_EVENT_NOT_FOUND', message: `no event ${id}`, details: { eventID: id } },
        })
      return reply.headers(EPCIS_HEADERS).send({ '@context': [EPCIS_CONTEXT], ...eventJson(s) })
    },
  )

  app.post(
    '/api/epcis/production',
    {
      schema: {
        tags,
        summary: 'A batch made on a line from input batches → a TransformationEvent, captured',
        body: { type: 'object', required: ['output', 'inputs', 'line', 'finishedAt'] },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req, 'identifier:write')
      const params = new URLSearchParams([...searchOf(req)].filter(([k]) => CAPTURE_PARAMS.has(k)))
      const event = transformationFromProduction(req.body as ProductionRecord)
      const result = await ident.capture.capture(
        tenant,
        {
          type: 'EPCISDocument',
          schemaVersion: '2.0',
          creationDate: new Date(deps.clock.now()).toISOString(),
          '@context': [EPCIS_CONTEXT],
          epcisBody: { eventList: [event] },
        },
        { visibility: visibilityFrom(params) },
      )
      const id = result.captured[0]?.eventId ?? ''
      await auditOf(req, deps)(tenant, 'epcis.production', id, 'ok')
      return reply
        .code(201)
        .headers({ location: `/api/epcis/events/${encodeURIComponent(id)}` })
        .send({ eventID: id, event })
    },
  )
}
