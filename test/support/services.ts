import { connect } from 'node:net'
import { spawnSync } from 'node:child_process'

/**
 * Tests that need an outside server or program call these. When it is missing the test is skipped
 * with a message that says what is missing — unless RONGHE_TEST_SERVICES=required (set by .ci/run),
 * in which case the missing service fails the run.
 */
export const servicesRequired = process.env.RONGHE_TEST_SERVICES === 'required'

export function tcpReachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port })
    const done = (ok: boolean): void => {
      s.destroy()
      resolve(ok)
    }
    s.setTimeout(timeoutMs, () => done(false))
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
  })
}

export function commandExists(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

/**
 * Returns undefined when the service is there; otherwise a skip reason (or throws when required).
 * Use: `const skip = await needService(...); it('…', { skip }, …)` or `if (skip) return t.skip(skip)`.
 */
export async function needService(
  name: string,
  available: boolean | Promise<boolean>,
): Promise<string | undefined> {
  if (await available) return undefined
  const reason = `${name} is not available on this machine; this test needs it (set up as in .ci/run)`
  if (servicesRequired) throw new Error(`RONGHE_TEST_SERVICES=required: ${reason}`)
  console.warn(`# SKIP: ${reason}`)
  return reason
}
