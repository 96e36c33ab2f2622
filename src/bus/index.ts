export * from './bus.ts'
export * from './partition-leases.ts'
export * from './job-claims.ts'
