/**
 * The generated API's route table: endpoint → the model service answering it.
 * Requests read `current` once and use that table to the end, so a hot deploy
 * swaps every route in one assignment and no request sees a mix of versions.
 */
import type { Model } from '../../domain/model.js';
import type { ModelService } from '../../domain/model-service.js';

export interface ModelRoute {
  readonly model: Model;
  readonly service: ModelService;
}

export interface RouteTable {
  readonly routes: ReadonlyMap<string, ModelRoute>;
}

export const emptyRouteTable: RouteTable = { routes: new Map() };

export class RouteTableRef {
  current: RouteTable = emptyRouteTable;
}
