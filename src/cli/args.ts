/**
 * Command-line arguments of the `microlib` CLI, parsed strictly with node:util
 * parseArgs: an unknown flag, a missing value or a wrong number of arguments is
 * a UsageError, which the CLI answers with the command's usage and exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses a command's arguments; `names` lists them as the usage does, optional ones in brackets: ['<remote>'], ['[remote]']. */
export function parseCommandArgs(args: readonly string[], options: OptionSpecs, names: readonly string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs explains itself well, but adds advice about "--" that only confuses here.
    throw new UsageError((error as Error).message.split('. ')[0]!.replace(/\.$/, ''));
  }
  const required = names.filter((name) => !name.startsWith('['));
  if (parsed.positionals.length < required.length) throw new UsageError(`missing ${required[parsed.positionals.length]}`);
  if (parsed.positionals.length > names.length) throw new UsageError(`unexpected argument "${parsed.positionals[names.length]}"`);
  return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals };
}

/** A string option's value, or undefined. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}
