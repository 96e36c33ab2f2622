import { IdentErrors } from '../identifiers-errors.ts'
import { cbvUrn } from './cbv.ts'
import type { EpcisEvent, QuantityElement, SensorElement } from './epcis-types.ts'
import { validateEvent } from './epcis-validate.ts'

/** A production step as the platform records it: a batch made on a line from input batches. */
export interface ProductionRecord {
  /** the produced batch (class-level, e.g. `urn:epc:class:lgtin:…`) and/or serialised units */
  readonly output: {
    readonly epcClass?: string
    readonly quantity?: number
    readonly uom?: string
    readonly epcs?: readonly string[]
  }
  readonly inputs: readonly {
    readonly epcClass?: string
    readonly epc?: string
    readonly quantity?: number
    readonly uom?: string
  }[]
  /** line (read point) identifier URI */
  readonly line: string
  /** plant / site (business location) identifier URI */
  readonly site?: string
  /** machine identifier URI, reported as the sensor device of quality measurements */
  readonly machine?: string
  /** production order URI: becomes transformationID and a `prodorder` business transaction */
  readonly productionOrder?: string
  /** epoch ms when the batch was completed */
  readonly finishedAt: number
  /** plant time zone, minutes east of UTC (default 480, UTC+8) */
  readonly utcOffsetMinutes?: number
  readonly lot?: string
  /** ISO date of the item's expiry, for ILMD */
  readonly expiryDate?: string
  readonly quality?: {
    readonly passed: boolean
    readonly measurements?: readonly {
      readonly type: string
      readonly value: number
      readonly uom?: string
    }[]
  }
}

/** `2026-03-01T10:00:00.000+08:00` for epoch ms in a fixed offset. */
export function formatEpcisTime(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23)
  const sign = offsetMinutes < 0 ? '-' : '+'
  const a = Math.abs(offsetMinutes)
  return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`
}

export function formatOffset(offsetMinutes: number): string {
  return formatEpcisTime(0, offsetMinutes).slice(-6)
}

/**
 * The TransformationEvent for a production record: inputs consumed → output made, bizStep
 * `creating_class_instance` for a class-level batch (or `commissioning` for serialised units only),
 * disposition `active`, or `non_conformant` when the quality check failed. Throws EPCIS_INVALID_EVENT
 * when the result would not validate.
 */
export function transformationFromProduction(r: ProductionRecord): EpcisEvent {
  const offset = r.utcOffsetMinutes ?? 480
  const q = (x: { epcClass?: string; quantity?: number; uom?: string }): QuantityElement => ({
    epcClass: x.epcClass ?? '',
    ...(x.quantity === undefined ? {} : { quantity: x.quantity }),
    ...(x.uom === undefined ? {} : { uom: x.uom }),
  })
  const inputEPCList = r.inputs.filter((i) => i.epc !== undefined).map((i) => i.epc as string)
  const inputQuantityList = r.inputs.filter((i) => i.epcClass !== undefined).map(q)
  const classOutput = r.output.epcClass !== undefined
  const sensors: SensorElement[] =
    r.quality?.measurements !== undefined && r.quality.measurements.length > 0
      ? [
          {
            sensorMetadata: {
              time: formatEpcisTime(r.finishedAt, offset),
              ...(r.machine === undefined ? {} : { deviceID: r.machine }),
            },
            sensorReport: r.quality.measurements.map((m) => ({
              type: m.type,
              value: m.value,
              ...(m.uom === undefined ? {} : { uom: m.uom }),
            })),
          },
        ]
      : []
  const ilmd: Record<string, unknown> = {}
  if (r.lot !== undefined) ilmd['cbvmda:lotNumber'] = r.lot
  if (r.expiryDate !== undefined) ilmd['cbvmda:itemExpirationDate'] = r.expiryDate
  const event: EpcisEvent = {
    type: 'TransformationEvent',
    eventTime: formatEpcisTime(r.finishedAt, offset),
    eventTimeZoneOffset: formatOffset(offset),
    ...(inputEPCList.length > 0 ? { inputEPCList } : {}),
    ...(inputQuantityList.length > 0 ? { inputQuantityList } : {}),
    ...(r.output.epcs !== undefined && r.output.epcs.length > 0 ? { outputEPCList: [...r.output.epcs] } : {}),
    ...(classOutput ? { outputQuantityList: [q(r.output)] } : {}),
    ...(r.productionOrder === undefined ? {} : { transformationID: r.productionOrder }),
    bizStep: cbvUrn('bizstep', classOutput ? 'creating_class_instance' : 'commissioning'),
    disposition: cbvUrn('disp', r.quality?.passed === false ? 'non_conformant' : 'active'),
    readPoint: { id: r.line },
    ...(r.site === undefined ? {} : { bizLocation: { id: r.site } }),
    ...(r.productionOrder === undefined
      ? {}
      : { bizTransactionList: [{ type: cbvUrn('btt', 'prodorder'), bizTransaction: r.productionOrder }] }),
    ...(sensors.length > 0 ? { sensorElementList: sensors } : {}),
    ...(Object.keys(ilmd).length > 0 ? { ilmd } : {}),
  }
  const problems = validateEvent(event)
  if (problems.length > 0)
    throw IdentErrors.epcisInvalidEvent(
      `production record gives an invalid event: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      problems,
    )
  return event
}
