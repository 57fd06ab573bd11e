/**
 * Measures acknowledged durable writes per second of the file datasource with
 * concurrent writers (each awaits its write before issuing the next), in a
 * temporary folder that is removed afterwards.
 *
 * Usage: node dist/bench/file-datasource-writes.js [--writers=50] [--count=100000] [--seconds=10] [--bytes=200]
 * Stops at whichever comes first of `count` writes and `seconds`.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileDatasource } from '../src/adapters/persistence/file/file-datasource.js';

function numberArgument(name: string, fallback: number): number {
  const prefix = `--${name}=`;
  const argument = process.argv.find((arg) => arg.startsWith(prefix));
  if (argument === undefined) return fallback;
  const value = Number(argument.slice(prefix.length));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${prefix} needs a positive number`);
  return value;
}

const writers = numberArgument('writers', 50);
const count = numberArgument('count', 100_000);
const seconds = numberArgument('seconds', 10);
const recordBytes = numberArgument('bytes', 200);

const dataDir = await mkdtemp(join(tmpdir(), 'microlib-bench-'));
try {
  const ds = createFileDatasource({ collection: 'bench', dataDir });
  await ds.open();
  const filler = 'x'.repeat(Math.max(0, recordBytes - 120));
  const latencies: number[] = [];
  let issued = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;

  const writer = async () => {
    while (issued < count && performance.now() < deadline) {
      const n = issued++;
      const now = new Date().toISOString();
      const before = performance.now();
      await ds.create({ id: `bench-${n}`, createdAt: now, updatedAt: now, revision: 1, n, filler });
      latencies.push(performance.now() - before);
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
  const elapsed = (performance.now() - started) / 1000;
  await ds.close();

  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(2);
  const logBytes = (await stat(join(dataDir, 'bench.log'))).size;
  console.log(
    `file datasource: ${latencies.length} durable creates by ${writers} concurrent writers in ${elapsed.toFixed(2)} s = ` +
      `${Math.round(latencies.length / elapsed)} writes/s (latency p50 ${percentile(0.5)} ms, p99 ${percentile(0.99)} ms; log ${logBytes} bytes)`,
  );
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
