/**
 * The names `microlib init` puts into a new remote: the federation container's
 * name, the model's name, its TypeScript constant, its API endpoint and the npm
 * package name. Each is checked here, so a scaffold always builds and loads.
 */

import { UsageError } from '../args.js';

/** A name that cannot be used; a usage error, since the fix is a different argument. */
export class NameError extends UsageError {
  override name = 'NameError';
}

/** The container name is a JavaScript identifier in the build; the host allows a superset of it. */
const REMOTE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** A model name becomes a file name and (capitalised) a constant: letters and digits, camelCase. */
const MODEL_NAME = /^[a-z][A-Za-z0-9]{0,62}$/;

export interface ScaffoldNames {
  remoteName: string;
  packageName: string;
  modelName: string;
  /** The model's exported constant, e.g. `Invoice`. */
  ModelName: string;
  /** URL segment of the generated API, e.g. `invoices`, `line-items`. */
  endpoint: string;
}

/** `billing-service`, `billing_service` or `billing.service` → `billingService`. */
export function camelCase(text: string): string {
  return text.replace(/[-_. ]+([A-Za-z0-9])/g, (_match, next: string) => next.toUpperCase()).replace(/^[-_. ]+|[-_. ]+$/g, '');
}

/** `lineItem` → `line-item`. */
export function kebabCase(text: string): string {
  return text.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/_/g, '-').toLowerCase();
}

/** English plural of a lowercase word, good enough for endpoints: invoice → invoices, box → boxes, entry → entries. */
export function plural(word: string): string {
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

/**
 * Checks and derives every name. `remoteName` defaults to the folder's name in
 * camelCase, `modelName` to `item`.
 */
export function scaffoldNames(dirName: string, remoteName: string | undefined, modelName = 'item'): ScaffoldNames {
  const remote = remoteName ?? camelCase(dirName);
  if (!REMOTE_NAME.test(remote)) {
    const from = remoteName === undefined ? `derived from the folder name "${dirName}"` : 'given with --name';
    throw new NameError(`remote name "${remote}" (${from}) must start with a letter or "_" and contain only letters, digits and "_" (64 at most); choose one with --name`);
  }
  if (!MODEL_NAME.test(modelName)) {
    throw new NameError(`model name "${modelName}" must start with a lowercase letter and contain only letters and digits (camelCase, 63 at most), e.g. --model invoice or --model lineItem`);
  }
  const ModelName = modelName[0]!.toUpperCase() + modelName.slice(1);
  // The model's constant would hide a global of that name (String, Date, Error…) in the scaffold's code.
  if (ModelName in globalThis) throw new NameError(`model name "${modelName}" would shadow the JavaScript global ${ModelName}; choose another with --model`);
  return { remoteName: remote, packageName: kebabCase(remote).replace(/^-+/, ''), modelName, ModelName, endpoint: plural(kebabCase(modelName)) };
}
