import { RongheError } from '../../core/index.ts'

/** Modbus exception codes (Modbus Application Protocol v1.1b3, §7) and what they mean to an operator. */
export const MODBUS_EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'illegal function (the device does not support this function code)',
  2: 'illegal data address (the register range is not mapped on the device)',
  3: 'illegal data value (the quantity or value is out of range)',
  4: 'server device failure',
  5: 'acknowledge (long operation in progress)',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
}

/** Error codes of the Modbus TCP adapter. */
export const ModbusErrors = {
  exception: (fc: number, code: number, what: string): RongheError =>
    new RongheError(
      'MODBUS_EXCEPTION',
      `Modbus exception ${code} on function ${fc} (${what}): ${MODBUS_EXCEPTIONS[code] ?? 'unknown exception'}`,
      { status: 503, details: { functionCode: fc, exceptionCode: code, request: what } },
    ),
  timeout: (ms: number, what: string): RongheError =>
    new RongheError('MODBUS_TIMEOUT', `no Modbus response within ${ms} ms (${what})`, {
      status: 503,
      details: { timeoutMs: ms, request: what },
    }),
  notConnected: (where: string, cause?: unknown): RongheError =>
    new RongheError('MODBUS_NOT_CONNECTED', `not connected to the Modbus server at ${where}`, {
      status: 503,
      cause,
    }),
  badResponse: (why: string): RongheError =>
    new RongheError('MODBUS_BAD_RESPONSE', `malformed Modbus response: ${why}`, { status: 503 }),
  badConfig: (why: string, details?: unknown): RongheError =>
    new RongheError('MODBUS_BAD_CONFIG', `invalid Modbus configuration: ${why}`, { status: 400, details }),
} as const
