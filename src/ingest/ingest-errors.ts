import { RongheError } from '../core/index.ts'

/** Error codes of the ingest path. Per-item rejections carry these codes in IngestResult.rejected. */
export const IngestErrors = {
  unknownPoint: (key: string): RongheError =>
    new RongheError(
      'INGEST_UNKNOWN_POINT',
      `no point is bound to "${key}" on this device; create it or enable auto-registration`,
      {
        status: 422,
      },
    ),
  unknownAlias: (alias: number, where: string): RongheError =>
    new RongheError(
      'INGEST_UNKNOWN_ALIAS',
      `metric alias ${alias} is not in the BIRTH certificate of ${where}; a rebirth was requested`,
      {
        status: 422,
      },
    ),
  unknownDevice: (where: string): RongheError =>
    new RongheError(
      'INGEST_UNKNOWN_DEVICE',
      `${where} has sent no BIRTH certificate since the host started; a rebirth was requested`,
      {
        status: 422,
      },
    ),
  malformedPayload: (why: string): RongheError =>
    new RongheError('INGEST_MALFORMED_PAYLOAD', `the payload could not be decoded: ${why}`, { status: 400 }),
  badTimestamp: (key: string, ts: unknown): RongheError =>
    new RongheError(
      'INGEST_BAD_TIMESTAMP',
      `"${key}" has timestamp ${String(ts)}; expected epoch milliseconds between 2000 and one day ahead`,
      {
        status: 422,
      },
    ),
  badValue: (key: string, v: unknown): RongheError =>
    new RongheError(
      'INGEST_BAD_VALUE',
      `"${key}" has value ${String(v)}; expected a finite number, a boolean, a text or null`,
      {
        status: 422,
      },
    ),
  topicDenied: (topic: string): RongheError =>
    new RongheError(
      'INGEST_TOPIC_DENIED',
      `this device may not publish to ${topic}: topics must lie in its own tenant's namespace`,
      {
        status: 403,
      },
    ),
  payloadTooLarge: (bytes: number, max: number): RongheError =>
    new RongheError(
      'INGEST_PAYLOAD_TOO_LARGE',
      `a payload of ${bytes} bytes exceeds the limit of ${max} bytes`,
      { status: 413 },
    ),
  unmappedTopic: (topic: string): RongheError =>
    new RongheError(
      'INGEST_UNMAPPED_TOPIC',
      `${topic} does not end in {tenant}/{device}/data; nothing on it is a sample`,
      { status: 422 },
    ),
  unregisteredDevice: (tenant: string, device: string): RongheError =>
    new RongheError(
      'INGEST_UNREGISTERED_DEVICE',
      `no device with key "${device}" is registered in tenant ${tenant}`,
      { status: 404 },
    ),
  overloaded: (): RongheError =>
    new RongheError('INGEST_OVERLOADED', 'the ingest queue is full; retry shortly', { status: 503 }),
} as const
