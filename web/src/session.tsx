import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react'
import { type ApiClient, createApiClient, type Session } from './api/client.ts'
import type { Principal, Tenant } from './api/types.ts'

const TOKEN_KEY = 'ronghe.token'
const TENANT_KEY = 'ronghe.tenant'

interface SessionState {
  api: ApiClient
  token: string | null
  tenant: string | null
  principal: Principal | null
  tenantInfo: Tenant | null
  isPlatformAdmin: boolean
  signIn(username: string, password: string): Promise<void>
  signOut(): Promise<void>
  setTenant(id: string | null): void
  /** loads the principal for a token kept from an earlier visit */
  restore(): Promise<void>
}

const SessionContext = createContext<SessionState | null>(null)

function stored(key: string): string | null {
  try {
    return localStorage.getItem(key)
  } catch {
    return null
  }
}
function store(key: string, v: string | null): void {
  try {
    if (v === null) localStorage.removeItem(key)
    else localStorage.setItem(key, v)
  } catch {
    // private mode
  }
}

export function SessionProvider({ children }: { children: ReactNode }): ReactNode {
  // the client reads this object on every call, so a tenant switch applies to the next request
  const session = useRef<Session>({ token: stored(TOKEN_KEY), tenant: stored(TENANT_KEY) }).current
  const [token, setToken] = useState(session.token)
  const [tenant, setTenantState] = useState(session.tenant)
  const [principal, setPrincipal] = useState<Principal | null>(null)
  const [tenantInfo, setTenantInfo] = useState<Tenant | null>(null)

  const clear = useCallback(() => {
    session.token = null
    session.tenant = null
    store(TOKEN_KEY, null)
    store(TENANT_KEY, null)
    setToken(null)
    setTenantState(null)
    setPrincipal(null)
  }, [session])

  const api = useMemo(() => createApiClient(session, clear), [session, clear])

  const restore = useCallback(async () => {
    const me = await api.me()
    setPrincipal(me.principal)
    setTenantInfo(me.tenant)
    if (me.principal.role !== 'platform_admin') {
      session.tenant = null
      setTenantState(null)
    }
  }, [api, session])

  // a token kept from an earlier visit: ask who we are while the layout's code is still loading
  const restoring = useRef<Promise<void> | null>(null)
  const restoreOnce = useCallback(() => {
    restoring.current ??= restore().finally(() => {
      restoring.current = null
    })
    return restoring.current
  }, [restore])
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, at start
  useEffect(() => {
    if (session.token) restoreOnce().catch(() => undefined)
  }, [])

  const signIn = useCallback(
    async (username: string, password: string) => {
      const r = await api.login(username, password)
      session.token = r.token
      store(TOKEN_KEY, r.token)
      setToken(r.token)
      await restore()
    },
    [api, session, restore],
  )

  const signOut = useCallback(async () => {
    try {
      await api.logout()
    } finally {
      clear()
    }
  }, [api, clear])

  const setTenant = useCallback(
    (id: string | null) => {
      session.tenant = id
      store(TENANT_KEY, id)
      setTenantState(id)
    },
    [session],
  )

  const value = useMemo<SessionState>(
    () => ({
      api,
      token,
      tenant,
      principal,
      tenantInfo,
      isPlatformAdmin: principal?.role === 'platform_admin',
      signIn,
      signOut,
      setTenant,
      restore: restoreOnce,
    }),
    [api, token, tenant, principal, tenantInfo, signIn, signOut, setTenant, restoreOnce],
  )
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>
}

export function useSession(): SessionState {
  const c = useContext(SessionContext)
  if (!c) throw new Error('useSession outside SessionProvider')
  return c
}

/** The enterprise requests act on: the user's own, or the one a platform admin chose. */
export function useActiveTenant(): string | null {
  const s = useSession()
  return s.isPlatformAdmin ? s.tenant : (s.principal?.tenant ?? null)
}
