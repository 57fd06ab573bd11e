/**
 * How fast an automatic rollout rolls back a
 * bad build. The real host as a child process serves a local remote with a
 * `rollout`; under concurrent keep-alive load of creates, a manual reload starts a
 * build whose create function throws on every call as a canary at 10 %, and the
 * analysis rolls it back. Measured per trial: from the first failing request to the
 * rollback, in milliseconds and in requests (all requests sent meanwhile, and the
 * failed ones), and failures after the rollback. A section of `npm run bench`;
 * `node dist/bench/canary-rollback.js` prints it alone.
 */
import path from 'node:path';
import { createAgent, requestJson } from './http-json.js';
import { containerOf, localModelsRemote, writeRemoteEntry } from '../test/support/fixture-remotes.js';
import { makeWorkDir, removeDir, startHost, type HostProcess } from '../test/support/host-process.js';

const ADMIN = 'bench-admin-token-0123456789';
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 3);
const WEIGHT = 10;
const spec = (factory: string) => `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: ${factory} }]`;
const GOOD = spec('() => (x) => ({ ...x })');
const BROKEN = spec('() => () => { throw new Error("broken build"); }');

export interface Trial {
  minRequests: number;
  /** First failing request sent → rollback recorded by the host. */
  ms: number;
  /** Requests sent in that time (every version), and how many of them failed. */
  requests: number;
  failed: number;
  failedAfter: number;
  reason: string;
}

/** Requests sent (epoch ms) and whether they failed, until `stop()`. */
async function load(host: HostProcess, stop: () => boolean): Promise<Array<{ at: number; failed: boolean }>> {
  const agent = createAgent(CONCURRENCY);
  const answers: Array<{ at: number; failed: boolean }> = [];
  const deadline = Date.now() + 60_000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (!stop() && Date.now() < deadline) {
        const at = Date.now();
        const answer = await requestJson(`${host.url}/microlib/api/models/things`, { method: 'POST', body: {}, agent });
        answers.push({ at, failed: answer.status >= 400 });
      }
    }),
  );
  agent.destroy();
  return answers;
}

async function trial(host: HostProcess, minRequests: number): Promise<Trial> {
  const remotes = async () => (await requestJson(`${host.url}/microlib/api/remotes`)).body.remotes[0];
  const before = (await remotes()).lastRollout?.at ?? null;
  let rolledBackAt = 0;
  let stopAt = Infinity;
  const running = load(host, () => Date.now() > stopAt);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const reload = await requestJson(`${host.url}/microlib/reload?remote=kit`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  if (reload.body?.results?.[0]?.canary?.weight !== WEIGHT) throw new Error(`the reload did not start a canary: ${JSON.stringify(reload.body)}`);
  const deadline = Date.now() + 30_000;
  let last: { outcome: string; at: string; error?: string } | null = null;
  while (Date.now() < deadline) {
    last = (await remotes()).lastRollout;
    if (last && last.at !== before) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!last || last.at === before || last.outcome !== 'rolledBack') throw new Error(`no rollback within 30 s: ${JSON.stringify(last)}`);
  rolledBackAt = Date.parse(last.at);
  stopAt = Date.now() + 500;
  const answers = await running;
  const firstFailure = Math.min(...answers.filter((a) => a.failed).map((a) => a.at));
  const meanwhile = answers.filter((a) => a.at >= firstFailure && a.at <= rolledBackAt);
  return {
    minRequests,
    ms: rolledBackAt - firstFailure,
    requests: meanwhile.length,
    failed: meanwhile.filter((a) => a.failed).length,
    failedAfter: answers.filter((a) => a.failed && a.at > rolledBackAt).length,
    reason: last.error ?? '',
  };
}

async function measure(minRequests: number, log: (line: string) => void): Promise<Trial[]> {
  const workDir = await makeWorkDir();
  let host: HostProcess | undefined;
  try {
    const remote = { ...(await localModelsRemote(workDir, GOOD)), rollout: { steps: [WEIGHT, 50, 100], stepSeconds: 600, maxErrorRate: 0.01, minRequests } };
    host = await startHost({ workDir, remotes: [remote], env: { ADMIN_TOKEN: ADMIN, DATA_DIR: path.join(workDir, 'data') } });
    await writeRemoteEntry(remote.path, containerOf({ './models': BROKEN }));
    const trials: Trial[] = [];
    // A manual reload starts the rolled-back build again (pushes and polls would skip it).
    for (let i = 0; i < TRIALS; i++) {
      trials.push(await trial(host, minRequests));
      log(`  minRequests ${minRequests}, trial ${i + 1}: ${trials.at(-1)!.ms} ms, ${trials.at(-1)!.requests} requests`);
    }
    return trials;
  } finally {
    await host?.stop();
    await removeDir(workDir);
  }
}

export interface CanaryRollbackFigures {
  weight: number;
  concurrency: number;
  trials: Trial[];
}

/** TRIALS bad canaries at minRequests 20, then at 100. */
export async function measureCanaryRollback(log: (line: string) => void): Promise<CanaryRollbackFigures> {
  const trials: Trial[] = [];
  for (const minRequests of [20, 100]) trials.push(...(await measure(minRequests, log)));
  return { weight: WEIGHT, concurrency: CONCURRENCY, trials };
}

/** Every trial rolled back (measure throws otherwise); none failed after the rollback beyond requests in flight. */
export function canaryRollbackTargetsPassed(f: CanaryRollbackFigures): boolean {
  return f.trials.length > 0 && f.trials.every((t) => t.failedAfter <= f.concurrency);
}

export function renderCanaryRollbackSection(f: CanaryRollbackFigures): string {
  return [
    '## Automatic rollback of a bad canary',
    '',
    `Canary at ${f.weight} %, every create of it fails; ${f.concurrency} keep-alive clients sending creates; analysis every 100 ms. Measured from the first failing request sent to the rollback the host records.`,
    '',
    '| minRequests | first failure → rollback (ms) | requests sent meanwhile | of them failed | failed after rollback (in flight) |',
    '|---:|---:|---:|---:|---:|',
    ...f.trials.map((r) => `| ${r.minRequests} | ${r.ms} | ${r.requests} | ${r.failed} | ${r.failedAfter} |`),
    '',
    `Reason recorded: ${f.trials[0]?.reason ?? ''}`,
    '',
  ].join('\n');
}
