/**
 * Writes a new remote repository from `templates/remote`: file names and
 * contents have `__placeholder__`s (see ScaffoldNames and TOOLCHAIN), replaced
 * on copy. Templates keep dot-files without their dot (`gitignore`, `github`),
 * so git and npm do not treat them as this repository's own.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScaffoldNames } from './names.js';
import { vendorTypes } from './vendor-types.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const TEMPLATE_DIR = path.join(REPO_ROOT, 'templates/remote');

/** Placeholders for the build toolchain, filled with this package's own pinned versions so a remote builds as the example does. */
const TOOLCHAIN = {
  webpackVersion: 'webpack',
  webpackCliVersion: 'webpack-cli',
  enhancedVersion: '@module-federation/enhanced',
  mfNodeVersion: '@module-federation/node',
  tsLoaderVersion: 'ts-loader',
  typescriptVersion: 'typescript',
  typesNodeVersion: '@types/node',
} as const;

const DOTTED = new Set(['gitignore', 'github']);

export class ScaffoldError extends Error {
  override name = 'ScaffoldError';
}

async function placeholders(names: ScaffoldNames): Promise<Record<string, string>> {
  const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const pinned = { ...pkg.dependencies, ...pkg.devDependencies };
  const versions = Object.fromEntries(
    Object.entries(TOOLCHAIN).map(([key, dependency]) => {
      const version = pinned[dependency];
      if (!version) throw new Error(`package.json pins no version of ${dependency}, which the remote template needs`);
      return [key, version];
    }),
  );
  return { ...names, ...versions };
}

function fill(text: string, values: Record<string, string>, where: string): string {
  return text.replace(/__([A-Za-z][A-Za-z0-9]*)__/g, (_match, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template ${where} has an unknown placeholder __${key}__`);
    return value;
  });
}

async function templateFiles(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await templateFiles(path.join(dir, entry.name), relative)));
    else if (entry.isFile()) files.push(relative);
  }
  return files.sort();
}

/** A folder that does not exist or is empty; with `force`, any folder. */
async function checkTarget(dir: string, force: boolean): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isDirectory) throw new ScaffoldError(`${dir} exists and is not a folder`);
  if (!force && (await readdir(dir)).length > 0) throw new ScaffoldError(`${dir} is not empty; use --force to write the remote's files into it anyway (files of the same name are replaced)`);
}

/** Writes the remote into `dir`; resolves with the files written, relative to it. */
export async function writeRemote(dir: string, names: ScaffoldNames, force: boolean): Promise<string[]> {
  await checkTarget(dir, force);
  const values = await placeholders(names);
  const written: string[] = [];
  for (const template of await templateFiles(TEMPLATE_DIR)) {
    const [first, ...rest] = template.split('/');
    const target = fill([DOTTED.has(first!) ? `.${first}` : first, ...rest].join('/'), values, template);
    const text = fill(await readFile(path.join(TEMPLATE_DIR, template), 'utf8'), values, template);
    await mkdir(path.dirname(path.join(dir, target)), { recursive: true });
    await writeFile(path.join(dir, target), text);
    written.push(target);
  }
  written.push(...(await vendorTypes(path.join(REPO_ROOT, 'dist/src'), dir)));
  return written;
}
