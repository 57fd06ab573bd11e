/**
 * Hot-deploy figures: time from a push webhook (or a manual reload) to the new
 * version answering, requests failed while reloading under load, and heap/RSS
 * after 1, 50 and 200 reloads. Uses the real host as a child process, the
 * GitHub-compatible test server over a real git repository, and the example
 * remote's real build (stamped with a build number per version).
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createGitRepo, type TestRepo } from '../test/support/git-repo.js';
import { startGitHubApiServer, type GitHubApiServer } from '../test/support/github-api-server.js';
import { makeWorkDir, removeDir, startHost, type HostProcess } from '../test/support/host-process.js';
import { brokenBuild, exampleBuild } from '../test/support/example-builds.js';
import { pushPayload, sendWebhook } from '../test/support/webhook.js';
import { benchDist } from './paths.js';

const SECRET = 'bench-webhook-secret-0123';
/**
 * Pause between one reload serving and the next trigger. After each load the host starts a
 * spare worker thread (about 100 ms) for the next; real pushes are seconds apart at least.
 */
const PUSH_GAP_MS = 500;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ADMIN = 'bench-admin-token-0123456';

export interface LatencyFigures {
  samples: number;
  p50: number;
  p95: number;
  max: number;
  /**
   * GitHub source: median of the time each reload spent waiting on the test GitHub server
   * (its busy time, git included); the rest of the p50 is the host's.
   */
  serverP50?: number;
}

export interface ReloadFigures {
  /** Pushes PUSH_GAP_MS apart, as pushes are: the spare worker thread started after a load is up by the next. */
  github: LatencyFigures;
  /** Each push sent as soon as the one before serves: the spare thread is still starting. */
  githubBackToBack: LatencyFigures;
  local: LatencyFigures;
  underLoad: { reloads: number; requests: number; failed: number; serverErrors: number; clients: number };
  memory: Array<{ reloads: number; heapMB: number; rssMB: number }>;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function figures(samples: number[], serverSamples?: number[]): LatencyFigures {
  const sorted = [...samples].sort((a, b) => a - b);
  const server = serverSamples && { serverP50: percentile([...serverSamples].sort((a, b) => a - b), 50) };
  return { samples: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1] ?? NaN, ...server };
}

/** Polls a cheap generated route until it answers from `version`; returns the elapsed ms since `t0`. */
async function untilServing(host: HostProcess, version: string, t0: number, timeoutMs = 30_000): Promise<number> {
  const deadline = t0 + timeoutMs;
  while (performance.now() < deadline) {
    const res = await fetch(`${host.url}/microlib/api/models/customers?limit=1`);
    await res.arrayBuffer();
    if (res.headers.get('x-microlib-version')?.endsWith(`@${version}`)) return performance.now() - t0;
  }
  throw new Error(`version ${version} did not answer within ${timeoutMs} ms`);
}

/** A host following a fresh git repository (build 0 committed) through the GitHub-compatible server. */
async function withGitHubHost<T>(run: (repo: TestRepo, host: HostProcess, github: GitHubApiServer) => Promise<T>): Promise<T> {
  const repo = await createGitRepo();
  const github = await startGitHubApiServer({ repos: { 'acme/orders': repo.dir }, rateLimit: 1_000_000, unauthenticatedRateLimit: 1_000_000 });
  const workDir = await makeWorkDir();
  let host: HostProcess | undefined;
  try {
    await repo.commitFiles(await exampleBuild(0, 'dist/'), 'build 0');
    host = await startHost({
      workDir,
      remotes: [{ name: 'orderService', kind: 'github', owner: 'acme', repo: 'orders', ref: 'main', dir: 'dist' }],
      env: { GITHUB_API_URL: github.url, WEBHOOK_SECRET: SECRET, DATASOURCE_ADAPTER: 'memory' },
    });
    return await run(repo, host, github);
  } finally {
    await host?.stop();
    await github.close();
    await repo.cleanup();
    await removeDir(workDir);
  }
}

async function githubLatency(reloads: number, gapMs: number, log: (line: string) => void): Promise<LatencyFigures> {
  return withGitHubHost(async (repo, host, github) => {
    // Committed after the host started on build 0, so every webhook names a new version.
    // Each push names the commit it replaced (`before`), as GitHub's do.
    const commits: string[] = [await repo.revParse()];
    for (let i = 1; i <= reloads; i++) commits.push(await repo.commitFiles(await exampleBuild(i, 'dist/'), `build ${i}`));
    const samples: number[] = [];
    const serverSamples: number[] = [];
    for (let i = 1; i < commits.length; i++) {
      const sha = commits[i]!;
      await pause(gapMs);
      const busy = github.busyMs;
      const t0 = performance.now();
      const res = await sendWebhook(host.url, { payload: pushPayload('acme/orders', 'main', sha, commits[i - 1]), secret: SECRET });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${JSON.stringify(res.body)}`);
      samples.push(await untilServing(host, sha, t0));
      serverSamples.push(github.busyMs - busy);
    }
    log(`  github source: ${reloads} webhook reloads measured, ${gapMs} ms apart`);
    return figures(samples, serverSamples);
  });
}

async function localLatency(reloads: number, log: (line: string) => void): Promise<LatencyFigures> {
  const workDir = await makeWorkDir();
  const remoteDir = path.join(workDir, 'remote');
  const write = async (n: number) => {
    for (const [name, bytes] of Object.entries(await exampleBuild(n, 'remote/'))) await writeFile(path.join(workDir, name), bytes);
  };
  let host: HostProcess | undefined;
  try {
    await mkdir(remoteDir, { recursive: true });
    await write(0);
    host = await startHost({ workDir, remotes: [{ name: 'orderService', kind: 'local', path: remoteDir }], env: { ADMIN_TOKEN: ADMIN, DATASOURCE_ADAPTER: 'memory' } });
    const samples: number[] = [];
    for (let i = 1; i <= reloads; i++) {
      await write(i);
      await pause(PUSH_GAP_MS);
      const t0 = performance.now();
      const res = await fetch(`${host.url}/microlib/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
      const body = (await res.json()) as { results: Array<{ to: string; outcome: string }> };
      if (body.results[0]?.outcome !== 'reloaded') throw new Error(`reload ${i}: ${JSON.stringify(body)}`);
      samples.push(await untilServing(host, body.results[0].to, t0));
    }
    log(`  local source: ${reloads} manual reloads measured`);
    return figures(samples);
  } finally {
    await host?.stop();
    await removeDir(workDir);
  }
}

async function underLoad(reloads: number, clients: number, log: (line: string) => void): Promise<ReloadFigures['underLoad']> {
  return withGitHubHost(async (repo, host) => {
    const commits: string[] = [];
    for (let i = 1; i <= reloads; i++) {
      commits.push(await repo.commitFiles(i % 2 ? await exampleBuild(i, 'dist/') : await brokenBuild('throws', 'dist/', String(i)), `deploy ${i}`));
    }
    const url = host.url;
    let stop = false;
    let requests = 0;
    let failed = 0;
    let serverErrors = 0;
    const reasons = new Map<string, number>();
    const deadline = Date.now() + 120_000;
    const client = async () => {
      for (let i = 0; !stop && Date.now() < deadline && i < 1_000_000; i++) {
        try {
          const res = await fetch(`${url}/microlib/api/models/customers`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"firstName":"L","lastName":"D","email":"l@d.io"}',
          });
          await res.arrayBuffer();
          requests++;
          if (res.status >= 500) serverErrors++;
          else if (res.status !== 201) failed++;
          if (res.status !== 201) reasons.set(`status ${res.status}`, (reasons.get(`status ${res.status}`) ?? 0) + 1);
        } catch (error) {
          requests++;
          failed++;
          const reason = String((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        }
      }
    };
    const deployer = async () => {
      try {
        for (const sha of commits) {
          await sendWebhook(url, { payload: pushPayload('acme/orders', 'main', sha), secret: SECRET });
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        stop = true;
      }
    };
    await Promise.all([deployer(), ...Array.from({ length: clients }, client)]);
    log(`  under load: ${requests} requests across ${reloads} reloads${reasons.size ? `; failures: ${JSON.stringify(Object.fromEntries(reasons))}` : ''}`);
    return { reloads, requests, failed, serverErrors, clients };
  });
}

async function memory(log: (line: string) => void): Promise<ReloadFigures['memory']> {
  const child = path.join(benchDist, '../test/support/reload-memory-child.js');
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', child, '200', '1,50,200'], { timeout: 300_000, maxBuffer: 1 << 20 });
  const { samples } = JSON.parse(stdout.trim().split('\n').pop()!) as { samples: ReloadFigures['memory'] };
  log('  memory: 200 reloads measured');
  return samples;
}

/** Only the GitHub rows (webhook reloads PUSH_GAP_MS apart, and back to back): `node dist/bench/reload-only.js github`. */
export async function measureGitHubReloads(log: (line: string) => void): Promise<Pick<ReloadFigures, 'github' | 'githubBackToBack'>> {
  const count = Number(process.env.BENCH_RELOADS ?? 30);
  return { github: await githubLatency(count, PUSH_GAP_MS, log), githubBackToBack: await githubLatency(Math.min(count, 10), 0, log) };
}

export async function measureReloads(log: (line: string) => void): Promise<ReloadFigures> {
  const count = Number(process.env.BENCH_RELOADS ?? 30);
  log(`reloads: ${count} per source, 20 under load, 200 for memory`);
  return {
    github: await githubLatency(count, PUSH_GAP_MS, log),
    githubBackToBack: await githubLatency(Math.min(count, 10), 0, log),
    local: await localLatency(count, log),
    underLoad: await underLoad(20, 50, log),
    memory: await memory(log),
  };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const server = (f: LatencyFigures) => (f.serverP50 === undefined ? '—' : ms(f.serverP50));

export function renderReloadSection(f: ReloadFigures): string {
  const target = f.github.p50 < 100;
  return [
    '## Hot deployment',
    '',
    `Time from the reload trigger (a signed push webhook for the GitHub source, served by the GitHub-compatible test server over a real git repository; \`POST /microlib/reload\` for the local source) until a request is answered by the new version (\`x-microlib-version\`). The example remote in its worker thread (the default isolation), memory datasource; each version changes the models chunk, so unchanged files are reused from the cache. Triggers are ${PUSH_GAP_MS} ms apart: after each load the host starts a spare thread for the next (about 100 ms), which a push arriving later finds ready. The back-to-back row sends each push as soon as the one before serves, so the new version waits for that thread to start.`,
    '',
    '| source | reloads | p50 | of which test server (p50) | p95 | max |',
    '|---|---:|---:|---:|---:|---:|',
    `| github (local test server) | ${f.github.samples} | ${ms(f.github.p50)} | ${server(f.github)} | ${ms(f.github.p95)} | ${ms(f.github.max)} |`,
    `| github, back-to-back | ${f.githubBackToBack.samples} | ${ms(f.githubBackToBack.p50)} | ${server(f.githubBackToBack)} | ${ms(f.githubBackToBack.p95)} | ${ms(f.githubBackToBack.max)} |`,
    `| local folder | ${f.local.samples} | ${ms(f.local.p50)} | — | ${ms(f.local.p95)} | ${ms(f.local.max)} |`,
    '',
    'The test server column is the median time a reload waited on the GitHub-compatible test server (its busy time while the reload ran: HTTP and git, overlapping requests counted once); the rest of the p50 is the host (webhook check, download and integrity check, load, activation, swap) and the client polling for the new version.',
    '',
    `Under load: ${f.underLoad.clients} concurrent clients creating records during ${f.underLoad.reloads} webhook reloads alternating good and broken builds: ${f.underLoad.requests} requests, **${f.underLoad.failed + f.underLoad.serverErrors} failed** (${f.underLoad.serverErrors} 5xx).`,
    '',
    'Memory of one host process over successive reloads (heap after GC; `--expose-gc`):',
    '',
    '| reloads | heap | RSS |',
    '|---:|---:|---:|',
    ...f.memory.map((m) => `| ${m.reloads} | ${m.heapMB.toFixed(1)} MB | ${m.rssMB.toFixed(1)} MB |`),
    '',
    '| target | measured | result |',
    '|---|---|---|',
    `| webhook → new version answering, p50 < 100 ms (github source) | ${ms(f.github.p50)} (test server ${server(f.github)}) | **${target ? 'PASS' : 'FAIL'}** |`,
    `| requests failed during reloads under load = 0 | ${f.underLoad.failed + f.underLoad.serverErrors} | **${f.underLoad.failed + f.underLoad.serverErrors === 0 ? 'PASS' : 'FAIL'}** |`,
    `| heap growth over 200 reloads < 5 MB | ${((f.memory.at(-1)?.heapMB ?? 0) - (f.memory[0]?.heapMB ?? 0)).toFixed(1)} MB | **${(f.memory.at(-1)?.heapMB ?? 0) - (f.memory[0]?.heapMB ?? 0) < 5 ? 'PASS' : 'FAIL'}** |`,
    '',
  ].join('\n');
}

export function reloadTargetsPassed(f: ReloadFigures): boolean {
  return f.github.p50 < 100 && f.underLoad.failed + f.underLoad.serverErrors === 0 && (f.memory.at(-1)?.heapMB ?? 0) - (f.memory[0]?.heapMB ?? 0) < 5;
}
