import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react'

export interface AsyncState<T> {
  data: T | undefined
  error: Error | undefined
  loading: boolean
  reload(): void
}

/** Runs `load` when `deps` change; a newer run wins over an older one that answers late. */
export function useAsync<T>(load: () => Promise<T>, deps: DependencyList): AsyncState<T> {
  const [data, setData] = useState<T>()
  const [error, setError] = useState<Error>()
  const [loading, setLoading] = useState(true)
  const [tick, setTick] = useState(0)
  const run = useRef(0)
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to reload
  useEffect(() => {
    const mine = ++run.current
    setLoading(true)
    setError(undefined)
    load().then(
      (d) => {
        if (mine !== run.current) return
        setData(d)
        setLoading(false)
      },
      (e: Error) => {
        if (mine !== run.current) return
        setError(e)
        setLoading(false)
      },
    )
  }, [...deps, tick])
  const reload = useCallback(() => setTick((t) => t + 1), [])
  return { data, error, loading, reload }
}

/** The current time, refreshed every `everyMs` (for "3 分钟前"). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs)
    return () => clearInterval(t)
  }, [everyMs])
  return now
}
