/**
 * The entry of a remote's worker: a worker thread (isolation `thread`) or a
 * child process started with Node's permission model (isolation `process`).
 * It evaluates one version of the remote (remoteEntry.js, its chunks, its
 * exposes) here, never in the host, describes the exposes to the host and then
 * answers the host's calls into them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FederationRuntime } from '../federation-runtime.js';
import { encodeError } from './marshal.js';
import { specsByName, WorkerSide } from './worker-side.js';
import type { FromWorker, ToWorker, WorkerInit } from './wire.js';
import { Outbox, unbatch, type Batch } from './outbox.js';

const outbox = new Outbox<FromWorker>(
  parentPort
    ? (message) => parentPort!.postMessage(message)
    : (message) => {
        process.send?.(message);
      },
);
const post = (message: FromWorker) => outbox.push(message);

/** What remote code may not reach from here: the whole host process. */
function confine(isolation: string): void {
  const refuse = (what: string) => () => {
    throw new Error(`${what} is not available to remote code (isolation: ${isolation})`);
  };
  const host = process as unknown as Record<string, unknown>;
  host.kill = refuse('process.kill');
  host.abort = refuse('process.abort');
  host.dlopen = refuse('process.dlopen');
  host.binding = refuse('process.binding');
  host._linkedBinding = refuse('process._linkedBinding');
}

async function start(init: WorkerInit): Promise<void> {
  confine(init.isolation);
  let modules: ReadonlyMap<string, unknown> = new Map();
  let specs: Map<string, Record<string, unknown>> | undefined;
  const side = new WorkerSide(post, () => (specs ??= specsByName(modules.get('./models'))));
  const receive = (message: ToWorker | Batch<ToWorker>) => unbatch(message, (each) => void side.receive(each));
  if (parentPort) parentPort.on('message', receive);
  else process.on('message', (message) => receive(message as ToWorker | Batch<ToWorker>));
  try {
    const container = await new FederationRuntime().load(init.containerName, init.dir, init.exposes, init.optional, init.remoteName);
    modules = container.modules;
    post({ t: 'ready', ...side.describe(modules) });
  } catch (error) {
    post({ t: 'failed', error: encodeError(error instanceof Error ? error : new Error(String(error))) });
  }
}

if (parentPort && workerData) {
  void start(workerData as WorkerInit);
} else if (parentPort) {
  // A spare thread: everything above is imported; the version to load comes as a message.
  parentPort.once('message', (message: ToWorker) => {
    if (message.t === 'init') void start(message.init);
  });
} else {
  // A child process ends with the host that started it.
  process.on('disconnect', () => process.exit(0));
  // It gets its init as the first message.
  process.once('message', (message) => {
    const init = (message as ToWorker & { t: 'init' }).init;
    void start(init);
  });
}
