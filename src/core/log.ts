/** A small structured logger: one JSON line per event on stderr, or readable lines on a terminal. */
export interface Logger {
  debug(msg: string, extra?: unknown): void
  info(msg: string, extra?: unknown): void
  warn(msg: string, extra?: unknown): void
  error(msg: string, extra?: unknown): void
  child(component: string): Logger
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const
export type LogLevel = keyof typeof LEVELS

/** Keys whose values never reach a log, whatever component logs them. */
const SECRET_KEYS = /pass(word)?|secret|token|authorization|cookie|key$/i

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 5 || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? '***' : redact(v, depth + 1)
  return out
}

export function createLogger(
  level: LogLevel = 'info',
  component = 'ronghe',
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Logger {
  const min = LEVELS[level]
  const pretty = process.stderr.isTTY === true
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, extra?: unknown): void => {
    if (LEVELS[lvl] < min) return
    const safe = extra === undefined ? undefined : redact(extra)
    if (pretty) {
      const t = new Date().toISOString().slice(11, 23)
      write(
        `${t} ${lvl.toUpperCase().padEnd(5)} [${component}] ${msg}${safe === undefined ? '' : ` ${JSON.stringify(safe)}`}`,
      )
    } else {
      write(
        JSON.stringify({
          t: Date.now(),
          level: lvl,
          component,
          msg,
          ...(safe && typeof safe === 'object'
            ? (safe as object)
            : safe === undefined
              ? {}
              : { extra: safe }),
        }),
      )
    }
  }
  return {
    debug: (m, e) => emit('debug', m, e),
    info: (m, e) => emit('info', m, e),
    warn: (m, e) => emit('warn', m, e),
    error: (m, e) => emit('error', m, e),
    child: (c) => createLogger(level, `${component}/${c}`, write),
  }
}
