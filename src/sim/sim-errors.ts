import { RongheError } from '../core/index.ts'

/** Error codes of the virtual factory and its Sparkplug B edge node. */
export const SimErrors = {
  duplicateAlias: (alias: number, first: string, second: string): RongheError =>
    new RongheError(
      'SIM_DUPLICATE_ALIAS',
      `Sparkplug alias ${alias} is used by both ${first} and ${second}; aliases must be unique per edge node`,
      { status: 422, details: { alias, first, second } },
    ),
  invalidId: (what: string, id: string): RongheError =>
    new RongheError(
      'SIM_INVALID_ID',
      `Sparkplug ${what} '${id}' must be non-empty and contain no '+', '/' or '#'`,
      {
        status: 422,
        details: { what, id },
      },
    ),
  unknownDevice: (deviceId: string): RongheError =>
    new RongheError('SIM_UNKNOWN_DEVICE', `the edge node has no device '${deviceId}'`, {
      status: 404,
      details: { deviceId },
    }),
  unknownMetric: (owner: string, metric: string | number): RongheError =>
    new RongheError('SIM_UNKNOWN_METRIC', `${owner} has no metric ${JSON.stringify(metric)}`, {
      status: 404,
      details: { owner, metric },
    }),
  deviceDead: (deviceId: string): RongheError =>
    new RongheError('SIM_DEVICE_DEAD', `device '${deviceId}' is dead (DDEATH sent); call birthDevice first`, {
      status: 409,
      details: { deviceId },
    }),
  offline: (edgeNodeId: string): RongheError =>
    new RongheError('SIM_EDGE_OFFLINE', `edge node '${edgeNodeId}' is not connected to the broker`, {
      status: 503,
      details: { edgeNodeId },
    }),
  notStarted: (edgeNodeId: string): RongheError =>
    new RongheError('SIM_EDGE_NOT_STARTED', `edge node '${edgeNodeId}' has not been started`, {
      status: 409,
      details: { edgeNodeId },
    }),
  invalidConfig: (message: string, details?: unknown): RongheError =>
    new RongheError('SIM_INVALID_CONFIG', message, { status: 422, details }),
} as const
