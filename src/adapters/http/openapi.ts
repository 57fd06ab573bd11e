/**
 * Describes the generated API as an OpenAPI 3.1 document, built from the
 * declared data of the loaded specs only (fields, relations, commands, ports,
 * descriptions). Spec functions (factory, validate, callbacks, adapters…) and
 * dependencies are never read, so nothing executable or secret can leak into
 * the document.
 *
 * @packageDocumentation
 */
import { ID_PATTERN, OWNER_FIELD } from '../../domain/field-schema.js';
import type { FieldSpec, ModelSpecification } from '../../domain/model-spec.js';

/** Same prefix as model-router's MODELS_PREFIX, kept here so this module does not load the router. */
const MODELS_PREFIX = '/microlib/api/models/';

/** The part of a loaded model the document needs (a real `Model` fits). */
export interface OpenApiModel {
  readonly name: string;
  readonly endpoint: string;
  readonly spec: ModelSpecification;
  readonly ports: ReadonlyMap<string, { readonly type: 'inbound' | 'outbound'; readonly disabled: boolean }>;
}

/** One served model (a `ModelRoute` fits). */
export interface OpenApiRoute {
  readonly model: OpenApiModel;
  /** `<remote>@<version>`, shown as `x-microlib-served-by` on each path item. */
  readonly servedBy: string;
}

/** Document-wide settings. */
export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  /** Origin the API is reached at; the paths carry the `/microlib/api/models/` prefix. */
  readonly serverUrl?: string;
  /** Adds the bearer scheme, global security and 401/403/429 answers. */
  readonly authEnabled: boolean;
}

type Obj = Record<string, unknown>;

/**
 * Sets an own, enumerable property even for names like `__proto__`: field and
 * relation names come from remotes, and plain assignment would rewire the prototype.
 */
function put(target: Obj, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A data-only copy of a JSON value from a spec (drops anything JSON cannot carry, functions included). */
function jsonCopy(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const parameterRef = (name: string) => ({ $ref: `#/components/parameters/${name}` });

/** `cancel-order` / `cancel_order` / `cancelOrder` → `CancelOrder`; never empty. */
function pascal(name: string): string {
  const parts = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = parts.map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
  // Component keys and operation ids should not start with a digit.
  return /^[A-Za-z]/.test(joined) ? joined : `M${joined}`;
}

/** English-ish plural for `listOrders`: good enough for ids that only need to be readable and stable. */
function plural(word: string): string {
  if (/(s|x|z|ch|sh)$/i.test(word)) return `${word}es`;
  if (/[^aeiou]y$/i.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

/** Hands out names once: a clash gets a numeric suffix, so ids stay unique and stable for the same input. */
class NameRegistry {
  private readonly taken = new Set<string>();

  constructor(reserved: readonly string[] = []) {
    for (const name of reserved) this.taken.add(name);
  }

  /** The first of `base`, `base2`, `base3`… for which every `base<n><suffix>` is free; claims them all. */
  claim(base: string, suffixes: readonly string[] = ['']): string {
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? base : `${base}${n}`;
      if (suffixes.every((s) => !this.taken.has(candidate + s))) {
        for (const s of suffixes) this.taken.add(candidate + s);
        return candidate;
      }
    }
  }
}

/**
 * One field as JSON Schema, mirroring field-schema.ts (date → date-time string,
 * defaults only outside patches, nested objects accept extra properties and keep
 * their `required` even in a patch, since a patch replaces the whole value).
 */
function fieldSchema(field: FieldSpec, forPatch: boolean): Obj {
  const schema: Obj = {};
  if (field.type === 'date') Object.assign(schema, { type: 'string', format: 'date-time' });
  else schema.type = field.type;
  if (field.enum !== undefined) schema.enum = jsonCopy(field.enum);
  for (const key of ['minimum', 'maximum', 'minLength', 'maxLength'] as const) {
    if (typeof field[key] === 'number') schema[key] = field[key];
  }
  if (typeof field.pattern === 'string') schema.pattern = field.pattern;
  if (typeof field.format === 'string') schema.format = field.format;
  if (field.default !== undefined && !forPatch) {
    const value = jsonCopy(field.default);
    if (value !== undefined) schema.default = value;
  }
  if (typeof field.description === 'string') schema.description = field.description;
  if (field.type === 'array' && field.items) schema.items = fieldSchema(field.items, false);
  if (field.type === 'object' && field.properties) Object.assign(schema, objectSchema(field.properties, { required: true, additional: true }));
  return schema;
}

function objectSchema(fields: Record<string, FieldSpec>, options: { required: boolean; additional: boolean }): Obj {
  const properties: Obj = {};
  const required: string[] = [];
  for (const [name, field] of Object.entries(fields)) {
    put(properties, name, fieldSchema(field, false));
    if (options.required && field.required) required.push(name);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: options.additional };
}

/** Record, create and patch schemas of one model. */
function modelSchemas(model: OpenApiModel): { record: Obj; create: Obj; patch: Obj } {
  const fields = model.spec.fields;
  // Without declared fields any JSON object is accepted (and stored).
  const additional = fields === undefined || model.spec.additionalFields === true;
  const recordProps: Obj = {};
  const createProps: Obj = {};
  const patchProps: Obj = {};
  const createRequired: string[] = [];
  for (const [name, field] of Object.entries(fields ?? {})) {
    const input = fieldSchema(field, false);
    put(createProps, name, input);
    if (field.required) createRequired.push(name);
    // Read-only fields may be set on create but a PATCH naming them answers 400.
    if (!field.readOnly) put(patchProps, name, fieldSchema(field, true));
    if (field.sensitive) {
      // Reads return the encrypted envelope, not the declared type.
      put(recordProps, name, {
        description: `${field.description ? `${field.description} ` : ''}(stored encrypted: reads return the encrypted form; the \`decrypt\` command returns it in clear)`,
        ...(field.readOnly ? { readOnly: true } : {}),
      });
    } else {
      put(recordProps, name, field.readOnly ? { ...input, readOnly: true } : input);
    }
  }
  const host: Obj = {
    id: { type: 'string', pattern: ID_PATTERN.source, readOnly: true, description: 'Unique id, set by the host unless given on create.' },
    createdAt: { type: 'string', format: 'date-time', readOnly: true },
    updatedAt: { type: 'string', format: 'date-time', readOnly: true },
    revision: { type: 'integer', minimum: 1, readOnly: true, description: 'Grows by one on every update; sent as the ETag.' },
    flow: { type: 'object', readOnly: true, description: 'The flow of ports running (or last run) on this record.' },
  };
  if (model.spec.access?.owner === true) {
    put(host, OWNER_FIELD, { type: 'string', readOnly: true, description: 'Subject of the caller who created the record.' });
  }
  for (const [name, schema] of Object.entries(host)) put(recordProps, name, schema);
  // A client may choose the id on create (checked against the id pattern); no other host field is writable.
  put(createProps, 'id', { type: 'string', pattern: ID_PATTERN.source, description: 'Optional id chosen by the client.' });
  return {
    record: { type: 'object', properties: recordProps, required: ['id', 'createdAt', 'updatedAt', 'revision'], additionalProperties: additional },
    create: { type: 'object', properties: createProps, ...(createRequired.length ? { required: createRequired } : {}), additionalProperties: additional },
    patch: { type: 'object', properties: patchProps, additionalProperties: additional },
  };
}

/** Host and declared scalar fields usable as `?field=value`; an encrypted field only with `lookup`. */
function filterParameters(spec: ModelSpecification): Obj[] {
  // The host fields are filterable on every model (see FieldSchema.queryableType).
  const params: Obj[] = [
    { name: 'id', in: 'query', required: false, description: 'Equality filter on `id`.', schema: { type: 'string' } },
    { name: 'createdAt', in: 'query', required: false, description: 'Equality filter on `createdAt`.', schema: { type: 'string', format: 'date-time' } },
    { name: 'updatedAt', in: 'query', required: false, description: 'Equality filter on `updatedAt`.', schema: { type: 'string', format: 'date-time' } },
    { name: 'revision', in: 'query', required: false, description: 'Equality filter on `revision`.', schema: { type: 'integer' } },
  ];
  for (const [name, field] of Object.entries(spec.fields ?? {})) {
    if (!['string', 'number', 'integer', 'boolean', 'date'].includes(field.type)) continue;
    if (field.sensitive && !field.lookup) continue;
    // Paging names and host fields are never declared-field filters (and duplicates would be invalid).
    if (['limit', 'offset', 'cursor', 'sort', 'count', 'id', 'createdAt', 'updatedAt', 'revision', 'flow'].includes(name)) continue;
    const schema: Obj = field.type === 'date' ? { type: 'string', format: 'date-time' } : { type: field.type };
    if (field.enum !== undefined) schema.enum = jsonCopy(field.enum);
    params.push({ name, in: 'query', required: false, description: `Equality filter on \`${name}\`.`, schema });
  }
  return params;
}

const PAGING_PARAMS = ['limit', 'offset', 'cursor', 'sort', 'count'].map(parameterRef);

/** Components shared by every model: error body, error answers, headers, parameters. */
function sharedComponents(authEnabled: boolean): { schemas: Obj; responses: Obj; headers: Obj; parameters: Obj } {
  const errorResponse = (description: string) => ({
    description,
    content: { 'application/json': { schema: ref('Error') } },
  });
  const responses: Obj = {
    BadRequest: errorResponse('Invalid body, query parameter or request (`MLB_ERR_VALIDATION`, `MLB_ERR_BAD_JSON`, `MLB_ERR_BAD_QUERY`, `MLB_ERR_BAD_REQUEST`).'),
    NotFound: errorResponse('No such record, model or route (`MLB_ERR_NOT_FOUND`).'),
    Conflict: errorResponse('Duplicate id, refused by the model or a port, or a flow already running (`MLB_ERR_CONFLICT`).'),
    PreconditionFailed: errorResponse('`If-Match` names an old revision (`MLB_ERR_PRECONDITION_FAILED`).'),
    PayloadTooLarge: errorResponse('Body over the size limit (`MLB_ERR_PAYLOAD_TOO_LARGE`).'),
    UnsupportedMediaType: errorResponse('Body that is not `application/json` (`MLB_ERR_UNSUPPORTED_MEDIA_TYPE`).'),
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
      ifMatch: { name: 'If-Match', in: 'header', required: false, description: 'Makes the write conditional: `"<revision>"`.', schema: { type: 'string' } },
      ifNoneMatch: { name: 'If-None-Match', in: 'header', required: false, description: 'Answers 304 when it matches the current ETag.', schema: { type: 'string' } },
    },
  };
}

/** A page of records of `itemSchema` (offset is absent when paging by cursor). */
function pageSchema(itemSchema: Obj): Obj {
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

const json = (schema: Obj) => ({ 'application/json': { schema } });

/** Error answers by status, as response refs. Auth answers are added to every operation when authentication is on. */
function errors(statuses: readonly number[], authEnabled: boolean): Obj {
  const names: Record<number, string> = {
    400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 412: 'PreconditionFailed',
    413: 'PayloadTooLarge', 415: 'UnsupportedMediaType', 429: 'TooManyRequests', 502: 'PortFailed', 503: 'Unavailable', 504: 'Timeout',
  };
  const all = authEnabled ? [...statuses, 401, 403, 429] : statuses;
  const out: Obj = {};
  for (const status of [...new Set(all)].sort()) out[String(status)] = responseRef(names[status]!);
  return out;
}

/**
 * Builds the OpenAPI 3.1.0 document of the generated API for the given models:
 * one record, `<Model>Create`, `<Model>Patch` and `<Model>Page` schema each, and
 * every route of the generated API (collection, item, relations, commands and
 * enabled inbound ports) with its parameters, headers and error answers.
 *
 * Only declared data of the specs is read; the result is plain JSON. Operation
 * ids (`listOrders`, `getOrderCustomer`, `runOrderApprove`, `callOrderCancelOrder`…)
 * are unique, and stable for the same models in the same order.
 */
export function buildOpenApiDocument(models: ReadonlyArray<OpenApiRoute>, info: OpenApiInfo): Record<string, unknown> {
  const shared = sharedComponents(info.authEnabled);
  const schemaNames = new NameRegistry(Object.keys(shared.schemas));
  const operationIds = new NameRegistry();
  const paths: Obj = {};
  const tags: Obj[] = [];
  const seenEndpoints = new Set<string>();
  // Relations name models by modelName; resolve them to schema names after all models have one.
  const schemaOf = new Map<string, string>();
  const routes: Array<{ route: OpenApiRoute; base: string }> = [];
  for (const route of models) {
    // The route table keys by endpoint, so a repeat cannot be served: document the first only.
    if (seenEndpoints.has(route.model.endpoint)) continue;
    seenEndpoints.add(route.model.endpoint);
    const base = schemaNames.claim(pascal(route.model.name), ['', 'Create', 'Patch', 'Page']);
    if (!schemaOf.has(route.model.name)) schemaOf.set(route.model.name, base);
    routes.push({ route, base });
  }

  const version = { 'x-microlib-version': { $ref: '#/components/headers/Version' } };
  const etag = { ETag: { $ref: '#/components/headers/ETag' } };
  for (const { route, base } of routes) {
    const { model, servedBy } = route;
    const { spec } = model;
    const { record, create, patch } = modelSchemas(model);
    Object.assign(shared.schemas, { [base]: record, [`${base}Create`]: create, [`${base}Patch`]: patch, [`${base}Page`]: pageSchema(ref(base)) });
    tags.push({ name: model.name });
    const tag = [model.name];
    const auth = info.authEnabled;
    const one = (description: string, withEtag: boolean) => ({
      description,
      headers: withEtag ? { ...etag, ...version } : version,
      content: json(ref(base)),
    });
    const collection = `${MODELS_PREFIX}${encodeURIComponent(model.endpoint)}`;
    const item = `${collection}/{id}`;
    const pathItem = (extra: Obj) => ({ 'x-microlib-served-by': servedBy, ...extra });

    paths[collection] = pathItem({
      get: {
        operationId: operationIds.claim(`list${plural(base)}`),
        tags: tag,
        summary: `List ${model.name} records`,
        parameters: [...PAGING_PARAMS, ...filterParameters(spec)],
        responses: { '200': { description: 'A page of records.', headers: version, content: json(ref(`${base}Page`)) }, ...errors([400], auth) },
      },
      post: {
        operationId: operationIds.claim(`create${base}`),
        tags: tag,
        summary: `Create a ${model.name} record`,
        requestBody: { required: true, content: json(ref(`${base}Create`)) },
        responses: {
          '201': { description: 'The stored record.', headers: { Location: { $ref: '#/components/headers/Location' }, ...etag, ...version }, content: json(ref(base)) },
          ...errors([400, 409, 413, 415], auth),
        },
      },
    });

    paths[item] = pathItem({
      parameters: [parameterRef('id')],
      get: {
        operationId: operationIds.claim(`get${base}`),
        tags: tag,
        summary: `Read a ${model.name} record`,
        parameters: [parameterRef('ifNoneMatch')],
        responses: {
          '200': one('The record.', true),
          '304': { description: 'Not modified: `If-None-Match` matches the current ETag.', headers: { ...etag, ...version } },
          ...errors([400, 404], auth),
        },
      },
      patch: {
        operationId: operationIds.claim(`update${base}`),
        tags: tag,
        summary: `Change a ${model.name} record`,
        parameters: [parameterRef('ifMatch')],
        requestBody: { required: true, content: json(ref(`${base}Patch`)) },
        responses: { '200': one('The merged record.', true), ...errors([400, 404, 409, 412, 413, 415], auth) },
      },
      delete: {
        operationId: operationIds.claim(`delete${base}`),
        tags: tag,
        summary: `Delete a ${model.name} record`,
        parameters: [parameterRef('ifMatch')],
        responses: { '204': { description: 'Deleted.', headers: version }, ...errors([404, 409, 412], auth) },
      },
    });

    for (const [name, relation] of Object.entries(spec.relations ?? {})) {
      const target = schemaOf.get(relation.modelName);
      // A model served elsewhere (another host) has no schema here: any record then.
      const targetSchema = target ? ref(target) : { type: 'object' };
      const many = relation.type === 'oneToMany';
      paths[`${item}/${encodeURIComponent(name)}`] = pathItem({
        parameters: [parameterRef('id')],
        get: {
          operationId: operationIds.claim(`get${base}${pascal(name)}`),
          tags: tag,
          summary: `The ${name} of a ${model.name} (${relation.type} ${relation.modelName})`,
          ...(typeof relation.desc === 'string' ? { description: relation.desc } : {}),
          ...(many ? { parameters: PAGING_PARAMS } : {}),
          responses: {
            '200': {
              description: many ? 'A page of related records.' : 'The related record.',
              headers: version,
              content: json(many ? (target ? ref(`${target}Page`) : pageSchema(targetSchema)) : targetSchema),
            },
            ...errors([400, 404], auth),
          },
        },
      });
    }

    const commands: Array<[string, string | undefined]> = Object.entries(spec.commands ?? {}).map(([name, command]) => [
      name,
      // A string command names the port it starts; functions are never described.
      [typeof command.desc === 'string' ? command.desc : undefined, typeof command.command === 'string' ? `Starts the flow at port \`${command.command}\`.` : undefined]
        .filter(Boolean)
        .join(' ') || undefined,
    ]);
    // The host adds `decrypt` to models with sensitive fields.
    if (Object.values(spec.fields ?? {}).some((f) => f.sensitive) && !commands.some(([name]) => name === 'decrypt')) {
      commands.push(['decrypt', 'The record with its sensitive fields in clear.']);
    }
    const portErrors = [400, 404, 409, 413, 415, 502, 503, 504];
    for (const [name, description] of commands) {
      paths[`${item}/commands/${encodeURIComponent(name)}`] = pathItem({
        parameters: [parameterRef('id')],
        post: {
          operationId: operationIds.claim(`run${base}${pascal(name)}`),
          tags: tag,
          summary: `Run the ${name} command on a ${model.name}`,
          ...(description ? { description } : {}),
          requestBody: { required: false, content: json({ description: 'The command input (any JSON).' }) },
          responses: { '200': one('The record after the command.', true), ...errors(portErrors, auth) },
        },
      });
    }

    for (const [name, port] of model.ports) {
      // Outbound ports are driven by the model; calling them over HTTP answers 403.
      if (port.type !== 'inbound' || port.disabled) continue;
      const desc = spec.ports?.[name]?.desc;
      paths[`${item}/ports/${encodeURIComponent(name)}`] = pathItem({
        parameters: [parameterRef('id')],
        post: {
          operationId: operationIds.claim(`call${base}${pascal(name)}`),
          tags: tag,
          summary: `Run the inbound port ${name} of a ${model.name}`,
          ...(typeof desc === 'string' ? { description: desc } : {}),
          requestBody: { required: false, content: json({ description: 'The port input (any JSON).' }) },
          responses: { '200': one('The record once this step is done (the flow it starts goes on).', true), ...errors(portErrors, auth) },
        },
      });
    }
  }

  const components: Obj = { ...shared };
  if (info.authEnabled) components.securitySchemes = { bearerAuth: { type: 'http', scheme: 'bearer' } };
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version },
    ...(info.serverUrl !== undefined ? { servers: [{ url: info.serverUrl }] } : {}),
    ...(info.authEnabled ? { security: [{ bearerAuth: [] }] } : {}),
    tags,
    paths,
    components,
  };
}
