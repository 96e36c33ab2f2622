/**
 * Rule templates: rules written once per equipment type, whose point fields and expression names
 * are template variables (`current`, `state`, …). Expanding a template for every machine of its type
 * binds the variables to that machine's point keys and gives each rule a per-machine id.
 */
import { RulesErrors } from './rules-errors.ts'
import type { RuleDefinition } from './rule-types.ts'

export interface RuleTemplate {
  readonly id: string
  readonly equipmentType: string
  /** the variables every machine of the type must bind to one of its points */
  readonly variables: readonly string[]
  /** rules whose `point` / `points` / `statePoint` and expression names may be variables */
  readonly rules: readonly RuleDefinition[]
}

export interface EquipmentBinding {
  readonly equipment: string
  readonly equipmentType: string
  /** template variable → this machine's point key */
  readonly points: Readonly<Record<string, string>>
  /** per-machine constants usable in expressions, e.g. { rated_current: 12.5 } */
  readonly constants?: Readonly<Record<string, number | string | boolean>>
}

/** The id a template rule gets on one machine. */
export function templateRuleId(ruleId: string, equipment: string): string {
  return `${ruleId}@${equipment}`
}

/**
 * One concrete rule per (template rule × machine of the template's type). Names that are not template
 * variables are taken as literal point keys (a plant-wide point such as ambient temperature).
 * Throws RULES_TEMPLATE_BINDING_MISSING when a machine leaves a variable unbound.
 */
export function expandTemplates(
  templates: readonly RuleTemplate[],
  equipment: readonly EquipmentBinding[],
): RuleDefinition[] {
  const out: RuleDefinition[] = []
  for (const t of templates) {
    for (const m of equipment) {
      if (m.equipmentType !== t.equipmentType) continue
      for (const v of t.variables) {
        if (m.points[v] === undefined) throw RulesErrors.templateBindingMissing(t.id, m.equipment, v)
      }
      const bind = (name: string): string => (t.variables.includes(name) ? (m.points[name] as string) : name)
      for (const r of t.rules) {
        const bindings: Record<string, string> = {}
        for (const [k, v] of Object.entries(r.bindings ?? {})) bindings[k] = bind(v)
        for (const v of t.variables) bindings[v] ??= m.points[v] as string
        const common = {
          id: templateRuleId(r.id, m.equipment),
          equipment: m.equipment,
          bindings,
          constants: { ...(r.constants ?? {}), ...(m.constants ?? {}) },
        }
        switch (r.kind) {
          case 'no-data':
            out.push({ ...r, ...common, points: r.points.map(bind) })
            break
          case 'expression':
            out.push({ ...r, ...common })
            break
          case 'anomaly':
            out.push({
              ...r,
              ...common,
              point: bind(r.point),
              ...(r.statePoint === undefined ? {} : { statePoint: bind(r.statePoint) }),
            })
            break
          default:
            out.push({ ...r, ...common, point: bind(r.point) })
        }
      }
    }
  }
  return out
}
