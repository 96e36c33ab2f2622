import { Tag } from 'antd'
import type { ReactNode } from 'react'
import type { Quality } from '../../api/types.ts'
import { useI18n } from '../../i18n.tsx'

const COLOR: Record<Quality, string> = { good: 'green', uncertain: 'orange', bad: 'red' }

export function QualityTag({ quality }: { quality: Quality | undefined }): ReactNode {
  const { t } = useI18n()
  if (!quality) return <Tag>{t('quality.none')}</Tag>
  return (
    <Tag color={COLOR[quality]} data-quality={quality}>
      {t(`quality.${quality}`)}
    </Tag>
  )
}
