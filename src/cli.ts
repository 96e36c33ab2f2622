#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { startRonghe } from './app.ts'
import { ConfigError, loadConfig, redactedConfig } from './config.ts'
import { createLogger } from './core/index.ts'

const HELP = `ronghe — the Ronghe (融合) industrial internet platform

usage:
  ronghe start [--data <dir>] [--port <http>] [--mqtt-port <mqtt>] [--demo | --no-demo]
  ronghe sim [--url mqtt://host:1883] [--seed 1] [--speed 1] [--prefix ""]
                    run the virtual factory's Sparkplug B edge nodes against any broker
  ronghe edge --config edge.yaml [--status-every 10]
                    run OPC UA / Modbus adapters at the site, forwarding as a Sparkplug B edge node
  ronghe config     print the effective configuration (secrets masked)
  ronghe help

Settings come from defaults, then ronghe.yaml, then RONGHE_* variables (see docs/operator-guide.md).`

async function main(argv: string[]): Promise<number> {
  const [command = 'start', ...rest] = argv
  if (command === 'sim') {
    const { runSparkplugFromArgs } = await import('./sim/run-sparkplug.ts')
    await runSparkplugFromArgs(rest)
    return -1
  }
  if (command === 'edge') {
    const { runEdgeFromArgs } = await import('./ingest/edge/index.ts')
    await runEdgeFromArgs(rest)
    return -1
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      data: { type: 'string' },
      port: { type: 'string' },
      'mqtt-port': { type: 'string' },
      demo: { type: 'boolean' },
      'no-demo': { type: 'boolean' },
      config: { type: 'string' },
    },
    strict: true,
  })
  const env = { ...process.env }
  if (values.data) env.RONGHE_DATA_DIR = values.data
  if (values.port) env.RONGHE_HTTP_PORT = values.port
  if (values['mqtt-port']) env.RONGHE_MQTT_PORT = values['mqtt-port']
  if (values.demo) env.RONGHE_DEMO = 'true'
  if (values['no-demo']) env.RONGHE_DEMO = 'false'
  const config = loadConfig({ env, file: values.config })

  if (command === 'help' || command === '--help') {
    console.log(HELP)
    return 0
  }
  if (command === 'config') {
    console.log(JSON.stringify(redactedConfig(config), null, 2))
    return 0
  }
  if (command !== 'start') {
    console.error(`unknown command "${command}"\n\n${HELP}`)
    return 2
  }

  const log = createLogger(config.log.level)
  process.on('unhandledRejection', (err) =>
    log.error('unhandled promise rejection (kept running)', { error: String(err) }),
  )
  const app = await startRonghe(config, { log, forceDemo: values.demo === true })
  const host = config.http.host === '0.0.0.0' ? 'localhost' : config.http.host
  log.info(`Ronghe is running — data in ${config.dataDir}`)
  log.info(`console:  http://${host}:${app.httpPort}/`)
  log.info(`API:      http://${host}:${app.httpPort}/api  (OpenAPI at http://${host}:${app.httpPort}/docs)`)
  if (app.mqttPort !== null)
    log.info(`MQTT:     mqtt://${host}:${app.mqttPort}  (MQTT 3.1.1 and 5, Sparkplug B)`)
  if (app.firstRun) {
    if (app.firstRun.adminPassword) {
      // printed once, on stdout, never logged: this is the only time anyone sees it
      process.stdout.write(
        `\n  First run: platform admin created.\n  username: admin\n  password: ${app.firstRun.adminPassword}\n  (shown once; change it after logging in, or set RONGHE_ADMIN_PASSWORD before the first start)\n\n`,
      )
    } else {
      log.info('first run: platform admin "admin" created with the password from RONGHE_ADMIN_PASSWORD')
    }
    if (app.firstRun.demoTenant) log.info(`first run: demo enterprise created (${app.firstRun.demoTenant})`)
  }
  const shutdown = (signal: string): void => {
    log.info(`${signal}: stopping`)
    app.stop().then(
      () => process.exit(0),
      (err) => {
        log.error('stop failed', { error: String(err) })
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', () => shutdown('SIGINT'))
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  return -1
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code)
  },
  (err) => {
    if (err instanceof ConfigError) console.error(err.message)
    else console.error(`Ronghe could not start: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  },
)
