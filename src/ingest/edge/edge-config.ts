import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { EdgeGatewayConfig, EdgeSourceConfig } from './edge-gateway.ts'
import { EdgeErrors } from './edge-errors.ts'

/**
 * `edge.yaml` → EdgeGatewayConfig. The file has the shape of EdgeGatewayConfig (see docs/protocols.md);
 * relative paths (dataDir, pkiDir, caFile, certificate files) are taken relative to the file, and
 * `${ENV_NAME}` in any string is replaced by that environment variable so secrets need not sit in the file.
 * Shape errors are reported with the path of the offending field; the adapters validate the rest when
 * the gateway is created.
 */
export function parseEdgeConfig(
  text: string,
  options: { readonly baseDir?: string; readonly env?: Readonly<Record<string, string | undefined>> } = {},
): EdgeGatewayConfig {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (err) {
    throw EdgeErrors.badConfig(`not YAML: ${(err as Error).message}`)
  }
  const env = options.env ?? {}
  const base = options.baseDir ?? process.cwd()
  const expanded = expand(doc, env, '')
  const o = object(expanded, '')
  const uplink = object(o.uplink, 'uplink')
  str(uplink.url, 'uplink.url')
  str(uplink.edgeNodeId, 'uplink.edgeNodeId')
  str(o.tenant, 'tenant')
  str(o.dataDir, 'dataDir')
  const sources = o.sources === undefined ? [] : o.sources
  if (!Array.isArray(sources)) throw EdgeErrors.badConfig('"sources" must be a list')
  const at = (p: unknown): string | undefined => (typeof p === 'string' ? resolve(base, p) : undefined)
  const fixed: EdgeSourceConfig[] = sources.map((s, i) => {
    const so = object(s, `sources[${i}]`)
    str(so.device, `sources[${i}].device`)
    if (so.kind === 'modbus') {
      str(so.host, `sources[${i}].host`)
      if (!Array.isArray(so.groups)) throw EdgeErrors.badConfig(`"sources[${i}].groups" must be a list`)
      return so as unknown as EdgeSourceConfig
    }
    if (so.kind === 'opcua') {
      str(so.endpointUrl, `sources[${i}].endpointUrl`)
      if (!Array.isArray(so.items)) throw EdgeErrors.badConfig(`"sources[${i}].items" must be a list`)
      const identity = so.identity as Record<string, unknown> | undefined
      return {
        ...so,
        pkiDir: at(so.pkiDir) ?? resolve(base, String(o.dataDir), 'opcua-pki', String(so.device)),
        ...(identity?.type === 'certificate'
          ? {
              identity: {
                type: 'certificate',
                ...(identity.certificateFile === undefined
                  ? {}
                  : { certificateFile: at(identity.certificateFile) }),
                ...(identity.privateKeyFile === undefined
                  ? {}
                  : { privateKeyFile: at(identity.privateKeyFile) }),
              },
            }
          : {}),
      } as unknown as EdgeSourceConfig
    }
    throw EdgeErrors.badConfig(`"sources[${i}].kind" must be opcua or modbus`)
  })
  return {
    ...(o as unknown as EdgeGatewayConfig),
    dataDir: resolve(base, String(o.dataDir)),
    uplink: {
      ...(uplink as unknown as EdgeGatewayConfig['uplink']),
      ...(uplink.caFile === undefined ? {} : { caFile: at(uplink.caFile) }),
    },
    sources: fixed,
  }
}

/** Reads and parses an edge.yaml; relative paths resolve against its folder. */
export function loadEdgeConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): EdgeGatewayConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw EdgeErrors.badConfig(`cannot read ${path}: ${(err as Error).message}`)
  }
  return parseEdgeConfig(text, { baseDir: dirname(resolve(path)), env })
}

function expand(v: unknown, env: Readonly<Record<string, string | undefined>>, path: string): unknown {
  if (typeof v === 'string')
    return v.replace(/\$\{([A-Z0-9_]+)\}/g, (_m, name: string) => {
      const x = env[name]
      if (x === undefined) throw EdgeErrors.badConfig(`"${path}" uses \${${name}}, which is not set`)
      return x
    })
  if (Array.isArray(v)) return v.map((x, i) => expand(x, env, `${path}[${i}]`))
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [
        k,
        expand(x, env, path ? `${path}.${k}` : k),
      ]),
    )
  return v
}

function object(v: unknown, path: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw EdgeErrors.badConfig(`"${path || '(root)'}" must be a mapping`)
  return v as Record<string, unknown>
}

function str(v: unknown, path: string): void {
  if (typeof v !== 'string' || v.length === 0)
    throw EdgeErrors.badConfig(`"${path}" must be a non-empty text`)
}
