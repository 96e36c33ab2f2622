import {
  DataType,
  makeEUInformation,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  type UAVariable,
  Variant,
  VariantArrayType,
} from 'node-opcua'
import type { DataType as RongheDataType } from '../core/index.ts'
import { listEquipment } from './factory-catalog.ts'
import type { EnterpriseSpec, PointSpec, SimValue } from './factory-types.ts'

/**
 * The virtual factory's OPC UA server (node-opcua). Address space, in the server's own namespace (ns=1):
 *
 *   Objects / <enterprise> / <site> / <line> / <equipment> / <point>
 *
 * folders for enterprise, site and line, an object per equipment, and a variable per point with NodeId
 * `ns=1;s=<enterprise>.<equipment>.<point>`, the point's OPC UA DataType, and for numeric points the
 * AnalogItemType properties EngineeringUnits (UNECE code) and EURange (so percent deadbands work).
 * A dropped-out meter keeps its last value with status BadNoCommunication until it reports again.
 */

export type SimSecurityMode = 'None' | 'Sign' | 'SignAndEncrypt'

export interface SimOpcuaServerOptions {
  readonly enterprises: readonly EnterpriseSpec[]
  /** 0 = ephemeral (default) */
  readonly port?: number
  /** host name advertised in endpoint URLs (default 127.0.0.1) */
  readonly hostname?: string
  /** the server's PKI folder: its self-signed certificate is generated here once and reused */
  readonly pkiDir: string
  /** default all three; Sign and SignAndEncrypt use Basic256Sha256 */
  readonly securityModes?: readonly SimSecurityMode[]
  /** default true */
  readonly allowAnonymous?: boolean
  /** username → password */
  readonly users?: Readonly<Record<string, string>>
  /**
   * accept client (and user) certificates it has not seen before (default true: a demo factory; a real
   * server would move them from pki/rejected to pki/trusted by hand)
   */
  readonly acceptUnknownCertificates?: boolean
  /** only equipment speaking this protocol gets variables (default 'opcua') */
  readonly protocol?: string
}

export interface SimOpcuaServer {
  /** after start() */
  readonly endpointUrl: string
  readonly port: number
  start(): Promise<void>
  stop(): Promise<void>
  apply(v: SimValue): void
  /** NodeId of a point, as a string */
  nodeIdOf(enterpriseKey: string, deviceKey: string, pointKey: string): string
  /** the variables exposed: nodeId, enterprise, device, point */
  readonly variables: readonly {
    readonly nodeId: string
    readonly enterpriseKey: string
    readonly deviceKey: string
    readonly pointKey: string
  }[]
  counters(): { readonly values: number; readonly sessions: number }
}

const OPCUA_TYPE: Readonly<Record<RongheDataType, DataType>> = {
  float64: DataType.Double,
  float32: DataType.Float,
  int64: DataType.Int64,
  int32: DataType.Int32,
  int16: DataType.Int16,
  uint32: DataType.UInt32,
  uint16: DataType.UInt16,
  bool: DataType.Boolean,
  string: DataType.String,
}

/** UCUM-style catalogue units → UNECE Recommendation 20 common codes, as OPC UA EUInformation uses them */
const UNECE: Readonly<Record<string, readonly [string, string, string]>> = {
  Cel: ['CEL', '°C', 'degree Celsius'],
  bar: ['BAR', 'bar', 'bar'],
  A: ['AMP', 'A', 'ampere'],
  'mm/s': ['C16', 'mm/s', 'millimetre per second'],
  s: ['SEC', 's', 'second'],
  h: ['HUR', 'h', 'hour'],
  '{pcs}': ['H87', 'pcs', 'piece'],
  '{cycles}': ['H87', 'cycles', 'cycle'],
  'kW.h': ['KWH', 'kWh', 'kilowatt hour'],
  kW: ['KWT', 'kW', 'kilowatt'],
  m3: ['MTQ', 'm³', 'cubic metre'],
  'm3/h': ['MQH', 'm³/h', 'cubic metre per hour'],
  t: ['TNE', 't', 'tonne'],
  't/h': ['E18', 't/h', 'tonne per hour'],
  'm/min': ['2X', 'm/min', 'metre per minute'],
  'r/min': ['RPM', 'r/min', 'revolutions per minute'],
}

const MODE: Readonly<Record<SimSecurityMode, MessageSecurityMode>> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
}

function variantOf(pt: PointSpec, value: number | string): Variant {
  const dataType = OPCUA_TYPE[pt.dataType]
  if (dataType === DataType.Int64) {
    // node-opcua carries 64-bit integers as [high, low] 32-bit words
    const n = Math.max(0, Math.trunc(Number(value)))
    return new Variant({
      dataType,
      arrayType: VariantArrayType.Scalar,
      value: [Math.floor(n / 0x100000000), n >>> 0],
    })
  }
  if (dataType === DataType.String) return new Variant({ dataType, value: String(value) })
  if (dataType === DataType.Boolean) return new Variant({ dataType, value: Boolean(value) })
  return new Variant({ dataType, value: Number(value) })
}

export function createSimOpcuaServer(options: SimOpcuaServerOptions): SimOpcuaServer {
  const protocol = options.protocol ?? 'opcua'
  const hostname = options.hostname ?? '127.0.0.1'
  const vars = new Map<string, { readonly node: UAVariable; readonly spec: PointSpec }>()
  const variables: { nodeId: string; enterpriseKey: string; deviceKey: string; pointKey: string }[] = []
  let server: OPCUAServer | null = null
  let port = 0
  let values = 0
  const nodeIdOf = (e: string, d: string, p: string): string => `ns=1;s=${e}.${d}.${p}`

  return {
    get endpointUrl() {
      return `opc.tcp://${hostname}:${port}`
    },
    get port() {
      return port
    },
    variables,
    nodeIdOf,
    async start() {
      const certificateManager = new OPCUACertificateManager({
        rootFolder: options.pkiDir,
        automaticallyAcceptUnknownCertificate: options.acceptUnknownCertificates ?? true,
        disableFileWatchers: true,
      })
      await certificateManager.initialize()
      const userCertificateManager = new OPCUACertificateManager({
        rootFolder: `${options.pkiDir}/user`,
        automaticallyAcceptUnknownCertificate: options.acceptUnknownCertificates ?? true,
        disableFileWatchers: true,
      })
      await userCertificateManager.initialize()
      const modes = options.securityModes ?? ['None', 'Sign', 'SignAndEncrypt']
      const users = options.users ?? {}
      const srv = new OPCUAServer({
        port: options.port ?? 0,
        hostname,
        alternateHostname: [hostname],
        serverCertificateManager: certificateManager,
        userCertificateManager,
        securityModes: modes.map((m) => MODE[m]),
        securityPolicies: [
          ...(modes.includes('None') ? [SecurityPolicy.None] : []),
          ...(modes.some((m) => m !== 'None') ? [SecurityPolicy.Basic256Sha256] : []),
        ],
        allowAnonymous: options.allowAnonymous ?? true,
        userManager: {
          isValidUser: (username: string, password: string) =>
            Object.hasOwn(users, username) && users[username] === password,
        },
        buildInfo: { productName: 'Ronghe virtual factory', manufacturerName: 'Ronghe' },
        serverInfo: { applicationUri: 'urn:ronghe:sim:opcua', productUri: 'urn:ronghe:sim' },
      })
      await srv.initialize()
      const addressSpace = srv.engine.addressSpace
      if (addressSpace === null) throw new Error('node-opcua did not build an address space')
      const ns = addressSpace.getOwnNamespace()
      const folders = new Map<string, ReturnType<typeof ns.addFolder>>()
      const folder = (
        key: string,
        parent: Parameters<typeof ns.addFolder>[0],
        name: string,
        display: string,
      ) => {
        let f = folders.get(key)
        if (f === undefined) {
          f = ns.addFolder(parent, { browseName: name, displayName: display, nodeId: `s=${key}` })
          folders.set(key, f)
        }
        return f
      }
      for (const p of listEquipment(options.enterprises)) {
        const eq = p.equipment
        if (eq.protocol !== protocol || eq.points.length === 0) continue
        const e = p.enterprise.key
        const ef = folder(e, addressSpace.rootFolder.objects, e, p.enterprise.name)
        const sf = folder(`${e}.${p.site.key}`, ef, p.site.key, p.site.name)
        const lf = folder(`${e}.${p.site.key}.${p.line.key}`, sf, p.line.key, p.line.name)
        const obj = ns.addObject({
          organizedBy: lf,
          browseName: eq.key,
          displayName: eq.name,
          nodeId: `s=${e}.${eq.key}`,
          description: `${eq.manufacturer} ${eq.model}`,
        })
        for (const pt of eq.points) {
          const nodeId = `s=${e}.${eq.key}.${pt.key}`
          const dataType = OPCUA_TYPE[pt.dataType]
          const numeric = dataType !== DataType.String && dataType !== DataType.Boolean
          const eu = UNECE[pt.unit]
          const node: UAVariable =
            numeric && eu !== undefined && pt.kind !== 'state'
              ? ns.addAnalogDataItem({
                  componentOf: obj,
                  browseName: pt.key,
                  displayName: pt.name,
                  nodeId,
                  dataType: DataType[dataType],
                  engineeringUnitsRange: { low: pt.range?.[0] ?? 0, high: pt.range?.[1] ?? 1e12 },
                  engineeringUnits: makeEUInformation(...eu),
                  minimumSamplingInterval: 0,
                })
              : ns.addVariable({
                  componentOf: obj,
                  browseName: pt.key,
                  displayName: pt.name,
                  nodeId,
                  dataType: DataType[dataType],
                  minimumSamplingInterval: 0,
                })
          node.setValueFromSource(
            variantOf(pt, dataType === DataType.String ? '' : 0),
            StatusCodes.UncertainInitialValue,
          )
          vars.set(`${e}/${eq.key}/${pt.key}`, { node, spec: pt })
          variables.push({
            nodeId: nodeIdOf(e, eq.key, pt.key),
            enterpriseKey: e,
            deviceKey: eq.key,
            pointKey: pt.key,
          })
        }
      }
      await srv.start()
      port = srv.endpoints[0]?.port ?? 0
      server = srv
    },
    async stop() {
      const srv = server
      server = null
      if (srv !== null) await srv.shutdown(0)
    },
    apply(v) {
      const t = vars.get(`${v.enterpriseKey}/${v.deviceKey}/${v.pointKey}`)
      if (t === undefined || server === null) return
      values++
      const when = new Date(v.ts)
      if (v.quality !== 'good' || v.value === null) {
        const last = t.node.readValue().value
        t.node.setValueFromSource(
          last,
          v.quality === 'uncertain' ? StatusCodes.UncertainLastUsableValue : StatusCodes.BadNoCommunication,
          when,
        )
        return
      }
      t.node.setValueFromSource(variantOf(t.spec, v.value), StatusCodes.Good, when)
    },
    counters() {
      return { values, sessions: server?.currentSessionCount ?? 0 }
    },
  }
}
