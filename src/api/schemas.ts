/** JSON Schemas shared by routes; they also feed the OpenAPI document at /docs. */
export const idParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const

export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
  offset: { type: 'integer', minimum: 0, default: 0 },
  sort: { type: 'string', maxLength: 40 },
  order: { type: 'string', enum: ['asc', 'desc'] },
  q: { type: 'string', maxLength: 200 },
} as const

export const errorBody = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
      required: ['code', 'message'],
    },
  },
} as const

export const roleEnum = {
  type: 'string',
  enum: ['platform_admin', 'enterprise_admin', 'engineer', 'operator', 'viewer', 'regional_authority'],
} as const
export const levelEnum = { type: 'string', enum: ['site', 'area', 'line', 'cell', 'equipment'] } as const
export const dataTypeEnum = {
  type: 'string',
  enum: ['float64', 'float32', 'int64', 'int32', 'int16', 'uint32', 'uint16', 'bool', 'string'],
} as const
export const pointKindEnum = { type: 'string', enum: ['analog', 'counter', 'state', 'text'] } as const
