/**
 * Work that must happen once per period across a cluster (retention, scheduled reports): each node
 * asks to claim (job, period) and only the node whose claim succeeds runs that period. The claim is
 * kept by an engine we did not write — a JetStream stream in the scale-out shape — never by a leader
 * election of our own. The embedded shape has one node, which claims every period itself.
 */
export interface JobClaims {
  readonly kind: 'local' | 'nats'
  /**
   * true for exactly one caller per (job, period) in the cluster; false when another node has it.
   * Throws when the claim cannot be decided (the bus is unreachable): then nobody runs the period now.
   */
  claim(job: string, period: number, holder: string): Promise<boolean>
  close(): Promise<void>
}

/** One process: the first claim of a (job, period) wins. */
export function createLocalJobClaims(): JobClaims {
  const claimed = new Map<string, number>()
  return {
    kind: 'local',
    async claim(job, period) {
      if ((claimed.get(job) ?? Number.NEGATIVE_INFINITY) >= period) return false
      claimed.set(job, period)
      return true
    },
    async close() {},
  }
}
