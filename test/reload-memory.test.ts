// 200 reloads in one process must not leak: heap after GC grows by less than 5 MB, and RSS (which holds
// the workers of isolated versions) by less than 10 MB once settled.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./support/reload-memory-child.js', import.meta.url));

describe('reload memory', () => {
  it('keeps the heap flat over 200 reloads', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', child, '200', '1,50,200'], { timeout: 240_000, maxBuffer: 1 << 20 });
    const { samples } = JSON.parse(stdout.trim().split('\n').pop()!) as { samples: Array<{ reloads: number; heapMB: number; rssMB: number }> };
    const first = samples.find((s) => s.reloads === 1)!;
    const settled = samples.find((s) => s.reloads === 50)!;
    const last = samples.find((s) => s.reloads === 200)!;
    const growth = last.heapMB - first.heapMB;
    assert.ok(growth < 5, `heap grew by ${growth.toFixed(2)} MB over 200 reloads (${JSON.stringify(samples)})`);
    // Each version's workers are stopped when it retires: a leaked worker would add megabytes per reload.
    // The process's memory settles within the first reloads (the allocator keeps what threads freed).
    const rssGrowth = last.rssMB - settled.rssMB;
    assert.ok(rssGrowth < 10, `RSS grew by ${rssGrowth.toFixed(2)} MB from reload 50 to 200 (${JSON.stringify(samples)})`);
  });
});
