/**
 * Every HTTP route the console calls, in OpenAPI path syntax. The client builds URLs only from these,
 * and test/browser/api-contract.test.ts checks each one against the server's /docs/json.
 */
export const API_ROUTES = {
  login: ['POST', '/api/auth/login'],
  logout: ['POST', '/api/auth/logout'],
  me: ['GET', '/api/auth/me'],
  tenants: ['GET', '/api/tenants'],
  overview: ['GET', '/api/overview'],
  assets: ['GET', '/api/assets'],
  points: ['GET', '/api/points'],
  point: ['GET', '/api/points/{id}'],
  pointSeries: ['GET', '/api/points/{id}/series'],
  pointBuckets: ['GET', '/api/points/{id}/buckets'],
  pointExport: ['GET', '/api/points/{id}/export.csv'],
  seriesBuckets: ['POST', '/api/series/buckets'],
  seriesLatest: ['POST', '/api/series/latest'],
  devices: ['GET', '/api/devices'],
  createDevice: ['POST', '/api/devices'],
  device: ['GET', '/api/devices/{id}'],
  credentials: ['GET', '/api/devices/{id}/credentials'],
  issueCredential: ['POST', '/api/devices/{id}/credentials'],
  revokeCredential: ['DELETE', '/api/devices/{id}/credentials/{credentialId}'],
  connection: ['GET', '/api/devices/{id}/connection'],
  users: ['GET', '/api/users'],
  createUser: ['POST', '/api/users'],
  updateUser: ['PATCH', '/api/users/{id}'],
  audit: ['GET', '/api/audit'],
} as const satisfies Record<string, readonly [string, string]>

export type RouteName = keyof typeof API_ROUTES

/** WebSocket routes: not in the OpenAPI document, so the contract test opens them instead. */
export const WS_ROUTES = { live: '/api/live' } as const
