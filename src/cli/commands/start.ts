/** `microlib start`: runs the host in this process, configured by the environment like `npm start`. */
import type { Command } from '../command.js';

export const start: Command = {
  name: 'start',
  summary: 'run the host in this process (configured by environment variables)',
  usage: `Usage: microlib start

Runs the host here, as \`npm start\` does but without building first: it reads
its configuration from the environment (PORT, REMOTE_ENTRIES, DATA_DIR, ...;
see .env.example) and stops cleanly on SIGTERM or SIGINT.`,
  options: {},
  arguments: [],
  async run() {
    // The server entry starts the host when it is imported, and owns the process from then on.
    await import('../../server.js');
    return 'running';
  },
};
