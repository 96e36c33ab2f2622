import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createApiServer } from './api/server.ts'
import { Subjects } from './bus/index.ts'
import { createLocalJobClaims } from './bus/job-claims.ts'
import { createNatsJobClaims } from './bus/nats-job-claims.ts'
import { createNatsPartitionLeases } from './bus/nats-partition-leases.ts'
import { createPeriodicJobs, type PeriodicJobs } from './bus/periodic-jobs.ts'
import { createMemoryBus } from './bus/memory-bus.ts'
import { createNatsBus } from './bus/nats-bus.ts'
import type { RongheConfig } from './config.ts'
import {
  type Clock,
  createLogger,
  type DeviceId,
  type Logger,
  systemClock,
  type TenantId,
} from './core/index.ts'
import { type DemoRunner, provisionDemo, runDemo } from './demo.ts'
import {
  type IdentifierService,
  openIdentifierService,
  openPostgresIdentifierService,
  parseDelegationList,
} from './identifiers/index.ts'
import { openPostgresAdapterConfigStore } from './ingest/adapter-config-store.ts'
import { createPostgresAdapterLeases } from './ingest/adapter-leases.ts'
import { type AdapterManager, createAdapterManager } from './ingest/adapter-manager.ts'
import { createDeviceGateway } from './ingest/device-gateway.ts'
import { createIngestPipeline, type IngestPipeline } from './ingest/ingest-pipeline.ts'
import { createMqttBroker, type MqttBroker } from './ingest/mqtt/index.ts'
import { createMqttUpstreamIngest, type MqttUpstreamIngest } from './ingest/mqtt-upstream-ingest.ts'
import { createNatsMqttIngest, type NatsMqttIngest } from './ingest/nats-mqtt-ingest.ts'
import { createSparkplugHost } from './ingest/sparkplug/sparkplug-host.ts'
import { openWriteAheadLog } from './ingest/wal/write-ahead-log.ts'
import {
  createRulesService,
  openPostgresAlarmStore,
  openSqliteAlarmStore,
  type RulesService,
} from './rules/index.ts'
import { type BreakdownWatcher, createBreakdownWatcher } from './scheduling/breakdown-watcher.ts'
import { openPlanningService, openPostgresPlanningService } from './scheduling/planning-service.ts'
import {
  createEnergyReports,
  openDowntimeReasonStore,
  openPostgresDowntimeReasonStore,
  referenceRollups,
} from './analytics/index.ts'
import { createReportSubscriptions } from './reports/index.ts'
import { createSecurityService, type SecurityService } from './security/security-service.ts'
import type { MetaStore } from './store/meta/index.ts'
import { createPostgresMetaStore } from './store/meta/postgres-meta-store.ts'
import { createSqliteMetaStore } from './store/meta/sqlite-meta-store.ts'
import { createDuckdbSeriesStore } from './store/series/duckdb-series-store.ts'
import { createPostgresSeriesStore } from './store/series/postgres-series-store.ts'
import type { SeriesStore } from './store/series/series-store.ts'
import { createLiveValues } from './twin/index.ts'
import { createRegistryService, type RegistryService } from './twin/registry-service.ts'

export interface RongheApp {
  readonly config: RongheConfig
  readonly meta: MetaStore
  readonly series: SeriesStore
  readonly pipeline: IngestPipeline
  readonly security: SecurityService
  readonly registry: RegistryService
  readonly identifiers: IdentifierService
  readonly rules: RulesService
  /** OPC UA / Modbus adapters: configurations and which of them run on this node */
  readonly adapters: AdapterManager
  /** proposes repaired schedules when a machine's state goes down */
  readonly breakdowns: BreakdownWatcher
  readonly api: FastifyInstance
  readonly broker: MqttBroker | null
  /** work done once per period in the installation (retention); claimed through NATS in a cluster */
  readonly periodic: PeriodicJobs
  /** the front door on an external MQTT broker, when RONGHE_MQTT_UPSTREAM_URL is set */
  readonly mqttUpstream: MqttUpstreamIngest | null
  /** bound ports (differ from the configuration when it asked for 0) */
  readonly httpPort: number
  readonly mqttPort: number | null
  /** set on the first start of a data directory */
  readonly firstRun: { readonly adminPassword: string | null; readonly demoTenant: TenantId | null } | null
  stop(): Promise<void>
}

export interface StartOptions {
  readonly clock?: Clock
  readonly log?: Logger
  /** where the built console lives; default web/dist beside the sources */
  readonly webRoot?: string
  /** provision the virtual factory even though the data directory is not new (`ronghe start --demo`) */
  readonly forceDemo?: boolean
  /** how often periodic jobs look for a new period, ms (default 30 s; 0 = only app.periodic.tick()) */
  readonly periodicTickMs?: number
}

/**
 * The composition root: the only place that picks adapters and wires modules together.
 * Embedded shape: SQLite metadata, DuckDB series, in-process bus and MQTT broker.
 */
export async function startRonghe(config: RongheConfig, options: StartOptions = {}): Promise<RongheApp> {
  const clock = options.clock ?? systemClock
  const log = options.log ?? createLogger(config.log.level)
  mkdirSync(config.dataDir, { recursive: true })
  // with PostgreSQL the store decides: a new installation is one whose platform admin is created now
  const isNew = config.databaseUrl !== undefined || !existsSync(join(config.dataDir, 'meta.db'))

  // Scale-out shape: metadata and series on PostgreSQL when RONGHE_DATABASE_URL is set.
  const meta = config.databaseUrl
    ? await createPostgresMetaStore({ url: config.databaseUrl, clock })
    : await createSqliteMetaStore({ path: join(config.dataDir, 'meta.db'), clock })
  const series = config.databaseUrl
    ? await createPostgresSeriesStore({ url: config.databaseUrl })
    : await createDuckdbSeriesStore({
        path: join(config.dataDir, 'series.duckdb'),
        onError: (err) => log.child('series').error('background series work failed', { error: err.message }),
      })
  const wal = openWriteAheadLog({
    dir: join(config.dataDir, 'wal'),
    minSyncIntervalMs: config.ingest.groupCommitMs,
  })
  const onBusError = (err: unknown, subject: string): void =>
    log.child('bus').error(`handler for ${subject} failed`, { error: String(err) })
  // Scale-out shape: NATS JetStream when RONGHE_NATS_URL is set.
  const bus = config.natsUrl
    ? await createNatsBus({
        url: config.natsUrl,
        onError: onBusError,
        ackWaitMs: config.bus.ackWaitMs,
        replicas: config.bus.replicas,
      })
    : createMemoryBus({ onError: onBusError })
  const pipeline = createIngestPipeline({
    meta,
    series,
    wal,
    bus,
    clock,
    config: config.ingest,
    log: log.child('ingest'),
    rulePartitions: config.rules.partitions,
  })
  await pipeline.start()
  // Scale-out device front door: devices publish to the NATS cluster's MQTT listener; every node
  // shares one JetStream consumer on NATS's MQTT stream and acknowledges after the samples are stored.
  let natsMqtt: NatsMqttIngest | null = null
  if (config.natsUrl && config.natsMqtt.enabled) {
    natsMqtt = createNatsMqttIngest({
      url: config.natsUrl,
      meta,
      pipeline,
      ackWaitMs: config.natsMqtt.ackWaitMs,
      log: log.child('nats-mqtt'),
    })
    await natsMqtt.start()
  }
  // Scale-out device front door on an external MQTT broker (Mosquitto, EMQX): every node joins one
  // shared subscription with a persistent session and acknowledges after the samples are stored.
  let mqttUpstream: MqttUpstreamIngest | null = null
  const up = config.mqttUpstream
  if (up.url !== undefined) {
    mqttUpstream = createMqttUpstreamIngest({
      url: up.url,
      group: up.group,
      filters: up.filters.split(',').map((f) => f.trim()),
      clientId: up.clientId ?? `ronghe-${hostname()}`,
      username: up.username,
      password: up.password,
      connections: up.connections,
      protocolVersion: up.protocolVersion === 4 ? 4 : 5,
      sessionExpiryS: up.sessionExpiryS,
      meta,
      pipeline,
      clock,
      log: log.child('mqtt-upstream'),
    })
    await mqttUpstream.start()
  }
  // OPC UA / Modbus adapters configured through the API, feeding the pipeline (adapters.db). In the
  // scale-out shape their configurations are in PostgreSQL and each runs on the one node holding its
  // advisory lock; the manager closes the store and the lock session when it stops.
  const adapters = createAdapterManager({
    dataDir: config.dataDir,
    sink: pipeline,
    clock,
    bus,
    log: log.child('adapters'),
    ...(config.databaseUrl
      ? {
          store: await openPostgresAdapterConfigStore(config.databaseUrl),
          leases: createPostgresAdapterLeases({ url: config.databaseUrl, log: log.child('adapters') }),
          claimIntervalMs: config.adapters.claimIntervalMs,
        }
      : {}),
  })
  await adapters.start()
  const live = createLiveValues(bus)
  const security = createSecurityService({
    meta,
    clock,
    sessionTtlMinutes: config.security.sessionTtlMinutes,
  })
  const registry = createRegistryService({ meta, series, bus, clock })
  const ic = config.identifiers
  // identifiers keep their own SQLite file; in the scale-out shape their tables are in PostgreSQL and
  // a handle changed through one node is dropped from every node's resolver cache over the bus
  const identifierDeps = {
    clock,
    node: {
      role: ic.role,
      recursive: ic.recursive,
      delegations: parseDelegationList(ic.delegations),
      cache: { maxTtlS: ic.cacheMaxTtlS, negTtlS: ic.negativeTtlS, staleMaxS: ic.staleMaxS },
      timeoutMs: ic.timeoutMs,
      ...(ic.prefix === undefined ? {} : { prefix: ic.prefix }),
      ...(ic.upstreamUrl === undefined ? {} : { upstreamUrl: ic.upstreamUrl }),
      ...(ic.publicBaseUrl === undefined ? {} : { publicBaseUrl: ic.publicBaseUrl }),
    },
  }
  const identifiers = config.databaseUrl
    ? await openPostgresIdentifierService({ url: config.databaseUrl, bus, ...identifierDeps })
    : await openIdentifierService({ path: join(config.dataDir, 'identifiers.db'), ...identifierDeps })

  // rules and alarms keep their own SQLite file beside meta.db (as identifiers do); in the scale-out
  // shape their tables are in the shared PostgreSQL database, so every node sees every alarm
  const alarmDb = config.databaseUrl
    ? await openPostgresAlarmStore(config.databaseUrl)
    : await openSqliteAlarmStore(join(config.dataDir, 'rules.db'))
  // Scale-out: each rule partition is evaluated by one node at a time, the one holding its lease on
  // NATS JetStream; the embedded shape evaluates everything itself, as it always has
  const ruleLeases = config.natsUrl
    ? createNatsPartitionLeases({
        url: config.natsUrl,
        partitions: config.rules.partitions,
        node: `${hostname()
          .replace(/[^A-Za-z0-9_-]/g, '_')
          .slice(0, 60)}-${process.pid}-${randomBytes(3).toString('hex')}`,
        group: config.rules.leaseGroup,
        replicas: config.bus.replicas,
        renewMs: config.rules.leaseRenewMs,
        ...(config.rules.leaseTtlMs === undefined ? {} : { ttlMs: config.rules.leaseTtlMs }),
        log: log.child('partitions'),
      })
    : null
  const rules = createRulesService({
    store: alarmDb.store,
    meta,
    series,
    bus,
    clock,
    log: log.child('rules'),
    ...(ruleLeases === null ? {} : { partitions: ruleLeases }),
  })
  await rules.start()
  // planning (APS) keeps its own SQLite file too; in the scale-out shape its tables are in PostgreSQL
  const planning = config.databaseUrl
    ? await openPostgresPlanningService({ url: config.databaseUrl, meta, clock })
    : await openPlanningService({ path: join(config.dataDir, 'planning.db'), meta, clock })
  // a machine reporting `down` gets its schedules a repair proposal; the planner accepts one or not
  const breakdowns = createBreakdownWatcher({
    bus,
    meta,
    planning,
    log: log.child('planning'),
    audit: async (tenant, action, target, details) => {
      await meta.appendAudit(
        { tenantId: tenant, actor: 'system', action, target, outcome: 'ok', details },
        clock.now(),
      )
    },
    defaultRepairMs: config.planning.defaultRepairMinutes * 60_000,
    // MTTR from the equipment's closed corrective work orders of the past year
    expectedRepairMs: async (tenant, equipment, at) =>
      (await rules.reliability(tenant, equipment, at - 365 * 86_400_000, at)).mttrMs,
    // one proposal per breakdown in a cluster: the node evaluating the tenant's rules makes it
    ...(ruleLeases === null ? {} : { partitions: ruleLeases }),
  })
  breakdowns.start()
  // after both listen: what a node takes in its first round is followed at once
  await ruleLeases?.start()
  // operators' downtime reasons: the analytics module's own SQLite file, or PostgreSQL when scaled out
  const downtime = config.databaseUrl
    ? await openPostgresDowntimeReasonStore(config.databaseUrl)
    : await openDowntimeReasonStore(join(config.dataDir, 'analytics.db'))

  const invalidate = ({ data }: { data: { tenant: TenantId; device: DeviceId } }): void =>
    pipeline.invalidate(data.tenant, data.device)
  bus.subscribe('point.changed', invalidate)
  bus.subscribe('device.deleted', invalidate)

  let broker: MqttBroker | null = null
  let mqttPort: number | null = null
  let brokerRef: MqttBroker | null = null
  const publish = async (
    topic: string,
    payload: Uint8Array | string,
    opts: { qos: 0 | 1; retain: boolean } = { qos: 0, retain: false },
  ): Promise<void> => {
    await brokerRef?.publish(topic, Buffer.from(payload), opts)
  }
  const sparkplug = createSparkplugHost({
    pipeline,
    clock,
    publish,
    onNodeState: (tenant, device, online, at) => {
      meta.setDeviceOnline(tenant, device, online, at).catch(() => undefined)
      void bus.publish(online ? Subjects.deviceConnected : Subjects.deviceDisconnected, {
        tenant,
        device,
        at,
      })
    },
  })
  if (config.mqtt.enabled) {
    const gateway = createDeviceGateway({
      meta,
      pipeline,
      sparkplug,
      bus,
      clock,
      verifySecret: (s, h) => security.verifyDeviceSecret(s, h),
      publish: (topic, payload) => publish(topic, payload),
      log: log.child('mqtt'),
    })
    broker = createMqttBroker({ hooks: gateway, maxPacketBytes: config.mqtt.maxPacketBytes, clock })
    brokerRef = broker
    mqttPort = await broker.listen(config.mqtt.port, config.mqtt.host)
    await sparkplug.start()
  }

  // scheduled energy reports over the tenants' notification channels; their hourly job is added below
  const reportSubscriptions = createReportSubscriptions({
    meta,
    clock,
    reports: createEnergyReports({ meta, rollups: series.rollups ?? referenceRollups(series) }),
    channelsOf: (tenant) => rules.listChannels(tenant),
    log: log.child('reports'),
  })

  const webRoot = options.webRoot ?? new URL('../web/dist', import.meta.url).pathname
  let httpPort = config.http.port
  const api = await createApiServer({
    meta,
    series,
    bus,
    security,
    registry,
    pipeline,
    live,
    clock,
    identifiers,
    rules,
    adapters,
    planning,
    downtime,
    reportSubscriptions,
    ...(mqttUpstream === null
      ? {}
      : {
          // counters only: the last error may name hosts, and the health route is public
          mqttUpstream: () => {
            const { lastError: _, ...counters } = (mqttUpstream as MqttUpstreamIngest).stats()
            return counters
          },
        }),
    bodyLimit: config.http.bodyLimit,
    webRoot: existsSync(webRoot) ? webRoot : undefined,
    connectInfo: () => ({
      mqttHost: config.mqtt.host === '0.0.0.0' ? 'localhost' : config.mqtt.host,
      mqttPort: mqttPort ?? config.mqtt.port,
      httpUrl: `http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${httpPort}`,
    }),
  })
  await api.listen({ port: config.http.port, host: config.http.host })
  const addr = api.server.address()
  httpPort = typeof addr === 'object' && addr ? addr.port : config.http.port

  let firstRun: RongheApp['firstRun'] = null
  const admin = await security.ensurePlatformAdmin(config.security.adminPassword)
  let demo: DemoRunner | null = null
  const demoDeps = {
    meta,
    registry,
    security,
    pipeline,
    bus,
    log: log.child('demo'),
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    dataDir: config.dataDir,
  }
  if (admin.created) {
    let demoTenant: TenantId | null = null
    if (isNew && config.demo && mqttPort !== null) {
      // the virtual factory: three enterprises in two provinces, running in real time
      const provisioned = await provisionDemo(demoDeps)
      demoTenant = [...provisioned.tenants.values()][0] ?? null
      // the simulated devices' own credentials, so the factory resumes after a restart; owner-only
      writeFileSync(join(config.dataDir, 'demo.json'), JSON.stringify(serialise(provisioned)), {
        mode: 0o600,
      })
    } else if (isNew && config.demo) {
      demoTenant = await createDemoEnterprise(registry, security)
    }
    firstRun = { adminPassword: admin.password, demoTenant }
  } else if (options.forceDemo && mqttPort !== null && !existsSync(join(config.dataDir, 'demo.json'))) {
    try {
      const provisioned = await provisionDemo(demoDeps)
      writeFileSync(join(config.dataDir, 'demo.json'), JSON.stringify(serialise(provisioned)), {
        mode: 0o600,
      })
    } catch (err) {
      log.warn('--demo: could not add the virtual factory to this installation', { error: String(err) })
    }
  }
  if (config.demo && mqttPort !== null && existsSync(join(config.dataDir, 'demo.json'))) {
    const provisioned = deserialise(JSON.parse(readFileSync(join(config.dataDir, 'demo.json'), 'utf8')))
    demo = await runDemo(demoDeps, provisioned)
  }

  // Work that must happen once per period in the whole installation: on one node it just runs; in
  // the scale-out shape each period is claimed through NATS JetStream and only the claimant runs it.
  const claims = config.natsUrl
    ? await createNatsJobClaims({ url: config.natsUrl, replicas: config.bus.replicas })
    : createLocalJobClaims()
  const periodic = createPeriodicJobs({
    claims,
    clock,
    holder: `${hostname()}:${process.pid}`,
    log: log.child('periodic'),
    ...(options.periodicTickMs === undefined ? {} : { tickMs: options.periodicTickMs }),
  })
  // Retention: once an hour, drop each enterprise's samples older than its retention.
  periodic.add({
    name: 'series-retention',
    periodMs: 3_600_000,
    run: async () => {
      // every enterprise, a page at a time (it was the first 1000 only)
      for (let offset = 0; ; offset += 500) {
        const page = await meta.listTenantsForPlatform({ limit: 500, offset, sort: 'created_at' })
        for (const t of page.items) {
          const days = t.retentionDays ?? config.series.retentionDays
          await series.deleteBefore(t.id, clock.now() - days * 86_400_000)
        }
        if (page.items.length < 500) break
      }
    },
  })
  // Scheduled reports: each hour, every report due and not yet sent (each attempt claimed once more)
  periodic.add({
    name: 'report-subscriptions',
    periodMs: 3_600_000,
    run: async () => {
      await reportSubscriptions.runDue({ claims, holder: `${hostname()}:${process.pid}` })
    },
  })
  periodic.start()

  let stopped = false
  return {
    config,
    meta,
    series,
    pipeline,
    security,
    registry,
    identifiers,
    rules,
    adapters,
    breakdowns,
    api,
    broker,
    periodic,
    mqttUpstream,
    httpPort,
    mqttPort,
    firstRun,
    async stop(): Promise<void> {
      if (stopped) return
      stopped = true
      // hand the rule partitions over first, so that the other nodes take them at once
      await ruleLeases?.close()
      await periodic.stop()
      await claims.close()
      await demo?.stop()
      await sparkplug.stop()
      await broker?.close()
      await api.close()
      await adapters.stop()
      await natsMqtt?.stop()
      await mqttUpstream?.stop()
      await pipeline.stop()
      live.stop()
      await breakdowns.stop()
      await rules.stop()
      await alarmDb.close()
      await planning.close()
      await downtime.close()
      await wal.close()
      await bus.close()
      await series.close()
      await identifiers.close()
      await meta.close()
    },
  }
}

/** The demo enterprise a new data directory starts with, so the console is not empty. */
async function createDemoEnterprise(registry: RegistryService, security: SecurityService): Promise<TenantId> {
  const audit = (
    tenant: TenantId | null,
    action: string,
    target: string | null,
    outcome: 'ok' | 'denied' | 'failed',
    details?: unknown,
  ) => security.audit({ principal: null, ip: null }, tenant, action, target, outcome, details)
  const t = await registry.createTenant(audit, {
    name: '佛山市融合示范压铸有限公司',
    uscc: '91440606MA4W00001U',
    industryCode: 'C3391',
    regionCode: '440600',
  })
  const site = await registry.createAsset(audit, t.id, { level: 'site', name: '顺德工厂', code: 'SD' })
  const line = await registry.createAsset(audit, t.id, {
    level: 'line',
    name: '压铸一线',
    code: 'L1',
    parentId: site.id,
  })
  await registry.createAsset(audit, t.id, {
    level: 'equipment',
    name: '压铸机 DC-01',
    code: 'DC-01',
    parentId: line.id,
    attributes: { kind: 'die_casting', numericallyControlled: true, keyProcess: true, networked: true },
  })
  return t.id
}

/** True if the data directory already holds a Ronghe installation. */
export function hasData(dataDir: string): boolean {
  return existsSync(dataDir) && readdirSync(dataDir).includes('meta.db')
}

type Provisioned = Awaited<ReturnType<typeof provisionDemo>>

/** The demo's devices and credentials, kept in the data directory so the factory resumes after a restart. */
function serialise(p: Provisioned): Record<string, unknown> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, [...(v as Map<string, unknown>)]]))
}

function deserialise(o: Record<string, [string, unknown][]>): Provisioned {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, new Map(v)])) as unknown as Provisioned
}
