/**
 * A MongoDB for tests: the server MONGODB_URL names, else the wire-protocol test
 * server of scripts/test-servers/mongo.mjs started in a child process on loopback.
 * Also a switchable loopback endpoint in front of it, for outage tests.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A MongoDB the tests may use. */
export interface MongoForTests {
  url: string;
  /**
   * True for a real MongoDB (MONGODB_URL set and MICROLIB_REAL_MONGODB=1); the
   * test server falls short in places (see scripts/test-servers/mongo.mjs), and
   * tests that need the real thing skip on it, saying why.
   */
  real: boolean;
  /** Stops the server if this started it; a server named by MONGODB_URL is left alone. */
  stop(): Promise<void>;
}

/** Preparing downloads and installs a few MB from the npm registry: seconds normally, bounded here. */
const START_LIMIT_MS = 300_000;
const STOP_LIMIT_MS = 5_000;

/** The test-server script, found from this file whether it runs from test/ or from a build folder. */
function serverScript(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    const candidate = path.join(dir, 'scripts/test-servers/mongo.mjs');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('scripts/test-servers/mongo.mjs not found above test/support');
}

/**
 * The MongoDB for this test file: MONGODB_URL when set, else a test server
 * started now (prepared first if needed), which `stop()` ends.
 * @throws Error with the server's output when it cannot be prepared or started.
 */
export async function mongoUrlForTests(): Promise<MongoForTests> {
  const configured = process.env['MONGODB_URL'];
  if (configured) return { url: configured, real: process.env['MICROLIB_REAL_MONGODB'] === '1', stop: async () => undefined };
  const script = serverScript();
  // The server follows us if we die: it stops when its stdin (our pipe) closes.
  const child = spawn(process.execPath, [script, 'serve', '--stop-on-stdin-close', '--max-seconds', '3600'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const url = await readUrl(child, script);
  return { url, real: false, stop: () => stopChild(child) };
}

/** Waits for the JSON line with the URL, or fails with what the server said. */
function readUrl(child: ChildProcessWithoutNullStreams, script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      const said = stderr.trim().split('\n').slice(-15).join('\n');
      reject(new Error(`MongoDB test server (${script}) ${why}${said ? `:\n${said}` : ''}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${START_LIMIT_MS / 1000} s`), START_LIMIT_MS);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      // Keep only the tail: enough to explain a failure.
      stderr = (stderr + chunk).slice(-16_384);
    });
    child.on('error', (error) => fail(`could not be run (${error.message})`));
    child.on('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before giving its URL`));
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      try {
        const { url } = JSON.parse(stdout.slice(0, newline)) as { url?: unknown };
        if (typeof url !== 'string') throw new Error('no url');
        resolve(url);
      } catch {
        fail(`printed ${JSON.stringify(stdout.slice(0, newline))} instead of {"url": …}`);
      }
    });
  });
}

async function stopChild(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_LIMIT_MS);
  await exited;
  clearTimeout(timer);
}

/** A MongoDB whose reachability a test switches off and on again, on the same port. */
export interface RestartableMongo {
  /** Connection string through the switchable endpoint (a direct connection to the one server). */
  url: string;
  real: boolean;
  /** The loopback port `url` uses; it stays the same across stop and start. */
  port: number;
  /** Takes the server off the network: open connections are cut and new ones refused. */
  stop(): Promise<void>;
  /** Puts it back on the same port. */
  start(): Promise<void>;
  /** Ends the endpoint, and the server too when this function started it. */
  close(): Promise<void>;
}

/**
 * A loopback TCP relay in front of a MongoDB (the given one, else a new
 * {@link mongoUrlForTests}). Stopping the relay looks to the driver exactly like
 * the server going down (connections reset, then refused) while the server and
 * its data stay as they were, so "nothing acknowledged was lost" is checked
 * against a server that kept running; the same works against a real MongoDB.
 * @throws Error when the URL names several hosts or a DNS seed list (no single server to relay to).
 */
export async function restartableMongo(backend?: MongoForTests): Promise<RestartableMongo> {
  const server = backend ?? (await mongoUrlForTests());
  const owned = backend === undefined;
  const target = /^mongodb:\/\/((?:[^@/?#]*@)?)([^/?#,]+):(\d+)(\/[^?#]*)?(\?[^#]*)?$/.exec(server.url);
  if (!target) {
    if (owned) await server.stop();
    throw new Error('restartableMongo needs a single-host mongodb://host:port URL');
  }
  const [, credentials = '', host = '', portText = '', dbPath = '', query = ''] = target;
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const upstream = net.connect(Number(portText), host.replace(/^\[|\]$/g, ''));
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // Either side failing ends the pair, as a dropped connection would.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      relay.once('error', reject);
      relay.listen(port, '127.0.0.1', () => {
        relay.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (relay.address() as net.AddressInfo).port;
  let listening = true;
  const stop = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => relay.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  const separator = query ? '&' : '?';
  return {
    url: `mongodb://${credentials}127.0.0.1:${port}${dbPath || '/'}${query}${separator}directConnection=true`,
    real: server.real,
    port,
    stop,
    async start() {
      if (listening) return;
      await listen(port);
      listening = true;
    },
    async close() {
      await stop();
      if (owned) await server.stop();
    },
  };
}
