/**
 * The parts of the OpenAPI document every model shares: the error body and
 * answers, headers, parameters, the page schema, and references to them.
 */
import { ID_PATTERN } from '../../../domain/field-schema.js';
import type { Obj } from './model-schemas.js';

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
export const parameterRef = (name: string) => ({ $ref: `#/components/parameters/${name}` });

export const PAGING_PARAMS = ['limit', 'offset', 'cursor', 'sort', 'count'].map(parameterRef);

/** How many items a batch takes, for descriptions (the limit is the host's BATCH_MAX_ITEMS). */
export const BATCH_LIMIT_TEXT = 'at most `BATCH_MAX_ITEMS` items (1,000 unless the host sets it; more answers 413)';

/** A revision an item of a batch must still have, as `If-Match` does for one record. */
const IF_MATCH_ITEM = {
  description: 'The revision the record must still have (`3`, or an ETag such as `"3"`); a stale one fails this item alone with 412.',
  oneOf: [{ type: 'integer', minimum: 0 }, { type: 'string' }],
};

/** Components shared by every model: error body, error answers, headers, parameters. */
export function sharedComponents(authEnabled: boolean): { schemas: Obj; responses: Obj; headers: Obj; parameters: Obj } {
  // Errors come in the format the request's Accept chose, as its answer would.
  const errorResponse = (description: string) => ({
    description,
    content: negotiated(ref('Error')),
  });
  const responses: Obj = {
    BadRequest: errorResponse('Invalid body, query parameter or request (`MLB_ERR_VALIDATION`, `MLB_ERR_BAD_JSON`, `MLB_ERR_BAD_QUERY`, `MLB_ERR_BAD_REQUEST`).'),
    NotFound: errorResponse('No such record, model or route (`MLB_ERR_NOT_FOUND`).'),
    Conflict: errorResponse('Duplicate id, refused by the model or a port, or a flow already running (`MLB_ERR_CONFLICT`).'),
    PreconditionFailed: errorResponse('`If-Match` names an old revision (`MLB_ERR_PRECONDITION_FAILED`).'),
    PayloadTooLarge: errorResponse('Body over the size limit, or a batch over `BATCH_MAX_ITEMS` items (`MLB_ERR_PAYLOAD_TOO_LARGE`).'),
    UnsupportedMediaType: errorResponse('Body that is neither `application/json` nor `application/msgpack` (a batch: `application/json` only) (`MLB_ERR_UNSUPPORTED_MEDIA_TYPE`).'),
    NotAcceptable: {
      description: '`Accept` allows neither `application/json` nor `application/msgpack` (`MLB_ERR_NOT_ACCEPTABLE`); always JSON.',
      content: json(ref('Error')),
    },
    PortFailed: errorResponse("A port's adapter failed after its retries (`MLB_ERR_PORT_FAILED`)."),
    Unavailable: errorResponse("A port's circuit is open, or its adapter or service is not loaded (`MLB_ERR_UNAVAILABLE`)."),
    Timeout: errorResponse("A port's adapter did not answer within its timeout (`MLB_ERR_TIMEOUT`)."),
  };
  if (authEnabled) {
    responses.Unauthorized = errorResponse('Bearer token missing or not accepted (`MLB_ERR_UNAUTHORIZED`).');
    responses.Forbidden = errorResponse('The caller lacks a required permission (`MLB_ERR_FORBIDDEN`).');
    responses.TooManyRequests = errorResponse('Too many failed authentications from this address (`MLB_ERR_TOO_MANY_REQUESTS`).');
  }
  return {
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string', pattern: '^MLB_ERR_', examples: ['MLB_ERR_VALIDATION'] },
              message: { type: 'string' },
              field: { type: 'string', description: 'The offending field or query parameter, e.g. `items[0].quantity`.' },
            },
          },
        },
      },
      BatchDeletion: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'string', pattern: ID_PATTERN.source }, ifMatch: IF_MATCH_ITEM },
        additionalProperties: false,
      },
    },
    responses,
    headers: {
      ETag: { description: 'The record\'s revision, quoted: `"<revision>"`.', schema: { type: 'string' } },
      Location: { description: 'URL of the created record.', schema: { type: 'string' } },
      Version: { description: 'The build that answered, `<remote>@<version>`.', schema: { type: 'string' } },
    },
    parameters: {
      id: { name: 'id', in: 'path', required: true, description: 'Record id.', schema: { type: 'string', pattern: ID_PATTERN.source } },
      limit: { name: 'limit', in: 'query', required: false, description: 'Page size (1 to MAX_PAGE_SIZE).', schema: { type: 'integer', minimum: 1 } },
      offset: { name: 'offset', in: 'query', required: false, description: 'Records to skip; not with `cursor`.', schema: { type: 'integer', minimum: 0 } },
      cursor: { name: 'cursor', in: 'query', required: false, description: 'The `nextCursor` of the previous page; not with `offset`.', schema: { type: 'string', minLength: 1 } },
      sort: { name: 'sort', in: 'query', required: false, description: 'Comma-separated fields, `-` for descending, e.g. `-total,createdAt`.', schema: { type: 'string' } },
      count: { name: 'count', in: 'query', required: false, description: 'Adds `total` to the page (no value or `true`).', allowEmptyValue: true, schema: { type: 'string', enum: ['', 'true', 'false'] } },
      fields: {
        name: 'fields',
        in: 'query',
        required: false,
        description:
          'Comma-separated fields the answer\'s records carry, e.g. `name,total`: `id` always, the others only when named (host fields `createdAt`, `updatedAt`, `revision`, `flow` included). ' +
          'A name the model does not have answers 400 (`MLB_ERR_BAD_QUERY`) naming it. The ETag stays the record\'s revision.',
        schema: { type: 'string', minLength: 1 },
        example: 'name,updatedAt',
      },
      ids: {
        name: 'ids',
        in: 'query',
        required: false,
        description: `Comma-separated ids of the records to delete, e.g. \`a1,b2\` (instead of a body; ${BATCH_LIMIT_TEXT}).`,
        schema: { type: 'string', minLength: 1 },
        example: 'a1,b2',
      },
      ifMatch: { name: 'If-Match', in: 'header', required: false, description: 'Makes the write conditional: `"<revision>"`.', schema: { type: 'string' } },
      ifNoneMatch: { name: 'If-None-Match', in: 'header', required: false, description: 'Answers 304 when it matches the current ETag.', schema: { type: 'string' } },
    },
  };
}

/** A page of records of `itemSchema` (offset is absent when paging by cursor). */
export function pageSchema(itemSchema: Obj): Obj {
  return {
    type: 'object',
    required: ['data', 'limit'],
    properties: {
      data: { type: 'array', items: itemSchema },
      limit: { type: 'integer' },
      offset: { type: 'integer' },
      total: { type: 'integer', description: 'With `count`.' },
      nextCursor: { type: 'string', description: 'Pass as `cursor` for the next page.' },
    },
  };
}

export const json = (schema: Obj) => ({ 'application/json': { schema } });

/**
 * A body in either format: JSON, or MessagePack with the same schema (bigint
 * fields as 64-bit integers; see FieldType). Requests say which with
 * Content-Type, answers follow Accept.
 */
export const negotiated = (schema: Obj) => ({ 'application/json': { schema }, 'application/msgpack': { schema } });

/** An item of a batch patch: the model's patch with the record's `id` and an optional `ifMatch`. */
export function batchPatchSchema(patch: Obj): Obj {
  const properties = { ...(patch.properties as Obj) };
  Object.defineProperty(properties, 'id', { value: { type: 'string', pattern: ID_PATTERN.source, description: 'The record to change.' }, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(properties, 'ifMatch', { value: IF_MATCH_ITEM, enumerable: true, writable: true, configurable: true });
  return { ...patch, properties, required: ['id'] };
}

/**
 * The answer of a batch: one result per item, in order. An item that succeeded
 * has its status (201 created, 200 changed, 204 deleted) and its record (none
 * for a delete); one that failed has the status and error it would have had alone.
 */
export function batchResultSchema(recordSchema: Obj): Obj {
  return {
    type: 'object',
    required: ['results', 'succeeded', 'failed'],
    properties: {
      results: {
        type: 'array',
        items: {
          type: 'object',
          required: ['index', 'status'],
          properties: {
            index: { type: 'integer', minimum: 0, description: 'The item\'s place in the request, from 0.' },
            status: { type: 'integer', description: 'The item\'s own status: 201, 200 or 204 when it succeeded, else its error\'s (400, 404, 409, 412…).' },
            id: { type: 'string', description: 'The record the item names (patch and delete).' },
            record: { ...recordSchema, description: 'The record as stored (create and patch).' },
            error: { $ref: '#/components/schemas/Error/properties/error' },
          },
        },
      },
      succeeded: { type: 'integer', minimum: 0 },
      failed: { type: 'integer', minimum: 0 },
    },
  };
}

/** Error answers by status, as response refs. Auth answers are added to every operation when authentication is on. */
export function errors(statuses: readonly number[], authEnabled: boolean): Obj {
  const names: Record<number, string> = {
    400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 412: 'PreconditionFailed',
    406: 'NotAcceptable', 413: 'PayloadTooLarge', 415: 'UnsupportedMediaType', 429: 'TooManyRequests', 502: 'PortFailed', 503: 'Unavailable', 504: 'Timeout',
  };
  // Every route negotiates its answer's format.
  const all = authEnabled ? [...statuses, 406, 401, 403, 429] : [...statuses, 406];
  const out: Obj = {};
  for (const status of [...new Set(all)].sort()) out[String(status)] = responseRef(names[status]!);
  return out;
}
