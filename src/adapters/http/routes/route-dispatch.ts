/**
 * The model router's dispatch table, built once from MODEL_ROUTES: for each
 * number of path segments after the endpoint, the path shapes of that length
 * and, for each shape, which route answers which method. A request then costs
 * a length lookup, a literal compare or two and a map lookup.
 */
import type { RouteKind } from '../../metrics/metrics.js';
import { MODEL_ROUTES, type ModelRoute, type RouteName } from './model-routes.js';

/** A route and what answers it. */
export interface Dispatch<H> {
  readonly route: ModelRoute;
  readonly handler: H;
}

/** The routes sharing one path shape, e.g. `{id}/commands/{command}`. */
export interface PathShape<H> {
  /** The literal segment at each position; undefined where a parameter is. */
  readonly literals: ReadonlyArray<string | undefined>;
  /** Position of the record id (-1: none). */
  readonly idAt: number;
  /** Position of the relation, command or port name (-1: none). */
  readonly nameAt: number;
  /** The metrics label of a request here whose method no route answers: the first route's. */
  readonly kind: RouteKind;
  /** The `Allow` header of a 405 here. */
  readonly allow: string;
  readonly byMethod: ReadonlyMap<string, Dispatch<H>>;
}

/** Path shapes by number of segments after the endpoint. */
export type DispatchTable<H> = ReadonlyArray<ReadonlyArray<PathShape<H>>>;

interface ShapeDraft<H> {
  literals: Array<string | undefined>;
  idAt: number;
  nameAt: number;
  kind: RouteKind;
  allow: string[];
  byMethod: Map<string, Dispatch<H>>;
}

const isParameter = (segment: string) => segment.startsWith('{');

/** The table of `routes` (all generated routes unless told), each answered by its handler. */
export function buildDispatchTable<H>(handlers: Readonly<Record<RouteName, H>>, routes: readonly ModelRoute[] = MODEL_ROUTES): DispatchTable<H> {
  const table: Array<Array<ShapeDraft<H>>> = [];
  for (const route of routes) {
    const literals = route.path.map((segment) => (isParameter(segment) ? undefined : segment));
    const shapes = (table[literals.length] ??= []);
    let shape = shapes.find((s) => s.literals.every((literal, i) => literal === literals[i]));
    if (!shape) {
      const idAt = route.path.indexOf('{id}');
      const nameAt = route.path.findIndex((segment, i) => i !== idAt && isParameter(segment));
      shape = { literals, idAt, nameAt, kind: route.kind, allow: [], byMethod: new Map() };
      shapes.push(shape);
    }
    for (const method of route.methods) {
      // Two routes answering one method on one path: a mistake in MODEL_ROUTES, not a request's.
      if (shape.byMethod.has(method)) throw new Error(`${method} /${route.path.join('/')} is declared twice`);
      shape.byMethod.set(method, { route, handler: handlers[route.name] });
      if (route.inAllow) shape.allow.push(method);
    }
  }
  return Array.from(table, (shapes = []) => shapes.map((s) => ({ ...s, allow: s.allow.join(', ') })));
}

/** The shape of the (decoded) segments after the endpoint, if a route has it. */
export function matchShape<H>(table: DispatchTable<H>, segments: readonly string[]): PathShape<H> | undefined {
  const shapes = table[segments.length];
  if (shapes === undefined) return undefined;
  for (const shape of shapes) {
    let matches = true;
    for (let i = 0; i < segments.length; i++) {
      const literal = shape.literals[i];
      if (literal !== undefined && literal !== segments[i]) {
        matches = false;
        break;
      }
    }
    if (matches) return shape;
  }
  return undefined;
}
