/**
 * The contract every source kind keeps (`Source` in src/federation/sources/source.ts),
 * as one suite each kind runs over its own fixture: resolving names a version,
 * the same build keeps its version and a changed build gets a new one, a
 * snapshot is every file of the build byte for byte, a missing or unreachable
 * build is a clear error, an abort ends the work, and `at(version)` (where a
 * kind has it) writes that version.
 *
 * The builds follow what a bundler emits: a chunk whose content changes gets a
 * new name, listed in `mf-manifest.json`, and `remoteEntry.js` changes with it.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { listFolderFiles } from '../../src/federation/sources/snapshot-files.js';
import type { ResolvedVersion, Source } from '../../src/federation/sources/source.js';
import { until } from './until.js';

/** A remote's build: path in the build's folder → bytes. */
export type BuildFiles = Readonly<Record<string, string | Uint8Array>>;

/** A source that cannot give a build, and what its error must say. */
export interface FailingSource {
  source: Source;
  says: RegExp;
}

/** Requests of a source held unanswered (a server that stopped responding). */
export interface Stall {
  /** True once a request of the source is being held. */
  holding(): boolean;
  /** Answers requests again. */
  release(): void;
}

/** One source kind over a place that holds a build. */
export interface SourceFixture {
  /** The source under test, over the build the maker was given. */
  source: Source;
  /** Replaces the build in the source's place with `build` (nothing of the previous one stays). */
  publish(build: BuildFiles): Promise<void>;
  /** A source of this kind over a place that holds no build. */
  missing(): Promise<FailingSource>;
  /** A source of this kind over a place that cannot be reached. */
  unreachable(): Promise<FailingSource>;
  /** Holds the source's requests unanswered; kinds without a transport (a local folder) leave it out. */
  stall?(): Stall;
  close(): Promise<void>;
}

/** Makes a fixture whose source sees `build`. */
export type SourceMaker = (build: BuildFiles) => Promise<SourceFixture>;

const EVERY_BYTE = Uint8Array.from({ length: 256 }, (_, i) => i);

function buildOf(number: number, modelsChunk: string): BuildFiles {
  const manifest = {
    id: 'kit',
    name: 'kit',
    exposes: [{ id: 'kit:models', name: 'models', path: './models', assets: { js: { sync: [modelsChunk], async: ['chunks/deep/lazy.js'] } } }],
    shared: [{ id: 'kit:bytes', name: 'bytes', assets: { js: { sync: ['shared/every-byte.bin'], async: ['empty.js'] } } }],
  };
  return {
    'remoteEntry.js': `module.exports = { release: ${number}, models: ${JSON.stringify(modelsChunk)} };\n`,
    'mf-manifest.json': `${JSON.stringify(manifest, null, 2)}\n`,
    [modelsChunk]: `module.exports = { release: ${number} };\n`,
    'chunks/deep/lazy.js': 'export const lazy = true;\n',
    'shared/every-byte.bin': EVERY_BYTE,
    'empty.js': '',
  };
}

/** The build a fixture starts with. */
export const FIRST_BUILD = buildOf(1, '__federation_expose_models.1a2b3c.js');
/** The next release: a new entry, a renamed models chunk, the other files unchanged. */
export const SECOND_BUILD = buildOf(2, '__federation_expose_models.4d5e6f.js');

/** `build` with its files listed in the opposite order (the order files are written in must not matter). */
const reordered = (build: BuildFiles): BuildFiles => Object.fromEntries(Object.entries(build).reverse());

/** A valid snapshot folder name (what the snapshot cache accepts). */
const VERSION_NAME = /^(?!\.)[A-Za-z0-9._-]{1,128}$/;

const programmingErrors = [TypeError, RangeError, ReferenceError, SyntaxError];

/** Checks a rejection is an error a user can act on: an Error, not a crash, saying `says`. */
const clearError = (says: RegExp) => (error: unknown) => {
  assert.ok(error instanceof Error, `rejected with ${String(error)}, not an Error`);
  assert.ok(!programmingErrors.some((kind) => error instanceof kind), `a crash, not a clear error: ${error.stack}`);
  assert.match(error.message, says);
  return true;
};

/** Checks a rejection is the abort reason given. */
const isReason = (reason: Error) => (error: unknown) => {
  assert.equal(error, reason, `expected the abort reason, got ${String(error)}`);
  return true;
};

const live = () => new AbortController().signal;

export function sourceConformance(kind: string, make: SourceMaker): void {
  describe(`${kind} source: the Source contract`, () => {
    const folders: string[] = [];
    after(async () => {
      for (const folder of folders) await rm(folder, { recursive: true, force: true });
    });

    const emptyFolder = async () => {
      const folder = await mkdtemp(path.join(os.tmpdir(), 'microlib-snapshot-'));
      folders.push(folder);
      return folder;
    };

    const withFixture = async (run: (fixture: SourceFixture) => Promise<void>) => {
      const fixture = await make(FIRST_BUILD);
      try {
        await run(fixture);
      } finally {
        await fixture.close();
      }
    };

    /** Writes `version` into a new empty folder and checks the folder holds exactly `build`. */
    const assertWrites = async (version: ResolvedVersion, build: BuildFiles) => {
      const folder = await emptyFolder();
      await version.writeSnapshot(folder, live());
      await assertHolds(folder, build);
    };

    it('names its kind, and describes where builds come from', async () => {
      await withFixture(async ({ source }) => {
        assert.equal(source.kind, kind);
        assert.match(source.describe(), new RegExp(`^${kind}:.`));
      });
    });

    it('resolves to a version that can name a snapshot folder', async () => {
      await withFixture(async ({ source }) => {
        assert.match((await source.resolve(live())).version, VERSION_NAME);
      });
    });

    it('resolves the same build to the same version, also when it is published again', async () => {
      await withFixture(async ({ source, publish }) => {
        const first = (await source.resolve(live())).version;
        assert.equal((await source.resolve(live())).version, first);
        await publish(reordered(FIRST_BUILD));
        assert.equal((await source.resolve(live())).version, first);
      });
    });

    it('resolves a changed build to a different version', async () => {
      await withFixture(async ({ source, publish }) => {
        const first = (await source.resolve(live())).version;
        await publish(SECOND_BUILD);
        const second = (await source.resolve(live())).version;
        assert.match(second, VERSION_NAME);
        assert.notEqual(second, first);
      });
    });

    it('writes every file of the build, byte for byte, into an empty folder', async () => {
      await withFixture(async ({ source, publish }) => {
        await assertWrites(await source.resolve(live()), FIRST_BUILD);
        await publish(SECOND_BUILD);
        await assertWrites(await source.resolve(live()), SECOND_BUILD);
      });
    });

    it('writes a version resolved before a new build was published as it was, or fails; never a mix', async () => {
      await withFixture(async ({ source, publish }) => {
        const resolved = await source.resolve(live());
        await publish(SECOND_BUILD);
        const folder = await emptyFolder();
        const written = await resolved.writeSnapshot(folder, live()).then(
          () => true,
          (error: unknown) => clearError(/./)(error) && false,
        );
        if (written) await assertHolds(folder, FIRST_BUILD);
      });
    });

    it('refuses a place without a build with a clear error', async () => {
      await withFixture(async (fixture) => {
        const { source, says } = await fixture.missing();
        const folder = await emptyFolder();
        // Some kinds learn only while listing the files that the entry is missing.
        await assert.rejects(async () => (await source.resolve(live())).writeSnapshot(folder, live()), clearError(says));
      });
    });

    it('refuses an unreachable place with a clear error', async () => {
      await withFixture(async (fixture) => {
        const { source, says } = await fixture.unreachable();
        await assert.rejects(source.resolve(live()), clearError(says));
      });
    });

    it('does not start resolving once the signal is aborted', async () => {
      await withFixture(async ({ source }) => {
        const reason = new Error('gave up');
        await assert.rejects(source.resolve(AbortSignal.abort(reason)), isReason(reason));
      });
    });

    it('ends a resolve in progress when the signal aborts', async () => {
      await withFixture(async (fixture) => {
        const controller = new AbortController();
        const reason = new Error('gave up');
        const stall = fixture.stall?.();
        try {
          const resolving = fixture.source.resolve(controller.signal);
          if (stall) await until(() => stall.holding(), 'a held request');
          controller.abort(reason);
          await assert.rejects(resolving, isReason(reason));
        } finally {
          stall?.release();
        }
      });
    });

    it('ends a snapshot write in progress when the signal aborts', async () => {
      await withFixture(async (fixture) => {
        const resolved = await fixture.source.resolve(live());
        const controller = new AbortController();
        const reason = new Error('gave up');
        const stall = fixture.stall?.();
        try {
          const writing = resolved.writeSnapshot(await emptyFolder(), controller.signal);
          if (stall) await until(() => stall.holding(), 'a held request');
          controller.abort(reason);
          await assert.rejects(writing, isReason(reason));
        } finally {
          stall?.release();
        }
      });
    });

    it('writes a given version with at(), if the kind can address versions', async (t) => {
      await withFixture(async ({ source, publish }) => {
        if (!source.at) {
          t.skip(`${kind} sources cannot address a version`);
          return;
        }
        const first = (await source.resolve(live())).version;
        await publish(SECOND_BUILD);
        const second = (await source.resolve(live())).version;
        assert.equal(source.at(first).version, first);
        await assertWrites(source.at(first), FIRST_BUILD);
        await assertWrites(source.at(second), SECOND_BUILD);
      });
    });

    it('refuses with a clear error to write a version it never had, if the kind can address versions', async (t) => {
      await withFixture(async ({ source }) => {
        if (!source.at) {
          t.skip(`${kind} sources cannot address a version`);
          return;
        }
        // The shape of a real version, none of its content.
        const never = (await source.resolve(live())).version.replace(/[0-9a-z]/gi, '0');
        const folder = await emptyFolder();
        await assert.rejects(async () => source.at!(never).writeSnapshot(folder, live()), clearError(/./));
      });
    });
  });
}

/** Makes `folder` hold exactly `build` (for kinds whose builds live in a folder). */
export async function writeBuildFolder(folder: string, build: BuildFiles): Promise<void> {
  await rm(folder, { recursive: true, force: true });
  for (const [name, content] of Object.entries(build)) {
    await mkdir(path.dirname(path.join(folder, name)), { recursive: true });
    await writeFile(path.join(folder, name), content);
  }
}

/** Checks `folder` holds exactly the files of `build`, byte for byte. */
async function assertHolds(folder: string, build: BuildFiles): Promise<void> {
  assert.deepEqual(await listFolderFiles(folder), Object.keys(build).sort(), 'the snapshot holds exactly the files of the build');
  for (const [name, content] of Object.entries(build)) {
    const expected = Buffer.from(content);
    assert.ok((await readFile(path.join(folder, name))).equals(expected), `${name} is written byte for byte`);
  }
}
