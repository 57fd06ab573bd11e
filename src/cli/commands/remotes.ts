/** `microlib remotes`: each remote's source, version, status, load time and the versions kept for rollback. */
import type { Command } from '../command.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect } from '../host-client.js';
import { shortVersion, table } from '../text-output.js';
import type { RemoteInfo } from './remote-listing.js';

export const remotes: Command = {
  name: 'remotes',
  summary: 'the remotes of a host: source, version, status, load time, kept versions',
  usage: `Usage: microlib remotes [options]

One line per remote: kind, version, status, when it loaded and in how many
ms, the previous versions kept for \`microlib rollback --to\` (newest first),
and its source.

Options:
${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  arguments: [],
  async run(args) {
    const host = connect(args);
    const answer = await host.get('/microlib/api/remotes');
    if (answer.status !== 200) throw host.refusal(answer);
    if (args.values.json) {
      console.log(JSON.stringify(answer.body, null, 2));
      return 0;
    }
    const list = (answer.body as { remotes: RemoteInfo[] }).remotes;
    if (list.length === 0) {
      console.log('no remotes');
      return 0;
    }
    const rows = list.map((r) => [
      r.name,
      r.kind,
      shortVersion(r.version),
      r.pinned ? `${r.status} (pinned)` : r.status,
      r.loadedAt ?? '-',
      r.loadMs === null ? '-' : `${r.loadMs} ms`,
      r.previousVersions.map((v) => shortVersion(v.version)).join(',') || '-',
      r.source,
    ]);
    console.log(table([['NAME', 'KIND', 'VERSION', 'STATUS', 'LOADED', 'LOAD', 'KEPT', 'SOURCE'], ...rows]));
    return 0;
  },
};
