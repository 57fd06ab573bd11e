#!/usr/bin/env node
/**
 * The `microlib` command: `microlib <command> [arguments] [options]`, one file per
 * command under ./commands. Exit codes: 0 done, 1 failed (host unreachable,
 * refused, a reload failed…), 2 wrong usage.
 */
import { ConfigError } from '../config/env-reader.js';
import { parseCommandArgs, UsageError } from './args.js';
import type { Command } from './command.js';
import { bundle } from './commands/bundle.js';
import { init } from './commands/init.js';
import { reload } from './commands/reload.js';
import { remotes } from './commands/remotes.js';
import { rollback } from './commands/rollback.js';
import { canary } from './commands/canary.js';
import { abort, promote } from './commands/canary-end.js';
import { start } from './commands/start.js';
import { status } from './commands/status.js';
import { HostError } from './host-client.js';
import { ScaffoldError } from './scaffold/write-remote.js';

const COMMANDS: readonly Command[] = [start, reload, status, remotes, rollback, canary, promote, abort, init, bundle];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: microlib <command> [arguments] [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

\`microlib <command> --help\` describes a command and its options.`;
}

const wantsHelp = (args: readonly string[]) => args.includes('--help') || args.includes('-h');

async function main(argv: readonly string[]): Promise<number | 'running'> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    // Asked for: stdout and success. Not asked for: the usage is the error.
    (name === undefined ? console.error : console.log)(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`microlib: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (wantsHelp(rest.slice(0, rest.indexOf('--') === -1 ? undefined : rest.indexOf('--')))) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(parseCommandArgs(rest, command.options, command.arguments));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`microlib ${name}: ${error.message}\n\n${command.usage}`);
      return 2;
    }
    if (error instanceof HostError || error instanceof ConfigError || error instanceof ScaffoldError) {
      console.error(`microlib ${name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (outcome) => {
    // exitCode, not exit(): output to a pipe may still be in flight, and exit() would cut it.
    if (outcome !== 'running') process.exitCode = outcome;
  },
  (error: unknown) => {
    console.error(`microlib: ${(error as Error)?.stack ?? String(error)}`);
    process.exit(1);
  },
);
