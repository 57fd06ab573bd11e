/**
 * Google's functions framework (@google-cloud/functions-framework) run as a user
 * runs it: its own CLI as a child process, loading a function module from a folder.
 *
 * The CLI takes `--port=0` (node binds a free port) but then prints the port it was
 * given ("URL: http://localhost:0/") and listens on every interface. A preload
 * (`--require`) makes its one `listen(port, callback)` bind 127.0.0.1 and print the
 * port it got; nothing else of the framework is touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './host-process.js';

export const frameworkMain = path.join(repoRoot, 'node_modules/@google-cloud/functions-framework/build/src/main.js');

const PRELOAD = `const net = require('node:net');
const listen = net.Server.prototype.listen;
let done = false;
net.Server.prototype.listen = function (...args) {
  if (done || args.length !== 2 || typeof args[1] !== 'function') return listen.apply(this, args);
  done = true;
  this.once('listening', () => console.log('FRAMEWORK_PORT=' + this.address().port));
  return listen.call(this, Number(args[0]), '127.0.0.1', args[1]);
};
`;

export interface FrameworkProcess {
  base: string;
  child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts the framework on `<dir>/<file>`'s export `target`, with `env` on top of this process's. */
export async function startFramework(dir: string, file: string, target: string, env: Record<string, string>, signature = 'http'): Promise<FrameworkProcess> {
  const preload = path.join(dir, 'loopback-preload.cjs');
  await writeFile(preload, PRELOAD);
  const child = spawn(process.execPath, ['--require', preload, frameworkMain, `--target=${target}`, `--source=${path.join(dir, file)}`, `--signature-type=${signature}`, '--port=0'], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`functions framework did not start within 20 s:\n${output}`)), 20_000);
    const check = () => {
      const match = /FRAMEWORK_PORT=(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`functions framework exited (${code}):\n${output}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { base: `http://127.0.0.1:${port}`, child, output: () => output, stop };
}

/** A function module importing microlib/serverless from this build (a deployed function imports the package). */
export function serverlessImport(): string {
  return JSON.stringify(`file://${path.join(repoRoot, 'dist/src/serverless/index.js')}`);
}
