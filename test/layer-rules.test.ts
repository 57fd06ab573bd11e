// The layer checker (`npm run lint:layers`, .dependency-cruiser.cjs) fails on a wrong import.
// Each test copies src/ into a temporary folder, maybe adds a file there, and runs
// dependency-cruiser with only the rule under test, so the violations that exist today
// (the known-violations baseline) neither hide nor cause a failure here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './support/host-process.js';

const DEPCRUISE = path.join(repoRoot, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const RUN_TIMEOUT_MS = 60_000;

interface CheckResult {
  code: number;
  output: string;
}

/** A copy of src/ with tsconfig.json and package.json (so `.js` specifiers and dependency types resolve as in the repo). */
async function copyOfTree(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'microlib-layers-'));
  await cp(path.join(repoRoot, 'src'), path.join(dir, 'src'), { recursive: true });
  for (const file of ['tsconfig.json', 'package.json']) await cp(path.join(repoRoot, file), path.join(dir, file));
  return dir;
}

async function addFile(dir: string, relative: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(dir, relative)), { recursive: true });
  await writeFile(path.join(dir, relative), text);
}

/** Runs the repo's configuration on `dir`, keeping only the rule named `rule`. */
async function check(dir: string, rule: string): Promise<CheckResult> {
  const config = path.join(dir, 'rule-under-test.cjs');
  await writeFile(
    config,
    `const all = require(${JSON.stringify(path.join(repoRoot, '.dependency-cruiser.cjs'))});\n` +
      `const forbidden = all.forbidden.filter((rule) => rule.name === ${JSON.stringify(rule)});\n` +
      `if (forbidden.length !== 1) throw new Error('no rule named ${rule}');\n` +
      `module.exports = { ...all, forbidden };\n`,
  );
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [DEPCRUISE, 'src', '--config', config, '--output-type', 'err-long'],
      { cwd: dir, timeout: RUN_TIMEOUT_MS },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (error === null) resolve({ code: 0, output });
        else if (typeof error.code === 'number') resolve({ code: error.code, output });
        else reject(new Error(`depcruise did not run: ${error.message}\n${output}`));
      },
    );
  });
}

test('the domain rule passes on today\'s src/domain', async (t) => {
  const dir = await copyOfTree();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const result = await check(dir, 'domain-imports-only-domain');
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /no dependency violations found/);
});

test('a domain file importing an adapter fails the check, naming the rule and both files', async (t) => {
  const dir = await copyOfTree();
  t.after(() => rm(dir, { recursive: true, force: true }));
  // Our own adapter file, so the test does not depend on where today's adapters live.
  await addFile(dir, 'src/adapters/probe/probe-adapter.ts', 'export const probe = 1;\n');
  // A `.js` specifier, as everywhere in src/: the checker must resolve it to the `.ts` file.
  await addFile(dir, 'src/domain/wrong-import.ts', "import { probe } from '../adapters/probe/probe-adapter.js';\nexport const wrong = probe;\n");
  const result = await check(dir, 'domain-imports-only-domain');
  assert.notEqual(result.code, 0, result.output);
  assert.match(result.output, /error domain-imports-only-domain: src\/domain\/wrong-import\.ts → src\/adapters\/probe\/probe-adapter\.ts/);
});

test('a type-only import across layers fails the check too', async (t) => {
  const dir = await copyOfTree();
  t.after(() => rm(dir, { recursive: true, force: true }));
  await addFile(dir, 'src/federation/probe-type.ts', 'export interface ProbeType { id: string }\n');
  await addFile(dir, 'src/adapters/probe/uses-federation.ts', "import type { ProbeType } from '../../federation/probe-type.js';\nexport const ids = (items: ProbeType[]) => items.map((item) => item.id);\n");
  const result = await check(dir, 'adapters-import-only-domain-catalog');
  assert.notEqual(result.code, 0, result.output);
  assert.match(result.output, /error adapters-import-only-domain-catalog: src\/adapters\/probe\/uses-federation\.ts → src\/federation\/probe-type\.ts/);
});

test('a domain file doing file I/O fails the check', async (t) => {
  const dir = await copyOfTree();
  t.after(() => rm(dir, { recursive: true, force: true }));
  await addFile(dir, 'src/domain/reads-files.ts', "import { readFile } from 'node:fs/promises';\nexport const read = (file: string) => readFile(file, 'utf8');\n");
  const result = await check(dir, 'domain-no-node-io');
  assert.notEqual(result.code, 0, result.output);
  assert.match(result.output, /error domain-no-node-io: src\/domain\/reads-files\.ts → fs\/promises/);
});
