/**
 * Reads `remoteEntries.js`: which remotes the host streams and where each one's
 * build output lives. Accepts this project's format and the original MicroLib's
 * (`url`, `owner`, `repo`, `filedir`, `branch`, one entry per `type`).
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { RemoteEntriesError, stringField, type EntryFields } from './entry-fields.js';
import { checkSignedBuildSupport, readSourceConfig, type SourceConfig } from './source-configs.js';
import { readIsolationFields, type IsolationFields } from './isolation-fields.js';
import { readRolloutField } from './rollout-fields.js';
import type { RolloutPlan } from '../domain/resilience/rollout-analysis.js';

export { RemoteEntriesError } from './entry-fields.js';

export interface RemoteEntry extends IsolationFields {
  /** Unique name of the remote on this host; letters, digits, `_` and `-`. */
  name: string;
  source: SourceConfig;
  /** Exposed modules to load, in this order. Default: `./models`, `./adapters`, `./services`. */
  exposes: string[];
  /** Exposes that may be missing from the build without failing the load. Default: adapters and services. */
  optionalExposes: string[];
  /** Poll the source for a new version this often (overrides POLL_INTERVAL_MS; 0: never). */
  pollIntervalMs?: number;
  /**
   * Trusted remote: the ed25519 public key (SPKI PEM) that must have signed the
   * build's microlib-manifest.json; a version failing the check is refused.
   */
  publicKey?: string;
  /** A new version may stop serving models the running one serves (refused otherwise). */
  allowRemove?: boolean;
  /** New versions start as a canary stepped up by this plan, then promoted or rolled back (reloads otherwise switch at once). */
  rollout?: RolloutPlan;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const DEFAULT_EXPOSES = ['./models', './adapters', './services'];
const DEFAULT_OPTIONAL = ['./adapters', './services'];
/** Original MicroLib `type` values and the expose each one named. */
const ORIGINAL_TYPE_EXPOSE: Record<string, string> = { model: './models', adapter: './adapters', service: './services' };

const PEM_PUBLIC_KEY = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\s*$/;

/**
 * `publicKey`: PEM text, or the path of a PEM file relative to remoteEntries.js.
 * Returns the key as normalised SPKI PEM; only an ed25519 public key is accepted.
 */
function publicKeyOf(raw: EntryFields, where: string, baseDir: string): string | undefined {
  const value = stringField(raw, 'publicKey', where, false);
  if (value === undefined) return undefined;
  let pem = value;
  if (!value.includes('-----BEGIN')) {
    const file = path.resolve(baseDir, value);
    try {
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      throw new RemoteEntriesError(where, `"publicKey" file ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  pem = pem.trim();
  // A private key would be "accepted" by createPublicKey (it derives the public half): refuse it, it does not belong here.
  if (/PRIVATE KEY/.test(pem)) throw new RemoteEntriesError(where, '"publicKey" is a private key; give the public key (the .pub.pem of sign-remote --generate-key)');
  if (!PEM_PUBLIC_KEY.test(pem)) throw new RemoteEntriesError(where, '"publicKey" must be a PEM "PUBLIC KEY" (SPKI) block, or the path of a file holding one');
  let key;
  try {
    key = createPublicKey({ key: pem, format: 'pem', type: 'spki' });
  } catch (error) {
    throw new RemoteEntriesError(where, `"publicKey" is not a valid public key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new RemoteEntriesError(where, `"publicKey" must be an ed25519 key, got ${key.asymmetricKeyType ?? 'an unknown type'}`);
  }
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

function exposesOf(raw: EntryFields, where: string): { exposes: string[]; optional: string[] } {
  if (raw.exposes === undefined) {
    const typeExpose = typeof raw.type === 'string' ? ORIGINAL_TYPE_EXPOSE[raw.type] : undefined;
    if (typeExpose) return { exposes: [typeExpose], optional: [] };
    return { exposes: [...DEFAULT_EXPOSES], optional: [...DEFAULT_OPTIONAL] };
  }
  if (!Array.isArray(raw.exposes) || raw.exposes.some((e) => typeof e !== 'string' || !e.startsWith('./'))) {
    throw new RemoteEntriesError(where, '"exposes" must be an array of "./name" strings');
  }
  return { exposes: [...(raw.exposes as string[])], optional: [] };
}

/** Validates and normalises the entries; entries of one name (original format) merge their exposes. */
export function normaliseRemoteEntries(list: unknown, baseDir: string): RemoteEntry[] {
  if (!Array.isArray(list)) throw new RemoteEntriesError('file', 'must export an array of remote entries');
  const byName = new Map<string, RemoteEntry>();
  list.forEach((item, index) => {
    const where = `entry ${index}`;
    if (!item || typeof item !== 'object') throw new RemoteEntriesError(where, 'must be an object');
    const raw = item as EntryFields;
    const name = stringField(raw, 'name', where)!;
    if (!NAME.test(name)) throw new RemoteEntriesError(where, `"name" must match ${NAME}, got "${name}"`);
    const source = readSourceConfig(raw, `${where} (${name})`, baseDir);
    const { exposes, optional } = exposesOf(raw, `${where} (${name})`);
    const poll = raw.pollIntervalMs;
    if (poll !== undefined && (typeof poll !== 'number' || !Number.isInteger(poll) || poll < 0)) {
      throw new RemoteEntriesError(where, '"pollIntervalMs" must be a whole number of milliseconds (0: never)');
    }
    const publicKey = publicKeyOf(raw, `${where} (${name})`, baseDir);
    if (raw.allowRemove !== undefined && typeof raw.allowRemove !== 'boolean') throw new RemoteEntriesError(where, '"allowRemove" must be true or false');
    if (publicKey !== undefined) checkSignedBuildSupport(source, `${where} (${name})`);
    const isolation = readIsolationFields(raw, `${where} (${name})`, baseDir);
    const rollout = readRolloutField(raw, `${where} (${name})`);
    const existing = byName.get(name);
    if (!existing) {
      byName.set(name, {
        name,
        source,
        exposes,
        optionalExposes: optional,
        ...isolation,
        ...(poll !== undefined ? { pollIntervalMs: poll } : {}),
        ...(publicKey !== undefined ? { publicKey } : {}),
        ...(raw.allowRemove === true ? { allowRemove: true } : {}),
        ...(rollout !== undefined ? { rollout } : {}),
      });
      return;
    }
    if (JSON.stringify(existing.source) !== JSON.stringify(source)) {
      throw new RemoteEntriesError(where, `remote "${name}" is listed twice with different sources`);
    }
    // One remote, one trust decision: entries of a name must agree on the key.
    if (existing.publicKey !== publicKey) {
      throw new RemoteEntriesError(where, `remote "${name}" is listed twice with different publicKey values`);
    }
    if (rollout !== undefined && JSON.stringify(existing.rollout) !== JSON.stringify(rollout)) {
      throw new RemoteEntriesError(where, `remote "${name}" is listed twice with different rollout settings`);
    }
    for (const expose of exposes) if (!existing.exposes.includes(expose)) existing.exposes.push(expose);
    if (raw.allowRemove === true) existing.allowRemove = true;
  });
  return [...byName.values()];
}

/** Imports the entries file (an ES module whose default export is the array, and whose `ports` export configures ports). */
export async function readRemoteEntries(file: string): Promise<{ entries: RemoteEntry[]; ports: unknown; remoteModels: unknown; placements: unknown }> {
  let mod: { default?: unknown; ports?: unknown; remoteModels?: unknown; placements?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown; ports?: unknown; remoteModels?: unknown; placements?: unknown };
  } catch (error) {
    throw new RemoteEntriesError('file', `cannot import ${file}: ${(error as Error).message}`);
  }
  return { entries: normaliseRemoteEntries(mod.default, path.dirname(file)), ports: mod.ports, remoteModels: mod.remoteModels, placements: mod.placements };
}
