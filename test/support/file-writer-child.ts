/**
 * Test fixture: writes to a file datasource as fast as it can with 50
 * concurrent writers and prints one line per acknowledged write, so the parent
 * test can `kill -9` it mid-burst and check that every acknowledged write survived.
 *
 * Usage: node file-writer-child.js <dataDir>
 * Output lines: `C <id>` (created, revision 1), `R <id>` (replaced, revision 2), `D <id>` (deleted).
 * Ids whose number is a multiple of 5 are deleted after creation; other multiples of 3 are replaced.
 * Stops by itself after 200,000 records or 20 seconds.
 */
import { createFileDatasource } from '../../src/adapters/persistence/file/file-datasource.js';

const WRITERS = 50;
const MAX_RECORDS = 200_000;
const MAX_MILLISECONDS = 20_000;

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: file-writer-child.js <dataDir>');

const ds = createFileDatasource({ collection: 'burst', dataDir });
await ds.open();
const deadline = Date.now() + MAX_MILLISECONDS;
let next = 0;

// stdout is a pipe here, which Node writes synchronously on POSIX: a printed ack has left the process.
const ack = (line: string) => process.stdout.write(`${line}\n`);

async function writer(): Promise<void> {
  while (next < MAX_RECORDS && Date.now() < deadline) {
    const n = next++;
    const id = `r${n}`;
    const createdAt = new Date().toISOString();
    await ds.create({ id, createdAt, updatedAt: createdAt, revision: 1, n, payload: 'x'.repeat(n % 64) });
    ack(`C ${id}`);
    if (n % 5 === 0) {
      await ds.delete(id, 1);
      ack(`D ${id}`);
    } else if (n % 3 === 0) {
      await ds.replace({ id, createdAt, updatedAt: new Date().toISOString(), revision: 2, n, replaced: true }, 1);
      ack(`R ${id}`);
    }
  }
}

await Promise.all(Array.from({ length: WRITERS }, () => writer()));
await ds.close();
