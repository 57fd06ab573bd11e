/**
 * Typed reads of environment variables. Every reader names the variable in its
 * error, so a mistake in configuration is a one-line message, never a stack.
 * Each feature reads its own variables with these (`src/host/features/<feature>/settings.ts`).
 */
import { readFileSync } from 'node:fs';

/** The environment as read: `process.env` or a test's object. */
export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `expected an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** A comma-separated list; empty entries are ignored. */
export function list(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${env[name]}"`);
}

export function flag(env: Env, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(name, `expected true or false, got "${env[name]}"`);
}

/**
 * A secret: the variable `name` (trimmed), or the content of the file `<name>_FILE` names
 * (the Docker and Kubernetes secrets convention, so the secret need not sit in the
 * environment) without its one trailing line break. Undefined when neither is set.
 * Both set, a file that cannot be read or is empty, or a secret shorter than `minLength`
 * is a ConfigError naming the variable (and the file).
 */
export function secret(env: Env, name: string, minLength = 16): string | undefined {
  const found = secretSource(env, name);
  if (found === undefined) return undefined;
  // A short secret can be guessed; refuse it rather than give a false sense of safety.
  if (found.value.length < minLength) {
    const where = found.file === undefined ? name : `${name}_FILE`;
    throw new ConfigError(where, `${found.file === undefined ? 'must' : `the secret in ${found.file} must`} be at least ${minLength} characters`);
  }
  return found.value;
}

function secretSource(env: Env, name: string): { value: string; file?: string } | undefined {
  const fileVariable = `${name}_FILE`;
  const file = env[fileVariable]?.trim();
  const direct = env[name]?.trim();
  if (!file) return direct ? { value: direct } : undefined;
  if (direct) throw new ConfigError(fileVariable, `${name} is set too: set only one of ${name} and ${fileVariable}`);
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(fileVariable, `cannot read ${file}: ${readFailure(error)}`);
  }
  // Editors and `echo` end files with a line break; it is never part of the secret.
  const value = content.replace(/\r?\n$/, '');
  if (value.trim() === '') throw new ConfigError(fileVariable, `${file} is empty`);
  return { value, file };
}

function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder, not a file';
  return (error as Error).message;
}

export function text(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
}

/** A value that is either set (trimmed, not empty) or absent. */
export function optional(env: Env, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

/** An http(s) base URL without a trailing slash; `name` is the variable or flag it came from. */
export function httpUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(name, `must be an http:// or https:// URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}
