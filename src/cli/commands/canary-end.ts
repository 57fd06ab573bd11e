/** `microlib promote <remote>` and `microlib abort <remote>`: end a remote's canary one way or the other. */
import type { Command } from '../command.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect } from '../host-client.js';
import { canaryLine, type CanaryOutcome } from '../text-output.js';

function canaryEnd(name: 'promote' | 'abort', summary: string, description: string): Command {
  return {
    name,
    summary,
    usage: `Usage: microlib ${name} <remote> [options]

${description}
Exit code: 0 when done, 1 otherwise.

Options:
${CONNECTION_HELP}`,
    options: { ...CONNECTION_OPTIONS },
    arguments: ['<remote>'],
    async run(args) {
      const host = connect(args);
      const remote = args.positionals[0]!;
      const answer = await host.post(`/microlib/api/remotes/${encodeURIComponent(remote)}/${name}`);
      const result = (answer.body as { canary?: CanaryOutcome }).canary;
      if (!result) throw host.refusal(answer);
      if (args.values.json) console.log(JSON.stringify(answer.body, null, 2));
      else console.log(canaryLine(result));
      return answer.status === 200 ? 0 : 1;
    },
  };
}

export const promote = canaryEnd(
  'promote',
  "make a remote's canary its stable version",
  `The canary serves every request from now on; the version it ran beside finishes
the requests it started and is disposed, as on a hot deploy.`,
);

export const abort = canaryEnd(
  'abort',
  "end a remote's canary; the stable version serves alone",
  `The stable version serves every request from now on; the canary finishes the
requests it started and is disposed.`,
);
