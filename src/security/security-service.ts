import {
  type Clock,
  CoreErrors,
  type DeviceId,
  isRongheError,
  newId,
  type Role,
  type TenantId,
  type User,
  type UserId,
} from '../core/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import {
  digestToken,
  generatePassword,
  hashPassword,
  passwordProblem,
  randomToken,
  safeEqualHex,
  verifyPassword,
} from './passwords.ts'
import { assertCan, mayGrant } from './rbac.ts'
import { SecurityErrors } from './security-errors.ts'

/** Who is calling. A platform admin has no home tenant and picks one per request. */
export interface Principal {
  readonly kind: 'user' | 'apikey'
  readonly userId: UserId
  readonly username: string
  readonly role: Role
  readonly tenant: TenantId | null
}

/** What an audited action records about its caller. */
export interface Actor {
  readonly principal: Principal | null
  readonly ip: string | null
}

export interface SecurityServiceDeps {
  readonly meta: MetaStore
  readonly clock: Clock
  readonly sessionTtlMinutes: number
}

const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

export type SecurityService = ReturnType<typeof createSecurityService>

/**
 * Users, sessions, API keys and device credentials, with an audit entry for every change and every
 * login attempt. Secrets are returned once, when made, and stored only as digests.
 */
export function createSecurityService(deps: SecurityServiceDeps) {
  const { meta, clock } = deps

  async function audit(
    actor: Actor,
    tenant: TenantId | null,
    action: string,
    target: string | null,
    outcome: 'ok' | 'denied' | 'failed',
    details?: unknown,
  ): Promise<void> {
    await meta.appendAudit(
      {
        tenantId: tenant,
        actor: actor.principal?.username ?? 'anonymous',
        action,
        target,
        ip: actor.ip,
        outcome,
        details,
      },
      clock.now(),
    )
  }

  return {
    audit,

    async login(
      username: string,
      password: string,
      ip: string | null,
    ): Promise<{ token: string; user: User; expiresAt: number }> {
      const found = await meta.findUserForLoginForPlatform(username)
      // verify against a dummy hash when the user does not exist, so timing does not reveal usernames
      const ok = await verifyPassword(password, found?.passwordHash ?? DUMMY_HASH)
      if (!found || !ok) {
        await meta.appendAudit(
          {
            tenantId: found?.user.tenantId ?? null,
            actor: username,
            action: 'auth.login',
            ip,
            outcome: 'denied',
            details: { reason: 'bad credentials' },
          },
          clock.now(),
        )
        throw SecurityErrors.badLogin()
      }
      if (found.user.disabled) {
        await meta.appendAudit(
          {
            tenantId: found.user.tenantId,
            actor: username,
            action: 'auth.login',
            ip,
            outcome: 'denied',
            details: { reason: 'disabled' },
          },
          clock.now(),
        )
        throw SecurityErrors.disabled()
      }
      const token = randomToken('ses', 32)
      const now = clock.now()
      const expiresAt = now + deps.sessionTtlMinutes * 60_000
      await meta.createSession({
        tokenHash: digestToken(token),
        userId: found.user.id,
        tenantId: found.user.tenantId,
        createdAt: now,
        expiresAt,
      })
      const user = await meta.updateUser(found.user.tenantId, found.user.id, { lastLoginAt: now })
      await meta.appendAudit(
        { tenantId: user.tenantId, actor: username, action: 'auth.login', ip, outcome: 'ok' },
        now,
      )
      return { token, user, expiresAt }
    },

    async logout(token: string, actor: Actor): Promise<void> {
      await meta.deleteSessionForPlatform(digestToken(token))
      await audit(actor, actor.principal?.tenant ?? null, 'auth.logout', null, 'ok')
    },

    /** A bearer token is a session (`ses_…`) or an API key (`rk_<id>.<secret>`). */
    async authenticate(token: string): Promise<Principal> {
      const now = clock.now()
      if (token.startsWith('ses_')) {
        const s = await meta.findSessionForPlatform(digestToken(token))
        if (!s || s.expiresAt <= now) throw SecurityErrors.invalidToken()
        const u = await meta.getUser(s.tenantId, s.userId).catch(() => null)
        if (!u || u.disabled) throw SecurityErrors.invalidToken()
        return { kind: 'user', userId: u.id, username: u.username, role: u.role, tenant: u.tenantId }
      }
      if (token.startsWith('rk_')) {
        const k = await meta.findApiKeyForPlatform(digestToken(token))
        if (!k || k.revokedAt !== null) throw SecurityErrors.invalidToken()
        return {
          kind: 'apikey',
          userId: k.createdBy,
          username: `apikey:${k.name}`,
          role: k.role,
          tenant: k.tenantId,
        }
      }
      throw SecurityErrors.invalidToken()
    },

    async ensurePlatformAdmin(
      password: string | undefined,
    ): Promise<{ created: boolean; password: string | null }> {
      const admins = await meta.listUsers(null, { limit: 1 })
      if (admins.total > 0) return { created: false, password: null }
      const pw = password ?? generatePassword()
      const problem = passwordProblem(pw)
      if (problem) throw SecurityErrors.weakPassword(`RONGHE_ADMIN_PASSWORD: ${problem}`)
      let u: { id: string }
      try {
        u = await meta.createUser(null, {
          username: 'admin',
          displayName: '平台管理员',
          role: 'platform_admin',
          passwordHash: await hashPassword(pw),
        })
      } catch (err) {
        // nodes of a cluster starting together on one database: another node created the admin
        // between our look and our insert — it is there, which is all this asks
        if (isRongheError(err) && err.code === 'STORE_CONFLICT') {
          const now = await meta.listUsers(null, { limit: 1 })
          if (now.total > 0) return { created: false, password: null }
        }
        throw err
      }
      await meta.appendAudit(
        {
          tenantId: null,
          actor: 'system',
          action: 'user.create',
          target: u.id,
          outcome: 'ok',
          details: { username: 'admin', role: 'platform_admin' },
        },
        clock.now(),
      )
      return { created: true, password: password ? null : pw }
    },

    async createUser(
      actor: Actor & { principal: Principal },
      tenant: TenantId | null,
      input: { username: string; displayName?: string; role: Role; password: string },
    ): Promise<User> {
      assertCan(actor.principal.role, 'user:write')
      if (!mayGrant(actor.principal.role, input.role)) throw SecurityErrors.roleNotGrantable(input.role)
      if ((input.role === 'platform_admin') !== (tenant === null)) {
        throw CoreErrors.validation(
          'platform admins belong to no enterprise; every other role belongs to one',
        )
      }
      const problem = passwordProblem(input.password)
      if (problem) throw SecurityErrors.weakPassword(problem)
      const u = await meta.createUser(tenant, {
        username: input.username,
        displayName: input.displayName,
        role: input.role,
        passwordHash: await hashPassword(input.password),
      })
      await audit(actor, tenant, 'user.create', u.id, 'ok', { username: u.username, role: u.role })
      return u
    },

    async updateUser(
      actor: Actor & { principal: Principal },
      tenant: TenantId | null,
      id: UserId,
      patch: { displayName?: string; role?: Role; disabled?: boolean; password?: string },
    ): Promise<User> {
      assertCan(actor.principal.role, 'user:write')
      if (patch.role && !mayGrant(actor.principal.role, patch.role))
        throw SecurityErrors.roleNotGrantable(patch.role)
      if (patch.password !== undefined) {
        const problem = passwordProblem(patch.password)
        if (problem) throw SecurityErrors.weakPassword(problem)
      }
      const u = await meta.updateUser(tenant, id, {
        displayName: patch.displayName,
        role: patch.role,
        disabled: patch.disabled,
        passwordHash: patch.password === undefined ? undefined : await hashPassword(patch.password),
      })
      await audit(actor, tenant, 'user.update', id, 'ok', {
        ...patch,
        password: patch.password === undefined ? undefined : '***',
      })
      return u
    },

    async deleteUser(
      actor: Actor & { principal: Principal },
      tenant: TenantId | null,
      id: UserId,
    ): Promise<void> {
      assertCan(actor.principal.role, 'user:write')
      if (id === actor.principal.userId) throw CoreErrors.validation('you cannot delete your own account')
      await meta.deleteUser(tenant, id)
      await audit(actor, tenant, 'user.delete', id, 'ok')
    },

    async createApiKey(
      actor: Actor & { principal: Principal },
      tenant: TenantId | null,
      input: { name: string; role: Role },
    ): Promise<{ id: string; key: string; prefix: string }> {
      assertCan(actor.principal.role, 'apikey:write')
      if (!mayGrant(actor.principal.role, input.role)) throw SecurityErrors.roleNotGrantable(input.role)
      const id = newId('key')
      const key = `rk_${randomToken('', 24).slice(1)}`
      await meta.createApiKey(
        tenant,
        {
          id,
          name: input.name,
          prefix: key.slice(0, 8),
          role: input.role,
          createdBy: actor.principal.userId,
          createdAt: clock.now(),
        },
        digestToken(key),
      )
      await audit(actor, tenant, 'apikey.create', id, 'ok', { name: input.name, role: input.role })
      return { id, key, prefix: key.slice(0, 8) }
    },

    async revokeApiKey(
      actor: Actor & { principal: Principal },
      tenant: TenantId | null,
      id: string,
    ): Promise<void> {
      assertCan(actor.principal.role, 'apikey:write')
      await meta.revokeApiKey(tenant, id, clock.now())
      await audit(actor, tenant, 'apikey.revoke', id, 'ok')
    },

    /**
     * Issues a device credential. `password`: a generated MQTT username + password. `token`: one
     * string `tok_<id>.<secret>` given as the MQTT password (any username) or as an HTTP bearer token.
     */
    async issueCredential(
      actor: Actor & { principal: Principal },
      tenant: TenantId,
      device: DeviceId,
      kind: 'password' | 'token',
    ): Promise<{
      id: string
      kind: 'password' | 'token'
      username: string
      password?: string
      token?: string
    }> {
      assertCan(actor.principal.role, 'credential:write')
      const secret = randomToken('', 24).slice(1)
      const username = kind === 'token' ? newId('tok') : `d_${randomToken('', 9).slice(1)}`
      const c = await meta.createCredential(tenant, {
        deviceId: device,
        kind,
        username,
        secretHash: digestToken(secret),
      })
      await audit(actor, tenant, 'credential.issue', c.id, 'ok', { device, kind })
      return kind === 'token'
        ? { id: c.id, kind, username, token: `${username}.${secret}` }
        : { id: c.id, kind, username, password: secret }
    },

    async revokeCredential(
      actor: Actor & { principal: Principal },
      tenant: TenantId,
      id: string,
    ): Promise<void> {
      assertCan(actor.principal.role, 'credential:write')
      await meta.revokeCredential(tenant, id, clock.now())
      await audit(actor, tenant, 'credential.revoke', id, 'ok')
    },

    /** Checks a device secret against its stored digest (constant time). */
    verifyDeviceSecret(secret: string, storedHash: string): boolean {
      return safeEqualHex(digestToken(secret), storedHash)
    },

    /** An HTTP ingest token: the same `tok_<id>.<secret>` a device uses over MQTT. */
    async authenticateDeviceToken(token: string): Promise<{ tenant: TenantId; device: DeviceId } | null> {
      const dot = token.indexOf('.')
      if (!token.startsWith('tok_') || dot < 0) return null
      const m = await meta.findCredentialForPlatform(token.slice(0, dot))
      if (!m || m.credential.revokedAt !== null) return null
      if (!safeEqualHex(digestToken(token.slice(dot + 1)), m.secretHash)) return null
      return { tenant: m.device.tenantId, device: m.device.id }
    },
  }
}
