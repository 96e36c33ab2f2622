export {
  type BrowseOptions,
  browseEndpoint,
  browseSession,
  createOpcuaAdapter,
  type OpcuaAdapter,
  type OpcuaAdapterConfig,
  type OpcuaBrowseNode,
  type OpcuaConnectionConfig,
  type OpcuaIdentity,
  type OpcuaItemConfig,
  type OpcuaSecurityMode,
  type OpcuaSecurityPolicy,
  qualityOf,
  rawValueOf,
} from './opcua-adapter.ts'
export { OpcuaErrors } from './opcua-errors.ts'
