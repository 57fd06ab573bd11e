/**
 * The `placements` export of remoteEntries.js: which models run where. The
 * same file is deployed to every node; `MICROLIB_PLACEMENT` picks the
 * placement this node activates.
 *
 *   export const placements = {
 *     customers: { models: ['customer'], nodes: ['http://10.0.0.1:8070'] },
 *     orders: { models: ['order'], nodes: ['http://10.0.0.2:8070', 'http://10.0.0.3:8070'] },
 *   };
 *
 * Models no placement lists are served by every node.
 */
import { ConfigError } from './env-reader.js';
import { RemoteEntriesError } from './remote-entries.js';

/** One placement of the application definition. */
export interface Placement {
  readonly name: string;
  /** Model names (`modelName` of their specs) this placement serves. */
  readonly models: readonly string[];
  /** Base URLs of the nodes running it (origin only, no trailing slash), tried in turn. */
  readonly nodes: readonly string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const KEYS = new Set(['models', 'nodes']);

function nodeUrl(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new RemoteEntriesError(where, 'must be a URL string such as "http://10.0.0.7:8070"');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RemoteEntriesError(where, `not a URL: "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RemoteEntriesError(where, `must be an http:// or https:// URL, got "${value}"`);
  // The node's API lives at a fixed path; anything after the port would be silently dropped.
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new RemoteEntriesError(where, `must be the node's origin only (scheme, host and port), got "${value}"`);
  }
  return url.origin;
}

/** Validates the export; an absent one is no placements (every node serves everything). */
export function normalisePlacements(raw: unknown): Map<string, Placement> {
  const result = new Map<string, Placement>();
  if (raw === undefined) return result;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new RemoteEntriesError('placements', 'must be an object of placement name → { models: [...], nodes: [...] }');
  }
  const placedIn = new Map<string, string>();
  for (const [name, value] of Object.entries(raw)) {
    const where = `placements.${name}`;
    if (!NAME.test(name)) throw new RemoteEntriesError(where, `the placement name must match ${NAME}`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RemoteEntriesError(where, 'must be an object { models: [...], nodes: [...] }');
    const fields = value as Record<string, unknown>;
    const unknown = Object.keys(fields).find((key) => !KEYS.has(key));
    if (unknown !== undefined) throw new RemoteEntriesError(where, `unknown key "${unknown}" (expected models and nodes)`);
    const { models, nodes } = fields;
    if (!Array.isArray(models) || models.length === 0) throw new RemoteEntriesError(`${where}.models`, 'must be a non-empty array of model names');
    for (const model of models) {
      if (typeof model !== 'string' || !NAME.test(model)) throw new RemoteEntriesError(`${where}.models`, `${JSON.stringify(model)} is not a model name`);
      const other = placedIn.get(model);
      if (other !== undefined) throw new RemoteEntriesError(`${where}.models`, `model "${model}" is also in placement "${other}"; a model runs in one placement`);
      placedIn.set(model, name);
    }
    if (!Array.isArray(nodes) || nodes.length === 0) throw new RemoteEntriesError(`${where}.nodes`, 'must be a non-empty array of node URLs');
    const urls = nodes.map((node, index) => nodeUrl(node, `${where}.nodes[${index}]`));
    result.set(name, { name, models: [...new Set(models as string[])], nodes: [...new Set(urls)] });
  }
  return result;
}

/**
 * What this node activates: the models of its placement and the models of no
 * placement; every other placed model is served elsewhere.
 */
export class NodePlacement {
  private readonly placementOf = new Map<string, Placement>();

  constructor(
    readonly placements: ReadonlyMap<string, Placement>,
    /** This node's placement; undefined serves every model. */
    readonly self: Placement | undefined,
    /** `<placement>/<node name>` (the node name alone without a placement), sent as X-Microlib-Node. */
    readonly label: string,
  ) {
    for (const placement of placements.values()) for (const model of placement.models) this.placementOf.set(model, placement);
  }

  /** The placement serving `modelName` when it is not this node, else undefined. */
  elsewhere(modelName: string): Placement | undefined {
    if (this.self === undefined) return undefined;
    const placement = this.placementOf.get(modelName);
    return placement === undefined || placement === this.self ? undefined : placement;
  }

  /** True when some placement lists the model (a model of no placement runs everywhere). */
  isPlaced(modelName: string): boolean {
    return this.placementOf.has(modelName);
  }
}

/**
 * Chooses this node's placement from MICROLIB_PLACEMENT. A name the definition
 * does not have is a startup error listing those it has.
 */
export function selectPlacement(placements: ReadonlyMap<string, Placement>, name: string | undefined, nodeName: string): NodePlacement {
  if (name === undefined) return new NodePlacement(placements, undefined, nodeName);
  const self = placements.get(name);
  if (!self) {
    const known = [...placements.keys()];
    throw new ConfigError(
      'MICROLIB_PLACEMENT',
      known.length === 0
        ? `"${name}" is set but remoteEntries.js exports no placements`
        : `unknown placement "${name}"; remoteEntries.js defines ${known.map((k) => `"${k}"`).join(', ')}`,
    );
  }
  return new NodePlacement(placements, self, `${name}/${nodeName}`);
}
