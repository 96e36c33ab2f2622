import { RongheError } from '../../core/index.ts'

/** Error codes of the OPC UA client adapter. */
export const OpcuaErrors = {
  badConfig: (why: string, details?: unknown): RongheError =>
    new RongheError('OPCUA_BAD_CONFIG', `invalid OPC UA configuration: ${why}`, { status: 400, details }),
  connectFailed: (endpoint: string, cause: unknown): RongheError =>
    new RongheError(
      'OPCUA_CONNECT_FAILED',
      `could not open an OPC UA session with ${endpoint}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { status: 503, details: { endpoint }, cause },
    ),
  notConnected: (endpoint: string): RongheError =>
    new RongheError('OPCUA_NOT_CONNECTED', `no OPC UA session with ${endpoint}`, { status: 503 }),
  itemRejected: (nodeId: string, status: string): RongheError =>
    new RongheError('OPCUA_ITEM_REJECTED', `the server refused to monitor ${nodeId}: ${status}`, {
      status: 422,
      details: { nodeId, status },
    }),
} as const
