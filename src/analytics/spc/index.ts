export {
  type Capability,
  capability,
  capabilityFromIndividuals,
  capabilityFromSubgroups,
  type SpecLimits,
} from './capability.ts'
export {
  type ControlLimits,
  type ImrChart,
  type ImrLimits,
  imrChart,
  imrLimits,
  mean,
  movingRanges,
  range,
  type SubgroupChart,
  sampleSd,
  type XbarRLimits,
  type XbarSLimits,
  xbarRChart,
  xbarRLimits,
  xbarSChart,
  xbarSLimits,
} from './control-charts.ts'
export { detectRuleViolations, type RuleOptions, type RuleSet, type RuleViolation } from './run-rules.ts'
export {
  MAX_SUBGROUP,
  MIN_SUBGROUP,
  SHEWHART_TABLE_VERSION,
  type ShewhartConstants,
  shewhartConstants,
} from './shewhart-constants.ts'
