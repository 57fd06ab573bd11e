/**
 * The wrk Lua scripts, written to a temp dir at run time. Each ends with the
 * same `done` hook, which prints wrk's own counters as one JSON line so the
 * bench reads exact numbers instead of wrk's rounded text.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { COLLECTION_PATH, POST_BODY } from './customers-api.js';

export const RESULT_MARKER = 'BENCH_RESULT ';

const DONE = `
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${RESULT_MARKER}{"requests":%.0f,"durationUs":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,"p50Us":%.0f,"p99Us":%.0f,"meanUs":%.1f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
`;

/** GET of one id after the other from a file of seeded ids (args: ids file). Requests are built once in init. */
const GET_BY_ID = `
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

const POST = `
wrk.method = "POST"
wrk.body = '${POST_BODY}'
wrk.headers["Content-Type"] = "application/json"
${DONE}`;

export interface WrkScripts {
  getById: string;
  post: string;
  /** Plain GET of the URL given to wrk (the list case): only the done hook. */
  plain: string;
}

export async function writeWrkScripts(dir: string): Promise<WrkScripts> {
  const scripts: WrkScripts = { getById: path.join(dir, 'get-by-id.lua'), post: path.join(dir, 'post.lua'), plain: path.join(dir, 'plain.lua') };
  await writeFile(scripts.getById, GET_BY_ID);
  await writeFile(scripts.post, POST);
  await writeFile(scripts.plain, DONE);
  return scripts;
}

/** One id a line, the file GET_BY_ID reads. */
export async function writeIdsFile(dir: string, name: string, ids: readonly string[]): Promise<string> {
  const file = path.join(dir, `${name}-ids.txt`);
  await writeFile(file, `${ids.join('\n')}\n`);
  return file;
}
