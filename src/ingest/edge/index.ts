export {
  createEdgeGateway,
  type EdgeGateway,
  type EdgeGatewayConfig,
  type EdgeGatewayStatus,
  type EdgeSourceConfig,
  type EdgeUplinkConfig,
} from './edge-gateway.ts'
export { EdgeErrors } from './edge-errors.ts'
export {
  openStoreForwardQueue,
  type QueuedSample,
  type StoreForwardQueue,
  type StoreForwardQueueOptions,
} from './store-forward-queue.ts'
export { loadEdgeConfig, parseEdgeConfig } from './edge-config.ts'
export { runEdgeFromArgs } from './run-edge.ts'
