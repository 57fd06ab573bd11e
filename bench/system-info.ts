/** What the figures were measured on, for the report header. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface SystemInfo {
  date: string;
  node: string;
  cpuModel: string;
  cpus: number;
  kernel: string;
  wrk: string;
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // not Linux: fall back to what Node knows
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function wrkVersion(wrk: string): string {
  // `wrk -v` prints its version line and exits non-zero; only the first line matters.
  const out = spawnSync(wrk, ['-v'], { encoding: 'utf8', timeout: 5000 });
  const first = `${out.stdout ?? ''}${out.stderr ?? ''}`.split('\n')[0] ?? '';
  return first.replace(/\s*Copyright.*$/, '').trim() || 'unknown';
}

export function systemInfo(wrk: string): SystemInfo {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpuModel: cpuModel(),
    cpus: os.availableParallelism(),
    kernel: `${os.type()} ${os.release()}`,
    wrk: wrkVersion(wrk),
  };
}
