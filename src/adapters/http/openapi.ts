/**
 * Describes the generated API as an OpenAPI 3.1 document, built from the
 * declared data of the loaded specs only (fields, relations, commands, ports,
 * descriptions) and from the route declarations the model router serves
 * (`routes/model-routes.ts`). Spec functions (factory, validate, callbacks,
 * adapters…) and dependencies are never read, so nothing executable or secret
 * can leak into the document.
 *
 * @packageDocumentation
 */
import { batchPatchSchema, batchResultSchema, pageSchema, ref, sharedComponents } from './openapi/components.js';
import { modelSchemas, type Obj } from './openapi/model-schemas.js';
import { NameRegistry, pascal } from './openapi/names.js';
import { addModelPaths, type OpenApiRoute } from './openapi/paths.js';
import type { ModelSpecification } from '../../domain/model-spec.js';

export type { OpenApiModel, OpenApiRoute } from './openapi/paths.js';

/** Document-wide settings. */
export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  /** Origin the API is reached at; the paths carry the `/microlib/api/models/` prefix. */
  readonly serverUrl?: string;
  /** Adds the bearer scheme, global security and 401/403/429 answers. */
  readonly authEnabled: boolean;
}

/**
 * Builds the OpenAPI 3.1.0 document of the generated API for the given models:
 * one record, `<Model>Create`, `<Model>Patch`, `<Model>Page`, `<Model>BatchPatch`
 * and `<Model>BatchResult` schema each, and
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
  const specOf = new Map<string, ModelSpecification>();
  const routes: Array<{ route: OpenApiRoute; base: string }> = [];
  for (const route of models) {
    // The catalog keys by endpoint, so a repeat cannot be served: document the first only.
    if (seenEndpoints.has(route.model.endpoint)) continue;
    seenEndpoints.add(route.model.endpoint);
    const base = schemaNames.claim(pascal(route.model.name), ['', 'Create', 'Patch', 'Page', 'BatchPatch', 'BatchResult']);
    if (!schemaOf.has(route.model.name)) {
      schemaOf.set(route.model.name, base);
      specOf.set(route.model.name, route.model.spec);
    }
    routes.push({ route, base });
  }

  for (const { route, base } of routes) {
    const { record, create, patch } = modelSchemas(route.model.spec);
    Object.assign(shared.schemas, {
      [base]: record,
      [`${base}Create`]: create,
      [`${base}Patch`]: patch,
      [`${base}Page`]: pageSchema(ref(base)),
      [`${base}BatchPatch`]: batchPatchSchema(patch),
      [`${base}BatchResult`]: batchResultSchema(ref(base)),
    });
    tags.push({ name: route.model.name });
    addModelPaths(paths, { route, base, schemaOf, specOf, operationIds, authEnabled: info.authEnabled });
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
