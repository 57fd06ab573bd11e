/** `microlib status`: whether a host is ready and healthy, and what each remote serves. */
import type { Command } from '../command.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect } from '../host-client.js';
import { shortVersion, table } from '../text-output.js';
import type { ModelInfo, RemoteInfo } from './remote-listing.js';

export const status: Command = {
  name: 'status',
  summary: "a host's readiness and health, and each remote's status, version and models",
  usage: `Usage: microlib status [options]

Prints the host's readiness and health, then one line per remote: its status,
version, load time and the models it serves (their API endpoints).
Exit code: 0 when the host is ready and no remote failed, 1 otherwise.

Options:
${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  arguments: [],
  async run(args) {
    const host = connect(args);
    const [ready, health, remotes, config] = await Promise.all(['/microlib/ready', '/microlib/health', '/microlib/api/remotes', '/microlib/api/config'].map((path) => host.get(path)));
    // /microlib/ready answers 503 while the host loads or stops: that is a status, not an error.
    if (ready!.status !== 200 && ready!.status !== 503) throw host.refusal(ready!);
    for (const answer of [health!, remotes!, config!]) if (answer.status !== 200) throw host.refusal(answer);
    const isReady = (ready!.body as { ready?: unknown }).ready === true;
    const healthStatus = String((health!.body as { status?: unknown }).status ?? 'unknown');
    const remoteList = (remotes!.body as { remotes: RemoteInfo[] }).remotes;
    const models = (config!.body as { models: ModelInfo[] }).models;
    const failed = remoteList.some((r) => r.status === 'failed');
    if (args.values.json) {
      console.log(JSON.stringify({ url: host.url, ready: isReady, health: healthStatus, remotes: remoteList, models }, null, 2));
      return isReady && !failed ? 0 : 1;
    }
    console.log(`${host.url}: ${isReady ? 'ready' : 'not ready'}, health ${healthStatus}`);
    const rows = remoteList.map((r) => [
      r.name,
      r.pinned ? `${r.status} (pinned)` : r.status,
      shortVersion(r.version),
      r.loadedAt ?? '-',
      models.filter((m) => m.remote === r.name).map((m) => `/${m.endpoint}`).join(' ') || '-',
    ]);
    if (rows.length > 0) console.log(table([['REMOTE', 'STATUS', 'VERSION', 'LOADED', 'MODELS'], ...rows]));
    else console.log('no remotes');
    for (const r of remoteList) if (r.lastError) console.log(`${r.name}: last error: ${r.lastError.message}`);
    return isReady && !failed ? 0 : 1;
  },
};
