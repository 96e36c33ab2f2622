import { createEdgeGateway } from './edge-gateway.ts'
import { loadEdgeConfig } from './edge-config.ts'

/**
 * `ronghe edge --config edge.yaml`: runs the gateway until SIGINT / SIGTERM and prints its status as one
 * JSON line every `--status-every` seconds (default 10) on stdout.
 */
export async function runEdgeFromArgs(argv: readonly string[]): Promise<void> {
  const arg = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? (argv[i + 1] ?? fallback) : fallback
  }
  const config = loadEdgeConfig(arg('config', 'edge.yaml'))
  const gw = createEdgeGateway(config)
  await gw.start()
  const every = Number(arg('status-every', '10')) * 1000
  const report = setInterval(() => console.log(JSON.stringify(gw.status())), every)
  const stop = (): void => {
    clearInterval(report)
    gw.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runEdgeFromArgs(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  })
}
