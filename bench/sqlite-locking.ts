/**
 * What SQLite's locking costs a prepared primary-key read: `npx tsx bench/sqlite-locking.ts`.
 * A file database in WAL mode with the identifier handle table's shape (20,000 rows), read by primary key
 * in a loop with normal locking and with `locking_mode = EXCLUSIVE` (as identifiers.db is opened).
 * Prints one JSON line: CPU and wall µs per read for each mode.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'

const rows = 20_000
const reads = 100_000
const tenant = 'ten_01JBENCHBENCHBENCHBENCH0'

function measure(exclusive: boolean): { cpuUs: number; wallUs: number } {
  const dir = mkdtempSync(join(tmpdir(), 'ronghe-sqlite-locking-'))
  try {
    const db = new Database(join(dir, 'h.db'))
    if (exclusive) db.pragma('locking_mode = EXCLUSIVE')
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.exec(`create table ident_handles (tenant_id text not null, handle text not null, prefix text not null,
      values_json text not null, template_id text, template_version integer, created_at integer not null,
      updated_at integer not null, primary key (tenant_id, handle))`)
    const insert = db.prepare('insert into ident_handles values (?, ?, ?, ?, null, null, 1, 1)')
    db.transaction(() => {
      for (let i = 0; i < rows; i++)
        insert.run(
          tenant,
          `88.118.8/P${i}`,
          '88.118.8',
          JSON.stringify([
            {
              index: 1,
              type: 'URL',
              data: { format: 'string', value: `https://acme.example/p/${i}` },
              ttl: 3600,
              timestamp: 1_764_900_000_000,
              permissions: { adminRead: true, adminWrite: true, publicRead: true, publicWrite: false },
              refs: [],
            },
          ]),
        )
    })()
    const read = db.prepare('select * from ident_handles where tenant_id = ? and handle = ?')
    let found = 0
    for (let i = 0; i < rows; i++) if (read.get(tenant, `88.118.8/P${i}`) !== undefined) found++
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < reads; i++) if (read.get(tenant, `88.118.8/P${i % rows}`) !== undefined) found++
    const wall = performance.now() - t0
    const cpu = process.cpuUsage(c0)
    db.close()
    if (found !== rows + reads) throw new Error(`read ${found} rows of ${rows + reads}`)
    return {
      cpuUs: Math.round(((cpu.user + cpu.system) / reads) * 100) / 100,
      wallUs: Math.round(((wall * 1000) / reads) * 100) / 100,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const normal = measure(false)
const exclusive = measure(true)
console.log(JSON.stringify({ bench: 'sqlite-locking', rows, reads, normal, exclusive }))
