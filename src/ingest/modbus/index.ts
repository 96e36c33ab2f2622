export { createModbusAdapter, type ModbusAdapter, type ModbusAdapterConfig } from './modbus-adapter.ts'
export { createModbusClient, type ModbusClient, type ModbusClientOptions } from './modbus-client.ts'
export { MODBUS_EXCEPTIONS, ModbusErrors } from './modbus-errors.ts'
export * from './register-map.ts'
