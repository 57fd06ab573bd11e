/**
 * Runs wrk pinned to the client core and reads its result: requests/s, p99,
 * and every error wrk counts (non-2xx/3xx answers, socket errors, timeouts).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { onCleanup } from './cleanup.js';
import { processCpuSeconds } from './cpu-usage.js';
import { RESULT_MARKER } from './wrk-scripts.js';

export const WRK_INSTALL = 'apt-get install -y wrk';

export interface WrkRun {
  url: string;
  script: string;
  scriptArgs?: string[];
  seconds: number;
  connections: number;
  cpu: number;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers outside 2xx/3xx ("Non-2xx or 3xx responses" in wrk's text). */
  non2xx: number;
  socketErrors: number;
  timeouts: number;
  /** CPU seconds wrk itself used, when /proc could tell. */
  cpuSeconds?: number;
}

/** An executable on PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export const findWrk = () => findExecutable('wrk');

export function runWrk(run: WrkRun): Promise<WrkResult> {
  // One thread: wrk gets one core, and a second thread would only compete for it.
  const args = ['-c', String(run.cpu), 'wrk', '-t1', `-c${run.connections}`, `-d${run.seconds}s`, '--latency', '--timeout', '5s', '-s', run.script, run.url];
  if (run.scriptArgs?.length) args.push('--', ...run.scriptArgs);
  const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let finished = false;
  onCleanup(() => {
    if (!finished) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  let cpuSeconds: number | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    // The result line comes after the run, while wrk is still alive (or not yet reaped): its CPU time is final.
    if (cpuSeconds === undefined && stdout.includes(RESULT_MARKER)) cpuSeconds = processCpuSeconds(child.pid!);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<WrkResult>((resolve, reject) => {
    // wrk stops itself after -d; this bounds a wedged run.
    const limit = setTimeout(() => child.kill('SIGKILL'), (run.seconds + 20) * 1000);
    child.once('error', (error) => reject(new Error(`could not run wrk: ${error.message}`)));
    child.once('close', (code, signal) => {
      finished = true;
      clearTimeout(limit);
      if (code !== 0) return reject(new Error(`wrk ${run.url} ended with ${code ?? signal}\n${stderr}${stdout}`));
      try {
        resolve({ ...parseWrkOutput(stdout), ...(cpuSeconds !== undefined ? { cpuSeconds } : {}) });
      } catch (error) {
        reject(new Error(`${(error as Error).message}\n${stdout}${stderr}`));
      }
    });
  });
}

export function parseWrkOutput(stdout: string): WrkResult {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (!line) throw new Error('wrk printed no result line (did the Lua done hook run?)');
  const raw = JSON.parse(line.slice(RESULT_MARKER.length)) as Record<string, number>;
  const num = (key: string) => {
    const value = raw[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`wrk result lacks ${key}`);
    return value;
  };
  // The text line is what wrk shows people; take the larger count should the two ever disagree.
  const textNon2xx = Number(/Non-2xx or 3xx responses:\s*(\d+)/.exec(stdout)?.[1] ?? 0);
  const seconds = num('durationUs') / 1e6;
  return {
    requests: num('requests'),
    seconds,
    requestsPerSecond: num('requests') / seconds,
    p50Ms: num('p50Us') / 1000,
    p99Ms: num('p99Us') / 1000,
    non2xx: Math.max(num('status'), textNon2xx),
    socketErrors: num('connect') + num('read') + num('write'),
    timeouts: num('timeout'),
  };
}

export function errorCount(result: Pick<WrkResult, 'non2xx' | 'socketErrors' | 'timeouts'>): number {
  return result.non2xx + result.socketErrors + result.timeouts;
}
