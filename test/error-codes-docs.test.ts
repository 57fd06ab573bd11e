// The README promises every error code a client can get: each `MLB_ERR_*` of the ErrorCode
// type (src/domain/errors.ts) is a row of README's error table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './support/host-process.js';

/** The members of `export type ErrorCode = | 'MLB_ERR_…' | …;`, read from the source. */
async function errorCodes(): Promise<string[]> {
  const source = await readFile(path.join(repoRoot, 'src/domain/errors.ts'), 'utf8');
  const declaration = /export type ErrorCode =([\s\S]*?);/.exec(source)?.[1] ?? '';
  return [...declaration.matchAll(/'(MLB_ERR_[A-Z_]+)'/g)].map((match) => match[1]!);
}

/** The codes in README's error table: rows `| <status> | `MLB_ERR_…` (/ `MLB_ERR_…`) | <when> |`. */
async function documentedCodes(): Promise<Set<string>> {
  const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
  const rows = readme.split('\n').filter((line) => /^\| \d{3} \| `MLB_ERR_/.test(line));
  return new Set(rows.flatMap((row) => [...row.split('|')[2]!.matchAll(/`(MLB_ERR_[A-Z_]+)`/g)].map((match) => match[1]!)));
}

test('every error code of the ErrorCode type is in README\'s error table', async () => {
  const codes = await errorCodes();
  assert.ok(codes.length > 15, `found ${codes.length} codes: the pattern still matches errors.ts`);
  const documented = await documentedCodes();
  assert.ok(documented.size > 15, `found ${documented.size} documented codes: the pattern still matches README's table`);
  assert.deepEqual(codes.filter((code) => !documented.has(code)), [], 'error codes missing from README\'s error table');
});
