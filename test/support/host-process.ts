/**
 * Starts the real host (`dist/src/server.js`) as a child process on port 0 and
 * waits until it listens. Tests then talk to it over HTTP like any client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../../..');
export const serverScript = path.join(repoRoot, 'dist/src/server.js');
export const exampleRemoteDist = path.join(repoRoot, 'examples/order-service/dist');

export interface HostProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Every log line so far, parsed. */
  logs: Array<Record<string, unknown>>;
  /** Stops with SIGTERM and waits for exit. */
  stop(): Promise<number | null>;
  /** `kill -9`, waits for exit. */
  kill(): Promise<void>;
}

export interface HostOptions {
  /** remoteEntries.js contents (an array serialised to an ES module). */
  remotes: unknown[];
  /** The `ports` export of remoteEntries.js (port configuration keyed `<model>.<port>`). */
  ports?: Record<string, unknown>;
  /** The `remoteModels` export of remoteEntries.js (models other hosts serve). */
  remoteModels?: Record<string, unknown>;
  /** The `placements` export of remoteEntries.js (which models run on which nodes). */
  placements?: Record<string, unknown>;
  /** Folder for data and cache; made if absent. Reuse it across starts to keep data. */
  workDir?: string;
  env?: Record<string, string>;
  /** How long to wait for the host to listen. */
  startTimeoutMs?: number;
  /** What node runs; default: the compiled server. `[cliScript, 'start']` starts it as `microlib start` does. */
  nodeArgs?: string[];
}

export async function makeWorkDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'microlib-host-'));
}

export async function startHost(options: HostOptions): Promise<HostProcess> {
  const workDir = options.workDir ?? (await makeWorkDir());
  await mkdir(workDir, { recursive: true });
  const entriesFile = path.join(workDir, 'remoteEntries.js');
  const named = Object.entries({ ports: options.ports, remoteModels: options.remoteModels, placements: options.placements })
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `export const ${name} = ${JSON.stringify(value, null, 2)};\n`)
    .join('');
  await writeFile(entriesFile, `export default ${JSON.stringify(options.remotes, null, 2)};\n${named}`);
  const child = spawn(process.execPath, options.nodeArgs ?? [serverScript], {
    cwd: workDir,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      REMOTE_ENTRIES: entriesFile,
      DATA_DIR: path.join(workDir, 'data'),
      REMOTE_CACHE_DIR: path.join(workDir, 'cache'),
      LOG_LEVEL: 'info',
      // CI runs the core end-to-end files again at each isolation level.
      ...(process.env.REMOTE_ISOLATION ? { REMOTE_ISOLATION: process.env.REMOTE_ISOLATION } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let scheme = 'http';
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      // A host that never listens must not outlive the test that started it.
      child.kill('SIGKILL');
      reject(new Error(`host did not listen within ${options.startTimeoutMs ?? 30_000} ms\n${stderr}`));
    }, options.startTimeoutMs ?? 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (typeof entry.port === 'number' && String(entry.msg).startsWith('listening')) {
            if (String(entry.msg).startsWith('listening on https://')) scheme = 'https';
            clearTimeout(timer);
            resolve(entry.port);
          }
        } catch {
          logs.push({ raw: line });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code} before listening\n${stderr}`));
    });
  });
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    child,
    logs,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** JSON request helper: returns status, headers and parsed body. */
export async function request(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined = init.rawBody;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, { method: init.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // keep text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}
