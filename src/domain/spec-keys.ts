/**
 * The keys a model spec may carry, place by place (the spec, a field, a port…),
 * and the check that refuses any other when a remote loads, so a misspelt option
 * (`feilds`) fails the load naming it instead of being silently ignored.
 *
 * Each list of this host's keys is typed against the public type it describes:
 * a key added to a type but not here (or the reverse) fails to compile. Next to
 * them, the keys of the original MicroLib's specs that this host does not use
 * (from its ModelSpecification typedef and the MicroLib-Example specs): they are
 * accepted and ignored, so a remote written for the original still loads.
 */
import type { AccessSpec, CommandSpec, FieldSpec, ModelSpecification, RelationSpec } from './model-spec.js';
import type { PortCircuitBreakerSpec, PortRetrySpec, PortSpec } from './port-spec.js';

/** The keys one place of a spec may carry. */
export interface KeyRule {
  /** This host's keys, named in messages. */
  readonly known: readonly string[];
  /** Accepted but not advertised: the `desc` alias and the original MicroLib's unused keys. */
  readonly tolerated: readonly string[];
}

/** Every key of `T`, each once: the compiler checks the object names all of them and nothing else. */
const keysOf = <T>(keys: Record<keyof T, true>): string[] => Object.keys(keys);

/** A place whose type has the deprecated `desc` alias: it is accepted, `description` is advertised. */
function withDescAlias(keys: string[], tolerated: readonly string[] = []): KeyRule {
  return { known: keys.filter((key) => key !== 'desc'), tolerated: ['desc', ...tolerated] };
}

export const SPEC_KEYS = {
  spec: {
    known: keysOf<ModelSpecification>({
      modelName: true, endpoint: true, factory: true, fields: true, additionalFields: true, dependencies: true,
      validate: true, onUpdate: true, onDelete: true, hookSemantics: true, relations: true, commands: true, ports: true,
      datasource: true, eventHandlers: true, access: true, mixins: true,
    }),
    // The original's custom (de)serializers, role-based ACL and extra endpoints; `access` replaces the ACL.
    tolerated: ['serializers', 'accessControlList', 'endpoints'],
  },
  field: {
    known: keysOf<FieldSpec>({
      type: true, required: true, readOnly: true, enum: true, minimum: true, maximum: true, minLength: true,
      maxLength: true, pattern: true, format: true, items: true, properties: true, default: true,
      description: true, sensitive: true, lookup: true,
    }),
    tolerated: [],
  },
  relation: withDescAlias(keysOf<RelationSpec>({ type: true, modelName: true, foreignKey: true, description: true, desc: true })),
  command: withDescAlias(keysOf<CommandSpec>({ command: true, acl: true, description: true, desc: true })),
  port: withDescAlias(
    keysOf<PortSpec>({
      adapter: true, service: true, type: true, timeout: true, retries: true, circuitBreaker: true, callback: true,
      undo: true, consumesEvent: true, producesEvent: true, disabled: true, description: true, desc: true,
    }),
    // The original's record keys a port fills, retry count, adapter settings and error/timeout callbacks.
    ['keys', 'maxRetry', 'settings', 'errorCallback', 'timeoutCallback'],
  ),
  retries: { known: keysOf<PortRetrySpec>({ retries: true, baseDelayMs: true, maxDelayMs: true, factor: true }), tolerated: [] },
  circuitBreaker: {
    known: keysOf<PortCircuitBreakerSpec>({ failureRateThreshold: true, minimumVolume: true, windowMs: true, openMs: true, halfOpenMaxCalls: true }),
    tolerated: [],
  },
  access: { known: keysOf<AccessSpec>({ read: true, create: true, update: true, delete: true, owner: true }), tolerated: [] },
} as const satisfies Record<string, KeyRule>;

/**
 * Edit distance with adjacent transpositions (optimal string alignment), so
 * `feilds` is one edit from `fields`. Compared without case: `modelname` is zero.
 */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[s.length]![t.length]!;
}

/**
 * The known key `key` is most likely a typo of: one close enough (about one edit
 * in three letters), else one it abbreviates (`maxlen` for `maxLength`).
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const prefixOf = key.length >= 4 ? known.find((candidate) => candidate.toLowerCase().startsWith(key.toLowerCase())) : undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(key, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(1, Math.ceil(key.length / 3)) ? best : prefixOf;
}

/**
 * Throws when `value` has a key `rule` does not allow, naming the key and `where`
 * it is (`the spec`, `fields.total`, `ports.pay.retries`…), with the nearest
 * known key when it looks like a typo, else the keys allowed there.
 * `alsoAllow` accepts further keys by their value (e.g. the original's named breaker thresholds).
 */
export function checkKeys(value: object, rule: KeyRule, where: string, alsoAllow?: (key: string, value: unknown) => boolean): void {
  for (const [key, member] of Object.entries(value)) {
    if (rule.known.includes(key) || rule.tolerated.includes(key) || alsoAllow?.(key, member)) continue;
    const nearest = nearestKey(key, rule.known);
    const hint = nearest !== undefined ? `did you mean "${nearest}"?` : `allowed: ${rule.known.join(', ')}`;
    throw new Error(`unknown key "${key}" in ${where}; ${hint}`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The members of a keyed option (`fields`, `ports`…) that are objects; other shapes are refused by the parser's own checks. */
const objectMembers = (option: unknown): Array<[string, Record<string, unknown>]> =>
  isObject(option) ? Object.entries(option).filter((entry): entry is [string, Record<string, unknown>] => isObject(entry[1])) : [];

function checkField(field: Record<string, unknown>, where: string): void {
  checkKeys(field, SPEC_KEYS.field, where);
  if (isObject(field.items)) checkField(field.items, `${where}.items`);
  for (const [name, nested] of objectMembers(field.properties)) checkField(nested, `${where}.properties.${name}`);
}

/**
 * Refuses unknown keys anywhere in a raw spec: the spec itself, its fields (with
 * their items and properties), relations, commands, ports (with their retries
 * and breaker) and access rules. Throws an Error whose message names the key and its place.
 */
export function checkSpecKeys(raw: Record<string, unknown>): void {
  checkKeys(raw, SPEC_KEYS.spec, 'the spec');
  for (const [name, field] of objectMembers(raw.fields)) checkField(field, `fields.${name}`);
  for (const [name, relation] of objectMembers(raw.relations)) checkKeys(relation, SPEC_KEYS.relation, `relations.${name}`);
  for (const [name, command] of objectMembers(raw.commands)) checkKeys(command, SPEC_KEYS.command, `commands.${name}`);
  for (const [name, port] of objectMembers(raw.ports)) {
    checkKeys(port, SPEC_KEYS.port, `ports.${name}`);
    if (isObject(port.retries)) checkKeys(port.retries, SPEC_KEYS.retries, `ports.${name}.retries`);
    // The original MicroLib names threshold sets inside the breaker (`default: { errorRate… }`): an object under any name passes.
    if (isObject(port.circuitBreaker)) checkKeys(port.circuitBreaker, SPEC_KEYS.circuitBreaker, `ports.${name}.circuitBreaker`, (_key, value) => isObject(value));
  }
  if (isObject(raw.access)) checkKeys(raw.access, SPEC_KEYS.access, 'access');
}

/**
 * The spec with every `desc` (the alias of `description`) also given as
 * `description`, which is the name the host reads. Copies what it changes: the
 * remote's own objects stay as written (they may be frozen). Refuses a member
 * that gives both with different texts.
 */
export function withDescriptions(raw: Record<string, unknown>): Record<string, unknown> {
  let spec = raw;
  for (const option of ['relations', 'commands', 'ports'] as const) {
    let members: Record<string, unknown> | undefined;
    for (const [name, member] of objectMembers(raw[option])) {
      if (member.desc === undefined) continue;
      if (member.description !== undefined && member.description !== member.desc) {
        throw new Error(`${option}.${name} gives both "description" and its alias "desc", with different texts; keep "description"`);
      }
      members ??= { ...(raw[option] as Record<string, unknown>) };
      members[name] = { ...member, description: member.desc };
    }
    if (members) spec = { ...spec, [option]: members };
  }
  return spec;
}
