import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { systemClock } from '../core/index.ts'
import { createSqliteMetaStore } from '../store/meta/sqlite-meta-store.ts'
import { digestToken, generatePassword, hashPassword, passwordProblem, verifyPassword } from './passwords.ts'
import { can, mayGrant } from './rbac.ts'
import { createSecurityService } from './security-service.ts'

describe('passwords', () => {
  it('hashes with scrypt and verifies only the right password', async () => {
    const h = await hashPassword('Correct-Horse-9')
    assert.match(h, /^scrypt\$32768\$8\$1\$/)
    assert.equal(await verifyPassword('Correct-Horse-9', h), true)
    assert.equal(await verifyPassword('correct-horse-9', h), false)
    assert.equal(await verifyPassword('x', 'not-a-hash'), false)
  })
  it('generates passwords the policy accepts and rejects weak ones', () => {
    const pw = generatePassword()
    assert.match(pw, /^[\w]{4}-[\w]{4}-[\w]{4}-[\w]{4}$/)
    assert.equal(passwordProblem('short'), 'a password needs at least 10 characters')
    assert.match(passwordProblem('aaaaaaaaaaaa') ?? '', /at least two/)
    assert.equal(passwordProblem('abcdefgh12'), null)
    assert.equal(digestToken('x').length, 64)
  })
})

describe('roles', () => {
  it('denies by default and grants cumulatively', () => {
    assert.equal(can('viewer', 'series:read'), true)
    assert.equal(can('viewer', 'device:write'), false)
    assert.equal(can('operator', 'asset:write'), false)
    assert.equal(can('engineer', 'device:write'), true)
    assert.equal(can('engineer', 'user:write'), false)
    assert.equal(can('enterprise_admin', 'audit:read'), true)
    assert.equal(can('enterprise_admin', 'tenant:create'), false)
    assert.equal(can('platform_admin', 'tenant:create'), true)
  })
  it('lets nobody grant above their own role', () => {
    assert.equal(mayGrant('enterprise_admin', 'engineer'), true)
    assert.equal(mayGrant('engineer', 'enterprise_admin'), false)
    assert.equal(mayGrant('enterprise_admin', 'platform_admin'), false)
  })
})

describe('the first platform admin', () => {
  it('is created once when two nodes on one database start together, and neither fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ronghe-admin-race-'))
    const meta = await createSqliteMetaStore({ path: join(dir, 'meta.db') })
    try {
      const node = () => createSecurityService({ meta, clock: systemClock, sessionTtlMinutes: 60 })
      // both look before either inserts (the look is async, the hash takes tens of ms)
      const [a, b] = await Promise.all([
        node().ensurePlatformAdmin('Admin-Passw0rd-1'),
        node().ensurePlatformAdmin('Admin-Passw0rd-1'),
      ])
      assert.deepEqual([a.created, b.created].sort(), [false, true])
      const users = await meta.listUsers(null, { limit: 10 })
      assert.equal(users.total, 1)
    } finally {
      await meta.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
