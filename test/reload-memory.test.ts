// 200 reloads in one process must not leak: heap after GC grows by less than 5 MB, the process holds
// no more threads after 200 reloads than after 50 (a retired version's workers are stopped), and RSS
// stays far below what one leaked worker per reload would add.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./support/reload-memory-child.js', import.meta.url));

describe('reload memory', () => {
  it('keeps the heap flat over 200 reloads', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', child, '200', '1,50,200'], { timeout: 240_000, maxBuffer: 1 << 20 });
    const { samples } = JSON.parse(stdout.trim().split('\n').pop()!) as { samples: Array<{ reloads: number; heapMB: number; rssMB: number; threads: number }> };
    const first = samples.find((s) => s.reloads === 1)!;
    const settled = samples.find((s) => s.reloads === 50)!;
    const last = samples.find((s) => s.reloads === 200)!;
    const growth = last.heapMB - first.heapMB;
    assert.ok(growth < 5, `heap grew by ${growth.toFixed(2)} MB over 200 reloads (${JSON.stringify(samples)})`);
    // Each version's workers are stopped when it retires: a leaked worker keeps its threads.
    if (settled.threads >= 0) {
      assert.ok(last.threads <= settled.threads + 2, `threads went from ${settled.threads} at reload 50 to ${last.threads} at 200 (${JSON.stringify(samples)})`);
    }
    // A worker's isolate holds several MB, so one leaked per reload would add hundreds of MB over 150
    // reloads. The bound is loose on purpose: the C allocator keeps some of what exited threads freed,
    // and how much differs between Node versions (about 10 MB on 20, up to 20 MB on 24).
    const rssGrowth = last.rssMB - settled.rssMB;
    assert.ok(rssGrowth < 60, `RSS grew by ${rssGrowth.toFixed(2)} MB from reload 50 to 200 (${JSON.stringify(samples)})`);
  });
});
