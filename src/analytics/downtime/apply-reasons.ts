import type { StateInterval } from '../oee/compute-oee.ts'

/** The loss states an operator may give a reason to (availability losses of ISO 22400). */
export const LOSS_STATES: readonly StateInterval['state'][] = ['down', 'setup', 'idle']

/**
 * Give the loss intervals the reasons operators assigned: the part of a loss interval that an
 * assignment [start, end) covers takes its reason, the rest keeps what it had. Running and
 * planned-stop time is never relabelled. Pure; assignments must not overlap one another (a later
 * one in the list wins where they do).
 */
export function applyReasons(
  intervals: readonly StateInterval[],
  assignments: readonly { readonly start: number; readonly end: number; readonly reason: string }[],
): StateInterval[] {
  if (assignments.length === 0) return [...intervals]
  const out: StateInterval[] = []
  for (const iv of intervals) {
    if (!LOSS_STATES.includes(iv.state)) {
      out.push(iv)
      continue
    }
    // cut points inside the interval, then label each piece by the last assignment covering it
    const cuts = new Set<number>([iv.start, iv.end])
    for (const a of assignments) {
      if (a.start > iv.start && a.start < iv.end) cuts.add(a.start)
      if (a.end > iv.start && a.end < iv.end) cuts.add(a.end)
    }
    const sorted = [...cuts].sort((x, y) => x - y)
    for (let i = 0; i + 1 < sorted.length; i++) {
      const start = sorted[i] as number
      const end = sorted[i + 1] as number
      let reason = iv.reason
      for (const a of assignments) if (a.start <= start && a.end >= end) reason = a.reason
      const last = out[out.length - 1]
      if (last && last.end === start && last.state === iv.state && last.reason === reason) {
        out[out.length - 1] = { ...last, end }
      } else {
        const { reason: _old, ...rest } = iv
        out.push(reason === undefined ? { ...rest, start, end } : { ...rest, start, end, reason })
      }
    }
  }
  return out
}
