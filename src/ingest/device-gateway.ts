import {
  type Clock,
  CoreErrors,
  type Device,
  type DeviceId,
  isRongheError,
  type RongheError,
  type TenantId,
} from '../core/index.ts'
import { type Bus, Subjects } from '../bus/index.ts'
import type { MetaStore } from '../store/meta/index.ts'
import type { BrokerClient, BrokerHooks, ConnectInfo, PublishVerdict } from './mqtt/index.ts'
import { ReasonCode } from './mqtt/index.ts'
import type { IngestPipeline } from './ingest-pipeline.ts'
import { IngestErrors } from './ingest-errors.ts'
import { parseJsonValues } from './json-format.ts'
import { parseSparkplugTopic, type SparkplugHost } from './sparkplug/sparkplug-host.ts'

/** Who a connected MQTT client is. */
export interface DevicePrincipal {
  readonly tenant: TenantId
  readonly device: Device
  readonly credentialId: string
}

export interface DeviceGatewayDeps {
  readonly meta: MetaStore
  readonly pipeline: IngestPipeline
  readonly sparkplug: SparkplugHost
  readonly bus: Bus
  readonly clock: Clock
  /** verifies a presented secret against the stored digest */
  readonly verifySecret: (secret: string, storedHash: string) => boolean
  /** publishes a platform message to devices (rejection reports) */
  readonly publish: (topic: string, payload: string) => Promise<void>
  readonly log: { info(msg: string, extra?: unknown): void; warn(msg: string, extra?: unknown): void }
}

/**
 * Topic namespace of a device, inside its tenant:
 *   ronghe/{tenant}/{device}/data      JSON values (publish)
 *   ronghe/{tenant}/{device}/status    "online" / "offline", e.g. as a will (publish)
 *   ronghe/{tenant}/{device}/errors    why the platform refused a message (subscribe)
 *   ronghe/{tenant}/{device}/cmd/…     commands to the device (subscribe)
 *   spBv1.0/{tenant}/{N|D}{BIRTH|DATA|DEATH}/{device}[/{sparkplug device}]   Sparkplug B (publish)
 *   spBv1.0/{tenant}/NCMD/{device}, spBv1.0/{tenant}/DCMD/{device}/…        commands (subscribe)
 *   spBv1.0/STATE/{host}               the host application's state (subscribe)
 * The Sparkplug group id is the tenant id and the edge node id is the device key.
 */
export function topicsFor(
  tenant: string,
  deviceKey: string,
): { data: string; status: string; errors: string; cmd: string; sparkplugGroup: string } {
  return {
    data: `ronghe/${tenant}/${deviceKey}/data`,
    status: `ronghe/${tenant}/${deviceKey}/status`,
    errors: `ronghe/${tenant}/${deviceKey}/errors`,
    cmd: `ronghe/${tenant}/${deviceKey}/cmd/#`,
    sparkplugGroup: tenant,
  }
}

const SPB_PUBLISH = new Set(['NBIRTH', 'NDATA', 'NDEATH'])
const SPB_DEVICE_PUBLISH = new Set(['DBIRTH', 'DDATA', 'DDEATH'])

export function mayPublish(p: DevicePrincipal, topic: string): boolean {
  const parts = topic.split('/')
  if (parts[0] === 'ronghe') {
    return (
      parts.length === 4 &&
      parts[1] === p.tenant &&
      parts[2] === p.device.key &&
      (parts[3] === 'data' || parts[3] === 'status')
    )
  }
  if (parts[0] === 'spBv1.0') {
    if (parts[1] !== p.tenant || parts[3] !== p.device.key) return false
    if (parts.length === 4) return SPB_PUBLISH.has(parts[2] ?? '')
    return parts.length === 5 && SPB_DEVICE_PUBLISH.has(parts[2] ?? '') && (parts[4] ?? '').length > 0
  }
  return false
}

export function maySubscribe(p: DevicePrincipal, filter: string): boolean {
  const parts = filter.split('/')
  if (parts[0] === 'ronghe') {
    if (parts[1] !== p.tenant || parts[2] !== p.device.key) return false
    if (parts.length === 4 && parts[3] === 'errors') return true
    return parts[3] === 'cmd' && parts.length >= 4 && !parts.slice(1, 3).some((x) => x === '+' || x === '#')
  }
  if (parts[0] === 'spBv1.0') {
    if (parts[1] === 'STATE') return parts.length === 3
    if (parts[1] !== p.tenant || parts[3] !== p.device.key) return false
    if (parts[2] === 'NCMD') return parts.length === 4
    return parts[2] === 'DCMD' && parts.length === 5
  }
  return false
}

function reasonFor(err: RongheError): number {
  switch (err.code) {
    case 'INGEST_MALFORMED_PAYLOAD':
      return ReasonCode.payloadFormatInvalid
    case 'INGEST_TOPIC_DENIED':
      return ReasonCode.notAuthorized
    case 'INGEST_OVERLOADED':
      return 0x97 // MQTT 5 quota exceeded
    default:
      return ReasonCode.implementationSpecific
  }
}

/**
 * The MQTT front door's policy: who may connect (per-device credentials), what each device may
 * publish and subscribe (its own tenant's namespace only), and what its messages mean (JSON or
 * Sparkplug B, handed to the ingest pipeline; acknowledged when durable).
 */
export function createDeviceGateway(deps: DeviceGatewayDeps): BrokerHooks & {
  devicesOnline(): number
} {
  const { meta, pipeline, sparkplug, bus, clock, log } = deps
  const connections = new Map<DeviceId, number>()
  const byKey = new Map<string, Device>()

  function setOnline(tenant: TenantId, device: DeviceId, online: boolean): void {
    const at = clock.now()
    meta
      .setDeviceOnline(tenant, device, online, at)
      .catch((e) => log.warn('could not record device state', { error: String(e) }))
    void bus.publish(online ? Subjects.deviceConnected : Subjects.deviceDisconnected, { tenant, device, at })
  }

  function report(p: DevicePrincipal | null, topic: string, err: RongheError): void {
    if (!p) return
    const body = JSON.stringify({ error: { code: err.code, message: err.message, topic, at: clock.now() } })
    void deps.publish(`ronghe/${p.tenant}/${p.device.key}/errors`, body).catch(() => undefined)
  }

  function principalOf(client: BrokerClient | null): DevicePrincipal | null {
    return (client?.principal as DevicePrincipal | undefined) ?? null
  }

  /** a will is published with no client: its topic (checked at CONNECT) names the device */
  async function principalFromTopic(topic: string): Promise<DevicePrincipal | null> {
    const parts = topic.split('/')
    const tenant = parts[1] as TenantId
    const key = parts[0] === 'ronghe' ? parts[2] : parts[3]
    if (!tenant || !key) return null
    const device = byKey.get(`${tenant}/${key}`) ?? (await meta.findDeviceByKey(tenant, key))
    return device ? { tenant, device, credentialId: '' } : null
  }

  async function handle(p: DevicePrincipal, topic: string, payload: Buffer): Promise<PublishVerdict> {
    const spb = parseSparkplugTopic(topic)
    if (spb) {
      const r = await sparkplug.handle(p.tenant, p.device.id, spb, payload)
      if (r.ok || !r.error) return { ok: true }
      report(p, topic, r.error)
      return { ok: false, reasonCode: reasonFor(r.error), reason: `${r.error.code}: ${r.error.message}` }
    }
    const kind = topic.split('/')[3]
    if (kind === 'status') {
      const text = payload.toString('utf8').trim().toLowerCase()
      const online = text === 'online' || text === '1' || text === 'true' || text.includes('"online":true')
      setOnline(p.tenant, p.device.id, online)
      return { ok: true, route: true }
    }
    try {
      const values = parseJsonValues(payload, clock.now())
      const r = await pipeline.write(p.tenant, p.device.id, values)
      if (r.rejected.length === 0) return { ok: true }
      const first = r.rejected[0] as { code: string; message: string }
      const err = IngestErrors.badValue('', '')
      const summary = `${r.rejected.length} of ${values.length} values refused; first: ${first.code} ${first.message}`
      report(p, topic, Object.assign(err, { code: first.code, message: summary }))
      // accepted values are durable; the refused ones are reported. v5 clients see the reason too.
      return r.accepted > 0
        ? { ok: true }
        : { ok: false, reasonCode: ReasonCode.implementationSpecific, reason: summary }
    } catch (err) {
      if (!isRongheError(err)) throw err
      report(p, topic, err)
      return { ok: false, reasonCode: reasonFor(err), reason: `${err.code}: ${err.message}` }
    }
  }

  return {
    async authenticate(info: ConnectInfo): Promise<DevicePrincipal> {
      const password = info.password?.toString('utf8') ?? ''
      // a token credential is presented as the password `<token id>.<secret>`; the username is free
      const dot = password.indexOf('.')
      const isToken = password.startsWith('tok_') && dot > 0
      const username = isToken ? password.slice(0, dot) : (info.username ?? '')
      const secret = isToken ? password.slice(dot + 1) : password
      if (!username || !secret)
        throw CoreErrors.unauthenticated('a device must present its username and password, or its token')
      const match = await meta.findCredentialForPlatform(username)
      if (!match || match.credential.revokedAt !== null || !deps.verifySecret(secret, match.secretHash)) {
        log.warn('device authentication failed', { username, remote: info.remoteAddress })
        throw Object.assign(CoreErrors.unauthenticated('bad device credentials'), {
          code: 'AUTH_BAD_CREDENTIALS',
        })
      }
      const device = match.device
      byKey.set(`${device.tenantId}/${device.key}`, device)
      return { tenant: device.tenantId, device, credentialId: match.credential.id }
    },
    authorizePublish(client: BrokerClient, topic: string): boolean {
      const p = principalOf(client)
      const ok = p !== null && mayPublish(p, topic)
      if (!ok && p) report(p, topic, IngestErrors.topicDenied(topic))
      return ok
    },
    authorizeSubscribe(client: BrokerClient, filter: string): boolean {
      const p = principalOf(client)
      return p !== null && maySubscribe(p, filter)
    },
    async onPublish(client, msg, will): Promise<PublishVerdict> {
      const p =
        principalOf(client) ??
        (will?.principal as DevicePrincipal | undefined) ??
        (await principalFromTopic(msg.topic))
      if (!p) return { ok: false, reasonCode: ReasonCode.notAuthorized, reason: 'unknown publisher' }
      return handle(p, msg.topic, msg.payload)
    },
    onConnect(client: BrokerClient): void {
      const p = principalOf(client)
      if (!p) return
      const n = (connections.get(p.device.id) ?? 0) + 1
      connections.set(p.device.id, n)
      if (n === 1) setOnline(p.tenant, p.device.id, true)
    },
    onDisconnect(client: BrokerClient): void {
      const p = principalOf(client)
      if (!p) return
      const n = (connections.get(p.device.id) ?? 1) - 1
      if (n <= 0) {
        connections.delete(p.device.id)
        setOnline(p.tenant, p.device.id, false)
      } else connections.set(p.device.id, n)
    },
    onRejected(client, info): void {
      log.info('mqtt rejection', {
        client: client?.id,
        code: info.code,
        message: info.message,
        topic: info.topic,
      })
    },
    devicesOnline: () => connections.size,
  }
}
