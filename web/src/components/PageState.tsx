import { Button, Empty, Result, Spin } from 'antd'
import type { ReactNode } from 'react'
import { useI18n } from '../i18n.tsx'
import type { AsyncState } from './use-async.ts'

export function Loading(): ReactNode {
  const { t } = useI18n()
  return (
    <div style={{ padding: 48, textAlign: 'center' }} data-state="loading">
      <Spin description={t('state.loading')}>
        <div style={{ height: 48 }} />
      </Spin>
    </div>
  )
}

export function ErrorState({ error, retry }: { error: Error; retry?: () => void }): ReactNode {
  const { t } = useI18n()
  return (
    <Result
      status="error"
      title={t('state.error')}
      subTitle={error.message}
      data-state="error"
      extra={retry ? <Button onClick={retry}>{t('state.retry')}</Button> : undefined}
    />
  )
}

export function EmptyState({ text }: { text?: string }): ReactNode {
  const { t } = useI18n()
  return <Empty data-state="empty" description={text ?? t('state.empty')} />
}

/**
 * Renders loading, error and empty states of an async load, and the content once it has data.
 * `isEmpty` decides what counts as empty for this page.
 */
export function AsyncView<T>({
  state,
  isEmpty,
  empty,
  children,
}: {
  state: AsyncState<T>
  isEmpty?: (d: T) => boolean
  empty?: string
  children: (d: T) => ReactNode
}): ReactNode {
  if (state.error) return <ErrorState error={state.error} retry={state.reload} />
  if (state.data === undefined) return <Loading />
  if (isEmpty?.(state.data)) return <EmptyState text={empty} />
  return children(state.data)
}
