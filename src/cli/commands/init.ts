/** `microlib init <dir>`: scaffolds a new remote repository, ready to build, test and stream. */
import path from 'node:path';
import type { Command } from '../command.js';
import { stringOption } from '../args.js';
import { scaffoldNames } from '../scaffold/names.js';
import { writeRemote } from '../scaffold/write-remote.js';

export const init: Command = {
  name: 'init',
  summary: 'scaffold a new remote repository (model, tests, webpack build, CI workflow)',
  usage: `Usage: microlib init <dir> [--name <remoteName>] [--model <name>] [--force]

Writes a new remote into <dir>: package.json, webpack.config.js, tsconfig.json,
a model in src/models with its unit test, a GitHub Actions workflow that builds
and commits dist/, .gitignore and a README on pointing a host at it.

Options:
  --name <remoteName>  the remote's name (default: the folder's name in camelCase)
  --model <name>       the model's name, camelCase (default: item); its API is
                       /microlib/api/models/<name in plural>
  --force              write into a folder that is not empty
  --json               print what was written as JSON`,
  options: { name: { type: 'string' }, model: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
  arguments: ['<dir>'],
  async run(args) {
    const dir = path.resolve(args.positionals[0]!);
    const names = scaffoldNames(path.basename(dir), stringOption(args, 'name'), stringOption(args, 'model'));
    const files = await writeRemote(dir, names, args.values.force === true);
    if (args.values.json) {
      console.log(JSON.stringify({ dir, ...names, files }, null, 2));
      return 0;
    }
    const relative = path.relative(process.cwd(), dir);
    const shown = relative === '' ? '.' : relative.startsWith('..') ? dir : relative;
    console.log(`Wrote remote "${names.remoteName}" to ${shown}, with model "${names.modelName}" (served at /microlib/api/models/${names.endpoint}):`);
    for (const file of files) console.log(`  ${file}`);
    console.log(`
Next:
  cd ${shown} && npm install && npm test && npm run build
  then list it in the host's remoteEntries.js:
    { name: '${names.remoteName}', kind: 'local', path: '${path.join(dir, 'dist')}' }
  (README.md shows the github and http kinds and the reload webhook.)`);
    return 0;
  },
};
