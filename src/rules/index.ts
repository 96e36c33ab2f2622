/**
 * Rules and alarms: the public surface of src/rules. Pure logic with an injected Clock and no I/O;
 * persistence, API, notification transport and console build on these.
 */

export {
  ALARM_KPI_TARGETS,
  type AlarmFlood,
  type AlarmKpiOptions,
  type AlarmKpis,
  computeAlarmKpis,
} from './alarm-kpis.ts'
export {
  ALARM_STATES,
  type AlarmBook,
  type AlarmBookOptions,
  type AlarmEvent,
  type AlarmFilter,
  type AlarmRecord,
  type AlarmState,
  createAlarmBook,
  SYSTEM_ACTOR,
} from './alarm-states.ts'
export {
  type CompiledExpression,
  type CompileOptions,
  compileExpression,
  EXPRESSION_FUNCTIONS,
  type ExprNode,
  type ExprType,
  type ExprValue,
  parseExpression,
  type TypeEnv,
} from './expression.ts'
export {
  type ActiveCondition,
  createRuleEngine,
  type LearnedBaseline,
  type LearnedState,
  type RuleEngine,
  type RuleEngineOptions,
} from './rule-engine.ts'
export {
  type AlarmEpisode,
  episodesOf,
  type PreviewOptions,
  type PreviewResult,
  type PreviewSample,
  previewRules,
} from './rule-preview.ts'
export {
  type EquipmentBinding,
  expandTemplates,
  type RuleTemplate,
  templateRuleId,
} from './rule-templates.ts'
export * from './rule-types.ts'
export { type ExpressionErrorDetails, RulesErrorCodes, RulesErrors } from './rules-errors.ts'
