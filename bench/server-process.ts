/**
 * Starts a Node server script pinned to one core (`taskset -c`) and waits for
 * the JSON log line `{ msg: "listening…", port }` that the host and both
 * baselines print. Stopping escalates SIGTERM → SIGKILL so it always ends.
 */
import { spawn } from 'node:child_process';
import { onCleanup } from './cleanup.js';

export interface ServerProcess {
  label: string;
  url: string;
  pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface ServerOptions {
  label: string;
  script: string;
  /** A core, or a `taskset` list such as `0-1` (a cluster's workers need more than one). */
  cpu: number | string;
  env: Record<string, string>;
  cwd?: string;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  startTimeoutMs?: number;
}

/** Keeps only the tail of a stream, for error messages. */
function tail(text: string, max = 4000): string {
  return text.length > max ? text.slice(-max) : text;
}

export async function startServer(options: ServerOptions): Promise<ServerProcess> {
  const child = spawn('taskset', ['-c', String(options.cpu), process.execPath, ...(options.nodeFlags ?? []), options.script], {
    cwd: options.cwd ?? process.cwd(),
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...options.env },
    // stdin is a pipe the baselines watch: if the bench dies without cleanup, they exit.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code) => ((exitCode = code), resolve()));
    // A process that could not be spawned never emits 'exit'.
    child.once('error', () => ((exitCode = -1), resolve()));
  });

  const stop = async (graceMs = 5000): Promise<void> => {
    if (exitCode !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  onCleanup(() => stop());

  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = tail(stderr + chunk.toString())));
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`${options.label} did not listen within ${timeoutMs} ms\n${stderr}`)), timeoutMs);
    // Stdout is read to the end of the run: an undrained pipe would block the server's logger.
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer = tail(buffer + chunk.toString(), 1 << 16);
      let newline;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let entry: { msg?: unknown; port?: unknown } | undefined;
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue;
        }
        if (typeof entry?.port === 'number' && String(entry.msg).startsWith('listening')) {
          clearTimeout(timer);
          resolve(entry.port);
        }
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${options.label} exited with ${exitCode} before listening\n${stderr}`));
    });
  }).catch(async (error: unknown) => {
    await stop(1000);
    throw error;
  });
  return { label: options.label, url: `http://127.0.0.1:${port}`, pid: child.pid!, stop };
}
