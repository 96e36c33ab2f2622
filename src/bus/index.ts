export * from './bus.ts'
export * from './partition-leases.ts'
