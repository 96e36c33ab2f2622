/**
 * Maintenance work orders and the reliability figures computed from them. A corrective order
 * (`failure: true`) stands for one failure event; MTTR and MTBF follow ISO 22400-2:
 * MTTR = ΣTTR / FE and MTBF = ΣTBF / FE (see ../shared/reference/manufacturing-kpis.md).
 */
import type { AlarmPriority } from './rule-types.ts'

export type WorkOrderStatus = 'open' | 'assigned' | 'closed'

export interface WorkOrder {
  readonly id: string
  readonly title: string
  readonly description: string
  /** the equipment (asset id) it concerns, if any */
  readonly equipment: string | null
  /** the alarm it was opened from, if any */
  readonly alarmId: string | null
  readonly priority: AlarmPriority
  /** corrective maintenance of a failure (counts towards MTTR / MTBF); false for inspections and planned work */
  readonly failure: boolean
  /** when the failure began: the alarm's activation, or the opening time */
  readonly failedAt: number
  readonly status: WorkOrderStatus
  readonly assignee: string | null
  readonly openedBy: string
  readonly openedAt: number
  readonly closedBy: string | null
  readonly closedAt: number | null
  readonly cause: string | null
  readonly action: string | null
}

export type WorkOrderEventKind = 'opened' | 'assigned' | 'comment' | 'closed'

export interface WorkOrderEvent {
  readonly seq: number
  readonly orderId: string
  readonly at: number
  readonly by: string
  readonly kind: WorkOrderEventKind
  readonly text: string
}

export interface ReliabilityFigures {
  readonly equipment: string | null
  readonly from: number
  readonly to: number
  /** FE: failure events (closed corrective orders whose failure began in the period) */
  readonly failures: number
  /** ΣTTR, ms: from failure to the order's closing */
  readonly totalRepairMs: number
  /** MTTR = ΣTTR / FE, ms (null when FE = 0: "n/a") */
  readonly mttrMs: number | null
  /**
   * MTBF = ΣTBF / FE, ms, where ΣTBF is the period less the time under repair — the platform does not
   * know every machine's planned operating time, so calendar time stands in for it (an upper bound).
   */
  readonly mtbfMs: number | null
  readonly openOrders: number
}

/** MTTR / MTBF of one piece of equipment (or all, with equipment null) over [from, to). */
export function reliabilityOf(
  orders: readonly WorkOrder[],
  equipment: string | null,
  from: number,
  to: number,
): ReliabilityFigures {
  let failures = 0
  let totalRepairMs = 0
  let openOrders = 0
  for (const o of orders) {
    if (equipment !== null && o.equipment !== equipment) continue
    if (o.status !== 'closed') {
      openOrders++
      continue
    }
    if (!o.failure || o.closedAt === null || o.failedAt < from || o.failedAt >= to) continue
    failures++
    totalRepairMs += Math.max(0, Math.min(o.closedAt, to) - o.failedAt)
  }
  const span = Math.max(0, to - from)
  return {
    equipment,
    from,
    to,
    failures,
    totalRepairMs,
    mttrMs: failures === 0 ? null : totalRepairMs / failures,
    mtbfMs: failures === 0 ? null : Math.max(0, span - totalRepairMs) / failures,
    openOrders,
  }
}
