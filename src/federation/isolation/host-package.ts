/**
 * Where the host's own package is, found from this module's place. Compiled
 * (dist/src/federation/isolation/) or bundled for a function
 * (dist/bundled/src/function/, see scripts/build-function.mjs), it sits four
 * folders below the package root.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: package.json, dist/, public/. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * Where its dependencies are found: the node_modules holding it when it is
 * installed (npm hoists them beside it), else its own (a checkout).
 */
export const MODULES_ROOT = path.basename(path.dirname(PACKAGE_ROOT)) === 'node_modules' ? path.dirname(PACKAGE_ROOT) : path.join(PACKAGE_ROOT, 'node_modules');
