import { LogoutOutlined, UserOutlined } from '@ant-design/icons'
import { Button, Layout, Menu, type MenuProps, Select, Space, Tag, Typography } from 'antd'
import { lazy, type ReactNode, Suspense, useEffect, useMemo, useState } from 'react'
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router'
import { useAsync } from '../components/use-async.ts'
import { EmptyState, ErrorState, Loading } from '../components/PageState.tsx'
import { useI18n } from '../i18n.tsx'
import { MENU_GROUPS, type MenuGroup, PAGES, type PageEntry } from '../pages.ts'
import { useActiveTenant, useSession } from '../session.tsx'
import { LanguageSwitch } from './LanguageSwitch.tsx'

const LAZY = new Map(PAGES.map((p) => [p, lazy(p.load)]))

function TenantSwitcher(): ReactNode {
  const { api, tenant, setTenant } = useSession()
  const { t } = useI18n()
  const [q, setQ] = useState('')
  const list = useAsync(() => api.tenants({ limit: 50, q, sort: 'name' }), [q])
  return (
    <Select
      data-testid="tenant-switcher"
      showSearch
      allowClear
      style={{ width: 240 }}
      placeholder={t('header.tenant')}
      value={tenant ?? undefined}
      loading={list.loading}
      filterOption={false}
      onSearch={setQ}
      onChange={(v: string | undefined) => setTenant(v ?? null)}
      options={(list.data?.items ?? []).map((x) => ({ value: x.id, label: x.name }))}
      notFoundContent={list.error ? list.error.message : undefined}
    />
  )
}

function PageHost({ entry }: { entry: PageEntry }): ReactNode {
  const { t } = useI18n()
  const tenant = useActiveTenant()
  const Page = LAZY.get(entry)
  if (!Page) return null
  if (entry.needsTenant && !tenant) return <EmptyState text={t('tenant.needed')} />
  return (
    <Suspense fallback={<Loading />}>
      {/* a new enterprise is a new page: nothing of the previous one may linger */}
      <Page key={tenant ?? ''} />
    </Suspense>
  )
}

export default function AppLayout(): ReactNode {
  const { t, lang } = useI18n()
  const session = useSession()
  const { principal, restore, signOut, isPlatformAdmin, tenantInfo } = session
  const navigate = useNavigate()
  const location = useLocation()
  const [restoreError, setRestoreError] = useState<Error>()

  useEffect(() => {
    if (!principal) restore().catch(setRestoreError)
  }, [principal, restore])

  const links = useMemo(
    () =>
      PAGES.filter(
        // a page with roles is for those roles only; an authority user sees only the pages made for it
        (p) =>
          p.label &&
          (p.roles
            ? principal !== null && p.roles.includes(principal.role)
            : principal?.role !== 'regional_authority'),
      ).map((p) => {
        const Icon = p.icon
        const label = typeof p.label === 'string' ? t(p.label) : p.label?.[lang]
        return { key: `/${p.path}`, icon: Icon ? <Icon /> : undefined, label, group: p.group }
      }),
    [t, lang, principal],
  )
  // sections in the order of their first page; a page without a section stands on its own
  const items = useMemo(() => {
    const out: NonNullable<MenuProps['items']> = []
    const sections = new Map<MenuGroup, NonNullable<MenuProps['items']>>()
    for (const { group, ...link } of links) {
      if (group === undefined) {
        out.push(link)
        continue
      }
      let children = sections.get(group)
      if (children === undefined) {
        children = []
        sections.set(group, children)
        out.push({ type: 'group', key: `group:${group}`, label: MENU_GROUPS[group][lang], children })
      }
      children.push(link)
    }
    return out
  }, [links, lang])
  const selected = links.find((i) => location.pathname.startsWith(i.key))?.key ?? ''

  if (restoreError) return <ErrorState error={restoreError} retry={() => setRestoreError(undefined)} />
  if (!principal) return <Loading />

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="lg" collapsedWidth={56} width={224}>
        <div
          style={{
            height: 56,
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'center',
            color: '#fff',
            fontWeight: 600,
            fontSize: 18,
            letterSpacing: 2,
          }}
        >
          {t('app.short')}
        </div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[selected]}
          items={items}
          onClick={(e) => void navigate(e.key)}
          data-testid="main-menu"
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: '#fff',
            padding: '0 24px',
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'space-between',
            borderBottom: '1px solid #f0f0f0',
          }}
        >
          <Typography.Text strong>{t('app.name')}</Typography.Text>
          <Space>
            {isPlatformAdmin ? <TenantSwitcher /> : <Tag color="blue">{tenantInfo?.name}</Tag>}
            <LanguageSwitch />
            <Space size={4}>
              <UserOutlined />
              <span data-testid="whoami">{principal.username ?? ''}</span>
              <Tag>{t(`role.${principal.role}`)}</Tag>
            </Space>
            <Button
              type="text"
              icon={<LogoutOutlined />}
              onClick={() => void signOut().then(() => navigate('/login'))}
            >
              {t('header.logout')}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ margin: 16 }}>
          <Routes>
            <Route index element={<Navigate to="/overview" replace />} />
            {PAGES.map((p) => (
              <Route key={p.path} path={p.path} element={<PageHost entry={p} />} />
            ))}
            <Route path="*" element={<EmptyState />} />
          </Routes>
        </Layout.Content>
      </Layout>
    </Layout>
  )
}
