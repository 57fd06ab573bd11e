#!/usr/bin/env node
// Test-only MongoDB: the in-memory wire-protocol server ("CongoDB") shipped inside
// @push.rocks/smartmongo. No real mongod can be downloaded on the project's machines,
// and the package's declared dependencies do not all resolve, so it is unpacked by
// hand and given only the modules its server part imports.
//
//   node scripts/test-servers/mongo.mjs prepare   install into .cache/test-servers/smartmongo (idempotent)
//   node scripts/test-servers/mongo.mjs serve [--port N] [--stop-on-stdin-close] [--max-seconds N]
//        start it on 127.0.0.1 (a free port unless --port), print {"url":"mongodb://127.0.0.1:<port>"}
//        on stdout, and run until SIGTERM/SIGINT (or stdin closes, or the time is up)
//
// Needs only node, npm and tar, and the npm registry for `prepare`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const PACKAGE = '@push.rocks/smartmongo@2.2.0';
// What the registry published for that version; a different tarball is refused.
const PACKAGE_INTEGRITY = 'sha512-ovVCNoJ3D0aBuKtoKaQWWQKvBngaGJq9fAPQigzji1EHsS1XyGpXWCpe5nq/ptGvBROOcpqZcOFEGAcrnb+OjA==';
// The modules dist_ts/congodb imports, and their own dependencies, at the exact
// versions these tests were checked with (the overrides pin the transitive ones).
const DEPENDENCIES = {
  '@push.rocks/smartfs': '1.5.0',
  '@push.rocks/smartpath': '6.0.0',
  '@push.rocks/smartpromise': '4.2.3',
  '@push.rocks/smartrx': '3.0.10',
  bson: '6.10.4',
  mingo: '7.2.7',
};
const OVERRIDES = { '@push.rocks/smartrust': '1.3.2', rxjs: '7.8.2', tslib: '2.8.1' };
/** Changes whenever what `prepare` installs changes, so an old install is redone. */
const FINGERPRINT = JSON.stringify({ PACKAGE, PACKAGE_INTEGRITY, DEPENDENCIES, OVERRIDES });

/** Where the server is installed; test/support/mongo-server.ts looks here too. */
export const installDir = path.join(root, '.cache/test-servers/smartmongo');
const readyFile = path.join(installDir, '.ready');
/** Download and install take a few seconds here; far past that something is stuck. */
const STEP_LIMIT_MS = 180_000;

const log = (message) => process.stderr.write(`[mongo-test-server] ${message}\n`);

/** Runs a command to completion within a time limit, returning its stdout; throws with its output's tail. */
function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, timeout: STEP_LIMIT_MS, killSignal: 'SIGKILL', encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  const tail = () => `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  if (result.error?.code === 'ETIMEDOUT') throw new Error(`${command} ${args.join(' ')} took longer than ${STEP_LIMIT_MS / 1000} s (is the npm registry reachable?)\n${tail()}`);
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal}); is the npm registry reachable?\n${tail()}`);
  return result.stdout;
}

const isReady = () => {
  try {
    return readFileSync(readyFile, 'utf8') === FINGERPRINT;
  } catch {
    return false;
  }
};

/**
 * Installs the server into {@link installDir} unless it is already there. Builds in a
 * private folder and renames it into place, so parallel callers never see half an
 * install: the first rename wins and the others discard their copy.
 */
export function prepare() {
  if (isReady()) return installDir;
  const started = Date.now();
  const parent = path.dirname(installDir);
  mkdirSync(parent, { recursive: true });
  const work = path.join(parent, `.smartmongo-${process.pid}-${Date.now()}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  try {
    log(`npm pack ${PACKAGE}…`);
    const packed = JSON.parse(run('npm', ['pack', PACKAGE, '--json', '--pack-destination', work], work));
    const info = Array.isArray(packed) ? packed[0] : undefined;
    if (!info || info.integrity !== PACKAGE_INTEGRITY) throw new Error(`${PACKAGE} from the registry has integrity ${info?.integrity}, expected ${PACKAGE_INTEGRITY}`);
    const tarball = path.join(work, info.filename);
    mkdirSync(path.join(work, 'smartmongo'));
    run('tar', ['-xzf', tarball, '-C', path.join(work, 'smartmongo'), '--strip-components=1'], work);
    rmSync(tarball);
    writeFileSync(
      path.join(work, 'package.json'),
      `${JSON.stringify({ name: 'microlib-mongo-test-server', private: true, type: 'module', dependencies: DEPENDENCIES, overrides: OVERRIDES }, null, 2)}\n`,
    );
    log('npm install of its runtime modules…');
    // --ignore-scripts: nothing here needs an install script, and none may download a binary.
    run('npm', ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], work);
    writeFileSync(path.join(work, '.ready'), FINGERPRINT);
    try {
      renameSync(work, installDir);
    } catch (error) {
      if (isReady()) {
        // Another process put its copy in place first: use that one.
        rmSync(work, { recursive: true, force: true });
      } else if (error.code === 'ENOTEMPTY' || error.code === 'EEXIST') {
        // An install of other versions, or one cut short: replace it.
        rmSync(installDir, { recursive: true, force: true });
        renameSync(work, installDir);
      } else {
        throw error;
      }
    }
    log(`prepared in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return installDir;
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw new Error(`cannot prepare the MongoDB test server: ${error.message}`, { cause: error });
  } finally {
    cleanStaleWorkDirs(parent);
  }
}

/** Removes build folders left by a prepare that was killed (older than the step limit). */
function cleanStaleWorkDirs(parent) {
  for (const name of readdirSync(parent)) {
    const match = /^\.smartmongo-\d+-(\d+)$/.exec(name);
    if (match && Date.now() - Number(match[1]) > 2 * STEP_LIMIT_MS) rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

/** UTF-8 byte order is code point order, which is how MongoDB compares strings. */
function compareStrings(a, b) {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Fixes for the places where CongoDB differs from MongoDB in ways these tests meet.
 * Each one imitates documented MongoDB behaviour; none is specific to microlib.
 */
function applyCompatFixes(congo) {
  const { MemoryStorageAdapter, QueryEngine, UpdateEngine, ObjectId, plugins } = congo;
  const { Aggregator } = plugins;

  // 1. Any _id type. CongoDB keys documents by ObjectId hex and runs `new ObjectId(_id)` on
  //    every insert: a string _id that is not 24 hex digits fails (reported as error 11000,
  //    a duplicate key!) and one that is becomes an ObjectId. MongoDB keeps any _id as given.
  const idKey = (id) => (id instanceof ObjectId ? id.toHexString() : `${typeof id}:${typeof id === 'object' ? JSON.stringify(id) : String(id)}`);
  class AnyIdStorage extends MemoryStorageAdapter {
    async insertOne(dbName, collName, doc) {
      const collection = this.ensureCollection(dbName, collName);
      const stored = { ...doc };
      if (stored._id === undefined || stored._id === null) stored._id = new ObjectId();
      const key = idKey(stored._id);
      // The insert handler turns this message into error 11000 with keyPattern {_id: 1}.
      if (collection.has(key)) throw new Error(`Duplicate key error: _id ${key}`);
      collection.set(key, stored);
      return stored;
    }
    async findById(dbName, collName, id) {
      return this.ensureCollection(dbName, collName).get(idKey(id)) ?? null;
    }
    async updateById(dbName, collName, id, doc) {
      const collection = this.ensureCollection(dbName, collName);
      const key = idKey(id);
      if (!collection.has(key)) return false;
      collection.set(key, doc);
      return true;
    }
    async deleteById(dbName, collName, id) {
      return this.ensureCollection(dbName, collName).delete(idKey(id));
    }
  }

  // 2. Updates given as an aggregation pipeline (MongoDB 4.2+), run with mingo, which
  //    CongoDB already uses for its aggregate command. CongoDB refuses them.
  const applyUpdate = UpdateEngine.applyUpdate;
  UpdateEngine.applyUpdate = function applyUpdateWithPipelines(document, update, arrayFilters) {
    if (!Array.isArray(update)) return applyUpdate.call(this, document, update, arrayFilters);
    const [result] = new Aggregator(update).run([document]);
    if (!result || typeof result !== 'object') throw new Error('the update pipeline produced no document');
    const { _id: ignored, ...fields } = result;
    return { _id: document._id, ...fields };
  };

  // 3. Sort in BSON order: missing/null < numbers < strings < objects < arrays < ObjectId <
  //    booleans < dates, strings by code point. CongoDB sorts strings by locale and
  //    mixed types by their String() form.
  const rank = (value) => {
    if (value === undefined || value === null) return 0;
    if (typeof value === 'number' || typeof value === 'bigint') return 1;
    if (typeof value === 'string') return 2;
    if (typeof value === 'boolean') return 7;
    if (Array.isArray(value)) return 4;
    if (value instanceof ObjectId) return 6;
    if (value instanceof Date) return 8;
    return 3;
  };
  const compare = (a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== rb) return ra - rb;
    switch (ra) {
      case 0:
        return 0;
      case 2:
        return compareStrings(a, b);
      case 3: {
        const ka = Object.keys(a);
        const kb = Object.keys(b);
        for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
          const byValueType = rank(a[ka[i]]) - rank(b[kb[i]]);
          if (byValueType !== 0) return byValueType;
          const byName = compareStrings(ka[i], kb[i]);
          if (byName !== 0) return byName;
          const byValue = compare(a[ka[i]], b[kb[i]]);
          if (byValue !== 0) return byValue;
        }
        return ka.length - kb.length;
      }
      case 4: {
        for (let i = 0; i < Math.min(a.length, b.length); i++) {
          const order = compare(a[i], b[i]);
          if (order !== 0) return order;
        }
        return a.length - b.length;
      }
      case 6:
        return compareStrings(a.toHexString(), b.toHexString());
      case 8:
        return a.getTime() - b.getTime();
      default:
        return a < b ? -1 : a > b ? 1 : 0;
    }
  };
  QueryEngine.compareValues = compare;

  return { storage: new AnyIdStorage() };
}

/**
 * 4. No `topologyVersion` in hello. With it, the driver monitors the server with streamed
 *    ("exhaust") hellos, which CongoDB answers as plain replies: after ~10 s the driver sees
 *    "Server ended moreToCome unexpectedly", clears its pool and fails operations. Without it
 *    the driver polls, as it does with servers before MongoDB 4.4.
 */
function withoutStreamingMonitor(router) {
  for (const name of ['hello', 'ismaster', 'isMaster']) {
    const handler = router.handlers.get(name);
    if (!handler) continue;
    router.handlers.set(name, {
      async handle(context) {
        const response = await handler.handle(context);
        delete response.topologyVersion;
        return response;
      },
    });
  }
}

function parseFlags(args) {
  const flags = { port: 0, stopOnStdinClose: false, maxSeconds: 0 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--stop-on-stdin-close') flags.stopOnStdinClose = true;
    else if (arg === '--port' || arg === '--max-seconds') {
      const value = Number(args[++i]);
      if (!Number.isInteger(value) || value < 0 || value > 65_535 * 100) throw new Error(`${arg} needs a non-negative integer`);
      if (arg === '--port') flags.port = value;
      else flags.maxSeconds = value;
    } else throw new Error(`unknown option ${arg}`);
  }
  return flags;
}

/** Starts the server (preparing it first if needed) and prints its URL as one JSON line. */
export async function serve(args) {
  const flags = parseFlags(args);
  prepare();
  const congo = await import(pathToFileURL(path.join(installDir, 'smartmongo/dist_ts/congodb/index.js')).href);
  const server = new congo.CongoServer({ host: '127.0.0.1', port: flags.port });
  const { storage } = applyCompatFixes(congo);
  server.storage = storage;
  server.commandRouter = new congo.CommandRouter(storage, server);
  withoutStreamingMonitor(server.commandRouter);
  await server.start();
  // CongoServer reports the port it was asked for, which is 0 for "any free port".
  const { port } = server.server.address();

  let stopping = false;
  const stop = async (why) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${why})`);
    const forced = setTimeout(() => process.exit(1), 5_000);
    forced.unref();
    await server.stop().catch((error) => log(`stop failed: ${error.message}`));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  if (flags.stopOnStdinClose) {
    // The parent holds our stdin: when it dies, even by SIGKILL, the pipe closes and we follow.
    process.stdin.on('end', () => void stop('stdin closed'));
    process.stdin.on('error', () => void stop('stdin failed'));
    process.stdin.resume();
  }
  if (flags.maxSeconds > 0) setTimeout(() => void stop(`${flags.maxSeconds} s elapsed`), flags.maxSeconds * 1000).unref();
  process.stdout.write(`${JSON.stringify({ url: `mongodb://127.0.0.1:${port}` })}\n`);
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const [command, ...args] = process.argv.slice(2);
  try {
    if (command === 'prepare') {
      prepare();
      log(`ready in ${installDir}`);
    } else if (command === 'serve') {
      await serve(args);
    } else {
      process.stderr.write('usage: node scripts/test-servers/mongo.mjs prepare | serve [--port N] [--stop-on-stdin-close] [--max-seconds N]\n');
      process.exitCode = 2;
    }
  } catch (error) {
    log(error.message);
    process.exitCode = 1;
  }
}
