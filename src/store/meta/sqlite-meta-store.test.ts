import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { it } from 'node:test'
import Database from 'better-sqlite3'
import { metaStoreContract } from '../../../test/contracts/meta-store.contract.ts'
import { createSqliteMetaStore } from './sqlite-meta-store.ts'

metaStoreContract('sqlite', () =>
  createSqliteMetaStore({ path: join(mkdtempSync(join(tmpdir(), 'ronghe-meta-')), 'meta.db') }),
)

it('detects an edited audit entry', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ronghe-meta-')), 'meta.db')
  const store = await createSqliteMetaStore({ path })
  for (let i = 0; i < 3; i++)
    await store.appendAudit({ tenantId: null, actor: 'a', action: 'x', outcome: 'ok' }, i)
  const raw = new Database(path)
  raw.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run()
  raw.close()
  assert.equal(await store.verifyAuditChainForPlatform(), 2)
  await store.close()
})
