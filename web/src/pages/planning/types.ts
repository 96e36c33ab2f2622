/** The planning API's shapes, as src/api/routes/planning-routes.ts answers them. Times are epoch ms. */
import type { ViolationKind } from '../../../../src/scheduling/checker.ts'
export interface RoutingOperation {
  name: string
  family?: number
  alternatives: { equipment: string; durationMs: number }[]
}
export interface Product {
  id: string
  name: string
  routing: RoutingOperation[]
  createdAt: number
}
export interface ProductionOrder {
  id: string
  productId: string
  quantity: number
  due: number
  priority: number
  createdAt: number
}
export interface GanttOperation {
  orderId: string
  /** index of the operation in the product's routing */
  step: number
  operation: string
  equipment: string
  start: number
  end: number
  setupMs: number
}
export interface PlanKpis {
  makespanMs: number
  totalWeightedTardinessMs: number
  tardyOrders: number
  utilisation: { equipment: string; utilisation: number }[]
}
export interface Outage {
  equipment: string
  from: number
  to: number
}
export type Objective = 'makespan' | 'weighted-tardiness'
export interface PlannedSchedule {
  id: string
  objective: Objective
  orderIds: string[]
  startAt: number
  kpis: PlanKpis
  operations: GanttOperation[]
  outages: Outage[]
  createdAt: number
  updatedAt: number
  /** the breakdown proposal waiting for a decision (GET of one schedule only) */
  proposal?: BreakdownProposal | null
}
export interface RepairOption {
  kpis: PlanKpis
  operations: GanttOperation[]
}
export interface BreakdownProposal {
  scheduleId: string
  breakdown: Outage
  rightShift: RepairOption
  reoptimised: RepairOption
}
/** what the server's independent checker reports (src/scheduling/checker.ts) */
export type ConflictKind = ViolationKind
export interface PlanConflict {
  kind: ConflictKind
  message: string
  operations: { orderId: string; step: number; operation: string }[]
}
export interface MoveCheck {
  ok: boolean
  conflicts: PlanConflict[]
  kpis: PlanKpis
  operations: GanttOperation[]
}
export interface OperationMove {
  orderId: string
  step: number
  start: number
  equipment?: string
}
