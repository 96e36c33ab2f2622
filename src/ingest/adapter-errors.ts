import { RongheError } from '../core/index.ts'

/** Error codes of the adapter manager (adapters configured through the API). */
export const AdapterErrors = {
  protocolMismatch: (device: string, protocol: string, kind: string): RongheError =>
    new RongheError(
      'ADAPTER_PROTOCOL_MISMATCH',
      `device ${device} speaks ${protocol}; an ${kind} adapter cannot be configured for it`,
      { status: 409, details: { protocol, kind } },
    ),
  notConfigured: (device: string): RongheError =>
    new RongheError('ADAPTER_NOT_CONFIGURED', `device ${device} has no adapter configured`, { status: 404 }),
  badConfig: (why: string): RongheError =>
    new RongheError('ADAPTER_BAD_CONFIG', `invalid adapter configuration: ${why}`, { status: 400 }),
} as const
