import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  AttributeIds,
  BrowseDirection,
  type ClientMonitoredItemBase,
  type ClientMonitoredItemGroup,
  type ClientSession,
  type ClientSubscription,
  DataChangeFilter,
  DataChangeTrigger,
  DataType,
  type DataValue,
  DeadbandType,
  MessageSecurityMode,
  NodeClass,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  type UserIdentityInfo,
  UserTokenType,
  type Variant,
} from 'node-opcua'
import { type Clock, type DeviceId, type Quality, systemClock, type TenantId } from '../../core/index.ts'
import type { AdapterStatus, IngestSink, ProtocolAdapter, RawValue } from '../ingest-sink.ts'
import { OpcuaErrors } from './opcua-errors.ts'

export type OpcuaSecurityMode = 'None' | 'Sign' | 'SignAndEncrypt'
export type OpcuaSecurityPolicy = 'None' | 'Basic256Sha256'

export type OpcuaIdentity =
  | { readonly type: 'anonymous' }
  | { readonly type: 'username'; readonly username: string; readonly password: string }
  /** X.509 user identity; without files, the client's own application certificate from the PKI dir */
  | { readonly type: 'certificate'; readonly certificateFile?: string; readonly privateKeyFile?: string }

export interface OpcuaConnectionConfig {
  /** `opc.tcp://host:4840/path` */
  readonly endpointUrl: string
  /** default None */
  readonly securityMode?: OpcuaSecurityMode
  /** default None when the mode is None, otherwise Basic256Sha256 */
  readonly securityPolicy?: OpcuaSecurityPolicy
  /** default anonymous */
  readonly identity?: OpcuaIdentity
  /**
   * the client's PKI folder (own/, trusted/, rejected/, issuers/): its self-signed application
   * certificate is generated here on first use and kept
   */
  readonly pkiDir: string
  /**
   * trust a server certificate not yet in pki/trusted (default true, trust on first use); with false, a
   * rejected server certificate lands in pki/rejected until an operator moves it to pki/trusted/certs
   */
  readonly trustUnknownServerCertificates?: boolean
  /** reconnect back-off (node-opcua's connection strategy): defaults 500 ms doubling to 10 000 ms */
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number }
  readonly applicationName?: string
}

export interface OpcuaItemConfig {
  readonly nodeId: string
  /** the point's key in the ingest path; default the NodeId string */
  readonly key?: string
  /** default the adapter's samplingIntervalMs */
  readonly samplingIntervalMs?: number
  /** absolute: change in engineering units; percent: of the item's EURange (the server needs EURange) */
  readonly deadband?: { readonly type: 'absolute' | 'percent'; readonly value: number }
  /** server-side queue per item (default 10) so changes between publishes are not lost */
  readonly queueSize?: number
}

export interface OpcuaAdapterConfig extends OpcuaConnectionConfig {
  readonly tenant: TenantId
  readonly device: DeviceId
  readonly items: readonly OpcuaItemConfig[]
  /** default 1000 ms */
  readonly samplingIntervalMs?: number
  /** default 500 ms */
  readonly publishingIntervalMs?: number
  /** start() waits at most this long for the first session before returning (default 10 000 ms) */
  readonly startWaitMs?: number
  readonly clock?: Clock
}

export interface OpcuaBrowseNode {
  readonly nodeId: string
  readonly browseName: string
  readonly displayName: string
  readonly nodeClass: 'Object' | 'Variable' | 'Method' | 'Other'
  /** variables: the DataType's name (Double, Int32, …) */
  readonly dataType?: string
  /** variables of AnalogItemType: the EngineeringUnits display name */
  readonly unit?: string
  readonly children: readonly OpcuaBrowseNode[]
}

export interface OpcuaAdapter extends ProtocolAdapter {
  readonly kind: 'opcua'
  /** browses the live session's address space from `root` (default the Objects folder) */
  browse(options?: BrowseOptions): Promise<OpcuaBrowseNode>
}

export interface BrowseOptions {
  readonly root?: string
  /** default 6 */
  readonly maxDepth?: number
  /** stops browsing after this many nodes (default 5000) */
  readonly maxNodes?: number
}

const MODES: Readonly<Record<OpcuaSecurityMode, MessageSecurityMode>> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
}
const POLICIES: Readonly<Record<OpcuaSecurityPolicy, SecurityPolicy>> = {
  None: SecurityPolicy.None,
  Basic256Sha256: SecurityPolicy.Basic256Sha256,
}

/** OPC UA StatusCode severity (bits 31–30): 00 good, 01 uncertain, 10/11 bad. */
export function qualityOf(statusCode: number): Quality {
  const severity = statusCode >>> 30
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad'
}

/** A Variant as a Ronghe value: numbers, booleans and texts pass, 64-bit integers become numbers. */
export function rawValueOf(v: Variant | null | undefined): RawValue['value'] {
  if (v === null || v === undefined) return null
  const x: unknown = v.value
  if (x === null || x === undefined) return null
  if (v.dataType === DataType.Int64 || v.dataType === DataType.UInt64) {
    if (Array.isArray(x) && x.length === 2) {
      const [hi, lo] = x as [number, number]
      return v.dataType === DataType.Int64
        ? (hi | 0) * 0x100000000 + (lo >>> 0)
        : (hi >>> 0) * 0x100000000 + (lo >>> 0)
    }
  }
  if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string') return x
  if (x instanceof Date) return x.getTime()
  if (typeof x === 'object' && 'text' in (x as object)) return String((x as { text: unknown }).text ?? '')
  if (Buffer.isBuffer(x)) return x.toString('base64')
  try {
    return JSON.stringify(x)
  } catch {
    return String(x)
  }
}

function pemToDer(pem: string): Buffer {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
  return Buffer.from(body, 'base64')
}

function identityOf(config: OpcuaConnectionConfig): UserIdentityInfo {
  const id = config.identity ?? { type: 'anonymous' }
  if (id.type === 'anonymous') return { type: UserTokenType.Anonymous }
  if (id.type === 'username')
    return { type: UserTokenType.UserName, userName: id.username, password: id.password }
  const certFile = id.certificateFile ?? join(config.pkiDir, 'own', 'certs', 'client_certificate.pem')
  const keyFile = id.privateKeyFile ?? join(config.pkiDir, 'own', 'private', 'private_key.pem')
  return {
    type: UserTokenType.Certificate,
    certificateData: pemToDer(readFileSync(certFile, 'utf8')),
    privateKey: readFileSync(keyFile, 'utf8'),
  }
}

function validateConnection(config: OpcuaConnectionConfig): {
  mode: OpcuaSecurityMode
  policy: OpcuaSecurityPolicy
} {
  if (!/^opc\.tcp:\/\/[^/]+/.test(config.endpointUrl))
    throw OpcuaErrors.badConfig(`endpoint "${config.endpointUrl}" is not an opc.tcp:// URL`)
  const mode = config.securityMode ?? 'None'
  if (!(mode in MODES)) throw OpcuaErrors.badConfig(`security mode "${mode}"`)
  const policy = config.securityPolicy ?? (mode === 'None' ? 'None' : 'Basic256Sha256')
  if (!(policy in POLICIES)) throw OpcuaErrors.badConfig(`security policy "${policy}"`)
  if ((mode === 'None') !== (policy === 'None'))
    throw OpcuaErrors.badConfig(`security mode ${mode} does not go with policy ${policy}`)
  if (typeof config.pkiDir !== 'string' || config.pkiDir.length === 0)
    throw OpcuaErrors.badConfig('no pkiDir')
  return { mode, policy }
}

async function makeClient(config: OpcuaConnectionConfig, maxRetry: number): Promise<OPCUAClient> {
  const { mode, policy } = validateConnection(config)
  const clientCertificateManager = new OPCUACertificateManager({
    rootFolder: config.pkiDir,
    automaticallyAcceptUnknownCertificate: config.trustUnknownServerCertificates ?? true,
    disableFileWatchers: true,
  })
  await clientCertificateManager.initialize()
  const client = OPCUAClient.create({
    applicationName: config.applicationName ?? 'Ronghe OPC UA adapter',
    endpointMustExist: false,
    keepSessionAlive: true,
    securityMode: MODES[mode],
    securityPolicy: POLICIES[policy],
    clientCertificateManager,
    connectionStrategy: {
      initialDelay: config.reconnect?.initialMs ?? 500,
      maxDelay: config.reconnect?.maxMs ?? 10_000,
      maxRetry,
    },
  })
  // the self-signed application certificate is created in pkiDir/own on first use
  await client.createDefaultCertificate()
  return client
}

const NODE_CLASS: Partial<Record<number, OpcuaBrowseNode['nodeClass']>> = {
  [NodeClass.Object]: 'Object',
  [NodeClass.Variable]: 'Variable',
  [NodeClass.Method]: 'Method',
}

/** Browses hierarchical references from a node: objects and variables, with data types and units. */
export async function browseSession(
  session: ClientSession,
  options: BrowseOptions = {},
): Promise<OpcuaBrowseNode> {
  const maxDepth = options.maxDepth ?? 6
  const maxNodes = options.maxNodes ?? 5000
  let count = 0
  const rootId = options.root ?? 'ns=0;i=85'
  const rootName = await session.read({ nodeId: rootId, attributeId: AttributeIds.BrowseName })
  const rootDisplay = await session.read({ nodeId: rootId, attributeId: AttributeIds.DisplayName })

  async function visit(nodeId: string, depth: number): Promise<OpcuaBrowseNode[]> {
    if (depth >= maxDepth || count >= maxNodes) return []
    const res = await session.browse({
      nodeId,
      browseDirection: BrowseDirection.Forward,
      referenceTypeId: 'HierarchicalReferences',
      includeSubtypes: true,
      nodeClassMask: NodeClass.Object | NodeClass.Variable,
      resultMask: 63,
    })
    const out: OpcuaBrowseNode[] = []
    const refs = res.references ?? []
    const varIds = refs.filter((r) => r.nodeClass === NodeClass.Variable).map((r) => r.nodeId.toString())
    const dataTypes =
      varIds.length === 0
        ? []
        : await session.read(varIds.map((id) => ({ nodeId: id, attributeId: AttributeIds.DataType })))
    let vi = 0
    for (const r of refs) {
      if (count >= maxNodes) break
      count++
      const id = r.nodeId.toString()
      const browseName = r.browseName.name ?? ''
      if (r.nodeClass === NodeClass.Variable) {
        const dtv = dataTypes[vi++]?.value.value as { value?: unknown; namespace?: number } | undefined
        const dataType =
          dtv?.namespace === 0 && typeof dtv.value === 'number'
            ? (DataType[dtv.value] ?? String(dtv.value))
            : String(dtv?.value ?? '')
        // properties of a variable (EURange, EngineeringUnits) are not points: fold the unit in, skip the rest
        const props = await session.browse({
          nodeId: id,
          browseDirection: BrowseDirection.Forward,
          referenceTypeId: 'HasProperty',
          includeSubtypes: true,
          resultMask: 63,
        })
        const eu = (props.references ?? []).find((p) => p.browseName.name === 'EngineeringUnits')
        let unit: string | undefined
        if (eu !== undefined) {
          const v = await session.read({ nodeId: eu.nodeId, attributeId: AttributeIds.Value })
          const info = v.value.value as { displayName?: { text?: string | null } } | null
          unit = info?.displayName?.text ?? undefined
        }
        out.push({
          nodeId: id,
          browseName,
          displayName: r.displayName.text ?? browseName,
          nodeClass: 'Variable',
          dataType,
          ...(unit === undefined ? {} : { unit }),
          children: [],
        })
        continue
      }
      out.push({
        nodeId: id,
        browseName,
        displayName: r.displayName.text ?? browseName,
        nodeClass: NODE_CLASS[r.nodeClass] ?? 'Other',
        children: await visit(id, depth + 1),
      })
    }
    return out
  }
  return {
    nodeId: rootId,
    browseName: (rootName.value.value as { name?: string } | null)?.name ?? rootId,
    displayName: (rootDisplay.value.value as { text?: string } | null)?.text ?? rootId,
    nodeClass: 'Object',
    children: await visit(rootId, 0),
  }
}

/**
 * Opens a short session and browses (the console's browse dialog, before a device is configured).
 * Fails fast: one connection attempt, no retries.
 */
export async function browseEndpoint(
  config: OpcuaConnectionConfig,
  options: BrowseOptions = {},
): Promise<OpcuaBrowseNode> {
  const client = await makeClient(config, 0)
  try {
    await client.connect(config.endpointUrl)
    const session = await client.createSession(identityOf(config))
    try {
      return await browseSession(session, options)
    } finally {
      await session.close().catch(() => undefined)
    }
  } catch (err) {
    throw OpcuaErrors.connectFailed(config.endpointUrl, err)
  } finally {
    await client.disconnect().catch(() => undefined)
  }
}

/**
 * The OPC UA client adapter: one session, one subscription, monitored items grouped by their sampling
 * interval and deadband. node-opcua reconnects with back-off and, when the connection returns, reactivates
 * the session and transfers the subscription to the new channel; when the server restarted and forgot the
 * session, it creates a new session and recreates the subscription and its items. Each data change becomes
 * a RawValue with the item's key, the source timestamp, and the status code's severity as quality (bad
 * values are delivered as null).
 */
export function createOpcuaAdapter(config: OpcuaAdapterConfig): OpcuaAdapter {
  validateConnection(config)
  if (config.items.length === 0) throw OpcuaErrors.badConfig('no items to monitor')
  const keys = new Set<string>()
  for (const it of config.items) {
    const key = it.key ?? it.nodeId
    if (keys.has(key)) throw OpcuaErrors.badConfig(`item key "${key}" is used twice`)
    keys.add(key)
    if (it.deadband !== undefined && !(it.deadband.value >= 0))
      throw OpcuaErrors.badConfig(`item "${key}" has deadband ${it.deadband.value}`)
    if (it.deadband?.type === 'percent' && it.deadband.value > 100)
      throw OpcuaErrors.badConfig(`item "${key}" has a percent deadband above 100`)
  }
  const clock = config.clock ?? systemClock
  const counters = {
    connects: 0,
    connectErrors: 0,
    connectionLosses: 0,
    reconnects: 0,
    sessionRestores: 0,
    itemsMonitored: 0,
    itemsRejected: 0,
    dataChanges: 0,
    values: 0,
    badValues: 0,
    sinkErrors: 0,
  }
  let lastError: string | null = null
  let connected = false
  let running = false
  let sink: IngestSink | null = null
  let client: OPCUAClient | null = null
  let session: ClientSession | null = null
  let subscription: ClientSubscription | null = null
  let establishing: Promise<void> | null = null
  let pending: RawValue[] = []
  let flushScheduled = false
  let writing: Promise<void> = Promise.resolve()
  // the back-off sleep between session attempts; stop() cuts it short
  let wake: (() => void) | null = null

  function flush(): void {
    flushScheduled = false
    const batch = pending
    pending = []
    if (batch.length === 0 || sink === null) return
    const s = sink
    // one write at a time, in arrival order
    writing = writing.then(async () => {
      try {
        const r = await s.write(config.tenant, config.device, batch)
        counters.values += r.accepted
      } catch (err) {
        counters.sinkErrors++
        lastError = err instanceof Error ? err.message : String(err)
      }
    })
  }

  function onChange(key: string, dv: DataValue): void {
    counters.dataChanges++
    const quality = qualityOf(dv.statusCode.value)
    if (quality === 'bad') counters.badValues++
    const ts = dv.sourceTimestamp?.getTime() ?? dv.serverTimestamp?.getTime() ?? clock.now()
    pending.push({ key, ts, value: quality === 'bad' ? null : rawValueOf(dv.value), quality })
    if (!flushScheduled) {
      flushScheduled = true
      setImmediate(flush)
    }
  }

  async function monitor(sub: ClientSubscription): Promise<ClientMonitoredItemGroup[]> {
    const groups = new Map<string, OpcuaItemConfig[]>()
    for (const it of config.items) {
      const g = `${it.samplingIntervalMs ?? config.samplingIntervalMs ?? 1000}|${it.deadband?.type ?? ''}|${it.deadband?.value ?? ''}|${it.queueSize ?? 10}`
      const list = groups.get(g) ?? []
      list.push(it)
      groups.set(g, list)
    }
    const out: ClientMonitoredItemGroup[] = []
    for (const items of groups.values()) {
      const first = items[0]
      if (first === undefined) continue
      const db = first.deadband
      const filter =
        db === undefined
          ? null
          : new DataChangeFilter({
              trigger: DataChangeTrigger.StatusValue,
              deadbandType: db.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
              deadbandValue: db.value,
            })
      const group = await sub.monitorItems(
        items.map((it) => ({ nodeId: it.nodeId, attributeId: AttributeIds.Value })),
        {
          samplingInterval: first.samplingIntervalMs ?? config.samplingIntervalMs ?? 1000,
          discardOldest: true,
          queueSize: first.queueSize ?? 10,
          ...(filter === null ? {} : { filter }),
        },
        TimestampsToReturn.Both,
      )
      group.monitoredItems.forEach((mi: ClientMonitoredItemBase, i: number) => {
        const it = items[i]
        if (it === undefined) return
        if (mi.statusCode.value >>> 30 >= 2) {
          counters.itemsRejected++
          lastError = OpcuaErrors.itemRejected(it.nodeId, mi.statusCode.name).message
        } else counters.itemsMonitored++
      })
      group.on('changed', (_mi: ClientMonitoredItemBase, dv: DataValue, index: number) => {
        const it = items[index]
        if (it !== undefined) onChange(it.key ?? it.nodeId, dv)
      })
      out.push(group)
    }
    return out
  }

  async function setupOnce(): Promise<void> {
    const c = await makeClient(config, -1)
    client = c
    c.on('connection_lost', () => {
      connected = false
      counters.connectionLosses++
      lastError = `connection to ${config.endpointUrl} lost`
    })
    c.on('backoff', (retry: number, delay: number) => {
      counters.connectErrors++
      lastError = `cannot reach ${config.endpointUrl} (attempt ${retry + 1}; next in ${delay} ms)`
    })
    c.on('connection_reestablished', () => {
      counters.reconnects++
    })
    c.on('after_reconnection', (err?: Error | null) => {
      if (err) lastError = err.message
      else connected = true
    })
    await c.connect(config.endpointUrl)
    if (!running) return
    const s = await c.createSession(identityOf(config))
    session = s
    s.on('session_restored', () => {
      counters.sessionRestores++
      connected = true
    })
    s.on('keepalive_failure', () => {
      connected = false
    })
    const sub = await s.createSubscription2({
      requestedPublishingInterval: config.publishingIntervalMs ?? 500,
      requestedLifetimeCount: 600,
      requestedMaxKeepAliveCount: 20,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 1,
    })
    subscription = sub
    await monitor(sub)
    counters.connects++
    connected = true
  }

  async function teardown(): Promise<void> {
    const c = client
    const s = session
    const sub = subscription
    client = null
    session = null
    subscription = null
    connected = false
    await sub?.terminate().catch(() => undefined)
    await s?.close().catch(() => undefined)
    await c?.disconnect().catch(() => undefined)
  }

  async function establish(): Promise<void> {
    let delay = config.reconnect?.initialMs ?? 500
    const max = config.reconnect?.maxMs ?? 10_000
    while (running) {
      try {
        await setupOnce()
        return
      } catch (err) {
        counters.connectErrors++
        lastError = OpcuaErrors.connectFailed(config.endpointUrl, err).message
        await teardown()
        if (!running) return
        await new Promise<void>((r) => {
          const t = setTimeout(r, delay)
          wake = () => {
            clearTimeout(t)
            r()
          }
        })
        wake = null
        delay = Math.min(delay * 2, max)
      }
    }
  }

  return {
    kind: 'opcua',
    async start(s) {
      if (running) return
      running = true
      sink = s
      establishing = establish().finally(() => {
        establishing = null
      })
      let timer: NodeJS.Timeout | null = null
      await Promise.race([
        establishing,
        new Promise<void>((r) => {
          timer = setTimeout(r, config.startWaitMs ?? 10_000)
        }),
      ])
      if (timer !== null) clearTimeout(timer)
    },
    async stop() {
      if (!running && client === null) return
      running = false
      wake?.()
      const c = client
      // disconnecting aborts a connect still retrying
      await c?.disconnect().catch(() => undefined)
      await establishing?.catch(() => undefined)
      await teardown()
      flush()
      await writing
    },
    status(): AdapterStatus {
      return { connected, lastError, counters: { ...counters } }
    },
    async browse(options) {
      if (session === null) throw OpcuaErrors.notConnected(config.endpointUrl)
      return browseSession(session, options)
    },
  }
}
