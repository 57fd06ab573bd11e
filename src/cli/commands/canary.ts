/** `microlib canary <remote>`: starts a canary of a remote on a running host, or changes its weight. */
import type { Command } from '../command.js';
import { stringOption, UsageError } from '../args.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect } from '../host-client.js';
import { canaryLine, type CanaryOutcome } from '../text-output.js';

/** `header:<name>`, `cookie:<name>` or `subject` → the body's `sticky`. */
function stickyOf(value: string): Record<string, string | true> {
  if (value === 'subject') return { subject: true };
  const colon = value.indexOf(':');
  const kind = value.slice(0, colon);
  const name = value.slice(colon + 1);
  if (colon === -1 || (kind !== 'header' && kind !== 'cookie') || name === '') throw new UsageError('--sticky must be header:<name>, cookie:<name> or subject');
  return { [kind]: name };
}

export const canary: Command = {
  name: 'canary',
  summary: 'serve a new version of a remote beside the stable one to part of the traffic',
  usage: `Usage: microlib canary <remote> --weight <0-100> | --auto [--ref <ref> | --version <version>] [options]

Loads a version of the remote and serves it beside the running (stable) one to
--weight percent of requests; a build that fails to load changes nothing. The
version is --version (a version the host keeps, in full or a prefix), --ref (a
branch, tag or commit of a GitHub source), or else the source's current build.
While a canary runs, the same command with only --weight (or its --version)
changes its weight (and stops a rollout's stepping). With --auto, the remote's
rollout (remoteEntries.js) steps it up from its first step, then promotes it or
rolls it back. End it with \`microlib promote\` or \`microlib abort\`.
Exit code: 0 when it runs, 1 otherwise.

Options:
  --weight <n>        the canary's percentage of requests, 0 to 100
  --auto              stepped up by the remote's rollout instead of a fixed weight
  --ref <ref>         a branch, tag or commit (GitHub sources)
  --version <v>       a version the host keeps for this remote
  --sticky <key>      keep one user on one version: header:<name>, cookie:<name> or subject
  --mode <mode>       canary (stepped, then promoted; the default) or ab (a fixed split)
  --allow-remove      the canary may drop models the stable version serves
${CONNECTION_HELP}`,
  options: {
    ...CONNECTION_OPTIONS,
    weight: { type: 'string' },
    ref: { type: 'string' },
    version: { type: 'string' },
    sticky: { type: 'string' },
    mode: { type: 'string' },
    'allow-remove': { type: 'boolean' },
    auto: { type: 'boolean' },
  },
  arguments: ['<remote>'],
  async run(args) {
    const remote = args.positionals[0]!;
    const weightText = stringOption(args, 'weight');
    const auto = args.values.auto === true;
    if (auto && weightText !== undefined) throw new UsageError('give --weight or --auto, not both');
    if (!auto && weightText === undefined) throw new UsageError('--weight is required (0 to 100), or --auto for the remote\'s rollout');
    if (weightText !== undefined && (!/^\d{1,3}$/.test(weightText) || Number(weightText) > 100)) throw new UsageError(`--weight must be an integer from 0 to 100, not "${weightText}"`);
    const ref = stringOption(args, 'ref');
    const version = stringOption(args, 'version');
    if (ref !== undefined && version !== undefined) throw new UsageError('give --ref or --version, not both');
    const sticky = stringOption(args, 'sticky');
    const mode = stringOption(args, 'mode');
    if (mode !== undefined && mode !== 'canary' && mode !== 'ab') throw new UsageError('--mode must be canary or ab');
    const body = {
      ...(auto ? { auto: true } : { weight: Number(weightText) }),
      ...(ref !== undefined ? { ref } : {}),
      ...(version !== undefined ? { version } : {}),
      ...(sticky !== undefined ? { sticky: stickyOf(sticky) } : {}),
      ...(mode !== undefined ? { mode } : {}),
      ...(args.values['allow-remove'] === true ? { allowRemove: true } : {}),
    };
    const host = connect(args);
    const answer = await host.post(`/microlib/api/remotes/${encodeURIComponent(remote)}/canary`, body);
    const result = (answer.body as { canary?: CanaryOutcome }).canary;
    if (!result) throw host.refusal(answer);
    if (args.values.json) console.log(JSON.stringify(answer.body, null, 2));
    else console.log(canaryLine(result));
    return answer.status === 200 ? 0 : 1;
  },
};
