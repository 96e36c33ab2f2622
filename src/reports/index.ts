/** Report files (xlsx, pdf) and scheduled reports (report subscriptions): the public surface of src/reports. */
export { energyReportPdf, energyReportXlsx, reportFileName, reportTitle } from './energy-report-files.ts'
export { ReportErrorCodes, ReportErrors } from './report-errors.ts'
export {
  DUE_HOUR,
  duePeriodKey,
  isPeriodKey,
  periodBounds,
  type SubscriptionPeriod,
} from './report-periods.ts'
export {
  createReportSender,
  createReportSubscriptions,
  type EnergyReportSource,
  type NewSubscriptionInput,
  publicError,
  REPORT_CHANNEL_KINDS,
  REPORT_FORMATS,
  type ReportFile,
  type ReportFormat,
  type ReportParcel,
  type ReportSubscriptions,
  type ReportSubscriptionsDeps,
  renderReportFiles,
  reportMailText,
  reportWebhookRequest,
  type SendNowResult,
  type SendReport,
  type SubscriptionView,
} from './report-subscriptions.ts'
