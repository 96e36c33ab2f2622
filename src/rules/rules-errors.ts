import { RongheError } from '../core/index.ts'

/** Where in an expression's source a problem was found, and what the parser expected there. */
export interface ExpressionErrorDetails {
  /** 0-based character offset into the source */
  readonly position: number
  /** 1-based */
  readonly line: number
  /** 1-based */
  readonly column: number
  readonly expected: string
  /** the text found at `position` ('end of input' at the end) */
  readonly found: string
}

/** Stable error codes of the rules module (alarm rules, alarm lifecycle, alarm KPIs). */
export const RulesErrorCodes = {
  expressionInvalid: 'RULES_EXPRESSION_INVALID',
  definitionInvalid: 'RULES_DEFINITION_INVALID',
  templateBindingMissing: 'RULES_TEMPLATE_BINDING_MISSING',
  alarmUnknown: 'RULES_ALARM_UNKNOWN',
  transitionInvalid: 'RULES_TRANSITION_INVALID',
  reasonRequired: 'RULES_REASON_REQUIRED',
  ruleManagedByTemplate: 'RULES_MANAGED_BY_TEMPLATE',
  workOrderClosed: 'RULES_WORK_ORDER_CLOSED',
  channelInvalid: 'RULES_CHANNEL_INVALID',
  pointUnknown: 'RULES_POINT_UNKNOWN',
} as const

export const RulesErrors = {
  expressionInvalid: (message: string, details: ExpressionErrorDetails): RongheError =>
    new RongheError(RulesErrorCodes.expressionInvalid, message, { status: 422, details }),
  definitionInvalid: (ruleId: string, field: string, message: string): RongheError =>
    new RongheError(RulesErrorCodes.definitionInvalid, `rule ${ruleId}: ${message}`, {
      status: 422,
      details: { ruleId, field },
    }),
  templateBindingMissing: (templateId: string, equipment: string, variable: string): RongheError =>
    new RongheError(
      RulesErrorCodes.templateBindingMissing,
      `template ${templateId}: equipment ${equipment} does not bind variable "${variable}"`,
      { status: 422, details: { templateId, equipment, variable } },
    ),
  alarmUnknown: (alarmId: string): RongheError =>
    new RongheError(RulesErrorCodes.alarmUnknown, `alarm ${alarmId} does not exist`, {
      status: 404,
      details: { alarmId },
    }),
  transitionInvalid: (alarmId: string, state: string, action: string): RongheError =>
    new RongheError(
      RulesErrorCodes.transitionInvalid,
      `alarm ${alarmId} cannot ${action} in state ${state}`,
      {
        status: 409,
        details: { alarmId, state, action },
      },
    ),
  reasonRequired: (alarmId: string, action: string): RongheError =>
    new RongheError(RulesErrorCodes.reasonRequired, `alarm ${alarmId}: ${action} needs a reason`, {
      status: 400,
      details: { alarmId, action },
    }),
  ruleManagedByTemplate: (ruleId: string, templateId: string): RongheError =>
    new RongheError(
      RulesErrorCodes.ruleManagedByTemplate,
      `rule ${ruleId} comes from template ${templateId}: edit the template instead`,
      { status: 409, details: { ruleId, templateId } },
    ),
  workOrderClosed: (orderId: string): RongheError =>
    new RongheError(RulesErrorCodes.workOrderClosed, `work order ${orderId} is closed`, {
      status: 409,
      details: { orderId },
    }),
  channelInvalid: (field: string, message: string): RongheError =>
    new RongheError(RulesErrorCodes.channelInvalid, `notification channel: ${message}`, {
      status: 422,
      details: { field },
    }),
  pointUnknown: (ref: string): RongheError =>
    new RongheError(RulesErrorCodes.pointUnknown, `point ${ref} does not exist`, {
      status: 422,
      details: { point: ref },
    }),
} as const
