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

  it('read the homed prefix and the handle in one step as the two reads do', async () => {
    const { kyselyOnly, prepared } = await open()
    const beta = 'ten_beta' as TenantId
    await prepared.homePrefix(acme, '88.118.8', now)
    await prepared.homePrefix(beta, '88.118.8.2', now + 1)
    await prepared.putHandle(acme, record('88.118.8/P1', 'https://acme.cn/p/1'), { overwrite: false })
    await prepared.putHandle(
      acme,
      { ...record('88.118.8/T1', 'https://acme.cn/t/1'), template: { id: 'product', version: 2 } },
      { overwrite: false },
    )
    // beta's handle under acme's prefix is not acme's: it must not answer for 88.118.8
    await prepared.putHandle(beta, record('88.118.8/P2', 'https://beta.cn/p/2'), { overwrite: false })
    await prepared.putHandle(beta, record('88.118.8.2/Q', 'https://beta.cn/q'), { overwrite: false })
    const cases = [
      ['88.118.8', '88.118.8/P1'],
      ['88.118.8', '88.118.8/T1'],
      ['88.118.8', '88.118.8/P2'],
      ['88.118.8', '88.118.8/absent'],
      ['88.118.8.2', '88.118.8.2/Q'],
      ['88.118.8.2.7', '88.118.8.2.7/x'],
      ['86', '86/x'],
    ] as const
    for (const [prefix, handle] of cases) {
      const homed = await kyselyOnly.findHomedPrefixForPlatform(prefix)
      const expected = {
        homed,
        record: homed === null ? null : await kyselyOnly.getHandle(homed.tenant, handle),
      }
      assert.deepEqual(await prepared.findHandleForPlatform(prefix, handle), expected, handle)
      assert.deepEqual(await kyselyOnly.findHandleForPlatform(prefix, handle), expected, handle)
    }
    const t1 = await prepared.findHandleForPlatform('88.118.8', '88.118.8/T1')
    assert.deepEqual(t1.record?.template, { id: 'product', version: 2 })
    assert.equal((await prepared.findHandleForPlatform('88.118.8', '88.118.8/P2')).record, null)
    assert.equal((await prepared.findHandleForPlatform('88.118.8.2', '88.118.8.2/Q')).homed?.tenant, beta)
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

  it('read a resolution through Kysely while a transaction is open, after it commits', async () => {
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
          handle: '88.118.8/P8',
          prefix: '88.118.8',
          tenant_id: acme,
          values_json: JSON.stringify(record('88.118.8/P8', 'https://acme.cn/p/8').values),
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
    const read = prepared.findHandleForPlatform('88.118.8', '88.118.8/P8')
    const first = await Promise.race([read, new Promise((r) => setTimeout(() => r('waiting'), 50))])
    assert.equal(first, 'waiting')
    release()
    await tx
    assert.equal((await read).record?.values[0]?.data.value, 'https://acme.cn/p/8')
  })
})
