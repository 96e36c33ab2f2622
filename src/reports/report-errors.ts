import { RongheError } from '../core/index.ts'

/** Stable error codes of scheduled reports (report subscriptions). */
export const ReportErrorCodes = {
  subscriptionInvalid: 'REPORT_SUBSCRIPTION_INVALID',
  channelUnknown: 'REPORT_CHANNEL_UNKNOWN',
  channelUnsupported: 'REPORT_CHANNEL_UNSUPPORTED',
  regionForbidden: 'REPORT_REGION_FORBIDDEN',
  scopeForbidden: 'REPORT_SCOPE_FORBIDDEN',
  periodInvalid: 'REPORT_PERIOD_INVALID',
  periodNotEnded: 'REPORT_PERIOD_NOT_ENDED',
} as const

export const ReportErrors = {
  subscriptionInvalid: (field: string, message: string): RongheError =>
    new RongheError(ReportErrorCodes.subscriptionInvalid, message, { status: 400, details: { field } }),
  channelUnknown: (channelId: string): RongheError =>
    new RongheError(
      ReportErrorCodes.channelUnknown,
      `notification channel ${channelId} does not exist in this enterprise`,
      { status: 422, details: { field: 'channelId', channelId } },
    ),
  channelUnsupported: (channelId: string, kind: string): RongheError =>
    new RongheError(
      ReportErrorCodes.channelUnsupported,
      `channel ${channelId} is a ${kind} channel; reports go by e-mail or webhook`,
      { status: 422, details: { field: 'channelId', channelId, kind } },
    ),
  regionForbidden: (asked: string, own: string): RongheError =>
    new RongheError(
      ReportErrorCodes.regionForbidden,
      `a regional authority of ${own} may not subscribe to the report of region ${asked}`,
      { status: 403, details: { field: 'regionCode', regionCode: asked } },
    ),
  scopeForbidden: (scope: string, role: string): RongheError =>
    new RongheError(
      ReportErrorCodes.scopeForbidden,
      scope === 'region'
        ? 'only a regional authority subscribes to regional reports'
        : `a ${role} subscribes to scope=region reports`,
      { status: 403, details: { field: 'scope', scope } },
    ),
  periodInvalid: (period: string, key: string): RongheError =>
    new RongheError(
      ReportErrorCodes.periodInvalid,
      period === 'day'
        ? `period "${key}" must be an existing day written YYYY-MM-DD`
        : `period "${key}" must be a month written YYYY-MM`,
      { status: 400, details: { field: 'period', period: key } },
    ),
  periodNotEnded: (key: string): RongheError =>
    new RongheError(ReportErrorCodes.periodNotEnded, `period ${key} has not ended yet`, {
      status: 409,
      details: { field: 'period', period: key },
    }),
} as const
