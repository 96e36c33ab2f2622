import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { DEFAULT_RULE_PARTITIONS, MAX_RULE_PARTITIONS } from './bus/bus.ts'

/** The whole configuration. Modules receive their slice of it, frozen. */
export interface RongheConfig {
  /** where embedded engines keep their files (SQLite metadata, DuckDB series, ingest write-ahead log) */
  readonly dataDir: string
  readonly http: {
    readonly host: string
    /** API, console and WebSocket port; 0 picks a free one */
    readonly port: number
    /** largest accepted request body in bytes */
    readonly bodyLimit: number
  }
  readonly mqtt: {
    readonly enabled: boolean
    readonly host: string
    /** device front door (MQTT 3.1.1 and 5); 0 picks a free one */
    readonly port: number
    /** publishes larger than this are refused (MQTT 5 reason 0x95) */
    readonly maxPacketBytes: number
  }
  readonly ingest: {
    /** longest a sample waits for its group commit, in ms */
    readonly groupCommitMs: number
    /** samples written to the series store per batch */
    readonly maxBatch: number
    /** register unknown points on first sight from JSON/HTTP messages (Sparkplug always registers from BIRTH) */
    readonly autoRegisterPoints: boolean
  }
  readonly series: {
    /** default retention per tenant in days; a tenant may set its own */
    readonly retentionDays: number
  }
  readonly planning: {
    /**
     * expected repair time, in minutes, of a machine that reports `down` and has no MTTR from closed
     * work orders yet: the length of the outage in the repair proposal the platform makes on its own
     */
    readonly defaultRepairMinutes: number
  }
  readonly security: {
    /** the first platform admin's password; printed once and generated if absent */
    readonly adminPassword: string | undefined
    readonly sessionTtlMinutes: number
  }
  /** scale-out: PostgreSQL for metadata and series when set */
  readonly databaseUrl: string | undefined
  /** scale-out: NATS JetStream bus when set */
  readonly natsUrl: string | undefined
  /** scale-out device front door: the NATS cluster's MQTT listener, consumed from JetStream */
  readonly natsMqtt: {
    /** consume devices' QoS 1 messages from the `$MQTT_msgs` stream (only when natsUrl is set) */
    readonly enabled: boolean
    /** a message a node took but did not acknowledge is handed to another node after this, ms */
    readonly ackWaitMs: number
  }
  /** scale-out: the NATS JetStream bus */
  readonly bus: {
    /**
     * a stored message a node took from a queue group (a rule partition's samples) but did not
     * acknowledge goes to another node after this, ms; the same on every node (a node sets it on a
     * queue group's consumer when it subscribes: NATS updates the existing consumer)
     */
    readonly ackWaitMs: number
    /**
     * copies of each stream Ronghe creates on NATS (bus, claims, rule leases): 1 on a single server,
     * 3 on a three-node cluster so that losing a NATS node loses neither messages nor leases
     */
    readonly replicas: number
  }
  /** rule evaluation */
  readonly rules: {
    /**
     * P: tenants are spread over this many rule partitions, each evaluated by one node of a cluster.
     * Every node must use the same; change it only with every node stopped.
     */
    readonly partitions: number
    /** scale-out: how often a node renews its membership and its partition leases, ms */
    readonly leaseRenewMs: number
    /** scale-out: a dead node's partitions are taken over after this, ms (unset: 3 × leaseRenewMs) */
    readonly leaseTtlMs: number | undefined
    /**
     * scale-out: the name of the set of nodes that share the partitions (lease stream and queue
     * groups); installations that share one NATS account need different names
     */
    readonly leaseGroup: string
  }
  /** OPC UA / Modbus adapters configured through the API */
  readonly adapters: {
    /**
     * scale-out only: how often, in ms, a node re-reads the shared adapter configurations and tries to
     * take the leases of adapters no node runs (after a node died, the longest an adapter stays idle)
     */
    readonly claimIntervalMs: number
  }
  /**
   * scale-out device front door on an external MQTT broker (Mosquitto, EMQX, …): every node joins one
   * shared subscription (`$share/{group}/{filter}`) with a persistent session and acknowledges a
   * message only when its samples are stored
   */
  readonly mqttUpstream: {
    /** mqtt://host:1883 or mqtts://host:8883; unset = off */
    readonly url: string | undefined
    /** shared-subscription group every node joins */
    readonly group: string
    /** topic filters, separated by commas; a topic's last three levels are `{tenant}/{device}/data` */
    readonly filters: string
    /** this node's client id; must stay the same across restarts (default `ronghe-{hostname}`) */
    readonly clientId: string | undefined
    readonly username: string | undefined
    readonly password: string | undefined
    /** MQTT sessions this node holds in the group (`{clientId}-{n}` when more than one) */
    readonly connections: number
    /** 5 (session expiry interval) or 4 (MQTT 3.1.1, clean session false) */
    readonly protocolVersion: number
    /** how long the broker keeps a disconnected node's session and its queued messages, s */
    readonly sessionExpiryS: number
  }
  /** create the demo enterprise and virtual factory on a new data directory */
  readonly demo: boolean
  readonly log: { readonly level: 'debug' | 'info' | 'warn' | 'error' | 'silent' }
  /** identifier resolution node (Handle-style registry, EPCIS, Digital Link) */
  readonly identifiers: {
    /** place in the hierarchy: top-level, secondary (industry), enterprise node, or both secondary and enterprise */
    readonly role: 'secondary' | 'enterprise' | 'both' | 'top'
    /** the node's own prefix (`88.118`); enterprises get prefixes under it */
    readonly prefix: string | undefined
    /** higher node asked for prefixes nothing local covers (base URL, e.g. the top-level node) */
    readonly upstreamUrl: string | undefined
    /** fixed delegations `prefix=url` separated by commas (`88.118=http://sec:8080,86=http://gh`) */
    readonly delegations: string | undefined
    /** this node's public base URL for QR codes and trace links; default the request's origin */
    readonly publicBaseUrl: string | undefined
    /** follow delegations to other nodes */
    readonly recursive: boolean
    /** cap on caching a resolution, seconds */
    readonly cacheMaxTtlS: number
    /** caching "handle not found", seconds */
    readonly negativeTtlS: number
    /** how long past expiry an answer is served when the upstream fails, seconds */
    readonly staleMaxS: number
    /** per upstream request, ms */
    readonly timeoutMs: number
  }
}

export const DEFAULT_CONFIG: RongheConfig = {
  dataDir: './data',
  http: { host: '0.0.0.0', port: 8080, bodyLimit: 4 * 1024 * 1024 },
  mqtt: { enabled: true, host: '0.0.0.0', port: 1883, maxPacketBytes: 256 * 1024 },
  ingest: { groupCommitMs: 5, maxBatch: 20_000, autoRegisterPoints: true },
  series: { retentionDays: 365 * 2 },
  planning: { defaultRepairMinutes: 120 },
  security: { adminPassword: undefined, sessionTtlMinutes: 12 * 60 },
  databaseUrl: undefined,
  natsUrl: undefined,
  natsMqtt: { enabled: true, ackWaitMs: 10_000 },
  bus: { ackWaitMs: 30_000, replicas: 1 },
  rules: {
    partitions: DEFAULT_RULE_PARTITIONS,
    leaseRenewMs: 2000,
    leaseTtlMs: undefined,
    leaseGroup: 'ronghe',
  },
  adapters: { claimIntervalMs: 5000 },
  mqttUpstream: {
    url: undefined,
    group: 'ronghe',
    filters: 'ronghe/+/+/data',
    clientId: undefined,
    username: undefined,
    password: undefined,
    connections: 1,
    protocolVersion: 5,
    sessionExpiryS: 7 * 86_400,
  },
  demo: true,
  log: { level: 'info' },
  identifiers: {
    role: 'both',
    prefix: undefined,
    upstreamUrl: undefined,
    delegations: undefined,
    publicBaseUrl: undefined,
    recursive: true,
    cacheMaxTtlS: 86400,
    negativeTtlS: 60,
    staleMaxS: 300,
    timeoutMs: 5000,
  },
}

type Kind = 'string' | 'int' | 'bool' | 'level' | 'port'
interface Key {
  readonly path: readonly string[]
  readonly env: string
  readonly kind: Kind
  readonly min?: number
  readonly max?: number
  readonly secret?: boolean
}

/** Every settable key, its RONGHE_* variable and its type. The same table validates file and env. */
const KEYS: readonly Key[] = [
  { path: ['dataDir'], env: 'RONGHE_DATA_DIR', kind: 'string' },
  { path: ['http', 'host'], env: 'RONGHE_HTTP_HOST', kind: 'string' },
  { path: ['http', 'port'], env: 'RONGHE_HTTP_PORT', kind: 'port' },
  { path: ['http', 'bodyLimit'], env: 'RONGHE_HTTP_BODY_LIMIT', kind: 'int', min: 1024 },
  { path: ['mqtt', 'enabled'], env: 'RONGHE_MQTT_ENABLED', kind: 'bool' },
  { path: ['mqtt', 'host'], env: 'RONGHE_MQTT_HOST', kind: 'string' },
  { path: ['mqtt', 'port'], env: 'RONGHE_MQTT_PORT', kind: 'port' },
  { path: ['mqtt', 'maxPacketBytes'], env: 'RONGHE_MQTT_MAX_PACKET_BYTES', kind: 'int', min: 1024 },
  { path: ['ingest', 'groupCommitMs'], env: 'RONGHE_INGEST_GROUP_COMMIT_MS', kind: 'int', min: 0 },
  { path: ['ingest', 'maxBatch'], env: 'RONGHE_INGEST_MAX_BATCH', kind: 'int', min: 1 },
  { path: ['ingest', 'autoRegisterPoints'], env: 'RONGHE_INGEST_AUTO_REGISTER_POINTS', kind: 'bool' },
  { path: ['series', 'retentionDays'], env: 'RONGHE_SERIES_RETENTION_DAYS', kind: 'int', min: 1 },
  {
    path: ['planning', 'defaultRepairMinutes'],
    env: 'RONGHE_PLANNING_DEFAULT_REPAIR_MINUTES',
    kind: 'int',
    min: 1,
  },
  { path: ['security', 'adminPassword'], env: 'RONGHE_ADMIN_PASSWORD', kind: 'string', secret: true },
  { path: ['security', 'sessionTtlMinutes'], env: 'RONGHE_SESSION_TTL_MINUTES', kind: 'int', min: 1 },
  { path: ['databaseUrl'], env: 'RONGHE_DATABASE_URL', kind: 'string', secret: true },
  { path: ['natsUrl'], env: 'RONGHE_NATS_URL', kind: 'string' },
  { path: ['natsMqtt', 'enabled'], env: 'RONGHE_NATS_MQTT_ENABLED', kind: 'bool' },
  { path: ['natsMqtt', 'ackWaitMs'], env: 'RONGHE_NATS_MQTT_ACK_WAIT_MS', kind: 'int', min: 1000 },
  { path: ['bus', 'ackWaitMs'], env: 'RONGHE_BUS_ACK_WAIT_MS', kind: 'int', min: 100 },
  { path: ['bus', 'replicas'], env: 'RONGHE_NATS_REPLICAS', kind: 'int', min: 1, max: 5 },
  {
    path: ['rules', 'partitions'],
    env: 'RONGHE_RULE_PARTITIONS',
    kind: 'int',
    min: 1,
    max: MAX_RULE_PARTITIONS,
  },
  { path: ['rules', 'leaseRenewMs'], env: 'RONGHE_RULE_LEASE_RENEW_MS', kind: 'int', min: 50 },
  { path: ['rules', 'leaseTtlMs'], env: 'RONGHE_RULE_LEASE_TTL_MS', kind: 'int', min: 100 },
  { path: ['rules', 'leaseGroup'], env: 'RONGHE_RULE_LEASE_GROUP', kind: 'string' },
  {
    path: ['adapters', 'claimIntervalMs'],
    env: 'RONGHE_ADAPTERS_CLAIM_INTERVAL_MS',
    kind: 'int',
    min: 100,
  },
  // may carry user:password
  { path: ['mqttUpstream', 'url'], env: 'RONGHE_MQTT_UPSTREAM_URL', kind: 'string', secret: true },
  { path: ['mqttUpstream', 'group'], env: 'RONGHE_MQTT_UPSTREAM_GROUP', kind: 'string' },
  { path: ['mqttUpstream', 'filters'], env: 'RONGHE_MQTT_UPSTREAM_FILTERS', kind: 'string' },
  { path: ['mqttUpstream', 'clientId'], env: 'RONGHE_MQTT_UPSTREAM_CLIENT_ID', kind: 'string' },
  { path: ['mqttUpstream', 'username'], env: 'RONGHE_MQTT_UPSTREAM_USERNAME', kind: 'string' },
  {
    path: ['mqttUpstream', 'password'],
    env: 'RONGHE_MQTT_UPSTREAM_PASSWORD',
    kind: 'string',
    secret: true,
  },
  { path: ['mqttUpstream', 'connections'], env: 'RONGHE_MQTT_UPSTREAM_CONNECTIONS', kind: 'int', min: 1 },
  {
    path: ['mqttUpstream', 'protocolVersion'],
    env: 'RONGHE_MQTT_UPSTREAM_PROTOCOL_VERSION',
    kind: 'int',
    min: 4,
  },
  {
    path: ['mqttUpstream', 'sessionExpiryS'],
    env: 'RONGHE_MQTT_UPSTREAM_SESSION_EXPIRY_S',
    kind: 'int',
    min: 60,
  },
  { path: ['demo'], env: 'RONGHE_DEMO', kind: 'bool' },
  { path: ['log', 'level'], env: 'RONGHE_LOG_LEVEL', kind: 'level' },
  { path: ['identifiers', 'role'], env: 'RONGHE_IDENT_ROLE', kind: 'string' },
  { path: ['identifiers', 'prefix'], env: 'RONGHE_IDENT_PREFIX', kind: 'string' },
  { path: ['identifiers', 'upstreamUrl'], env: 'RONGHE_IDENT_UPSTREAM_URL', kind: 'string' },
  { path: ['identifiers', 'delegations'], env: 'RONGHE_IDENT_DELEGATIONS', kind: 'string' },
  { path: ['identifiers', 'publicBaseUrl'], env: 'RONGHE_IDENT_PUBLIC_BASE_URL', kind: 'string' },
  { path: ['identifiers', 'recursive'], env: 'RONGHE_IDENT_RECURSIVE', kind: 'bool' },
  { path: ['identifiers', 'cacheMaxTtlS'], env: 'RONGHE_IDENT_CACHE_MAX_TTL_S', kind: 'int', min: 0 },
  { path: ['identifiers', 'negativeTtlS'], env: 'RONGHE_IDENT_NEGATIVE_TTL_S', kind: 'int', min: 0 },
  { path: ['identifiers', 'staleMaxS'], env: 'RONGHE_IDENT_STALE_MAX_S', kind: 'int', min: 0 },
  { path: ['identifiers', 'timeoutMs'], env: 'RONGHE_IDENT_TIMEOUT_MS', kind: 'int', min: 1 },
]

export class ConfigError extends Error {
  /** stable, for scripts that start Ronghe */
  readonly code = 'CONFIG_INVALID'
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(
      `Ronghe cannot start: the configuration has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`,
    )
    this.name = 'ConfigError'
    this.problems = problems
  }
}

function coerce(key: Key, raw: unknown, where: string, problems: string[]): unknown {
  const name = `${where} (${key.path.join('.')})`
  const asText = typeof raw === 'string' ? raw.trim() : raw
  switch (key.kind) {
    case 'string':
      if (typeof asText === 'string' && asText.length > 0) return asText
      problems.push(`${name} must be a non-empty text`)
      return undefined
    case 'bool':
      if (typeof asText === 'boolean') return asText
      if (asText === 'true' || asText === '1' || asText === 'yes') return true
      if (asText === 'false' || asText === '0' || asText === 'no') return false
      problems.push(`${name} must be true or false, got ${JSON.stringify(raw)}`)
      return undefined
    case 'level':
      if (typeof asText === 'string' && ['debug', 'info', 'warn', 'error', 'silent'].includes(asText))
        return asText
      problems.push(`${name} must be one of debug, info, warn, error, silent; got ${JSON.stringify(raw)}`)
      return undefined
    case 'int':
    case 'port': {
      const n =
        typeof asText === 'number'
          ? asText
          : typeof asText === 'string' && /^-?\d+$/.test(asText)
            ? Number(asText)
            : Number.NaN
      const min = key.kind === 'port' ? 0 : (key.min ?? Number.MIN_SAFE_INTEGER)
      const max = key.kind === 'port' ? 65535 : (key.max ?? Number.MAX_SAFE_INTEGER)
      if (Number.isInteger(n) && n >= min && n <= max) return n
      problems.push(
        key.kind === 'port'
          ? `${name} must be a port number 0–65535 (0 = any free port), got ${JSON.stringify(raw)}`
          : key.max !== undefined
            ? `${name} must be an integer from ${min} to ${key.max}, got ${JSON.stringify(raw)}`
            : `${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`,
      )
      return undefined
    }
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target
  for (const part of path.slice(0, -1)) node = node[part] as Record<string, unknown>
  node[path[path.length - 1] as string] = value
}

function getPath(source: unknown, path: readonly string[]): unknown {
  let node = source
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[part]
  }
  return node
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v)
    Object.freeze(o)
  }
  return o
}

/** Paths present in a file that no key knows: most likely a typo, reported rather than ignored. */
function unknownPaths(node: unknown, prefix: string[] = []): string[] {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return []
  const out: string[] = []
  for (const [k, v] of Object.entries(node)) {
    const path = [...prefix, k]
    const isLeaf = KEYS.some((key) => key.path.join('.') === path.join('.'))
    const isBranch = KEYS.some((key) => key.path.join('.').startsWith(`${path.join('.')}.`))
    if (isLeaf) continue
    if (isBranch) out.push(...unknownPaths(v, path))
    else out.push(path.join('.'))
  }
  return out
}

export interface LoadConfigOptions {
  readonly env?: NodeJS.ProcessEnv
  /** path of the YAML file; default `ronghe.yaml` in the working directory, used only if present; null reads none */
  readonly file?: string | null
  /** programmatic overrides applied last (tests, CLI flags) */
  readonly overrides?: DeepPartial<RongheConfig>
}

export type DeepPartial<T> = { -readonly [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] }

/** defaults → ronghe.yaml (if present) → RONGHE_* environment → overrides; validated, then frozen. */
export function loadConfig(options: LoadConfigOptions = {}): RongheConfig {
  const env = options.env ?? process.env
  const problems: string[] = []
  const config = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>

  const file = options.file === null ? null : (options.file ?? 'ronghe.yaml')
  if (file !== null && existsSync(file)) {
    let doc: unknown
    try {
      doc = parseYaml(readFileSync(file, 'utf8'))
    } catch (err) {
      problems.push(`${file} is not valid YAML: ${(err as Error).message}`)
    }
    if (doc !== null && doc !== undefined && typeof doc !== 'object')
      problems.push(`${file} must hold a mapping of keys`)
    for (const path of unknownPaths(doc))
      problems.push(`${file}: unknown key "${path}" (known keys: see docs/operator-guide.md)`)
    for (const key of KEYS) {
      const raw = getPath(doc, key.path)
      if (raw === undefined || raw === null) continue
      const v = coerce(key, raw, `${file}: ${key.path.join('.')}`, problems)
      if (v !== undefined) setPath(config, key.path, v)
    }
  } else if (typeof options.file === 'string') {
    problems.push(`configuration file ${options.file} does not exist`)
  }

  for (const key of KEYS) {
    const raw = env[key.env]
    if (raw === undefined || raw === '') continue
    const v = coerce(key, raw, key.env, problems)
    if (v !== undefined) setPath(config, key.path, v)
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith('RONGHE_') && !KEYS.some((k) => k.env === name) && !IGNORED_ENV.has(name)) {
      problems.push(`${name} is not a Ronghe setting (did you mean one of ${nearest(name)}?)`)
    }
  }

  if (options.overrides) mergeInto(config, options.overrides as Record<string, unknown>)
  const url = getPath(config, ['databaseUrl'])
  if (typeof url === 'string' && !/^postgres(ql)?:\/\//.test(url)) {
    problems.push(
      'RONGHE_DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite store)',
    )
  }
  const ident = config.identifiers as Record<string, unknown>
  if (!['secondary', 'enterprise', 'both', 'top'].includes(String(ident['role'])))
    problems.push(
      `RONGHE_IDENT_ROLE must be secondary, enterprise, both or top; got ${JSON.stringify(ident['role'])}`,
    )
  for (const k of ['upstreamUrl', 'publicBaseUrl'] as const)
    if (ident[k] !== undefined && !/^https?:\/\/\S+$/.test(String(ident[k])))
      problems.push(`identifiers.${k} must be an http(s) URL`)
  problems.push(...mqttUpstreamProblems(config.mqttUpstream as RongheConfig['mqttUpstream']))
  problems.push(...ruleProblems(config.rules as RongheConfig['rules']))
  if (problems.length > 0) throw new ConfigError(problems)
  config.dataDir = resolve(config.dataDir as string)
  return deepFreeze(config as unknown as RongheConfig)
}

function ruleProblems(r: RongheConfig['rules']): string[] {
  const out: string[] = []
  // overrides and files are checked by the key table; these relate two keys, or name subjects
  if (!Number.isInteger(r.partitions) || r.partitions < 1 || r.partitions > MAX_RULE_PARTITIONS)
    out.push(
      `RONGHE_RULE_PARTITIONS must be an integer from 1 to ${MAX_RULE_PARTITIONS}, got ${r.partitions}`,
    )
  if (r.leaseTtlMs !== undefined && r.leaseTtlMs < 2 * r.leaseRenewMs)
    out.push(
      `RONGHE_RULE_LEASE_TTL_MS (${r.leaseTtlMs}) must be at least twice RONGHE_RULE_LEASE_RENEW_MS (${r.leaseRenewMs}), so that one late renewal does not lose a lease`,
    )
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(r.leaseGroup))
    out.push(
      `RONGHE_RULE_LEASE_GROUP must be 1–32 letters, digits, "_" or "-"; got ${JSON.stringify(r.leaseGroup)}`,
    )
  return out
}

function mqttUpstreamProblems(u: RongheConfig['mqttUpstream']): string[] {
  const out: string[] = []
  if (u.url !== undefined && !/^(mqtts?|tcp|ssl|wss?):\/\/[^\s/]+/.test(u.url))
    out.push('RONGHE_MQTT_UPSTREAM_URL must be an mqtt://, mqtts://, ws:// or wss:// URL')
  if (/[/+#\s]/.test(u.group))
    out.push(
      `RONGHE_MQTT_UPSTREAM_GROUP must not contain "/", "+", "#" or spaces; got ${JSON.stringify(u.group)}`,
    )
  for (const f of u.filters.split(',').map((x) => x.trim())) {
    const levels = f.split('/')
    const bad =
      f.length === 0 ||
      f.startsWith('$') ||
      levels.some(
        (l, i) =>
          (l.includes('#') && (l !== '#' || i !== levels.length - 1)) || (l.includes('+') && l !== '+'),
      )
    if (bad)
      out.push(
        `RONGHE_MQTT_UPSTREAM_FILTERS: ${JSON.stringify(f)} is not an MQTT topic filter (without $share/, which Ronghe adds)`,
      )
  }
  if (u.protocolVersion !== 4 && u.protocolVersion !== 5)
    out.push(`RONGHE_MQTT_UPSTREAM_PROTOCOL_VERSION must be 4 (MQTT 3.1.1) or 5, got ${u.protocolVersion}`)
  if (u.clientId !== undefined && /[/+#\s]/.test(u.clientId))
    out.push('RONGHE_MQTT_UPSTREAM_CLIENT_ID must not contain "/", "+", "#" or spaces')
  if (u.password !== undefined && u.username === undefined)
    out.push('RONGHE_MQTT_UPSTREAM_PASSWORD is set but RONGHE_MQTT_UPSTREAM_USERNAME is not')
  return out
}

/** Variables read by tests and tools, not settings. */
const IGNORED_ENV = new Set(['RONGHE_TEST_SERVICES', 'RONGHE_TEST_CONCURRENCY', 'RONGHE_BENCH_QUICK'])

function nearest(name: string): string {
  const scored = KEYS.map((k) => ({ env: k.env, d: editDistance(name, k.env) }))
  scored.sort((a, b) => a.d - b.d)
  return scored
    .slice(0, 2)
    .map((s) => s.env)
    .join(', ')
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost)
    }
    prev = row
  }
  return prev[b.length] ?? 0
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(source)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && target[k] && typeof target[k] === 'object') {
      mergeInto(target[k] as Record<string, unknown>, v as Record<string, unknown>)
    } else if (v !== undefined) {
      target[k] = v
    }
  }
}

/** The configuration as it may be logged: secrets masked. */
export function redactedConfig(config: RongheConfig): unknown {
  const copy = structuredClone(config) as unknown as Record<string, unknown>
  for (const key of KEYS) {
    if (key.secret && getPath(copy, key.path) !== undefined) setPath(copy, key.path, '***')
  }
  return copy
}
