import { RongheError } from '../core/index.ts'

export const SecurityErrors = {
  badLogin: (): RongheError =>
    new RongheError('AUTH_BAD_CREDENTIALS', 'wrong username or password', { status: 401 }),
  disabled: (): RongheError =>
    new RongheError('AUTH_USER_DISABLED', 'this account is disabled; ask your administrator', {
      status: 403,
    }),
  invalidToken: (): RongheError =>
    new RongheError(
      'AUTH_INVALID_TOKEN',
      'the session or API key is missing, expired or revoked; log in again',
      { status: 401 },
    ),
  tenantRequired: (): RongheError =>
    new RongheError(
      'TENANT_REQUIRED',
      'choose an enterprise first (header X-Ronghe-Tenant) — platform admins act on one enterprise at a time',
      {
        status: 400,
      },
    ),
  weakPassword: (why: string): RongheError => new RongheError('AUTH_WEAK_PASSWORD', why, { status: 400 }),
  roleNotGrantable: (role: string): RongheError =>
    new RongheError('AUTH_ROLE_NOT_GRANTABLE', `you may not grant the ${role} role`, { status: 403 }),
} as const
