/**
 * Wire formats: GET of one customer by id and POST of a customer, answered in
 * JSON (no Accept, as before) and in MessagePack (`Accept: application/msgpack`,
 * and a MessagePack body on POST), on one host with the example remote and the
 * memory datasource, pinned to the server core; wrk runs on the client core.
 * Rounds alternate the formats; each figure is the median round.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encode } from '@msgpack/msgpack';
import { exampleRemoteDist, makeWorkDir, removeDir, startHost, type HostProcess } from '../test/support/host-process.js';
import { onCleanup } from './cleanup.js';
import type { BenchConfig } from './config.js';
import { COLLECTION_PATH, customerBody, POST_BODY } from './customers-api.js';
import { errorCount, runWrk, type WrkResult } from './wrk.js';
import { RESULT_MARKER, writeIdsFile } from './wrk-scripts.js';
import { freePort } from '../test/support/free-port.js';

/** Bounded: records seeded before the reads. */
const RECORDS = 1_000;
const MSGPACK = 'application/msgpack';

type Format = 'json' | 'msgpack';
type Case = 'get' | 'post';

export interface SerializationFigures {
  records: number;
  connections: number;
  /** The median round of each case and format. */
  results: Record<Case, Record<Format, WrkResult>>;
  /** Answer bytes of one record in each format. */
  recordBytes: Record<Format, number>;
  errors: number;
}

/** wrk's done hook, as the other scripts print it (see wrk-scripts.ts). */
const DONE = `
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${RESULT_MARKER}{"requests":%.0f,"durationUs":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,"p50Us":%.0f,"p99Us":%.0f,"meanUs":%.1f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
`;

/** Bytes as a Lua string literal (decimal escapes: a MessagePack body is binary). */
const luaBytes = (bytes: Uint8Array) => `"${Array.from(bytes, (b) => `\\${b}`).join('')}"`;

function getScript(format: Format): string {
  return `
${format === 'msgpack' ? `wrk.headers["Accept"] = "${MSGPACK}"` : ''}
local requests = {}
local count = 0
local index = 0
function init(args)
  for id in io.lines(args[1]) do
    count = count + 1
    requests[count] = wrk.format("GET", "${COLLECTION_PATH}/" .. id)
  end
  if count == 0 then error("no ids in " .. args[1]) end
end
function request()
  index = index % count + 1
  return requests[index]
end
${DONE}`;
}

function postScript(format: Format): string {
  const body = format === 'json' ? `'${POST_BODY}'` : luaBytes(encode(JSON.parse(POST_BODY)));
  return `
wrk.method = "POST"
wrk.body = ${body}
wrk.headers["Content-Type"] = "${format === 'json' ? 'application/json' : MSGPACK}"
${format === 'msgpack' ? `wrk.headers["Accept"] = "${MSGPACK}"` : ''}
${DONE}`;
}

function median(results: WrkResult[]): WrkResult {
  return [...results].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(results.length / 2)]!;
}

export async function measureSerialization(config: BenchConfig, dir: string, log: (line: string) => void): Promise<SerializationFigures> {
  const workDir = await makeWorkDir();
  let host: HostProcess | undefined;
  const stop = async () => {
    await host?.stop();
    host = undefined;
  };
  onCleanup(stop);
  try {
    const port = await freePort();
    host = await startHost({ workDir, remotes: [{ name: 'orderService', kind: 'local', path: exampleRemoteDist }], env: { PORT: String(port), DATASOURCE_ADAPTER: 'memory' } });
    const pinned = spawnSync('taskset', ['-pc', String(config.serverCpu), String(host.child.pid)], { stdio: 'ignore' });
    if (pinned.status !== 0) throw new Error(`taskset could not pin node process ${host.child.pid}`);
    const base = `http://127.0.0.1:${port}`;
    const ids: string[] = [];
    for (let i = 0; i < RECORDS; i++) {
      const res = await fetch(`${base}${COLLECTION_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(customerBody(i)) });
      if (res.status !== 201) throw new Error(`seeding answered ${res.status}`);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const idsFile = await writeIdsFile(dir, 'serialization', ids);
    const recordBytes = { json: 0, msgpack: 0 };
    for (const format of ['json', 'msgpack'] as const) {
      const res = await fetch(`${base}${COLLECTION_PATH}/${ids[0]}`, { headers: format === 'msgpack' ? { accept: MSGPACK } : {} });
      recordBytes[format] = (await res.arrayBuffer()).byteLength;
      const type = res.headers.get('content-type') ?? '';
      if (res.status !== 200 || !type.startsWith(format === 'json' ? 'application/json' : MSGPACK)) throw new Error(`probe (${format}) answered ${res.status} ${type}`);
    }
    const scripts: Record<Case, Record<Format, string>> = { get: { json: '', msgpack: '' }, post: { json: '', msgpack: '' } };
    for (const kind of ['get', 'post'] as const) {
      for (const format of ['json', 'msgpack'] as const) {
        scripts[kind][format] = path.join(dir, `serialization-${kind}-${format}.lua`);
        await writeFile(scripts[kind][format], kind === 'get' ? getScript(format) : postScript(format));
      }
    }
    log(`  ${RECORDS} customers; GET by id and POST, JSON against MessagePack (one record: ${recordBytes.json} against ${recordBytes.msgpack} bytes)`);
    const wrk = (kind: Case, format: Format, seconds: number) =>
      runWrk({ url: `${base}${COLLECTION_PATH}`, script: scripts[kind][format], ...(kind === 'get' ? { scriptArgs: [idsFile] } : {}), seconds, connections: config.connections, cpu: config.clientCpu });
    const results = {} as Record<Case, Record<Format, WrkResult>>;
    let errors = 0;
    const roundSeconds = Math.max(1, Math.round(config.seconds / config.rounds));
    // Reads first, so they see exactly the seeded store.
    for (const kind of ['get', 'post'] as const) {
      await wrk(kind, 'json', config.warmupSeconds);
      await wrk(kind, 'msgpack', config.warmupSeconds);
      const rounds: Record<Format, WrkResult[]> = { json: [], msgpack: [] };
      for (let round = 0; round < config.rounds; round++) {
        for (const format of ['json', 'msgpack'] as const) rounds[format].push(await wrk(kind, format, roundSeconds));
      }
      for (const result of [...rounds.json, ...rounds.msgpack]) errors += errorCount(result);
      results[kind] = { json: median(rounds.json), msgpack: median(rounds.msgpack) };
      log(`  ${kind}: JSON ${results[kind].json.requestsPerSecond.toFixed(0)} req/s, MessagePack ${results[kind].msgpack.requestsPerSecond.toFixed(0)} req/s`);
    }
    return { records: RECORDS, connections: config.connections, results, recordBytes, errors };
  } finally {
    await stop();
    await removeDir(workDir);
  }
}

export function serializationTargetsPassed(f: SerializationFigures): boolean {
  return f.errors === 0;
}

const ms = (n: number) => `${n.toFixed(2)} ms`;

export function renderSerializationSection(f: SerializationFigures): string {
  const rows = (['get', 'post'] as const).flatMap((kind) => {
    const { json, msgpack } = f.results[kind];
    const label = kind === 'get' ? '`GET /:id`' : '`POST`';
    return [
      `| ${label} | JSON | ${json.requestsPerSecond.toFixed(0)} | ${ms(json.p50Ms)} | ${ms(json.p99Ms)} | |`,
      `| ${label} | MessagePack | ${msgpack.requestsPerSecond.toFixed(0)} | ${ms(msgpack.p50Ms)} | ${ms(msgpack.p99Ms)} | ${(msgpack.requestsPerSecond / json.requestsPerSecond).toFixed(2)}× |`,
    ];
  });
  return [
    '## Wire formats: JSON and MessagePack',
    '',
    `One host (example remote, memory datasource, default isolation) with ${f.records} customers, pinned to the server core; wrk -t1 -c${f.connections} on the client core, rounds alternating the formats. **JSON** sends no Accept header (the path every existing client takes); **MessagePack** sends \`Accept: application/msgpack\` and, on POST, a MessagePack body. One record is ${f.recordBytes.json} bytes in JSON and ${f.recordBytes.msgpack} in MessagePack.`,
    '',
    '| route | format | req/s | p50 | p99 | MessagePack / JSON |',
    '|---|---|---:|---:|---:|---:|',
    ...rows,
    '',
    `Errors (non-2xx, socket errors, timeouts) in all runs: ${f.errors}.`,
    '',
  ].join('\n');
}
