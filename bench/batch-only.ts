/**
 * `node dist/bench/batch-only.js`: only the batch figures (bench/batch-bench.ts),
 * printed and written into docs/benchmarks.md in place of its "Batches" section
 * (added where `npm run bench` puts it, before "Placements", when the report has none). `BENCH_BATCH_ROUNDS` sets the rounds (default 3).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { measureBatches, renderBatchSection } from './batch-bench.js';
import { docsFile } from './paths.js';

const rounds = Number(process.env.BENCH_BATCH_ROUNDS ?? 3);
const figures = await measureBatches((line) => console.error(line), { rounds: Number.isInteger(rounds) && rounds > 0 ? rounds : 3 });
const section = renderBatchSection(figures);
console.log(section);
const report = await readFile(docsFile, 'utf8');
const start = report.indexOf('\n## Batches\n');
const end = start === -1 ? -1 : report.indexOf('\n## ', start + 1);
const placements = report.indexOf('\n## Placements');
let next: string;
if (start !== -1) next = `${report.slice(0, start + 1)}${section}${end === -1 ? '' : report.slice(end)}`;
else if (placements !== -1) next = `${report.slice(0, placements + 1)}${section}\n${report.slice(placements + 1)}`;
else next = `${report.trimEnd()}\n\n${section}`;
await writeFile(docsFile, `${next.trimEnd()}\n`);
console.error(`wrote the Batches section of ${docsFile}`);
