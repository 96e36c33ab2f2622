export {
  aggregateOee,
  computeOee,
  type EquipmentHierarchy,
  type LossRecord,
  lossPareto,
  MACHINE_STATES,
  type MachineState,
  type OeeAggregate,
  type OeeInput,
  type OeeLevel,
  type OeePeriod,
  type OeeResult,
  type OeeShiftRow,
  type OutsidePlan,
  type ParetoRow,
  type PartCount,
  type StateInterval,
  UNASSIGNED_REASON,
} from './compute-oee.ts'
export { type OeeElements, type OeeKpis, oeeKpis, sumElements, ZERO_ELEMENTS } from './oee-elements.ts'
export { type StateSample, samplesToIntervals } from './state-samples.ts'
export {
  expandShifts,
  type ShiftBreak,
  type ShiftCalendar,
  type ShiftDefinition,
  type ShiftInstance,
  workingWindows,
} from './shift-calendar.ts'
