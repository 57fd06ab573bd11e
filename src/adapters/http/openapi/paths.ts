/**
 * The paths of one model in the OpenAPI document, one operation per declared
 * route (MODEL_ROUTES) and method: a route that takes a relation, command or
 * port name gets one path per name the model has.
 */
import type { ModelSpecification } from '../../../domain/model-spec.js';
import { MODELS_PREFIX } from '../models-prefix.js';
import { MODEL_ROUTES, type ModelRoute } from '../routes/model-routes.js';
import { BATCH_LIMIT_TEXT, errors, negotiated, PAGING_PARAMS, pageSchema, parameterRef, ref } from './components.js';
import { filterParameters, put, type Obj } from './model-schemas.js';
import { pascal, plural, type NameRegistry } from './names.js';

/** The part of a loaded model the document needs (a real `Model` fits). */
export interface OpenApiModel {
  readonly name: string;
  readonly endpoint: string;
  readonly spec: ModelSpecification;
  readonly ports: ReadonlyMap<string, { readonly type: 'inbound' | 'outbound'; readonly disabled: boolean }>;
}

/** One served model (a `ServedModel` fits). */
export interface OpenApiRoute {
  readonly model: OpenApiModel;
  /** `<remote>@<version>`, shown as `x-microlib-served-by` on each path item. */
  readonly servedBy: string;
}

/** What the paths of one model are built with. */
export interface PathContext {
  readonly route: OpenApiRoute;
  /** The model's schema name, e.g. `Order` (with `OrderCreate`, `OrderPatch`, `OrderPage`). */
  readonly base: string;
  /** Schema names by model name, for relations to models served here. */
  readonly schemaOf: ReadonlyMap<string, string>;
  /** Specifications by model name of the models served here, for the filters of relation pages. */
  readonly specOf?: ReadonlyMap<string, ModelSpecification>;
  readonly operationIds: NameRegistry;
  readonly authEnabled: boolean;
}

/** A relation, command or port a route is documented for (`name` '' for a route without one). */
interface RouteTarget {
  readonly name: string;
  readonly description?: string | undefined;
  /** A relation: what it is (`manyToOne customer`), whether it answers a page, the related schema name if served here, the related model and the foreign key. */
  readonly relation?: { readonly about: string; readonly many: boolean; readonly schema: string | undefined; readonly modelName: string; readonly foreignKey: string };
}

const NO_NAME: readonly RouteTarget[] = [{ name: '' }];
const VERSION = { 'x-microlib-version': { $ref: '#/components/headers/Version' } };
const ETAG = { ETag: { $ref: '#/components/headers/ETag' } };

function relationsOf(spec: ModelSpecification, schemaOf: ReadonlyMap<string, string>): RouteTarget[] {
  return Object.entries(spec.relations ?? {}).map(([name, relation]) => ({
    name,
    description: typeof relation.description === 'string' ? relation.description : undefined,
    relation: { about: `${relation.type} ${relation.modelName}`, many: relation.type === 'oneToMany', schema: schemaOf.get(relation.modelName), modelName: relation.modelName, foreignKey: relation.foreignKey },
  }));
}

function commandsOf(spec: ModelSpecification): RouteTarget[] {
  const commands: RouteTarget[] = Object.entries(spec.commands ?? {}).map(([name, command]) => ({
    name,
    // A string command names the port it starts; functions are never described.
    description:
      [typeof command.description === 'string' ? command.description : undefined, typeof command.command === 'string' ? `Starts the flow at port \`${command.command}\`.` : undefined]
        .filter(Boolean)
        .join(' ') || undefined,
  }));
  // The host adds `decrypt` to models with sensitive fields.
  if (Object.values(spec.fields ?? {}).some((f) => f.sensitive) && !commands.some(({ name }) => name === 'decrypt')) {
    commands.push({ name: 'decrypt', description: 'The record with its sensitive fields in clear.' });
  }
  return commands;
}

function inboundPortsOf(model: OpenApiModel): RouteTarget[] {
  const ports: RouteTarget[] = [];
  for (const [name, port] of model.ports) {
    // Outbound ports are driven by the model; calling them over HTTP answers 403.
    if (port.type !== 'inbound' || port.disabled) continue;
    const description = model.spec.ports?.[name]?.description;
    ports.push({ name, description: typeof description === 'string' ? description : undefined });
  }
  return ports;
}

/** What a route is documented for: each relation, command or inbound port its path names, or itself once. */
function targetsOf(route: ModelRoute, context: PathContext): readonly RouteTarget[] {
  const { model } = context.route;
  if (route.path.includes('{relation}')) return relationsOf(model.spec, context.schemaOf);
  if (route.path.includes('{command}')) return commandsOf(model.spec);
  if (route.path.includes('{port}')) return inboundPortsOf(model);
  return NO_NAME;
}

/**
 * The filters of a relation's page: the related model's, as its list takes them (only the host fields' when
 * another host serves it, which checks the others itself), but the foreign key, which the relation sets.
 */
function relationFilters(relation: NonNullable<RouteTarget['relation']>, context: PathContext): Obj[] {
  const related = context.specOf?.get(relation.modelName) ?? {};
  const fk = relation.foreignKey;
  return filterParameters(related).filter((p) => p.name !== fk && !String(p.name).startsWith(`${fk}[`));
}

function parametersOf(route: ModelRoute, target: RouteTarget, context: PathContext): Obj[] {
  const spec = context.route.model.spec;
  const parameters: Obj[] = [];
  if (route.ifNoneMatch) parameters.push(parameterRef('ifNoneMatch'));
  if (route.ifMatch) parameters.push(parameterRef('ifMatch'));
  if (route.query === 'list') parameters.push(...PAGING_PARAMS, ...filterParameters(spec));
  if (route.query === 'relation-page' && target.relation?.many) parameters.push(...PAGING_PARAMS, ...relationFilters(target.relation, context));
  if (route.query === 'ids') parameters.push(parameterRef('ids'));
  if (route.fields) parameters.push(parameterRef('fields'));
  if (route.query === 'relation') {
    const names = Object.keys(spec.relations ?? {});
    if (names.length) {
      const description = 'Answers as `GET …/{id}/<relation>` does (with its paging parameters) instead of with the record.';
      parameters.push({ name: 'relation', in: 'query', required: false, description, schema: { type: 'string', enum: names } });
    }
  }
  return parameters;
}

/** The success answer's schema. */
function answerSchema(route: ModelRoute, target: RouteTarget, base: string): Obj | undefined {
  switch (route.answer.body) {
    case 'record':
      return ref(base);
    case 'page':
      return ref(`${base}Page`);
    case 'related': {
      const related = target.relation!.schema;
      // A model served elsewhere (another host) has no schema here: any record then.
      const one = related ? ref(related) : { type: 'object' };
      if (!target.relation!.many) return one;
      return related ? ref(`${related}Page`) : pageSchema(one);
    }
    case 'batch':
      return ref(`${base}BatchResult`);
    case 'none':
      return undefined;
  }
}

/** `content` with the same example on each of its media types. */
function withExample(content: Obj, example: unknown): Obj {
  return Object.fromEntries(Object.entries(content).map(([type, media]) => [type, { ...(media as Obj), example }]));
}

/** What a route's body is in the document. */
function requestBodyOf(route: ModelRoute, base: string): Obj | undefined {
  const body = route.body;
  if (body === undefined) return undefined;
  switch (body.schema) {
    case 'any':
      return { required: false, content: negotiated({ description: body.description }) };
    case 'deletions':
      return {
        required: false,
        description: `The records to delete, each with the revision it must still have (or \`?ids=\` instead); ${BATCH_LIMIT_TEXT}.`,
        content: withExample(negotiated({ type: 'array', minItems: 1, items: ref('BatchDeletion') }), [{ id: 'a1', ifMatch: 3 }, { id: 'b2' }]),
      };
    case 'create':
    case 'patch': {
      const one = ref(`${base}${body.schema === 'create' ? 'Create' : 'Patch'}`);
      const many = { type: 'array', minItems: 1, items: body.schema === 'create' ? one : ref(`${base}BatchPatch`) };
      const batchText = `A batch: ${BATCH_LIMIT_TEXT}, each succeeding or failing alone; the answer has one result per item, in order (JSON or MessagePack, as for one record).`;
      if (body.batch === 'only') return { required: true, description: batchText, content: negotiated(many) };
      if (body.batch === 'also') return { required: true, description: `One record, or an array of them. ${batchText}`, content: negotiated({ oneOf: [one, many] }) };
      return { required: true, content: negotiated(one) };
    }
  }
}

function responsesOf(route: ModelRoute, target: RouteTarget, context: PathContext): Obj {
  const { answer } = route;
  const schema = answerSchema(route, target, context.base);
  const headers = { ...(answer.location ? { Location: { $ref: '#/components/headers/Location' } } : {}), ...(answer.etag ? ETAG : {}), ...VERSION };
  const success: Obj = {
    description: target.relation?.many && answer.pageDescription ? answer.pageDescription : answer.description,
    headers,
    ...(schema ? { content: negotiated(schema) } : {}),
  };
  const responses: Obj = { [String(answer.status)]: success };
  const batch = answer.body === 'batch' || (route.body !== undefined && 'batch' in route.body && route.body.batch === 'also');
  if (batch && answer.body !== 'batch') {
    // The array form of a create answers a batch result instead of the record.
    success.content = negotiated({ oneOf: [schema!, ref(`${context.base}BatchResult`)] });
  }
  if (batch) {
    responses['207'] = {
      description: 'Some items of the batch failed (or all did): each result has its own status and error; the items that succeeded are stored.',
      headers: { ...VERSION },
      content: negotiated(ref(`${context.base}BatchResult`)),
    };
  }
  if (route.ifNoneMatch) responses['304'] = { description: 'Not modified: `If-None-Match` matches the current ETag.', headers: { ...ETAG, ...VERSION } };
  return { ...responses, ...errors(route.ifMatch ? [...route.errors, 412] : route.errors, context.authEnabled) };
}

function operationOf(route: ModelRoute, target: RouteTarget, context: PathContext): Obj {
  const { model } = context.route;
  const { verb, plural: many, summary } = route.operation;
  const parameters = parametersOf(route, target, context);
  const requestBody = requestBodyOf(route, context.base);
  return {
    operationId: context.operationIds.claim(`${verb}${many ? plural(context.base) : context.base}${target.name ? pascal(target.name) : ''}`),
    tags: [model.name],
    summary: summary(model.name, target.name, target.relation?.about ?? ''),
    ...(target.description ? { description: target.description } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: responsesOf(route, target, context),
  };
}

/** Adds the paths of one model to `paths`, in the order of MODEL_ROUTES. */
export function addModelPaths(paths: Obj, context: PathContext): void {
  const { model, servedBy } = context.route;
  const collection = `${MODELS_PREFIX}${encodeURIComponent(model.endpoint)}`;
  for (const route of MODEL_ROUTES) {
    for (const target of targetsOf(route, context)) {
      const segments = route.path.map((segment) => (segment === '{id}' || !segment.startsWith('{') ? segment : encodeURIComponent(target.name)));
      const path = [collection, ...segments].join('/');
      let item = paths[path] as Obj | undefined;
      if (!item) {
        item = { 'x-microlib-served-by': servedBy, ...(route.path.includes('{id}') ? { parameters: [parameterRef('id')] } : {}) };
        put(paths, path, item);
      }
      // HEAD answers as GET does: HTTP implies it, so the document lists GET only.
      for (const method of route.methods) if (method !== 'HEAD') item[method.toLowerCase()] = operationOf(route, target, context);
    }
  }
}
