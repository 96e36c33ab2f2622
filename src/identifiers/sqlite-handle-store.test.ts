import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import type { TenantId } from '../core/index.ts'
import type { HandleRecord } from './handle-store.ts'
import { normalizeValues, urlValue } from './handle-values.ts'
import { type IdentifiersTables, migrateIdentifiers } from './identifiers-migrations.ts'
import { createSqliteHandleStore } from './sqlite-handle-store.ts'

const acme = 'ten_acme' as TenantId
const now = Date.UTC(2026, 2, 1)

function record(handle: string, url: string): HandleRecord {
  return {
    handle,
    prefix: handle.split('/')[0]!,
    values: normalizeValues([urlValue(1, url)], now),
    createdAt: now,
    updatedAt: now,
  }
}

async function open() {
  const sqlite = new Database(':memory:')
  const db = new Kysely<IdentifiersTables>({ dialect: new SqliteDialect({ database: sqlite }) })
  await migrateIdentifiers(db)
  return { db, kyselyOnly: createSqliteHandleStore(db), prepared: createSqliteHandleStore(db, sqlite) }
}

describe('sqlite handle store: prepared resolution reads', () => {
  it('answer as the Kysely queries do', async () => {
    const { kyselyOnly, prepared } = await open()
    await prepared.homePrefix(acme, '88.118.8', now)
    await prepared.putHandle(acme, record('88.118.8/P1', 'https://acme.cn/p/1'), { overwrite: false })
    for (const p of ['88.118.8', '88.118.8.1', '88.118', '86'])
      assert.deepEqual(
        await prepared.findHomedPrefixForPlatform(p),
        await kyselyOnly.findHomedPrefixForPlatform(p),
        p,
      )
    assert.equal((await prepared.findHomedPrefixForPlatform('88.118.8.1'))?.prefix, '88.118.8')
    assert.equal(await prepared.findHomedPrefixForPlatform('88.118'), null)
    for (const [t, h] of [
      [acme, '88.118.8/P1'],
      [acme, '88.118.8/P2'],
      ['ten_other' as TenantId, '88.118.8/P1'],
    ] as const)
      assert.deepEqual(await prepared.getHandle(t, h), await kyselyOnly.getHandle(t, h), `${t} ${h}`)
    assert.equal(
      (await prepared.getHandle(acme, '88.118.8/P1'))?.values[0]?.data.value,
      'https://acme.cn/p/1',
    )
  })

  it('do not see a write of a transaction still open, and see it once committed', async () => {
    const { db, prepared } = await open()
    await prepared.homePrefix(acme, '88.118.8', now)
    let release: () => void = () => undefined
    const held = new Promise<void>((r) => {
      release = r
    })
    let inserted: () => void = () => undefined
    const didInsert = new Promise<void>((r) => {
      inserted = r
    })
    const tx = db.transaction().execute(async (trx) => {
      await trx
        .insertInto('ident_handles')
        .values({
          handle: '88.118.8/P9',
          prefix: '88.118.8',
          tenant_id: acme,
          values_json: JSON.stringify(record('88.118.8/P9', 'https://acme.cn/p/9').values),
          template_id: null,
          template_version: null,
          created_at: now,
          updated_at: now,
        })
        .execute()
      inserted()
      await held
    })
    await didInsert
    // the read waits for the transaction (through Kysely) instead of reading its uncommitted row
    const read = prepared.getHandle(acme, '88.118.8/P9')
    const first = await Promise.race([read, new Promise((r) => setTimeout(() => r('waiting'), 50))])
    assert.equal(first, 'waiting')
    release()
    await tx
    assert.equal((await read)?.handle, '88.118.8/P9')
  })
})
