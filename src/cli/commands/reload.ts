/** `microlib reload [remote]`: asks a running host to reload every remote, or one, and prints what happened. */
import type { Command } from '../command.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect } from '../host-client.js';
import { reloadLine, type ReloadOutcome } from '../text-output.js';

export const reload: Command = {
  name: 'reload',
  summary: 'reload every remote of a running host, or one',
  usage: `Usage: microlib reload [remote] [--allow-remove] [options]

Loads the newest version of each remote (or of the one named) into a running
host, which keeps serving the old version if the new one fails. A version that
no longer exports a model the running one serves is refused, unless
--allow-remove says removing it is intended.
Exit code: 0 when nothing failed, 1 otherwise.

Options:
  --allow-remove   the new version may stop serving models the running one serves
${CONNECTION_HELP}
  RELOAD_TIMEOUT_MS (default 120000) bounds the wait for the answer.`,
  options: { ...CONNECTION_OPTIONS, 'allow-remove': { type: 'boolean' } },
  arguments: ['[remote]'],
  async run(args) {
    const host = connect(args);
    const remote = args.positionals[0];
    const allowRemove = args.values['allow-remove'] === true;
    const answer = await host.post('/microlib/reload', { ...(remote ? { remote } : {}), ...(allowRemove ? { allowRemove } : {}) });
    const results = (answer.body as { results?: ReloadOutcome[] }).results;
    // 422 still carries results: the host is fine, a build failed.
    if (!Array.isArray(results)) throw host.refusal(answer);
    if (args.values.json) console.log(JSON.stringify(answer.body, null, 2));
    else for (const result of results) console.log(reloadLine(result));
    return results.some((r) => r.outcome === 'failed') ? 1 : 0;
  },
};
