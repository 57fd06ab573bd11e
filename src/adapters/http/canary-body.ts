/**
 * The JSON bodies of the canary routes, checked field by field: a start
 * (`{ "ref" | "version", "weight" | "auto": true, "sticky"?, "mode"?, "allowRemove"? }`)
 * and a split change (`{ "weight"?, "sticky"?, "mode"?, "auto"? }`). Every refusal
 * names its field.
 */
import type { StickyKey } from './remote-control.js';

export interface CanaryStartBody {
  ref?: string;
  version?: string;
  /** 0 with `auto` (the rollout's first step decides). */
  weight: number;
  /** Stepped up by the remote's rollout. */
  auto: boolean;
  sticky: StickyKey | undefined;
  mode: 'canary' | 'ab' | undefined;
  allowRemove: boolean;
}

export interface CanaryPatchBody {
  weight?: number;
  /** null: no stickiness any more. */
  sticky?: StickyKey | null;
  mode?: 'canary' | 'ab';
  /** true: the remote's rollout steps it from now on; false: the weight holds. */
  auto?: boolean;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string; field: string };

/** An HTTP token (RFC 9110): what header and cookie names are made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** A version as the snapshot cache names them, or a prefix of one. */
const VERSION = /^[A-Za-z0-9._-]{1,128}$/;

class Refusal extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

function parseObject(body: Buffer, shape: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.length === 0 ? '{}' : body.toString('utf8'));
  } catch {
    throw new Refusal(`the body must be JSON: ${shape}`, 'body');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Refusal(`the body must be a JSON object: ${shape}`, 'body');
  return parsed as Record<string, unknown>;
}

function refuseUnknown(body: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(body).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new Refusal(`"${unknown}" is not a canary setting (known: ${known.join(', ')})`, unknown);
}

function weightOf(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
    throw new Refusal(`weight must be an integer from 0 to 100 (the canary's percentage of requests), not ${JSON.stringify(value)}`, 'weight');
  }
  return value;
}

function modeOf(value: unknown): 'canary' | 'ab' {
  if (value !== 'canary' && value !== 'ab') throw new Refusal(`mode must be "canary" or "ab", not ${JSON.stringify(value)}`, 'mode');
  return value;
}

function stickyOf(value: unknown): StickyKey {
  const shape = 'sticky must be {"header": "<name>"}, {"cookie": "<name>"} or {"subject": true}';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Refusal(shape, 'sticky');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length !== 1) throw new Refusal(shape, 'sticky');
  const [kind, name] = entries[0]!;
  if (kind === 'subject') {
    if (name !== true) throw new Refusal(shape, 'sticky.subject');
    return { subject: true };
  }
  if (kind !== 'header' && kind !== 'cookie') throw new Refusal(shape, 'sticky');
  if (typeof name !== 'string' || !TOKEN.test(name)) throw new Refusal(`sticky.${kind} must be a ${kind} name (letters, digits and !#$%&'*+.^_\`|~-)`, `sticky.${kind}`);
  // Node lower-cases header names; cookie names are case-sensitive.
  return kind === 'header' ? { header: name.toLowerCase() } : { cookie: name };
}

function checked<T>(read: () => T): Checked<T> {
  try {
    return { ok: true, value: read() };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, message: error.message, field: error.field };
    throw error;
  }
}

const START_SHAPE = '{"ref" | "version": "...", "weight": 0-100 | "auto": true, "sticky"?: {...}, "mode"?: "canary" | "ab", "allowRemove"?: true}';
const PATCH_SHAPE = '{"weight"?: 0-100, "sticky"?: {...} | null, "mode"?: "canary" | "ab", "auto"?: true | false}';

function autoOf(value: unknown): boolean {
  if (typeof value !== 'boolean') throw new Refusal('auto must be true (the remote\'s rollout steps the canary up, then promotes or rolls it back) or false (the weight holds)', 'auto');
  return value;
}

/** The body of POST …/canary. */
export function checkCanaryStart(body: Buffer): Checked<CanaryStartBody> {
  return checked(() => {
    const fields = parseObject(body, START_SHAPE);
    refuseUnknown(fields, ['ref', 'version', 'weight', 'sticky', 'mode', 'allowRemove', 'auto']);
    const auto = fields.auto === undefined ? false : autoOf(fields.auto);
    const { ref, version } = fields;
    if (ref !== undefined && version !== undefined) throw new Refusal('give ref or version, not both', 'ref');
    if (ref !== undefined && (typeof ref !== 'string' || ref === '' || ref.length > 255)) throw new Refusal('ref must be a branch, tag or commit of the remote\'s GitHub repository', 'ref');
    if (version !== undefined && (typeof version !== 'string' || !VERSION.test(version))) throw new Refusal('version must be a version the remote keeps (in full or a prefix: letters, digits, ".", "_", "-")', 'version');
    if (auto && fields.weight !== undefined) throw new Refusal('an automatic rollout starts at its first step: leave weight out (or auto, to hold a weight)', 'weight');
    if (auto && fields.mode === 'ab') throw new Refusal('an automatic rollout steps a canary up and promotes it: mode "ab" holds a split; leave auto or mode out', 'mode');
    if (!auto && fields.weight === undefined) throw new Refusal(`weight is required: the canary's percentage of requests, an integer from 0 to 100 (or "auto": true for the remote's rollout)`, 'weight');
    if (fields.allowRemove !== undefined && typeof fields.allowRemove !== 'boolean') throw new Refusal('allowRemove must be true or false', 'allowRemove');
    return {
      ...(ref !== undefined ? { ref: ref as string } : {}),
      ...(version !== undefined ? { version: version as string } : {}),
      weight: auto ? 0 : weightOf(fields.weight),
      auto,
      sticky: fields.sticky === undefined ? undefined : stickyOf(fields.sticky),
      mode: fields.mode === undefined ? undefined : modeOf(fields.mode),
      allowRemove: fields.allowRemove === true,
    };
  });
}

/** The body of PATCH …/canary. */
export function checkCanaryPatch(body: Buffer): Checked<CanaryPatchBody> {
  return checked(() => {
    const fields = parseObject(body, PATCH_SHAPE);
    refuseUnknown(fields, ['weight', 'sticky', 'mode', 'auto']);
    if (Object.keys(fields).length === 0) throw new Refusal(`nothing to change: give weight, sticky, mode or auto (${PATCH_SHAPE})`, 'weight');
    if (fields.auto === true && fields.weight !== undefined) throw new Refusal('the rollout chooses the weight: give weight or "auto": true, not both', 'weight');
    if (fields.auto === true && fields.mode === 'ab') throw new Refusal('an automatic rollout steps a canary up and promotes it: mode "ab" holds a split', 'mode');
    return {
      ...(fields.auto !== undefined ? { auto: autoOf(fields.auto) } : {}),
      ...(fields.weight !== undefined ? { weight: weightOf(fields.weight) } : {}),
      ...(fields.sticky !== undefined ? { sticky: fields.sticky === null ? null : stickyOf(fields.sticky) } : {}),
      ...(fields.mode !== undefined ? { mode: modeOf(fields.mode) } : {}),
    };
  });
}
