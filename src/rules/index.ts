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
export type {
  AlarmEventQuery,
  AlarmStore,
  StoredAlarmEvent,
  StoredRule,
  StoredTemplate,
  WorkOrderQuery,
} from './alarm-store.ts'
export * from './notifications/index.ts'
export { createPointDirectory, isPointPath, type PointDirectory } from './point-directory.ts'
export {
  type AlarmChange,
  AlarmSubjects,
  createRulesService,
  type NewWorkOrder,
  pointsOfRule,
  type RulesService,
  type RulesServiceDeps,
  type RulesServiceStats,
  type RuleView,
  type TemplateView,
} from './rules-service.ts'
export { migrateRules, type RulesTables } from './rules-migrations.ts'
export { createSqliteAlarmStore } from './sqlite-alarm-store.ts'
export {
  type ReliabilityFigures,
  reliabilityOf,
  type WorkOrder,
  type WorkOrderEvent,
  type WorkOrderEventKind,
  type WorkOrderStatus,
} from './work-orders.ts'
export { openPostgresAlarmStore, openSqliteAlarmStore } from './open-rules.ts'
