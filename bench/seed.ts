/**
 * Seeds customers through a server's own POST route, so each server's store is
 * built exactly as its clients would build it, and returns the assigned ids.
 */
import { COLLECTION_PATH, customerBody } from './customers-api.js';
import { createAgent, requestJson } from './http-json.js';

const WORKERS = 32;

export async function seedCustomers(baseUrl: string, count: number, timeoutMs = 120_000): Promise<string[]> {
  const agent = createAgent(WORKERS);
  const ids = new Array<string>(count);
  const deadline = Date.now() + timeoutMs;
  let next = 0;
  const worker = async () => {
    // Bounded by `count` (each index is taken once) and by the deadline.
    while (next < count) {
      if (Date.now() > deadline) throw new Error(`seeding ${baseUrl} took over ${timeoutMs} ms (${next}/${count})`);
      const n = next++;
      const res = await requestJson(`${baseUrl}${COLLECTION_PATH}`, { method: 'POST', body: customerBody(n), agent });
      const id = (res.body as { id?: unknown } | undefined)?.id;
      if (res.status !== 201 || typeof id !== 'string') throw new Error(`seeding ${baseUrl}: POST answered ${res.status} ${JSON.stringify(res.body)}`);
      ids[n] = id;
    }
  };
  try {
    await Promise.all(Array.from({ length: WORKERS }, worker));
  } finally {
    agent.destroy();
  }
  return ids;
}
