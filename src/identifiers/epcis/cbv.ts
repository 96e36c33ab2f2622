/**
 * CBV 2.0 vocabularies used by EPCIS events. Values appear bare (`receiving`), as URNs
 * (`urn:epcglobal:cbv:bizstep:receiving`) or as web URIs (`https://ref.gs1.org/cbv/BizStep-receiving`);
 * all three are accepted and compared in their bare form. Any other absolute URI is a user extension.
 * Term lists follow CBV 2.0 as we know it (the reference marks the lists unverified).
 */
export const BIZ_STEPS = [
  'accepting',
  'arriving',
  'assembling',
  'collecting',
  'commissioning',
  'consigning',
  'creating_class_instance',
  'cycle_counting',
  'decommissioning',
  'departing',
  'destroying',
  'disassembling',
  'dispensing',
  'encoding',
  'entering_exiting',
  'holding',
  'inspecting',
  'installing',
  'killing',
  'loading',
  'other',
  'packing',
  'picking',
  'receiving',
  'removing',
  'repackaging',
  'repairing',
  'replacing',
  'reserving',
  'retail_selling',
  'sampling',
  'sensor_reporting',
  'shipping',
  'staging_outbound',
  'stock_taking',
  'stocking',
  'storing',
  'transporting',
  'unloading',
  'unpacking',
  'void_shipping',
] as const

export const DISPOSITIONS = [
  'active',
  'available',
  'completeness_inferred',
  'completeness_verified',
  'conformant',
  'container_closed',
  'container_open',
  'damaged',
  'destroyed',
  'dispensed',
  'disposed',
  'encoded',
  'expired',
  'in_progress',
  'in_transit',
  'inactive',
  'mismatch_instance',
  'mismatch_class',
  'mismatch_quantity',
  'needs_replacement',
  'no_pedigree_match',
  'non_conformant',
  'non_sellable_other',
  'partially_dispensed',
  'recalled',
  'reserved',
  'retail_sold',
  'returned',
  'sellable_accessible',
  'sellable_not_accessible',
  'stolen',
  'unavailable',
  'unknown',
] as const

export const BIZ_TRANSACTION_TYPES = [
  'bol',
  'cert',
  'desadv',
  'inv',
  'pedigree',
  'po',
  'poc',
  'prodorder',
  'recadv',
  'rma',
  'testprd',
  'testres',
  'upevt',
] as const

export const SOURCE_DEST_TYPES = ['owning_party', 'possessing_party', 'location'] as const

export const ERROR_REASONS = ['did_not_occur', 'incorrect_data'] as const

export type CbvKind = 'bizstep' | 'disp' | 'btt' | 'sdt' | 'er'

const LISTS: Record<CbvKind, ReadonlySet<string>> = {
  bizstep: new Set(BIZ_STEPS),
  disp: new Set(DISPOSITIONS),
  btt: new Set(BIZ_TRANSACTION_TYPES),
  sdt: new Set(SOURCE_DEST_TYPES),
  er: new Set(ERROR_REASONS),
}

/** The web-URI class names of CBV 2.0 (`https://ref.gs1.org/cbv/BizStep-receiving`). */
const WEB_CLASS: Record<CbvKind, string> = {
  bizstep: 'BizStep',
  disp: 'Disp',
  btt: 'BTT',
  sdt: 'SDT',
  er: 'ER',
}

export type CbvTerm =
  | { readonly ok: true; readonly bare: string; readonly standard: boolean }
  | { readonly ok: false; readonly reason: string }

const URI_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$/

/**
 * Classify a vocabulary value: a standard term (any of the three spellings) → its bare form;
 * another absolute URI → an extension, kept as is; a bare word or a CBV URN that is not in the list → error.
 */
export function cbvTerm(kind: CbvKind, value: string): CbvTerm {
  const list = LISTS[kind]
  const urn = `urn:epcglobal:cbv:${kind}:`
  if (value.startsWith(urn)) {
    const term = value.slice(urn.length)
    return list.has(term)
      ? { ok: true, bare: term, standard: true }
      : { ok: false, reason: `"${term}" is not a CBV ${WEB_CLASS[kind]} term` }
  }
  for (const host of ['https://ref.gs1.org/cbv/', 'https://gs1.org/cbv/', 'http://gs1.org/cbv/']) {
    const web = `${host}${WEB_CLASS[kind]}-`
    if (value.startsWith(web)) {
      const term = value.slice(web.length)
      return list.has(term)
        ? { ok: true, bare: term, standard: true }
        : { ok: false, reason: `"${term}" is not a CBV ${WEB_CLASS[kind]} term` }
    }
  }
  if (list.has(value)) return { ok: true, bare: value, standard: true }
  if (URI_RE.test(value)) return { ok: true, bare: value, standard: false }
  return { ok: false, reason: `"${value}" is neither a CBV ${WEB_CLASS[kind]} term nor an absolute URI` }
}

/** Canonical (bare) form for comparisons and indexes; unknown input is returned unchanged. */
export function canonicalCbv(kind: CbvKind, value: string): string {
  const t = cbvTerm(kind, value)
  return t.ok ? t.bare : value
}

/** The URN form of a standard term (`receiving` → `urn:epcglobal:cbv:bizstep:receiving`). */
export function cbvUrn(kind: CbvKind, term: string): string {
  return `urn:epcglobal:cbv:${kind}:${term}`
}
