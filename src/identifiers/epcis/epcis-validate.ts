import { tryParseDigitalLink } from '../digital-link/digital-link.ts'
import { type CbvKind, cbvTerm } from './cbv.ts'
import { EVENT_TYPES, type EpcisEvent, type EpcisEventType } from './epcis-types.ts'

/**
 * EPCIS 2.0 event validation with one problem per defect: the event's position in the document, a
 * JSON path to the field, a stable code and a message. Required/forbidden fields per event type follow
 * the EPCIS 2.0 data model; vocabulary values are checked against CBV 2.0 (bare, URN or web URI).
 */
export type EpcisProblemCode =
  | 'required'
  | 'forbidden'
  | 'type'
  | 'format'
  | 'enum'
  | 'empty'
  | 'uri'
  | 'epc'
  | 'vocabulary'
  | 'range'

export interface EpcisProblem {
  /** position in the event list */
  readonly index: number
  /** JSON path inside the event, e.g. `quantityList[1].uom` */
  readonly path: string
  readonly code: EpcisProblemCode
  readonly message: string
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/
const OFFSET = /^([+-])(\d{2}):(\d{2})$/
const URI = /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$/
const UOM = /^[A-Z0-9]{2,3}$/

/** Epoch ms of an EPCIS date-time (fractions beyond ms are truncated), or null when malformed. */
export function parseEpcisTime(s: string): number | null {
  const m = DATE_TIME.exec(s)
  if (!m) return null
  const [, y, mo, d, h, mi, se, frac, zone] = m
  const ms = frac === undefined ? 0 : Number(frac.slice(1, 4).padEnd(3, '0'))
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se), ms)
  const check = new Date(utc)
  if (
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(se) > 60
  )
    return null
  if (zone === 'Z' || zone === undefined) return utc
  const z = OFFSET.exec(zone)
  if (!z) return null
  const off = (Number(z[2]) * 60 + Number(z[3])) * (z[1] === '-' ? -1 : 1)
  return utc - off * 60_000
}

/** Minutes of an `eventTimeZoneOffset` (−14:00…+14:00), or null. */
export function parseOffset(s: string): number | null {
  const m = OFFSET.exec(s)
  if (!m) return null
  const minutes = (Number(m[2]) * 60 + Number(m[3])) * (m[1] === '-' ? -1 : 1)
  if (Number(m[3]) > 59 || Math.abs(minutes) > 14 * 60) return null
  return minutes
}

/** Why an EPC / identifier URI is malformed, or null. Checks the common EPC URN schemes and DL URIs. */
export function epcProblem(id: string): string | null {
  if (!URI.test(id)) return 'not an absolute URI'
  const urn = /^urn:epc:(id|class|idpat):([a-z0-9]+):(.+)$/.exec(id)
  if (urn) {
    const [, kind, scheme, rest] = urn
    const parts = (rest ?? '').split('.')
    const digits = (i: number): number => (/^\d+$/.test(parts[i] ?? '') ? (parts[i] ?? '').length : -1)
    if (kind === 'id' && scheme === 'sgtin') {
      if (
        parts.length !== 3 ||
        digits(0) < 6 ||
        digits(1) < 0 ||
        digits(0) + digits(1) !== 13 ||
        (parts[2] ?? '') === ''
      )
        return 'SGTIN URN must be urn:epc:id:sgtin:CompanyPrefix.ItemRef.Serial (13 digits before the serial)'
    } else if (kind === 'id' && scheme === 'sscc') {
      if (parts.length !== 2 || digits(0) < 6 || digits(1) < 0 || digits(0) + digits(1) !== 17)
        return 'SSCC URN must be urn:epc:id:sscc:CompanyPrefix.SerialRef (17 digits)'
    } else if (kind === 'id' && scheme === 'sgln') {
      if (parts.length !== 3 || digits(0) < 6 || digits(1) < 0 || digits(0) + digits(1) !== 12)
        return 'SGLN URN must be urn:epc:id:sgln:CompanyPrefix.LocationRef.Extension (12 digits before the extension)'
    } else if (kind === 'class' && scheme === 'lgtin') {
      if (
        parts.length !== 3 ||
        digits(0) < 6 ||
        digits(1) < 0 ||
        digits(0) + digits(1) !== 13 ||
        (parts[2] ?? '') === ''
      )
        return 'LGTIN URN must be urn:epc:class:lgtin:CompanyPrefix.ItemRef.Lot'
    }
    return null
  }
  if (
    /^https?:\/\/[^/]+\/(?:.*\/)?(?:01|00|414|8003|8004|253|417)\/[^/]+/.test(id) &&
    tryParseDigitalLink(id) === null
  )
    return 'looks like a GS1 Digital Link URI but does not parse (check digit, qualifier order)'
  return null
}

/** What-dimension fields each event type may carry. */
const WHAT_FIELDS: Record<EpcisEventType, readonly string[]> = {
  ObjectEvent: ['epcList', 'quantityList', 'ilmd'],
  AggregationEvent: ['parentID', 'childEPCs', 'childQuantityList'],
  TransactionEvent: ['parentID', 'epcList', 'quantityList'],
  TransformationEvent: [
    'inputEPCList',
    'inputQuantityList',
    'outputEPCList',
    'outputQuantityList',
    'transformationID',
    'ilmd',
  ],
  AssociationEvent: ['parentID', 'childEPCs', 'childQuantityList'],
}
const ALL_WHAT = [
  'epcList',
  'quantityList',
  'parentID',
  'childEPCs',
  'childQuantityList',
  'inputEPCList',
  'inputQuantityList',
  'outputEPCList',
  'outputQuantityList',
  'transformationID',
  'ilmd',
]

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** Every problem of one event (empty when valid). */
export function validateEvent(raw: unknown, index = 0): EpcisProblem[] {
  const out: EpcisProblem[] = []
  const p = (path: string, code: EpcisProblemCode, message: string): void => {
    out.push({ index, path, code, message })
  }
  if (!isObj(raw)) {
    p('', 'type', 'an event must be a JSON object')
    return out
  }
  const e = raw
  const type = e['type']
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    p('type', type === undefined ? 'required' : 'enum', `type must be one of ${EVENT_TYPES.join(', ')}`)
    return out
  }
  const t = type as EpcisEventType

  const str = (path: string, v: unknown): v is string => {
    if (typeof v !== 'string') {
      p(path, 'type', `${path} must be a string`)
      return false
    }
    return true
  }
  const dateTime = (path: string, v: unknown, required: boolean): void => {
    if (v === undefined) {
      if (required) p(path, 'required', `${path} is required`)
      return
    }
    if (str(path, v) && parseEpcisTime(v) === null)
      p(
        path,
        'format',
        `${path} must be an ISO 8601 date-time with a time zone (e.g. 2026-03-01T08:00:00.000+08:00)`,
      )
  }
  const uri = (path: string, v: unknown): void => {
    if (str(path, v) && !URI.test(v)) p(path, 'uri', `${path} must be an absolute URI`)
  }
  const epcs = (path: string, v: unknown): void => {
    if (v === undefined) return
    if (!Array.isArray(v)) {
      p(path, 'type', `${path} must be an array of URIs`)
      return
    }
    v.forEach((id, i) => {
      if (!str(`${path}[${i}]`, id)) return
      const problem = epcProblem(id)
      if (problem !== null) p(`${path}[${i}]`, 'epc', `${path}[${i}] ${problem}`)
    })
  }
  const quantities = (path: string, v: unknown): void => {
    if (v === undefined) return
    if (!Array.isArray(v)) {
      p(path, 'type', `${path} must be an array of {epcClass, quantity, uom}`)
      return
    }
    v.forEach((q, i) => {
      const at = `${path}[${i}]`
      if (!isObj(q)) {
        p(at, 'type', `${at} must be an object`)
        return
      }
      if (q['epcClass'] === undefined) p(`${at}.epcClass`, 'required', `${at}.epcClass is required`)
      else if (str(`${at}.epcClass`, q['epcClass'])) {
        const problem = epcProblem(q['epcClass'])
        if (problem !== null) p(`${at}.epcClass`, 'epc', `${at}.epcClass ${problem}`)
      }
      if (
        q['quantity'] !== undefined &&
        (typeof q['quantity'] !== 'number' || !Number.isFinite(q['quantity']) || q['quantity'] < 0)
      )
        p(`${at}.quantity`, 'range', `${at}.quantity must be a number ≥ 0`)
      if (q['uom'] !== undefined) {
        if (typeof q['uom'] !== 'string' || !UOM.test(q['uom']))
          p(`${at}.uom`, 'format', `${at}.uom must be a UN/ECE Rec 20 code (2–3 upper-case letters/digits)`)
        if (q['quantity'] === undefined)
          p(`${at}.quantity`, 'required', `${at}.quantity is required when uom is given`)
      }
    })
  }
  const vocab = (kind: CbvKind, path: string, v: unknown): void => {
    if (v === undefined || !str(path, v)) return
    const term = cbvTerm(kind, v)
    if (!term.ok) p(path, 'vocabulary', `${path}: ${term.reason}`)
  }
  const nonEmpty = (v: unknown): boolean => Array.isArray(v) && v.length > 0

  // when
  dateTime('eventTime', e['eventTime'], true)
  if (e['eventTimeZoneOffset'] === undefined)
    p('eventTimeZoneOffset', 'required', 'eventTimeZoneOffset is required')
  else if (
    str('eventTimeZoneOffset', e['eventTimeZoneOffset']) &&
    parseOffset(e['eventTimeZoneOffset']) === null
  )
    p('eventTimeZoneOffset', 'format', 'eventTimeZoneOffset must be ±hh:mm within −14:00…+14:00')
  dateTime('recordTime', e['recordTime'], false)
  if (e['eventID'] !== undefined) uri('eventID', e['eventID'])
  if (e['errorDeclaration'] !== undefined) {
    const d = e['errorDeclaration']
    if (!isObj(d)) p('errorDeclaration', 'type', 'errorDeclaration must be an object')
    else {
      dateTime('errorDeclaration.declarationTime', d['declarationTime'], true)
      vocab('er', 'errorDeclaration.reason', d['reason'])
      if (d['correctiveEventIDs'] !== undefined) {
        if (!Array.isArray(d['correctiveEventIDs']))
          p('errorDeclaration.correctiveEventIDs', 'type', 'correctiveEventIDs must be an array of URIs')
        else
          d['correctiveEventIDs'].forEach((id, i) => {
            uri(`errorDeclaration.correctiveEventIDs[${i}]`, id)
          })
      }
    }
  }

  // what
  for (const f of ALL_WHAT)
    if (e[f] !== undefined && !WHAT_FIELDS[t].includes(f)) p(f, 'forbidden', `${f} is not a field of ${t}`)
  if (t === 'TransformationEvent') {
    if (e['action'] !== undefined) p('action', 'forbidden', 'TransformationEvent has no action')
  } else if (e['action'] === undefined) p('action', 'required', `action is required for ${t}`)
  else if (!['ADD', 'OBSERVE', 'DELETE'].includes(String(e['action'])))
    p('action', 'enum', 'action must be ADD, OBSERVE or DELETE')
  for (const f of ['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList'])
    if (WHAT_FIELDS[t].includes(f)) epcs(f, e[f])
  for (const f of ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList'])
    if (WHAT_FIELDS[t].includes(f)) quantities(f, e[f])
  if (e['parentID'] !== undefined && WHAT_FIELDS[t].includes('parentID') && str('parentID', e['parentID'])) {
    const problem = epcProblem(e['parentID'])
    if (problem !== null) p('parentID', 'epc', `parentID ${problem}`)
  }
  if (e['transformationID'] !== undefined && t === 'TransformationEvent')
    uri('transformationID', e['transformationID'])
  if (e['ilmd'] !== undefined && !isObj(e['ilmd'])) p('ilmd', 'type', 'ilmd must be an object')
  switch (t) {
    case 'ObjectEvent':
      // an ObjectEvent is about something: at least one EPC or quantity (interpretation of the standard's rule)
      if (!nonEmpty(e['epcList']) && !nonEmpty(e['quantityList']))
        p('epcList', 'empty', 'ObjectEvent needs a non-empty epcList or quantityList')
      break
    case 'AggregationEvent':
      if (e['parentID'] === undefined && e['action'] !== 'OBSERVE')
        p('parentID', 'required', 'AggregationEvent needs parentID unless action is OBSERVE')
      if (e['action'] !== 'DELETE' && !nonEmpty(e['childEPCs']) && !nonEmpty(e['childQuantityList']))
        p('childEPCs', 'empty', 'AggregationEvent needs childEPCs or childQuantityList')
      break
    case 'TransactionEvent':
      if (!nonEmpty(e['bizTransactionList']))
        p('bizTransactionList', 'required', 'TransactionEvent needs a non-empty bizTransactionList')
      break
    case 'TransformationEvent':
      if (
        !['inputEPCList', 'inputQuantityList', 'outputEPCList', 'outputQuantityList'].some((f) =>
          nonEmpty(e[f]),
        )
      )
        p('inputEPCList', 'empty', 'TransformationEvent needs at least one input or output')
      break
    case 'AssociationEvent':
      if (e['parentID'] === undefined) p('parentID', 'required', 'AssociationEvent needs parentID')
      if (e['action'] !== 'DELETE' && !nonEmpty(e['childEPCs']) && !nonEmpty(e['childQuantityList']))
        p('childEPCs', 'empty', 'AssociationEvent needs childEPCs or childQuantityList')
      break
  }

  // where
  for (const f of ['readPoint', 'bizLocation']) {
    const v = e[f]
    if (v === undefined) continue
    if (!isObj(v)) p(f, 'type', `${f} must be {id}`)
    else if (v['id'] === undefined) p(`${f}.id`, 'required', `${f}.id is required`)
    else uri(`${f}.id`, v['id'])
  }

  // why
  vocab('bizstep', 'bizStep', e['bizStep'])
  vocab('disp', 'disposition', e['disposition'])
  const pd = e['persistentDisposition']
  if (pd !== undefined) {
    if (!isObj(pd)) p('persistentDisposition', 'type', 'persistentDisposition must be {set, unset}')
    else
      for (const k of ['set', 'unset']) {
        const list = pd[k]
        if (list === undefined) continue
        if (!Array.isArray(list))
          p(`persistentDisposition.${k}`, 'type', `persistentDisposition.${k} must be an array`)
        else
          list.forEach((d, i) => {
            vocab('disp', `persistentDisposition.${k}[${i}]`, d)
          })
      }
  }
  const bt = e['bizTransactionList']
  if (bt !== undefined) {
    if (!Array.isArray(bt)) p('bizTransactionList', 'type', 'bizTransactionList must be an array')
    else
      bt.forEach((x, i) => {
        const at = `bizTransactionList[${i}]`
        if (!isObj(x)) {
          p(at, 'type', `${at} must be {type, bizTransaction}`)
          return
        }
        if (x['bizTransaction'] === undefined)
          p(`${at}.bizTransaction`, 'required', `${at}.bizTransaction is required`)
        else uri(`${at}.bizTransaction`, x['bizTransaction'])
        vocab('btt', `${at}.type`, x['type'])
      })
  }
  for (const [list, key] of [
    ['sourceList', 'source'],
    ['destinationList', 'destination'],
  ] as const) {
    const v = e[list]
    if (v === undefined) continue
    if (!Array.isArray(v)) {
      p(list, 'type', `${list} must be an array`)
      continue
    }
    v.forEach((x, i) => {
      const at = `${list}[${i}]`
      if (!isObj(x)) {
        p(at, 'type', `${at} must be {type, ${key}}`)
        return
      }
      if (x['type'] === undefined) p(`${at}.type`, 'required', `${at}.type is required`)
      else vocab('sdt', `${at}.type`, x['type'])
      if (x[key] === undefined) p(`${at}.${key}`, 'required', `${at}.${key} is required`)
      else uri(`${at}.${key}`, x[key])
    })
  }
  const ci = e['certificationInfo']
  if (ci !== undefined) {
    if (typeof ci === 'string') uri('certificationInfo', ci)
    else if (Array.isArray(ci))
      ci.forEach((c, i) => {
        uri(`certificationInfo[${i}]`, c)
      })
    else p('certificationInfo', 'type', 'certificationInfo must be a URI or an array of URIs')
  }

  // sensors
  const se = e['sensorElementList']
  if (se !== undefined) {
    if (!Array.isArray(se)) p('sensorElementList', 'type', 'sensorElementList must be an array')
    else
      se.forEach((el, i) => {
        const at = `sensorElementList[${i}]`
        if (!isObj(el)) {
          p(at, 'type', `${at} must be an object`)
          return
        }
        if (el['sensorMetadata'] !== undefined) {
          const md = el['sensorMetadata']
          if (!isObj(md)) p(`${at}.sensorMetadata`, 'type', `${at}.sensorMetadata must be an object`)
          else {
            for (const k of ['time', 'startTime', 'endTime'])
              dateTime(`${at}.sensorMetadata.${k}`, md[k], false)
            if (md['deviceID'] !== undefined) uri(`${at}.sensorMetadata.deviceID`, md['deviceID'])
          }
        }
        const reports = el['sensorReport']
        if (!Array.isArray(reports) || reports.length === 0) {
          p(`${at}.sensorReport`, 'required', `${at}.sensorReport must be a non-empty array`)
          return
        }
        reports.forEach((r, j) => {
          const rp = `${at}.sensorReport[${j}]`
          if (!isObj(r)) {
            p(rp, 'type', `${rp} must be an object`)
            return
          }
          for (const k of ['value', 'minValue', 'maxValue', 'meanValue', 'sDev', 'percRank', 'percValue'])
            if (r[k] !== undefined && (typeof r[k] !== 'number' || !Number.isFinite(r[k])))
              p(`${rp}.${k}`, 'type', `${rp}.${k} must be a number`)
          if (r['uom'] !== undefined && (typeof r['uom'] !== 'string' || !UOM.test(r['uom'])))
            p(`${rp}.uom`, 'format', `${rp}.uom must be a UN/ECE Rec 20 code`)
          if (r['time'] !== undefined) dateTime(`${rp}.time`, r['time'], false)
        })
      })
  }
  return out
}

export interface DocumentValidation {
  readonly events: readonly EpcisEvent[]
  /** problems with the document envelope (index −1) and with each event */
  readonly problems: readonly EpcisProblem[]
  /** indexes of the valid events in the event list */
  readonly validIndexes: readonly number[]
}

/** Validate an EPCISDocument (or a bare event list): envelope problems have index −1. */
export function validateDocument(doc: unknown): DocumentValidation {
  const problems: EpcisProblem[] = []
  let list: unknown[] = []
  if (Array.isArray(doc)) list = doc
  else if (!isObj(doc))
    problems.push({ index: -1, path: '', code: 'type', message: 'the document must be a JSON object' })
  else {
    if (doc['type'] !== 'EPCISDocument')
      problems.push({ index: -1, path: 'type', code: 'enum', message: 'type must be "EPCISDocument"' })
    if (typeof doc['schemaVersion'] !== 'string' || !/^2\.\d+$/.test(doc['schemaVersion']))
      problems.push({
        index: -1,
        path: 'schemaVersion',
        code: 'enum',
        message: 'schemaVersion must be "2.0" (or another 2.x)',
      })
    if (typeof doc['creationDate'] !== 'string' || parseEpcisTime(doc['creationDate']) === null)
      problems.push({
        index: -1,
        path: 'creationDate',
        code: 'format',
        message: 'creationDate must be an ISO 8601 date-time with a time zone',
      })
    const body = doc['epcisBody']
    if (!isObj(body) || !Array.isArray(body['eventList']))
      problems.push({
        index: -1,
        path: 'epcisBody.eventList',
        code: 'required',
        message: 'epcisBody.eventList must be an array',
      })
    else list = body['eventList']
  }
  const events: EpcisEvent[] = []
  const validIndexes: number[] = []
  list.forEach((raw, i) => {
    const ps = validateEvent(raw, i)
    if (ps.length === 0) {
      events.push(raw as EpcisEvent)
      validIndexes.push(i)
    } else problems.push(...ps)
  })
  return { events, problems, validIndexes }
}
