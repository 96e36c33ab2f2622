export {
  buildEnterprises,
  listEquipment,
  makeUscc,
  orgCodeCheckChar,
  type PlacedEquipment,
} from './factory-catalog.ts'
export * from './factory-types.ts'
export { DEFAULT_FAULT_RATES, type FaultRates, planEquipmentWeek, planFaults } from './fault-plan.ts'
export { createRng, hashSeed, type Rng } from './random.ts'
export * from './shift-calendar.ts'
export { SimErrors } from './sim-errors.ts'
export * from './sparkplug-edge-node.ts'
export {
  createVirtualFactory,
  type EquipmentStatus,
  type VirtualFactory,
  type VirtualFactoryOptions,
} from './virtual-factory.ts'
export {
  createSparkplugFactoryRunner,
  sparkplugTopology,
  type EdgeNodePlan,
  type SparkplugFactoryRunner,
} from './run-sparkplug.ts'
