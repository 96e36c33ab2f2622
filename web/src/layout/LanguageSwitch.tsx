import { GlobalOutlined } from '@ant-design/icons'
import { Button } from 'antd'
import type { ReactNode } from 'react'
import { useI18n } from '../i18n.tsx'

/** Switches zh-CN ⇄ English; the choice is remembered in localStorage. */
export function LanguageSwitch({ dark }: { dark?: boolean }): ReactNode {
  const { lang, setLang, t } = useI18n()
  return (
    <Button
      type="text"
      icon={<GlobalOutlined />}
      data-testid="lang-switch"
      style={dark ? { color: '#fff' } : undefined}
      onClick={() => setLang(lang === 'en' ? 'zh-CN' : 'en')}
    >
      {t('lang.switch')}
    </Button>
  )
}
