export type * from './meta-store.ts'
export { migrateToLatest } from './migrations.ts'
