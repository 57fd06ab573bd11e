import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ContainerRuntime } from './container-runtime.js';
import { loadRemote, RemoteLoadError, type LoadedRemote } from './remote-loader.js';
import { ed25519PublicKey, fileDigest, SIGNATURE_FILE, SIGNED_MANIFEST_FILE, SignedManifestError, verifySignedBuild } from './signed-manifest.js';
import { SnapshotCache } from './snapshot-cache.js';
import { createLocalSource } from './sources/local-source.js';

const run = promisify(execFile);
const keyA = generateKeyPairSync('ed25519');
const keyB = generateKeyPairSync('ed25519');
const BUILD: Record<string, string> = {
  'remoteEntry.js': 'module.exports = {};\n',
  'chunk.js': 'console.log("chunk");\n',
  'nested/deep.js': 'export {};\n',
};

const temps: string[] = [];
after(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'microlib-signed-'));
  temps.push(dir);
  return dir;
}

/** Signs `dir` the way scripts/sign-remote.mjs does, in process. */
async function signDir(dir: string, privateKey: KeyObject, files: Record<string, string> = BUILD): Promise<Buffer> {
  const listed: Record<string, string> = {};
  for (const name of Object.keys(files).sort()) listed[name] = fileDigest(await readFile(path.join(dir, name)));
  const manifest = Buffer.from(`${JSON.stringify({ version: 1, files: listed }, null, 2)}\n`);
  await writeFile(path.join(dir, SIGNED_MANIFEST_FILE), manifest);
  await writeFile(path.join(dir, SIGNATURE_FILE), `${sign(null, manifest, privateKey).toString('base64')}\n`);
  return manifest;
}

async function writeBuild(dir: string, files: Record<string, string> = BUILD): Promise<string> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

async function signedBuild(): Promise<string> {
  const dir = await writeBuild(await tempDir());
  await signDir(dir, keyA.privateKey);
  return dir;
}

/** Asserts the check refuses `dir` with a message matching `pattern`. */
async function refused(dir: string, pattern: RegExp, key: KeyObject = keyA.publicKey): Promise<void> {
  await assert.rejects(verifySignedBuild(dir, key), (error: unknown) => {
    assert.ok(error instanceof SignedManifestError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

describe('verifySignedBuild', () => {
  it('accepts a build signed by the key, listing every file', async () => {
    const manifest = await verifySignedBuild(await signedBuild(), keyA.publicKey);
    assert.deepEqual(Object.keys(manifest.files).sort(), ['chunk.js', 'nested/deep.js', 'remoteEntry.js']);
  });

  it('refuses a file changed after signing, naming it', async () => {
    const dir = await signedBuild();
    await writeFile(path.join(dir, 'chunk.js'), 'console.log("evil");\n');
    await refused(dir, /^file chunk\.js does not match the signed manifest$/);
  });

  it('refuses a file the manifest does not list', async () => {
    const dir = await signedBuild();
    await writeFile(path.join(dir, 'nested', 'extra.js'), 'console.log("extra");\n');
    await refused(dir, /^file nested\/extra\.js is not listed in the signed manifest$/);
  });

  it('refuses a listed file that is missing', async () => {
    const dir = await signedBuild();
    await rm(path.join(dir, 'chunk.js'));
    await refused(dir, /^file chunk\.js is listed in the signed manifest but missing from the build$/);
  });

  it('refuses a manifest signed by another key', async () => {
    const dir = await writeBuild(await tempDir());
    await signDir(dir, keyB.privateKey);
    await refused(dir, /^the manifest is not signed by the configured key$/);
  });

  it('refuses a manifest changed after signing, even to list the right hashes', async () => {
    const dir = await signedBuild();
    await writeFile(path.join(dir, 'chunk.js'), 'console.log("evil");\n');
    // The attacker rewrites the manifest to match the new file but cannot re-sign it.
    const manifest = JSON.parse(await readFile(path.join(dir, SIGNED_MANIFEST_FILE), 'utf8')) as { files: Record<string, string> };
    manifest.files['chunk.js'] = fileDigest(Buffer.from('console.log("evil");\n'));
    await writeFile(path.join(dir, SIGNED_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await refused(dir, /^the manifest is not signed by the configured key$/);
  });

  it('refuses a build without a signature or without a manifest', async () => {
    const dir = await signedBuild();
    await rm(path.join(dir, SIGNATURE_FILE));
    await refused(dir, /^no signature \(microlib-manifest\.json\.sig\) in the build$/);
    await rm(path.join(dir, SIGNED_MANIFEST_FILE));
    await refused(dir, /^no signed manifest \(microlib-manifest\.json\) in the build$/);
  });

  it('refuses a garbled signature', async () => {
    const dir = await signedBuild();
    await writeFile(path.join(dir, SIGNATURE_FILE), 'not base64 at all!!');
    await refused(dir, /not signed by the configured key/);
  });

  it('refuses a signed manifest listing a path outside the build', async () => {
    const dir = await writeBuild(await tempDir());
    const manifest = Buffer.from(JSON.stringify({ version: 1, files: { '../outside.js': fileDigest(Buffer.from('x')) } }));
    await writeFile(path.join(dir, SIGNED_MANIFEST_FILE), manifest);
    await writeFile(path.join(dir, SIGNATURE_FILE), sign(null, manifest, keyA.privateKey).toString('base64'));
    await refused(dir, /malformed: "\.\.\/outside\.js" is not a plain relative path/);
  });

  it('accepts what scripts/sign-remote.mjs writes, with a key it generated', async () => {
    const script = findScript();
    const keys = path.join(await tempDir(), 'keys');
    await run(process.execPath, [script, '--generate-key', keys], { timeout: 30_000 });
    const dir = await writeBuild(await tempDir());
    await run(process.execPath, [script, dir, '--key', path.join(keys, 'microlib-signing-key.pem')], { timeout: 30_000 });
    const publicKey = ed25519PublicKey(await readFile(path.join(keys, 'microlib-signing-key.pub.pem'), 'utf8'));
    const manifest = await verifySignedBuild(dir, publicKey);
    assert.deepEqual(Object.keys(manifest.files), ['chunk.js', 'nested/deep.js', 'remoteEntry.js'], 'sorted, posix, without manifest and signature');
    if (process.platform !== 'win32') {
      assert.equal((await stat(path.join(keys, 'microlib-signing-key.pem'))).mode & 0o777, 0o600, 'the private key is readable by its owner only');
    }
    // Generating again must not overwrite a key in use.
    await assert.rejects(run(process.execPath, [script, '--generate-key', keys], { timeout: 30_000 }));
  });
});

describe('loading a remote pinned to a public key', () => {
  const fakeRuntime = {
    async load() {
      return { modules: new Map<string, unknown>(), dispose() {} };
    },
  } as unknown as ContainerRuntime;

  async function setUp() {
    const root = await tempDir();
    const build = await writeBuild(path.join(root, 'build'));
    await signDir(build, keyA.privateKey);
    const cache = new SnapshotCache(path.join(root, 'cache'));
    const publicKey = keyA.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const entry = { name: 'kit', source: { kind: 'local' as const, path: build }, exposes: ['./models'], optionalExposes: [], publicKey };
    const source = createLocalSource(entry.source);
    const load = () => loadRemote(entry, source, { runtime: fakeRuntime, cache, timeoutMs: 10_000 });
    return { root, build, cache, entry, source, load };
  }

  it('loads a correctly signed build', async () => {
    const { load } = await setUp();
    const loaded = (await load()) as LoadedRemote;
    assert.match(loaded.version, /^sha256-/);
  });

  it('refuses a tampered build at the verify stage and keeps it out of the cache', async () => {
    const { root, build, load } = await setUp();
    await writeFile(path.join(build, 'chunk.js'), 'console.log("evil");\n');
    await assert.rejects(load(), (error: unknown) => {
      assert.ok(error instanceof RemoteLoadError, String(error));
      assert.equal(error.stage, 'verify');
      assert.ok(error.version);
      assert.match(error.message, /^remote "kit" at sha256-\S+: verify failed: file chunk\.js does not match the signed manifest$/);
      return true;
    });
    const cached = (await readdir(path.join(root, 'cache', 'kit'))).filter((name) => !name.startsWith('.'));
    assert.deepEqual(cached, [], 'a refused snapshot is not cached');
  });

  it('refuses a version cached before the remote was pinned to a key', async () => {
    const { build, cache, entry, source, load } = await setUp();
    await rm(path.join(build, SIGNATURE_FILE));
    const { publicKey: _omitted, ...unpinned } = entry;
    const first = (await loadRemote(unpinned, source, { runtime: fakeRuntime, cache, timeoutMs: 10_000 })) as LoadedRemote;
    assert.ok(await cache.cached('kit', first.version), 'without a key the unsigned build loads and is cached');
    await assert.rejects(load(), /verify failed: no signature \(microlib-manifest\.json\.sig\) in the build/);
  });
});

/** scripts/sign-remote.mjs, found upwards from this file (it runs from dist/ or another outDir). */
function findScript(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, 'scripts', 'sign-remote.mjs');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('scripts/sign-remote.mjs not found above the test file');
}
