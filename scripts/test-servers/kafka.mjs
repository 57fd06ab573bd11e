#!/usr/bin/env node
// Test-only Kafka: builds and runs librdkafka's mock cluster (no real Kafka can be
// downloaded on the project's machines; librdkafka's source ships in an npm package).
//
//   node scripts/test-servers/kafka.mjs prepare          build .cache/test-servers/kafka-mock (idempotent)
//   node scripts/test-servers/kafka.mjs serve [options] topic[:n]…
//                                                        start it, print {"brokers":"…"}, run until SIGTERM
//   options (stock Apache Kafka's values unless given): --brokers N, --num-partitions N,
//   --group-min-session-timeout-ms MS, --group-max-session-timeout-ms MS
//
// Needs gcc (or cc), make and zlib headers: `apt-get install -y gcc make zlib1g-dev`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
// Pinned: the mock's behaviour is part of what the tests rely on.
const PACKAGE = '@confluentinc/kafka-javascript@1.10.1';
const cacheDir = path.join(root, '.cache/test-servers');
const workDir = path.join(cacheDir, 'kafka-javascript-1.10.1');
const srcDir = path.join(workDir, 'package/deps/librdkafka');
const launcherSource = path.join(here, 'kafka-mock.c');
/** The built launcher; test/support/kafka-server.ts looks for it here too. */
export const launcherPath = path.join(cacheDir, 'kafka-mock');
const lockPath = path.join(cacheDir, 'kafka-mock.lock');
/** The whole build is ~1 min on 2 cores; anything far past that is stuck. */
const PREPARE_LIMIT_MS = 15 * 60_000;

const log = (message) => process.stderr.write(`[kafka-mock] ${message}\n`);

/** Runs a command to completion with a time limit, its output on our stderr unless `quiet`. */
function run(command, args, { cwd = root, timeoutMs, quiet = false } = {}) {
  const result = spawnSync(command, args, { cwd, timeout: timeoutMs, killSignal: 'SIGKILL', stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error?.code === 'ETIMEDOUT') throw new Error(`${command} ${args.join(' ')} took longer than ${timeoutMs / 1000} s`);
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) {
    const tail = quiet ? `\n${(result.stdout + result.stderr).trim().split('\n').slice(-20).join('\n')}` : '';
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})${tail}`);
  }
  return result.stdout ?? '';
}

const has = (command) => spawnSync(command, ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

/** Names the Debian packages to install when the toolchain is incomplete, before any slow step. */
function checkToolchain() {
  const missing = [];
  const cc = has('cc') ? 'cc' : has('gcc') ? 'gcc' : undefined;
  if (!cc) missing.push('gcc');
  if (!has('make')) missing.push('make');
  if (!has('tar')) missing.push('tar');
  if (cc) {
    // Compiling against zlib is the only reliable test that its headers and library are there.
    const probeDir = path.join(cacheDir, 'probe');
    mkdirSync(probeDir, { recursive: true });
    writeFileSync(path.join(probeDir, 'z.c'), '#include <zlib.h>\nint main(void) { return zlibVersion() == 0; }\n');
    const probe = spawnSync(cc, ['-o', path.join(probeDir, 'z'), path.join(probeDir, 'z.c'), '-lz'], { stdio: 'ignore', timeout: 60_000 });
    if (probe.status !== 0) missing.push('zlib1g-dev');
    rmSync(probeDir, { recursive: true, force: true });
  }
  if (missing.length > 0) {
    throw new Error(`cannot build the Kafka mock: missing ${missing.join(', ')}; install with: apt-get install -y ${missing.join(' ')}`);
  }
  return cc;
}

const newer = (a, b) => existsSync(a) && existsSync(b) && statSync(a).mtimeMs >= statSync(b).mtimeMs;

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** One build at a time: parallel test files may all ask for the mock at once. */
async function withLock(work) {
  mkdirSync(cacheDir, { recursive: true });
  const deadline = Date.now() + PREPARE_LIMIT_MS;
  let announced = false;
  for (;;) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number(readFileSafe(lockPath));
      // A lock whose holder died is taken over; so is one that never got its pid written.
      if (holder > 0 ? !pidAlive(holder) : ageMs(lockPath) > 10_000) {
        rmSync(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for another build of the Kafka mock (lock ${lockPath}, pid ${holder})`);
      if (!announced) log(`waiting for another build (pid ${holder})…`);
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

function ageMs(file) {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readFileSafe(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The launcher exists and is newer than its source and the library it links. */
const ready = () => newer(launcherPath, launcherSource) && newer(launcherPath, path.join(srcDir, 'src/librdkafka.a'));

/** Builds the launcher if it is missing or older than its inputs; returns its path. */
export async function prepare() {
  if (ready()) return launcherPath;
  return withLock(async () => {
    // Another process may have built it while we waited for the lock.
    if (ready()) return launcherPath;
    const started = Date.now();
    const left = () => Math.max(1_000, PREPARE_LIMIT_MS - (Date.now() - started));
    const cc = checkToolchain();
    mkdirSync(workDir, { recursive: true });

    // Each step leaves a stamp only once it has fully succeeded, so an interrupted
    // build resumes at the step that was cut short instead of using its debris.
    const stamp = (step) => path.join(workDir, `.done-${step}`);
    const tgz = path.join(workDir, 'kafka-javascript.tgz');
    if (!existsSync(stamp('pack'))) {
      log(`npm pack ${PACKAGE}…`);
      const packDir = path.join(workDir, 'pack');
      rmSync(packDir, { recursive: true, force: true });
      mkdirSync(packDir);
      run('npm', ['pack', PACKAGE, '--pack-destination', packDir, '--silent'], { timeoutMs: Math.min(left(), 180_000), quiet: true });
      const name = readdirSync(packDir).find((file) => file.endsWith('.tgz'));
      if (!name) throw new Error(`npm pack ${PACKAGE} produced no tarball`);
      renameSync(path.join(packDir, name), tgz);
      rmSync(packDir, { recursive: true, force: true });
      writeFileSync(stamp('pack'), '');
    }
    if (!existsSync(stamp('unpack'))) {
      log('unpacking librdkafka…');
      rmSync(path.join(workDir, 'package'), { recursive: true, force: true });
      run('tar', ['-xzf', tgz, '-C', workDir, 'package/deps/librdkafka'], { timeoutMs: Math.min(left(), 120_000) });
      writeFileSync(stamp('unpack'), '');
    }
    if (!existsSync(stamp('configure'))) {
      log('configuring librdkafka (no TLS, SASL, curl or zstd)…');
      run('./configure', ['--no-download', '--disable-ssl', '--disable-gssapi', '--disable-curl', '--disable-zstd', '--disable-lz4-ext'], { cwd: srcDir, timeoutMs: Math.min(left(), 300_000), quiet: true });
      writeFileSync(stamp('configure'), '');
    }
    const lib = path.join(srcDir, 'src/librdkafka.a');
    if (!existsSync(stamp('make'))) {
      log('building librdkafka.a (about a minute on 2 cores)…');
      const jobs = String(Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
      run('make', ['-C', 'src', `-j${jobs}`, 'librdkafka.a'], { cwd: srcDir, timeoutMs: left(), quiet: true });
      writeFileSync(stamp('make'), '');
    }
    log('linking kafka-mock…');
    // The libraries librdkafka was configured against, as configure recorded them.
    const config = readFileSync(path.join(srcDir, 'Makefile.config'), 'utf8');
    const libs = [...config.matchAll(/^LIBS\+?=(.*)$/gm)].flatMap((m) => m[1].trim().split(/\s+/)).filter(Boolean);
    const tmp = `${launcherPath}.${process.pid}.tmp`;
    run(cc, ['-O2', '-o', tmp, launcherSource, `-I${path.join(srcDir, 'src')}`, lib, ...new Set([...libs, '-lz', '-lpthread', '-lm'])], { timeoutMs: Math.min(left(), 120_000), quiet: true });
    // Renamed into place so a concurrent reader never runs a half-written file.
    renameSync(tmp, launcherPath);
    log(`ready: ${path.relative(root, launcherPath)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return launcherPath;
  });
}

/** Runs the launcher until SIGTERM/SIGINT, relaying its JSON line on stdout. */
async function serve(topics) {
  const binary = await prepare();
  const child = spawn(binary, topics, { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => process.stdout.write(chunk));
  const stop = () => child.kill('SIGTERM');
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const code = await new Promise((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
  process.exitCode = code;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const [command, ...rest] = process.argv.slice(2);
  try {
    if (command === 'prepare') await prepare();
    else if (command === 'serve') await serve(rest);
    else {
      process.stderr.write('usage: kafka.mjs prepare | serve [--brokers N] [--num-partitions N] [--group-min-session-timeout-ms MS] [--group-max-session-timeout-ms MS] topic[:partitions]...\n');
      process.exitCode = 2;
    }
  } catch (error) {
    process.stderr.write(`[kafka-mock] ${error.message}\n`);
    process.exitCode = 1;
  }
}
