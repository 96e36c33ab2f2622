/**
 * GS1 keys and Application Identifiers used by Digital Link: check digits (mod 10, weights 3/1 from
 * the right), the primary keys with their allowed qualifier paths, and the data attributes we check.
 */

/** GS1 mod-10 check digit for the digits before it (weights 3,1,3… starting from the rightmost). */
export function gs1CheckDigit(body: string): number {
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    const d = body.charCodeAt(body.length - 1 - i) - 48
    sum += d * (i % 2 === 0 ? 3 : 1)
  }
  return (10 - (sum % 10)) % 10
}

export function hasValidCheckDigit(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false
  return gs1CheckDigit(digits.slice(0, -1)) === Number(digits[digits.length - 1])
}

/** GTIN-8, -12, -13 or -14 with a correct check digit. */
export function isValidGtin(gtin: string): boolean {
  return /^(?:\d{8}|\d{12}|\d{13}|\d{14})$/.test(gtin) && hasValidCheckDigit(gtin)
}

/** GTIN-8/12/13 → GTIN-14 by left-padding with zeros (the check digit is unchanged). */
export function toGtin14(gtin: string): string {
  return gtin.padStart(14, '0')
}

/** A value format: numeric of fixed/variable length, or characters of GS1 set 82 / set 39. */
export interface AiFormat {
  readonly kind: 'N' | 'X' | 'Y'
  readonly min: number
  readonly max: number
  /** mod-10 check digit over the first `checkLength` digits (or all) */
  readonly check?: boolean
  readonly checkLength?: number
  readonly date?: 'YYMMDD'
}

export interface AiDef {
  readonly ai: string
  readonly name: string
  readonly short?: string
  readonly format: AiFormat
}

const N = (min: number, max = min, extra: Partial<AiFormat> = {}): AiFormat => ({
  kind: 'N',
  min,
  max,
  ...extra,
})
const X = (max: number, min = 1): AiFormat => ({ kind: 'X', min, max })
const Y = (max: number, min = 1): AiFormat => ({ kind: 'Y', min, max })

/** Application Identifiers we know (primary keys, qualifiers, common attributes). */
export const AIS: Readonly<Record<string, AiDef>> = Object.fromEntries(
  (
    [
      ['00', 'SSCC', 'sscc', N(18, 18, { check: true })],
      ['01', 'GTIN', 'gtin', N(14, 14, { check: true })],
      ['10', 'BATCH/LOT', 'lot', X(20)],
      ['11', 'PROD DATE', undefined, N(6, 6, { date: 'YYMMDD' })],
      ['13', 'PACK DATE', undefined, N(6, 6, { date: 'YYMMDD' })],
      ['15', 'BEST BEFORE', undefined, N(6, 6, { date: 'YYMMDD' })],
      ['16', 'SELL BY', undefined, N(6, 6, { date: 'YYMMDD' })],
      ['17', 'USE BY OR EXPIRY', 'exp', N(6, 6, { date: 'YYMMDD' })],
      ['21', 'SERIAL', 'ser', X(20)],
      ['22', 'CPV', 'cpv', X(20)],
      ['235', 'TPX', undefined, X(28)],
      ['253', 'GDTI', 'gdti', { kind: 'X', min: 14, max: 30, check: true, checkLength: 13 }],
      ['254', 'GLN EXTENSION COMPONENT', 'glnx', X(20)],
      ['255', 'GCN', 'gcn', N(14, 25, { check: true, checkLength: 13 })],
      ['30', 'VAR. COUNT', undefined, N(1, 8)],
      ['37', 'COUNT', undefined, N(1, 8)],
      ['400', 'ORDER NUMBER', undefined, X(30)],
      ['401', 'GINC', 'ginc', X(30)],
      ['402', 'GSIN', 'gsin', N(17, 17, { check: true })],
      ['414', 'LOC No.', 'gln', N(13, 13, { check: true })],
      ['417', 'PARTY', 'party', N(13, 13, { check: true })],
      ['422', 'ORIGIN', undefined, N(3)],
      ['7003', 'EXPIRY TIME', undefined, N(10)],
      ['8003', 'GRAI', 'grai', { kind: 'X', min: 14, max: 30, check: true, checkLength: 14 }],
      ['8004', 'GIAI', 'giai', X(30)],
      ['8006', 'ITIP', 'itip', N(18, 18, { check: true, checkLength: 14 })],
      ['8010', 'CPID', 'cpid', Y(30)],
      ['8011', 'CPID SERIAL', undefined, N(1, 12)],
      ['8013', 'GMN', 'gmn', X(25)],
      ['8017', 'GSRN - PROVIDER', 'gsrnp', N(18, 18, { check: true })],
      ['8018', 'GSRN - RECIPIENT', 'gsrn', N(18, 18, { check: true })],
      ['8019', 'SRIN', undefined, N(1, 10)],
    ] as const
  ).map(([ai, name, short, format]) => [ai, { ai, name, ...(short ? { short } : {}), format } as AiDef]),
)

/** Net-weight style AIs 310n–369n: 6 digits with n implied decimals. */
export function measureAi(ai: string): AiDef | null {
  if (!/^3[1-6]\d\d$/.test(ai)) return null
  return { ai, name: 'MEASURE', format: N(6) }
}

export function aiDef(ai: string): AiDef | null {
  return AIS[ai] ?? measureAi(ai)
}

/**
 * Primary keys and their qualifier paths (GS1 Digital Link 1.2 grammar): each path lists qualifiers in
 * the only order allowed; any qualifier may be left out, but never reordered.
 */
export const PRIMARY_KEYS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  '01': [['22', '10', '21'], ['235']],
  '8006': [['22', '10', '21']],
  '8013': [[]],
  '8010': [['8011']],
  '414': [['254']],
  '417': [[]],
  '8017': [['8019']],
  '8018': [['8019']],
  '00': [[]],
  '253': [[]],
  '255': [[]],
  '401': [[]],
  '402': [[]],
  '8003': [[]],
  '8004': [[]],
}

/** GS1 AI encodable character set 82 (for X values), set 39 (for Y values). */
const CSET82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$/
const CSET39 = /^[#\-/0-9A-Z]*$/

/** Why a value is invalid for an AI, or null. `gtin` values may be 8/12/13/14 digits (padded later). */
export function aiValueProblem(ai: string, value: string): string | null {
  const def = aiDef(ai)
  if (def === null) return `unknown application identifier ${ai}`
  const f = def.format
  if (ai === '01') {
    if (!/^(?:\d{8}|\d{12}|\d{13}|\d{14})$/.test(value)) return 'GTIN must be 8, 12, 13 or 14 digits'
    if (!hasValidCheckDigit(value))
      return `GTIN ${value} has a wrong check digit (expected ${gs1CheckDigit(value.slice(0, -1))})`
    return null
  }
  if (value.length < f.min || value.length > f.max)
    return f.min === f.max
      ? `AI ${ai} needs exactly ${f.min} characters`
      : `AI ${ai} needs ${f.min}–${f.max} characters`
  if (f.kind === 'N' && !/^\d+$/.test(value)) return `AI ${ai} is numeric`
  if (f.kind === 'X' && !CSET82.test(value)) return `AI ${ai} has characters outside GS1 set 82`
  if (f.kind === 'Y' && !CSET39.test(value)) return `AI ${ai} has characters outside GS1 set 39`
  if (f.check) {
    const digits = value.slice(0, f.checkLength ?? value.length)
    if (!/^\d+$/.test(digits) || !hasValidCheckDigit(digits)) return `AI ${ai} has a wrong check digit`
  }
  if (f.date === 'YYMMDD') {
    const mm = Number(value.slice(2, 4))
    const dd = Number(value.slice(4, 6))
    // DD = 00 means "end of month" in GS1 dates
    if (mm < 1 || mm > 12 || dd > 31) return `AI ${ai} is not a YYMMDD date`
  }
  return null
}
