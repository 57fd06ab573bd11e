#!/usr/bin/env node
/**
 * `npm run build:function`: the host as a function, in a few files
 * (dist/bundled/src/function/), for `microlib bundle`. A cold start spent most
 * of its time finding, reading and compiling ~500 modules (the host's and its
 * packages'); bundled, node reads a handful.
 *
 * - Entries: `serverless.js` (what `microlib/serverless` exports) and
 *   `remote-worker.js`, the script of an isolated remote's thread or process:
 *   the host starts it from the folder of its own module, so both sit together.
 * - The folder is four below the package root, as the compiled modules that
 *   find files by a relative URL are (dist/src/<layer>/<part>/): public/,
 *   dist/dashboard and the worker's package resolve the same from either.
 * - Left out, loaded from node_modules when a setting uses them: the MongoDB
 *   driver, kafkajs, ws, jose, pino-pretty, Express (the admin routes) and
 *   Swagger UI's files. They are heavy and a cold start needs none of them.
 *
 * Runs after `tsc` (it bundles dist/src). rolldown is the bundler vite 8 uses;
 * pinned in devDependencies with it.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'src');
const out = path.join(root, 'dist', 'bundled', 'src', 'function');

const LOADED_WHEN_USED = ['mongodb', 'kafkajs', 'ws', 'jose', 'pino-pretty', 'express', 'swagger-ui-dist'];
const isLoadedWhenUsed = (id) => LOADED_WHEN_USED.some((name) => id === name || id.startsWith(`${name}/`));

await rm(out, { recursive: true, force: true });
await build({
  input: {
    serverless: path.join(compiled, 'serverless', 'index.js'),
    'remote-worker': path.join(compiled, 'federation', 'isolation', 'remote-worker.js'),
  },
  platform: 'node',
  external: isLoadedWhenUsed,
  logLevel: 'warn',
  output: { dir: out, format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunk-[hash].js', sourcemap: false },
});
console.log(`function bundle: ${path.relative(root, out)}`);
