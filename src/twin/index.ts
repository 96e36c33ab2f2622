export * from './live-values.ts'
