/**
 * Public surface of the identifiers module: Handle-style registry and recursive resolver,
 * EPCIS 2.0 events, GS1 Digital Link, cross-company trace, QR codes.
 * Other modules and app.ts import from here only.
 */

// errors
export { IdentErrorCodes, IdentErrors, type IdentErrorCode } from './identifiers-errors.ts'

// schema
export { migrateIdentifiers, type IdentifiersTables } from './identifiers-migrations.ts'

// Handle model
export {
  derivePrefix,
  encodeHandlePath,
  HANDLE_LIMITS,
  isUnderPrefix,
  isValidPrefix,
  normalizeHandle,
  normalizePrefix,
  parentPrefix,
  parseHandle,
  prefixAncestry,
  prefixProblem,
  suffixProblem,
  tryParseHandle,
  type ParsedHandle,
} from './handle-syntax.ts'
export {
  ADMIN_PERMISSIONS_ALL,
  adminValue,
  DEFAULT_PERMISSIONS,
  DEFAULT_TTL_S,
  delegationTarget,
  emailValue,
  filterValues,
  minTtl,
  nodeValue,
  normalizeValues,
  publicValues,
  RONGHE_NODE,
  siteValue,
  stringValue,
  typeMatches,
  urlValue,
  valueProblems,
  WellKnownTypes,
  type AdminValue,
  type HandleData,
  type HandleDataFormat,
  type HandleValue,
  type HandleValueInput,
  type SiteValue,
  type ValueFilter,
  type ValuePermissions,
  type ValueProblem,
  type ValueRef,
} from './handle-values.ts'
export {
  assertFields,
  BUILTIN_TEMPLATES,
  fieldsToValues,
  templateProblems,
  validateFields,
  valuesToFields,
  type FieldError,
  type MetadataTemplate,
  type TemplateField,
  type TemplateFieldKind,
} from './templates.ts'

// storage
export type { HandleRecord, HandleStore, PrefixRecord, PutResult } from './handle-store.ts'
export { createSqliteHandleStore } from './sqlite-handle-store.ts'

// registry and identifier generation
export {
  ADMIN_INDEX,
  createHandleRegistry,
  DELEGATION_PREFIX,
  MAX_BULK,
  type BulkItemResult,
  type BulkResult,
  type HandleRegistry,
  type HandleRegistryDeps,
  type RegisterInput,
} from './handle-registry.ts'
export {
  createIdentifierGenerator,
  expandPattern,
  patternProblems,
  type IdentifierGenerator,
} from './id-generator.ts'

// Handle.Net HTTP JSON interface and resolution
export {
  errorBody,
  fromJsonValue,
  createResolutionFastPath,
  HandleResponseCode,
  handleFromPath,
  httpStatusFor,
  isoSeconds,
  parseResolveQuery,
  RESPONSE_MESSAGES,
  successBody,
  toJsonValue,
  type HandleBody,
  type HandleErrorBody,
  type HandleJsonValue,
  type HandleOperation,
  type HandleSuccessBody,
  type ResolveQuery,
} from './handle-http.ts'
export {
  combineDelegations,
  createStaticDelegations,
  createStoreDelegations,
  type Delegation,
  type DelegationSource,
} from './delegations.ts'
export {
  type CacheMemo,
  createHandleResolver,
  HOPS_HEADER,
  type FetchLike,
  type HandleResolver,
  type HandleResolverDeps,
  type Resolution,
  type ResolutionSource,
  type ResolveOptions,
  type ResolverCacheOptions,
  type ResolverStats,
} from './handle-resolver.ts'
export {
  createHandleHttpHandler,
  resolutionBody,
  toNodeListener,
  type HandleHttpRequest,
  type HandleHttpResponse,
} from './handle-node.ts'

// EPCIS 2.0
export * from './epcis/cbv.ts'
export type * from './epcis/epcis-types.ts'
export { EPCIS_CONTEXT, EVENT_TYPES } from './epcis/epcis-types.ts'
export {
  epcProblem,
  parseEpcisTime,
  parseOffset,
  validateDocument,
  validateEvent,
  type DocumentValidation,
  type EpcisProblem,
  type EpcisProblemCode,
} from './epcis/epcis-validate.ts'
export {
  compareStored,
  DEFAULT_PER_PAGE,
  decodePageToken,
  encodePageToken,
  eventIdentifiers,
  idMatches,
  MATCH_ROLES,
  matchesQuery,
  MAX_PER_PAGE,
  parseEpcisQuery,
  queryEvents,
  type EpcisPage,
  type EpcisQuery,
  type IdRole,
} from './epcis/epcis-query.ts'
export type { CaptureItem, EpcisStore } from './epcis/epcis-store.ts'
export { createSqliteEpcisStore } from './epcis/sqlite-epcis-store.ts'
export {
  CAPTURE_LIMIT,
  createEpcisCapture,
  eventHashId,
  type CaptureErrorBehaviour,
  type CaptureOptions,
  type CaptureResult,
  type EpcisCapture,
} from './epcis/epcis-capture.ts'
export {
  formatEpcisTime,
  formatOffset,
  transformationFromProduction,
  type ProductionRecord,
} from './epcis/production-event.ts'

// GS1 Digital Link
export {
  AIS,
  aiDef,
  aiValueProblem,
  gs1CheckDigit,
  hasValidCheckDigit,
  isValidGtin,
  PRIMARY_KEYS,
  toGtin14,
  type AiDef,
} from './digital-link/gs1-keys.ts'
export {
  buildDigitalLink,
  encodeAiValue,
  keyPath,
  parseDigitalLink,
  tryParseDigitalLink,
  type DigitalLink,
  type DigitalLinkParts,
} from './digital-link/digital-link.ts'
export {
  buildLinkset,
  CORS_HEADERS,
  createDigitalLinkResolver,
  createStaticLinkSource,
  GS1_VOC,
  shortLinkType,
  type DlLink,
  type DlLinkSource,
  type DlRequest,
  type DlResolverOptions,
  type DlResponse,
} from './digital-link/dl-resolver.ts'

// trace and QR
export {
  combineTraceSources,
  mentionedIds,
  redactEvent,
  traceProduct,
  visibleTo,
  type TimelineEntry,
  type TraceDirection,
  type TraceEdge,
  type TraceEdgeKind,
  type TraceEventSource,
  type TraceOptions,
  type TraceResult,
  type TraceViewer,
} from './trace/trace-graph.ts'
export { identifierPublicUrl, identifierQrSvg, qrSvg, type QrOptions } from './trace/qr-code.ts'

// the platform's wiring and faces
export {
  openIdentifierService,
  openPostgresIdentifierService,
  parseDelegationList,
  type IdentifierNodeConfig,
  type IdentifierNodeRole,
  type IdentifierService,
  type IdentifierServiceDeps,
  type PostgresIdentifierServiceDeps,
} from './identifier-service.ts'
export {
  createDlLinkStore,
  createSqliteDlLinkStore,
  linkProblems,
  migrateDlLinks,
  normalizeKeyPath,
  type DlLinkStore,
} from './digital-link/dl-link-store.ts'
export {
  categorize,
  escapeHtml,
  renderTracePage,
  type TraceCategory,
  type TracePageInput,
} from './trace/trace-page.ts'
