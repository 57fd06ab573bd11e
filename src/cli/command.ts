/** The shape of one `microlib` command (one file each under ./commands). */
import type { OptionSpecs, ParsedArgs } from './args.js';

/** What a command's run resolves to: an exit code, or `running` for a command that keeps the process (start). */
export type CommandOutcome = number | 'running';

export interface Command {
  name: string;
  /** One line for `microlib --help`. */
  summary: string;
  /** The full text of `microlib <name> --help`. */
  usage: string;
  /** Flags beyond --help. */
  options: OptionSpecs;
  /** Its arguments as the usage names them, optional ones in brackets: ['<remote>'], ['[remote]']. */
  arguments: readonly string[];
  run(args: ParsedArgs): Promise<CommandOutcome>;
}
