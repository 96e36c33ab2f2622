export {
  cstTime,
  dingtalkRequest,
  dingtalkSign,
  feishuRequest,
  feishuSign,
  type HttpRequestSpec,
  noticeSubject,
  noticeText,
  robotAccepted,
  webhookRequest,
  webhookSignature,
  wecomRequest,
} from './message-formats.ts'
export * from './notification-types.ts'
export { createNotifier, type Notifier, type NotifierDeps } from './notifier.ts'
export { createSender, type SendNotice, smtpOptionsOf } from './senders.ts'
export {
  buildMessage,
  type MailAttachment,
  type MailMessage,
  SmtpError,
  type SmtpOptions,
  sendMail,
} from './smtp-client.ts'
