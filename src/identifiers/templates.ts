import { IdentErrors } from './identifiers-errors.ts'
import type { HandleValueInput } from './handle-values.ts'
import { isValidGtin } from './digital-link/gs1-keys.ts'

/**
 * Industrial metadata templates (IDIS 元数据模板): per product category, the fields an identifier record
 * carries. Each field becomes one handle value of type = field name, format "string", at a fixed index,
 * so a record stays resolvable by any Handle client. Index 1001 is reserved by IDIS (reference §2.4);
 * template fields start at 2000 (Ronghe choice).
 */
export type TemplateFieldKind =
  | 'string'
  | 'integer'
  | 'number'
  | 'date'
  | 'datetime'
  | 'gtin'
  | 'url'
  | 'enum'

export interface TemplateField {
  readonly name: string
  readonly index: number
  readonly kind: TemplateFieldKind
  readonly required: boolean
  readonly label?: string
  readonly maxLength?: number
  readonly pattern?: string
  readonly enum?: readonly string[]
  readonly min?: number
  readonly max?: number
}

export interface MetadataTemplate {
  readonly id: string
  readonly version: number
  readonly category: string
  readonly label?: string
  readonly fields: readonly TemplateField[]
}

export interface FieldError {
  readonly field: string
  readonly code: 'required' | 'unknown' | 'type' | 'too_long' | 'pattern' | 'enum' | 'range' | 'check_digit'
  readonly message: string
}

export const TEMPLATE_FIRST_INDEX = 2000
export const RESERVED_INDEXES: readonly number[] = [1001]

const NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/

/** Problems with a template definition itself (empty when valid). */
export function templateProblems(t: MetadataTemplate): string[] {
  const out: string[] = []
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(t.id)) out.push('id must be 1–64 of a-z 0-9 _ -')
  if (!Number.isInteger(t.version) || t.version < 1) out.push('version must be an integer ≥ 1')
  if (t.fields.length === 0) out.push('a template needs at least one field')
  const names = new Set<string>()
  const indexes = new Set<number>()
  for (const f of t.fields) {
    if (!NAME_RE.test(f.name)) out.push(`field "${f.name}": name must match ${NAME_RE}`)
    if (names.has(f.name)) out.push(`field "${f.name}" appears twice`)
    names.add(f.name)
    if (!Number.isInteger(f.index) || f.index < 1 || RESERVED_INDEXES.includes(f.index) || f.index === 100)
      out.push(`field "${f.name}": index ${f.index} is invalid or reserved`)
    if (indexes.has(f.index)) out.push(`field "${f.name}": index ${f.index} used twice`)
    indexes.add(f.index)
    if (f.kind === 'enum' && (f.enum === undefined || f.enum.length === 0))
      out.push(`field "${f.name}": enum needs values`)
    if (f.pattern !== undefined) {
      try {
        new RegExp(f.pattern)
      } catch {
        out.push(`field "${f.name}": pattern is not a regular expression`)
      }
    }
  }
  return out
}

function fieldError(f: TemplateField, raw: string): FieldError | null {
  const e = (code: FieldError['code'], message: string): FieldError => ({ field: f.name, code, message })
  const maxLength = f.maxLength ?? 256
  if (raw.length > maxLength) return e('too_long', `${f.name} is longer than ${maxLength} characters`)
  switch (f.kind) {
    case 'integer': {
      if (!/^-?\d+$/.test(raw)) return e('type', `${f.name} must be an integer`)
      const n = Number(raw)
      if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max))
        return e('range', `${f.name} must be within ${f.min ?? '-∞'}…${f.max ?? '∞'}`)
      break
    }
    case 'number': {
      if (!/^-?\d+(?:\.\d+)?$/.test(raw)) return e('type', `${f.name} must be a decimal number`)
      const n = Number(raw)
      if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max))
        return e('range', `${f.name} must be within ${f.min ?? '-∞'}…${f.max ?? '∞'}`)
      break
    }
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw)
      if (!m) return e('type', `${f.name} must be a date YYYY-MM-DD`)
      const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
      if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3]))
        return e('type', `${f.name} is not a calendar date`)
      break
    }
    case 'datetime':
      if (
        !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/.test(raw) ||
        Number.isNaN(Date.parse(raw))
      )
        return e('type', `${f.name} must be an ISO 8601 date-time with offset`)
      break
    case 'gtin':
      if (!/^(?:\d{8}|\d{12}|\d{13}|\d{14})$/.test(raw))
        return e('type', `${f.name} must be a GTIN-8/12/13/14`)
      if (!isValidGtin(raw)) return e('check_digit', `${f.name} has a wrong check digit`)
      break
    case 'url':
      try {
        new URL(raw)
      } catch {
        return e('type', `${f.name} must be an absolute URL`)
      }
      break
    case 'enum':
      if (!(f.enum ?? []).includes(raw))
        return e('enum', `${f.name} must be one of ${(f.enum ?? []).join(', ')}`)
      break
    case 'string':
      break
  }
  if (f.pattern !== undefined && !new RegExp(f.pattern).test(raw))
    return e('pattern', `${f.name} does not match ${f.pattern}`)
  return null
}

/**
 * Validate field values against a template; returns every field's error (empty when valid).
 * Unknown fields are errors so typos do not silently vanish.
 */
export function validateFields(
  template: MetadataTemplate,
  fields: Readonly<Record<string, unknown>>,
): FieldError[] {
  const errors: FieldError[] = []
  const known = new Map(template.fields.map((f) => [f.name, f]))
  for (const name of Object.keys(fields))
    if (!known.has(name))
      errors.push({
        field: name,
        code: 'unknown',
        message: `${name} is not a field of ${template.id}@${template.version}`,
      })
  for (const f of template.fields) {
    const v = fields[f.name]
    if (v === undefined || v === null || v === '') {
      if (f.required) errors.push({ field: f.name, code: 'required', message: `${f.name} is required` })
      continue
    }
    if (typeof v !== 'string' && typeof v !== 'number') {
      errors.push({ field: f.name, code: 'type', message: `${f.name} must be a string or number` })
      continue
    }
    const e = fieldError(f, String(v))
    if (e) errors.push(e)
  }
  return errors
}

/** Field values → handle values (type = field name, format string) at the template's indexes. */
export function fieldsToValues(
  template: MetadataTemplate,
  fields: Readonly<Record<string, unknown>>,
  ttl?: number,
): HandleValueInput[] {
  const out: HandleValueInput[] = []
  for (const f of template.fields) {
    const v = fields[f.name]
    if (v === undefined || v === null || v === '') continue
    out.push({
      index: f.index,
      type: f.name,
      data: { format: 'string', value: String(v) },
      ...(ttl === undefined ? {} : { ttl }),
    })
  }
  return out
}

/** Handle values → field values, for the fields the template knows. */
export function valuesToFields(
  template: MetadataTemplate,
  values: readonly { index: number; type: string; data: { value: unknown } }[],
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of template.fields) {
    const v = values.find((x) => x.index === f.index && x.type === f.name)
    if (v !== undefined && typeof v.data.value === 'string') out[f.name] = v.data.value
  }
  return out
}

/** Throws IDENT_TEMPLATE_VIOLATION with every field error. */
export function assertFields(template: MetadataTemplate, fields: Readonly<Record<string, unknown>>): void {
  const errors = validateFields(template, fields)
  if (errors.length > 0)
    throw IdentErrors.templateViolation(
      `${errors.length} field error(s) against ${template.id}@${template.version}: ${errors.map((e) => e.message).join('; ')}`,
      errors,
    )
}

const f = (
  name: string,
  index: number,
  kind: TemplateFieldKind,
  required: boolean,
  extra: Partial<TemplateField> = {},
): TemplateField => ({ name, index, kind, required, ...extra })

/** Built-in templates for common industrial categories; tenants add their own through the store. */
export const BUILTIN_TEMPLATES: readonly MetadataTemplate[] = [
  {
    id: 'part',
    version: 1,
    category: 'produced part',
    label: '零部件 / produced part',
    fields: [
      f('model', 2000, 'string', true, { maxLength: 64 }),
      f('serial', 2001, 'string', true, { maxLength: 64 }),
      f('batch', 2002, 'string', false, { maxLength: 64 }),
      f('manufacturer', 2003, 'string', true, { maxLength: 128 }),
      f('productionDate', 2004, 'date', true),
      f('gtin', 2005, 'gtin', false),
      f('line', 2006, 'string', false, { maxLength: 64 }),
    ],
  },
  {
    id: 'batch',
    version: 1,
    category: 'production batch',
    label: '批次 / production batch',
    fields: [
      f('model', 2000, 'string', true, { maxLength: 64 }),
      f('batch', 2002, 'string', true, { maxLength: 64 }),
      f('manufacturer', 2003, 'string', true, { maxLength: 128 }),
      f('productionDate', 2004, 'date', true),
      f('gtin', 2005, 'gtin', false),
      f('line', 2006, 'string', false, { maxLength: 64 }),
      f('quantity', 2007, 'number', true, { min: 0 }),
      f('uom', 2008, 'string', false, { pattern: '^[A-Z0-9]{2,3}$' }),
      f('expiryDate', 2009, 'date', false),
    ],
  },
  {
    id: 'equipment',
    version: 1,
    category: 'equipment',
    label: '设备 / equipment',
    fields: [
      f('model', 2000, 'string', true, { maxLength: 64 }),
      f('serial', 2001, 'string', true, { maxLength: 64 }),
      f('manufacturer', 2003, 'string', true, { maxLength: 128 }),
      f('productionDate', 2004, 'date', false),
      f('ratedPowerKw', 2010, 'number', false, { min: 0 }),
      f('commissionedAt', 2011, 'datetime', false),
    ],
  },
]
