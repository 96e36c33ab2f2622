import type { Bus, BusHandler, BusMessage, SubscribeOptions } from './bus.ts'

interface Sub {
  readonly subject: string
  readonly prefix: string | null
  readonly handler: BusHandler
  readonly queue: string | undefined
}

/**
 * In-process bus. Delivery is asynchronous (a microtask later) so a slow or failing handler never
 * runs inside the publisher's stack; a handler's error is reported, not thrown at the publisher.
 */
export function createMemoryBus(options: { onError?: (err: unknown, subject: string) => void } = {}): Bus {
  let subs: Sub[] = []
  const rr = new Map<string, number>()
  let closed = false
  const onError =
    options.onError ?? ((err, subject) => console.error(`bus handler for ${subject} failed:`, err))

  function matches(s: Sub, subject: string): boolean {
    return s.prefix === null ? s.subject === subject : subject.startsWith(s.prefix)
  }

  return {
    capabilities: { engine: 'memory', durable: false },
    async publish<T>(subject: string, data: T): Promise<void> {
      if (closed) return
      const msg: BusMessage<T> = { subject, data }
      const groups = new Map<string, Sub[]>()
      const targets: Sub[] = []
      for (const s of subs) {
        if (!matches(s, subject)) continue
        if (s.queue === undefined) targets.push(s)
        else {
          const g = groups.get(s.queue) ?? []
          g.push(s)
          groups.set(s.queue, g)
        }
      }
      for (const [q, members] of groups) {
        const i = rr.get(q) ?? 0
        rr.set(q, i + 1)
        const m = members[i % members.length]
        if (m) targets.push(m)
      }
      for (const s of targets) {
        queueMicrotask(() => {
          try {
            const r = s.handler(msg as BusMessage)
            if (r && typeof (r as Promise<void>).then === 'function')
              (r as Promise<void>).catch((e) => onError(e, subject))
          } catch (e) {
            onError(e, subject)
          }
        })
      }
    },
    subscribe<T>(subject: string, handler: BusHandler<T>, opts?: SubscribeOptions): () => void {
      const sub: Sub = {
        subject,
        prefix: subject.endsWith('.>') ? subject.slice(0, -1) : null,
        handler: handler as BusHandler,
        queue: opts?.queue,
      }
      subs = [...subs, sub]
      return () => {
        subs = subs.filter((s) => s !== sub)
      }
    },
    async close(): Promise<void> {
      closed = true
      subs = []
    },
  }
}
