import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Quality } from '../../core/index.ts'
import type { RawValue } from '../ingest-sink.ts'

/**
 * The edge's durable outbox (SQLite, one file in the data directory). A value is appended here before
 * anything else happens to it and removed only when the uplink has acknowledged the message that carried
 * it, so a crash, a broker outage or a restart loses nothing that was appended. Sequence numbers are
 * strictly increasing (AUTOINCREMENT never reuses one), which gives the per-device send order.
 *
 * The queue is bounded: when appending would exceed maxSamples, the oldest rows go first and are counted
 * in `dropped` (kept across restarts), because at the edge the newest data is usually the most useful.
 */

export interface QueuedSample {
  readonly seq: number
  readonly device: string
  readonly key: string
  readonly ts: number
  readonly value: RawValue['value']
  readonly quality: Quality
}

export interface StoreForwardQueueOptions {
  readonly dataDir: string
  /** default 5 000 000 rows (about 0.5 GB) */
  readonly maxSamples?: number
  /** SQLite synchronous level: 'full' survives power loss, 'normal' (WAL) survives a process crash; default full */
  readonly synchronous?: 'full' | 'normal'
}

export interface StoreForwardQueue {
  /** appends in one transaction; returns how many older rows had to be dropped to stay within the bound */
  append(device: string, values: readonly RawValue[]): number
  /** the oldest rows of a device after `afterSeq`, in sequence order */
  peek(device: string, afterSeq: number, limit: number): QueuedSample[]
  /** removes a device's rows with firstSeq ≤ seq ≤ lastSeq (one acknowledged message); returns the count */
  ack(device: string, firstSeq: number, lastSeq: number): number
  /** devices with rows waiting */
  devices(): string[]
  depth(device?: string): number
  dropped(): number
  close(): void
}

export function openStoreForwardQueue(options: StoreForwardQueueOptions): StoreForwardQueue {
  mkdirSync(options.dataDir, { recursive: true })
  const db = new Database(join(options.dataDir, 'edge-queue.sqlite'))
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
  db.exec(`
    CREATE TABLE IF NOT EXISTS samples (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      device TEXT NOT NULL,
      key TEXT NOT NULL,
      ts INTEGER NOT NULL,
      value TEXT NOT NULL,
      quality INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS samples_device_seq ON samples (device, seq);
    CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT OR IGNORE INTO counters (name, value) VALUES ('dropped', 0);
  `)
  const maxSamples = options.maxSamples ?? 5_000_000
  const QUALITIES: readonly Quality[] = ['good', 'uncertain', 'bad']
  const insert = db.prepare('INSERT INTO samples (device, key, ts, value, quality) VALUES (?, ?, ?, ?, ?)')
  const countAll = db.prepare('SELECT count(*) AS n FROM samples')
  const countDevice = db.prepare('SELECT count(*) AS n FROM samples WHERE device = ?')
  const dropOldest = db.prepare(
    'DELETE FROM samples WHERE seq IN (SELECT seq FROM samples ORDER BY seq LIMIT ?)',
  )
  const addDropped = db.prepare("UPDATE counters SET value = value + ? WHERE name = 'dropped'")
  const getDropped = db.prepare("SELECT value FROM counters WHERE name = 'dropped'")
  const select = db.prepare(
    'SELECT seq, device, key, ts, value, quality FROM samples WHERE device = ? AND seq > ? ORDER BY seq LIMIT ?',
  )
  const remove = db.prepare('DELETE FROM samples WHERE device = ? AND seq BETWEEN ? AND ?')
  const listDevices = db.prepare('SELECT DISTINCT device FROM samples')
  // the row count is kept in memory so the bound costs nothing per append
  let size = (countAll.get() as { n: number }).n

  const appendTx = db.transaction((device: string, values: readonly RawValue[]): number => {
    let drop = 0
    const over = size + values.length - maxSamples
    if (over > 0) {
      drop = Math.min(over, size)
      dropOldest.run(drop)
      addDropped.run(drop)
      size -= drop
    }
    // a batch larger than the whole bound keeps only its newest part
    const start = Math.max(0, values.length - maxSamples)
    for (let i = start; i < values.length; i++) {
      const v = values[i]
      if (v === undefined) continue
      insert.run(
        device,
        v.key,
        Math.round(v.ts),
        JSON.stringify(v.value),
        QUALITIES.indexOf(v.quality ?? 'good'),
      )
    }
    if (start > 0) addDropped.run(start)
    size += values.length - start
    return drop + start
  })
  const ackTx = db.transaction((device: string, first: number, last: number): number => {
    const n = remove.run(device, first, last).changes
    size -= n
    return n
  })

  return {
    append(device, values) {
      if (values.length === 0) return 0
      return appendTx(device, values)
    },
    peek(device, afterSeq, limit) {
      const rows = select.all(device, afterSeq, limit) as {
        seq: number
        device: string
        key: string
        ts: number
        value: string
        quality: number
      }[]
      return rows.map((r) => ({
        seq: r.seq,
        device: r.device,
        key: r.key,
        ts: r.ts,
        value: JSON.parse(r.value) as RawValue['value'],
        quality: QUALITIES[r.quality] ?? 'bad',
      }))
    },
    ack(device, firstSeq, lastSeq) {
      return ackTx(device, firstSeq, lastSeq)
    },
    devices() {
      return (listDevices.all() as { device: string }[]).map((r) => r.device)
    },
    depth(device) {
      if (device === undefined) return size
      return (countDevice.get(device) as { n: number }).n
    },
    dropped() {
      return (getDropped.get() as { value: number }).value
    },
    close() {
      db.close()
    },
  }
}
