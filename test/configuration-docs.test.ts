// The README promises every variable: each one the host reads (each feature's
// src/host/features/*/settings.ts, and the CLI's src/cli/cli-config.ts) is
// in README's configuration tables and in .env.example, and nothing documented there
// is a variable the host no longer reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './support/host-process.js';

/** Set by the cluster primary for its workers, never by a user. */
const INTERNAL = new Set(['MICROLIB_WORKER_SLOT']);

/** The files that read environment variables. */
async function settingsFiles(): Promise<string[]> {
  const features = path.join(repoRoot, 'src/host/features');
  const files = (await readdir(features, { recursive: true })).filter((file) => file.endsWith('settings.ts')).map((file) => path.join(features, file));
  return [...files, path.join(repoRoot, 'src/cli/cli-config.ts')];
}

async function variablesRead(): Promise<Set<string>> {
  const source = (await Promise.all((await settingsFiles()).map((file) => readFile(file, 'utf8')))).join('\n');
  const names = new Set<string>();
  for (const pattern of [/\(env, '([A-Z][A-Z0-9_]+)'/g, /env\.([A-Z][A-Z0-9_]+)/g]) {
    for (const match of source.matchAll(pattern)) if (!INTERNAL.has(match[1]!)) names.add(match[1]!);
  }
  // A secret may come from the file its `<NAME>_FILE` variable names (env-reader's `secret`).
  for (const match of source.matchAll(/\bsecret\(env, '([A-Z][A-Z0-9_]+)'/g)) names.add(`${match[1]!}_FILE`);
  return names;
}

test('every variable the host reads is documented in README and .env.example, and only those', async () => {
  const read = await variablesRead();
  assert.ok(read.size > 50, `found ${read.size} variables: the pattern still matches the settings files`);
  const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
  const configuration = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
  const inTables = new Set([...configuration.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!));
  const example = await readFile(path.join(repoRoot, '.env.example'), 'utf8');
  const inExample = new Set([...example.matchAll(/^(?:# )?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
  // The example remote's simulator reads its own variables; they are documented beside the host's.
  const exampleOnly = new Set([...inExample].filter((name) => name.startsWith('ORDER_SERVICE_')));
  assert.deepEqual([...read].filter((name) => !inTables.has(name)), [], 'read by the host but not in the README tables');
  assert.deepEqual([...read].filter((name) => !inExample.has(name)), [], 'read by the host but not in .env.example');
  assert.deepEqual([...inTables].filter((name) => !read.has(name) && !exampleOnly.has(name)), [], 'in the README tables but not read by the host');
  assert.deepEqual([...inExample].filter((name) => !read.has(name) && !exampleOnly.has(name)), [], 'in .env.example but not read by the host');
});
