/** `microlib rollback <remote> [--to <version>]`: returns a remote to a version the host keeps. */
import type { Command } from '../command.js';
import { stringOption, UsageError } from '../args.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect } from '../host-client.js';
import { reloadLine, type ReloadOutcome } from '../text-output.js';

export const rollback: Command = {
  name: 'rollback',
  summary: 'return a remote to a previous version (pinned until the next push or reload)',
  usage: `Usage: microlib rollback <remote> [--to <version>] [options]

Serves the remote's newest previous version, or the kept version --to names
(in full or by a prefix such as the 12 characters \`microlib remotes\` shows),
and pins it until the next push or manual reload. Prints from -> to.

Options:
  --to <version>   a version the host keeps for this remote
${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, to: { type: 'string' } },
  arguments: ['<remote>'],
  async run(args) {
    const host = connect(args);
    const remote = args.positionals[0]!;
    const to = stringOption(args, 'to');
    if (to === '') throw new UsageError('--to needs a version');
    const answer = await host.post(`/microlib/api/remotes/${encodeURIComponent(remote)}/rollback`, to !== undefined ? { version: to } : undefined);
    const results = (answer.body as { results?: ReloadOutcome[] }).results;
    if (!Array.isArray(results)) throw host.refusal(answer);
    if (args.values.json) console.log(JSON.stringify(answer.body, null, 2));
    else for (const result of results) console.log(reloadLine(result, 'rolled back'));
    return results.some((r) => r.outcome === 'failed') ? 1 : 0;
  },
};
