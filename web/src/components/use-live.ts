import { useEffect, useRef, useState } from 'react'
import type { Sample } from '../api/types.ts'
import { useSession } from '../session.tsx'

/**
 * Live values of `points` over the live WebSocket: the latest sample of each point, kept
 * current without reload; reconnects after a drop. `onSamples` sees every batch (for charts).
 */
export function useLive(
  points: readonly string[],
  onSamples?: (samples: readonly Sample[], initial: boolean) => void,
): { latest: ReadonlyMap<string, Sample>; connected: boolean } {
  const { api, token, tenant } = useSession()
  const [latest, setLatest] = useState<ReadonlyMap<string, Sample>>(new Map())
  const [connected, setConnected] = useState(false)
  const cb = useRef(onSamples)
  cb.current = onSamples
  const key = points.join(',')

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `points`
  useEffect(() => {
    if (points.length === 0 || !token) return
    let stopped = false
    let ws: WebSocket | null = null
    let retry: ReturnType<typeof setTimeout> | undefined
    let attempt = 0
    const ids = [...points]

    const open = (): void => {
      const s = new WebSocket(api.liveUrl())
      ws = s
      s.onmessage = (ev) => {
        const msg = JSON.parse(String(ev.data)) as {
          type: string
          initial?: boolean
          samples?: Sample[]
        }
        if (msg.type === 'ready') {
          attempt = 0
          setConnected(true)
          s.send(JSON.stringify({ subscribe: ids }))
        } else if (msg.type === 'samples' && msg.samples) {
          const batch = msg.samples
          setLatest((old) => {
            const next = new Map(old)
            for (const x of batch) {
              const prev = next.get(x.point)
              if (!prev || prev.ts <= x.ts) next.set(x.point, x)
            }
            return next
          })
          cb.current?.(batch, msg.initial === true)
        }
      }
      s.onopen = () => {
        // the component went away while the socket was still connecting
        if (stopped) s.close()
      }
      s.onclose = () => {
        setConnected(false)
        if (stopped) return
        retry = setTimeout(open, Math.min(10_000, 500 * 2 ** attempt++))
      }
    }
    open()
    return () => {
      stopped = true
      clearTimeout(retry)
      if (ws && ws.readyState === WebSocket.OPEN) ws.close()
    }
  }, [key, token, tenant, api])

  return { latest, connected }
}
