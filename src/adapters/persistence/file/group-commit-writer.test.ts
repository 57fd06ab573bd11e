import assert from 'node:assert/strict';
import type { FileHandle } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { rejectsWithCode } from '../../../testing/index.js';
import { GroupCommitWriter } from './group-commit-writer.js';

/** A stand-in file handle that records calls and fails on request (to reach the writer's failure paths). */
class FakeLogFile {
  readonly calls: string[] = [];
  written = '';
  failWrites = 0;
  failTruncate = false;

  async write(data: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }> {
    this.calls.push('write');
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failWrites > 0) {
      this.failWrites--;
      this.written += 'PARTIAL';
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    }
    this.written += Buffer.from(data.subarray(offset, offset + length)).toString('utf8');
    return { bytesWritten: length };
  }

  async datasync(): Promise<void> {
    this.calls.push('datasync');
  }

  async truncate(size: number): Promise<void> {
    this.calls.push(`truncate ${size}`);
    if (this.failTruncate) throw new Error('truncate failed');
    this.written = this.written.slice(0, size);
  }

  asHandle(): FileHandle {
    return this as unknown as FileHandle;
  }
}

describe('group commit writer', () => {
  it('appends writes queued together with one write and one fdatasync, applying them in order', async () => {
    const file = new FakeLogFile();
    const writer = new GroupCommitWriter(file.asHandle(), 0, async () => undefined);
    const applied: number[] = [];
    const first = Array.from({ length: 100 }, (_, i) => writer.append(`${i}\n`, () => (applied.push(i), i), () => undefined));
    // Queued while the first batch is being written: they form the second batch.
    await new Promise((resolve) => setImmediate(resolve));
    const second = Array.from({ length: 50 }, (_, i) => writer.append(`${100 + i}\n`, () => (applied.push(100 + i), 100 + i), () => undefined));
    assert.deepEqual(await Promise.all([...first, ...second]), Array.from({ length: 150 }, (_, i) => i));
    assert.deepEqual(file.calls, ['write', 'datasync', 'write', 'datasync']);
    assert.deepEqual(applied, Array.from({ length: 150 }, (_, i) => i));
    assert.equal(file.written, applied.map((i) => `${i}\n`).join(''));
    assert.equal(writer.bytes, Buffer.byteLength(file.written));
  });

  it('fails every queued write after a failed flush, cuts the partial batch off and keeps working', async () => {
    const file = new FakeLogFile();
    const writer = new GroupCommitWriter(file.asHandle(), 0, async () => undefined);
    await writer.append('kept\n', () => undefined, () => undefined);
    file.failWrites = 1;
    let abandoned = 0;
    const applied: string[] = [];
    const doomed = ['a', 'b', 'c'].map((line) =>
      writer.append(`${line}\n`, () => applied.push(line), () => abandoned++),
    );
    for (const write of doomed) await rejectsWithCode(write, 'MLB_ERR_UNAVAILABLE');
    assert.equal(abandoned, 3);
    assert.equal(applied.length, 0);
    assert.ok(file.calls.includes('truncate 5'));
    await writer.append('after\n', () => applied.push('after'), () => undefined);
    assert.equal(file.written, 'kept\nafter\n');
    assert.deepEqual(applied, ['after']);
  });

  it('refuses further writes when a failed flush cannot be cut off', async () => {
    const file = new FakeLogFile();
    const writer = new GroupCommitWriter(file.asHandle(), 0, async () => undefined);
    file.failWrites = 1;
    file.failTruncate = true;
    await rejectsWithCode(writer.append('x\n', () => undefined, () => undefined), 'MLB_ERR_UNAVAILABLE');
    let abandoned = false;
    await rejectsWithCode(writer.append('y\n', () => undefined, () => (abandoned = true)), 'MLB_ERR_UNAVAILABLE');
    assert.ok(abandoned);
    assert.equal(file.calls.filter((call) => call === 'write').length, 1);
  });
});
