import { App as AntApp, ConfigProvider } from 'antd'
import enUS from 'antd/locale/en_US'
import zhCN from 'antd/locale/zh_CN'
import dayjs from 'dayjs'
import 'dayjs/locale/zh-cn'
import { lazy, type ReactNode, Suspense, useEffect } from 'react'
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router'
import { Loading } from './components/PageState.tsx'
import { LoginPage } from './features/login/LoginPage.tsx'
import { I18nProvider, useI18n } from './i18n.tsx'
import { SessionProvider, useSession } from './session.tsx'

// everything behind the login is loaded after sign-in, so the login page's JavaScript stays small
const AppLayout = lazy(() => import('./layout/AppLayout.tsx'))

function Themed({ children }: { children: ReactNode }): ReactNode {
  const { lang } = useI18n()
  useEffect(() => {
    dayjs.locale(lang === 'en' ? 'en' : 'zh-cn')
    document.documentElement.lang = lang
  }, [lang])
  return (
    <ConfigProvider
      locale={lang === 'en' ? enUS : zhCN}
      theme={{ token: { colorPrimary: '#1668dc', borderRadius: 4 } }}
    >
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  )
}

function RequireSession({ children }: { children: ReactNode }): ReactNode {
  const { token } = useSession()
  const location = useLocation()
  if (!token) return <Navigate to="/login" replace state={{ from: location.pathname }} />
  return children
}

export function App(): ReactNode {
  return (
    <I18nProvider>
      <Themed>
        <BrowserRouter>
          <SessionProvider>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route
                path="/*"
                element={
                  <RequireSession>
                    <Suspense fallback={<Loading />}>
                      <AppLayout />
                    </Suspense>
                  </RequireSession>
                }
              />
            </Routes>
          </SessionProvider>
        </BrowserRouter>
      </Themed>
    </I18nProvider>
  )
}
