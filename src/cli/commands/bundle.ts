/** `microlib bundle <dir>`: a deployable function folder whose cold start reads every remote from disk. */
import type { Command } from '../command.js';

export const bundle: Command = {
  name: 'bundle',
  summary: 'write a function folder: the host and every remote, loaded from disk at a cold start',
  usage: `Usage: microlib bundle <dir> [--without-modules]

Writes <dir> for deploying the host as a function (see docs/serverless.md),
configured by the environment like \`microlib start\` (REMOTE_ENTRIES, GitHub
settings, ...). Each remote's current version is fetched and loaded exactly as
the host would (signature checked, code evaluated); a remote that fails stops
the bundle. <dir> gets:

  remotes/              the snapshot of each remote
  microlib-bundle.json  the version of each remote
  remoteEntries.js      the entries, as read
  node_modules/         microlib and its production dependencies
  index.mjs             handlers: \`handler\` (AWS Lambda), \`microlib\` (req, res)

A function started in <dir> serves those versions without asking any source.
An earlier bundle in <dir> is replaced; any other non-empty folder is refused.

Options:
  --without-modules  leave out node_modules (install microlib there yourself)`,
  options: { 'without-modules': { type: 'boolean' } },
  arguments: ['<dir>'],
  async run(args) {
    // Loaded here: the other commands never need the host's modules.
    const { writeBundle, BundleError } = await import('../../serverless/bundle.js');
    try {
      const manifest = await writeBundle(args.positionals[0]!, { withModules: args.values['without-modules'] !== true, log: (line) => console.log(line) });
      console.log(`bundled ${manifest.remotes.length} remote(s) into ${args.positionals[0]!}`);
      return 0;
    } catch (error) {
      if (error instanceof BundleError) {
        console.error(`microlib bundle: ${error.message}`);
        return 1;
      }
      throw error;
    }
  },
};
