import pg from 'pg'

/**
 * Which node runs an adapter. An adapter polls a PLC or holds an OPC UA session, so in a cluster
 * exactly one node may run it; the lease says which.
 */
export interface AdapterLeases {
  /** true when this node may run the adapter: it holds the lease already or has just taken it */
  claim(key: string): Promise<boolean>
  /** gives the lease up (the adapter was removed or stopped here) */
  release(key: string): Promise<void>
  /**
   * Checks the leases are still held; when the session holding them ended, every lease is gone
   * (another node may take them over) and `onLost` has been called.
   */
  check(): Promise<void>
  /** called once per lost session with the keys this node no longer holds */
  onLost(handler: (keys: readonly string[]) => void): void
  close(): Promise<void>
}

/** One node alone: it runs every adapter (the embedded shape). */
export function createLocalAdapterLeases(): AdapterLeases {
  return {
    claim: async () => true,
    release: async () => undefined,
    check: async () => undefined,
    onLost: () => undefined,
    close: async () => undefined,
  }
}

/**
 * advisory-lock key space of adapter leases: the two-int form keeps them apart from the one-bigint
 * locks the migrations take (PostgreSQL keeps the two key spaces separate)
 */
const LEASE_SPACE = 0x52474144 // 'RGAD'

/**
 * Leases as PostgreSQL session-level advisory locks — `pg_try_advisory_lock(space, hashtext(key))`
 * on one dedicated connection. PostgreSQL does the arbitration, not a leader of ours: when the node
 * dies or loses its connection, the server ends the session, the locks free, and the next node whose
 * periodic claim comes along takes the adapter over. Two keys whose hashes collide simply go to the
 * same node.
 */
export function createPostgresAdapterLeases(config: {
  url: string
  log?: { warn(msg: string, extra?: unknown): void }
}): AdapterLeases {
  let client: pg.Client | null = null
  let connecting: Promise<pg.Client> | null = null
  const held = new Set<string>()
  const lostHandlers: ((keys: readonly string[]) => void)[] = []
  let closed = false

  function lost(c: pg.Client, why: string): void {
    if (client !== c) return
    client = null
    const keys = [...held]
    held.clear()
    c.end().catch(() => undefined)
    if (keys.length > 0) {
      config.log?.warn('lost the adapter leases (the lock session ended)', { why, adapters: keys.length })
      for (const h of lostHandlers) h(keys)
    }
  }

  async function session(): Promise<pg.Client> {
    if (client !== null) return client
    if (connecting !== null) return connecting
    connecting = (async () => {
      const c = new pg.Client({ connectionString: config.url, keepAlive: true })
      c.on('error', (err) => lost(c, err.message))
      c.on('end', () => lost(c, 'connection closed'))
      await c.connect()
      client = c
      return c
    })()
    try {
      return await connecting
    } finally {
      connecting = null
    }
  }

  return {
    async claim(key) {
      if (closed) return false
      if (held.has(key)) return true
      let c: pg.Client
      try {
        c = await session()
        const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok', [
          LEASE_SPACE,
          key,
        ])
        if (r.rows[0]?.ok !== true) return false
      } catch (err) {
        // no lock server: this node runs nothing rather than risk running what another node runs
        config.log?.warn('could not claim an adapter lease', { key, error: (err as Error).message })
        return false
      }
      if (client !== c) return false // the session ended while we asked
      held.add(key)
      return true
    },
    async release(key) {
      if (!held.delete(key) || client === null) return
      await client
        .query('SELECT pg_advisory_unlock($1::int, hashtext($2))', [LEASE_SPACE, key])
        .catch(() => undefined)
    },
    async check() {
      const c = client
      if (c === null) return
      try {
        await c.query('SELECT 1')
      } catch (err) {
        lost(c, (err as Error).message)
      }
    },
    onLost(handler) {
      lostHandlers.push(handler)
    },
    async close() {
      closed = true
      const c = client
      client = null
      held.clear()
      // ending the session frees every lock it holds
      await c?.end().catch(() => undefined)
    },
  }
}
