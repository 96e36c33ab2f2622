import {
  closeSync,
  fdatasync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writev,
} from 'node:fs'
import { join } from 'node:path'
import type { TenantSample } from '../../core/index.ts'
import { crc32 } from './crc32.ts'
import { decodeSamples, encodeSamples } from './sample-codec.ts'

/**
 * The ingest write-ahead log. `append` resolves when the batch is on disk (fdatasync), which is when a
 * device may be acknowledged. Appends that arrive while a sync is running share the next sync
 * (group commit). Records: u32 payloadLength, u32 crc32(payload), u64 lsn, payload.
 * Segments are deleted once every record in them has been applied to the series store.
 */
export interface WriteAheadLog {
  append(rows: readonly TenantSample[]): Promise<number>
  /** records written before this process started, oldest first; read once at start-up */
  recovered(): readonly { lsn: number; rows: TenantSample[] }[]
  /** everything up to and including `lsn` is durable elsewhere; whole segments below it are removed */
  checkpoint(lsn: number): void
  stats(): { lsn: number; syncs: number; bytes: number; segments: number }
  close(): Promise<void>
}

const HEADER = 16
const SEGMENT_BYTES = 64 * 1024 * 1024

interface Pending {
  bufs: Buffer[]
  lsns: number[]
  waiters: { resolve: (lsn: number) => void; reject: (e: unknown) => void; lsn: number }[]
}

export function openWriteAheadLog(config: { dir: string; minSyncIntervalMs?: number }): WriteAheadLog {
  mkdirSync(config.dir, { recursive: true })
  const minInterval = config.minSyncIntervalMs ?? 0
  const recovered: { lsn: number; rows: TenantSample[] }[] = []
  let lsn = 0

  // Read what a previous process left; stop at the first torn or corrupt record of each segment.
  const existing = readdirSync(config.dir)
    .filter((f) => /^wal-\d{16}\.log$/.test(f))
    .sort()
  for (const f of existing) {
    const buf = readFileSync(join(config.dir, f))
    let o = 0
    while (o + HEADER <= buf.length) {
      const len = buf.readUInt32LE(o)
      const crc = buf.readUInt32LE(o + 4)
      const recLsn = Number(buf.readBigUInt64LE(o + 8))
      if (o + HEADER + len > buf.length || crc32(buf, o + HEADER, o + HEADER + len) !== crc) break
      recovered.push({ lsn: recLsn, rows: decodeSamples(buf.subarray(o + HEADER, o + HEADER + len)) })
      lsn = Math.max(lsn, recLsn)
      o += HEADER + len
    }
  }

  // Segments: [firstLsn, file]; the open one is last.
  const segments: { first: number; file: string }[] = existing.map((f) => ({
    first: Number(f.slice(4, 20)),
    file: join(config.dir, f),
  }))
  let fd = -1
  let segBytes = 0
  function openSegment(first: number): void {
    if (fd >= 0) closeSync(fd)
    const file = join(config.dir, `wal-${String(first).padStart(16, '0')}.log`)
    fd = openSync(file, 'a')
    segBytes = 0
    segments.push({ first, file })
  }
  openSegment(lsn + 1)

  let pending: Pending = { bufs: [], lsns: [], waiters: [] }
  let syncing = false
  let closed = false
  let syncs = 0
  let bytes = 0
  let lastSyncStart = 0

  function writevAll(f: number, bufs: Buffer[]): Promise<void> {
    return new Promise((resolve, reject) => {
      writev(f, bufs, (err, written) => {
        if (err) return reject(err)
        const total = bufs.reduce((s, b) => s + b.length, 0)
        if (written === total) return resolve()
        // short write: finish the rest
        let skip = written
        const rest: Buffer[] = []
        for (const b of bufs) {
          if (skip >= b.length) skip -= b.length
          else {
            rest.push(b.subarray(skip))
            skip = 0
          }
        }
        writevAll(f, rest).then(resolve, reject)
      })
    })
  }

  async function flushLoop(): Promise<void> {
    syncing = true
    try {
      while (pending.waiters.length > 0) {
        const wait = lastSyncStart + minInterval - Date.now()
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        const batch = pending
        pending = { bufs: [], lsns: [], waiters: [] }
        lastSyncStart = Date.now()
        try {
          // writev takes at most IOV_MAX (1024) buffers at a time
          for (let i = 0; i < batch.bufs.length; i += 1000) await writevAll(fd, batch.bufs.slice(i, i + 1000))
          await new Promise<void>((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())))
          syncs++
          for (const w of batch.waiters) w.resolve(w.lsn)
        } catch (err) {
          for (const w of batch.waiters) w.reject(err)
        }
        if (segBytes > SEGMENT_BYTES) openSegment(lsn + 1)
      }
    } finally {
      syncing = false
    }
  }

  return {
    append(rows: readonly TenantSample[]): Promise<number> {
      if (closed) return Promise.reject(new Error('write-ahead log is closed'))
      const payload = encodeSamples(rows)
      const header = Buffer.allocUnsafe(HEADER)
      const my = ++lsn
      header.writeUInt32LE(payload.length, 0)
      header.writeUInt32LE(crc32(payload), 4)
      header.writeBigUInt64LE(BigInt(my), 8)
      pending.bufs.push(header, payload)
      segBytes += HEADER + payload.length
      bytes += HEADER + payload.length
      return new Promise<number>((resolve, reject) => {
        pending.waiters.push({ resolve, reject, lsn: my })
        if (!syncing) void flushLoop()
      })
    },
    recovered: () => recovered,
    checkpoint(upTo: number): void {
      // a segment can go when the next one starts at or below upTo + 1 (all its records ≤ upTo)
      while (segments.length > 1) {
        const next = segments[1]
        const first = segments[0]
        if (!next || !first || next.first > upTo + 1) break
        try {
          unlinkSync(first.file)
        } catch {
          // already gone
        }
        segments.shift()
      }
      // the open segment can be restarted when everything in it is applied and nothing is pending
      const open = segments[segments.length - 1]
      if (
        open &&
        upTo >= lsn &&
        !syncing &&
        pending.waiters.length === 0 &&
        segBytes > 0 &&
        upTo >= open.first
      ) {
        const old = open.file
        segments.pop()
        openSegment(lsn + 1)
        try {
          unlinkSync(old)
        } catch {
          // already gone
        }
      }
    },
    stats: () => ({ lsn, syncs, bytes, segments: segments.length }),
    async close(): Promise<void> {
      if (closed) return
      while (syncing || pending.waiters.length > 0) await new Promise((r) => setTimeout(r, 2))
      closed = true
      if (fd >= 0) closeSync(fd)
      fd = -1
    },
  }
}
