/**
 * The one way tests run a host child process: `withHost` for the tests of a describe block
 * (started in its `before`, stopped in its `after`), `hostFor` inside one test (stopped by
 * `t.after`). Each host gets a fresh work folder, removed once the host has stopped; what the
 * setup starts besides the host (a fake GitHub, a token issuer, a database) goes to `defer`
 * and is closed after the host stops, last deferred first.
 */
import { after, before, type TestContext } from 'node:test';
import { makeWorkDir, removeDir, request, startHost, type HostOptions, type HostProcess } from './host-process.js';

/** What a host starts with; its folder is the fixture's own. */
export type HostSetup = Omit<HostOptions, 'workDir'>;

/** What a setup function gets: the host's folder (made already) and a place for its own cleanups. */
export interface SetupContext {
  /** The host's work folder: data, cache and remoteEntries.js go here, and the test's own files may too. */
  readonly workDir: string;
  /** Runs `cleanup` once the host has stopped, before the folder is removed. */
  defer(cleanup: () => unknown): void;
}

/** The setup itself, or a function that prepares what the host needs and returns it. */
export type HostRecipe = HostSetup | ((context: SetupContext) => HostSetup | Promise<HostSetup>);

type RequestInit = Parameters<typeof request>[1];

/** A running (or stopped) host, read lazily: with `withHost` it exists from the block's `before` on. */
export interface HostFixture {
  readonly workDir: string;
  /** `http(s)://127.0.0.1:<port>` of the current process. */
  readonly url: string;
  readonly port: number;
  /** Every log line of the current process so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** A JSON request to a path on this host (`/microlib/…`) or to any full URL. */
  request(target: string, init?: RequestInit): ReturnType<typeof request>;
  /** SIGTERM, resolving with the exit code; the fixture's own teardown then has nothing to stop. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /**
   * Stops the current process if it runs and starts a new one in the same folder (keeping its
   * data and cache): with the last setup, with `next`, or with what `next` makes of the last one.
   */
  restart(next?: HostSetup | ((last: HostSetup) => HostSetup)): Promise<void>;
}

/** A host for the tests of the enclosing describe block (or file): started in `before`, stopped in `after`. */
export function withHost(recipe: HostRecipe): HostFixture {
  const host = hostLifecycle();
  before(() => host.start(recipe));
  after(() => host.teardown());
  return host.fixture;
}

/** A host for one test, started now and stopped when the test ends. */
export async function hostFor(t: TestContext, recipe: HostRecipe): Promise<HostFixture> {
  const host = hostLifecycle();
  t.after(() => host.teardown());
  await host.start(recipe);
  return host.fixture;
}

function hostLifecycle() {
  let workDir: string | undefined;
  let current: HostProcess | undefined;
  let lastSetup: HostSetup = { remotes: [] };
  const cleanups: Array<() => unknown> = [];

  const started = (): HostProcess => {
    if (!current) throw new Error('the host has not started: withHost starts it in before(), hostFor before it returns');
    return current;
  };
  const launch = async (setup: HostSetup) => {
    lastSetup = setup;
    current = await startHost({ ...setup, workDir: workDir! });
  };

  const fixture: HostFixture = {
    get workDir() {
      if (!workDir) throw new Error('the host has no folder yet: it is made when the host starts');
      return workDir;
    },
    get url() {
      return started().url;
    },
    get port() {
      return started().port;
    },
    get logs() {
      return started().logs;
    },
    request: (target, init) => request(target.startsWith('/') ? `${started().url}${target}` : target, init),
    stop: () => started().stop(),
    kill: () => started().kill(),
    async restart(next = lastSetup) {
      await current?.stop();
      await launch(typeof next === 'function' ? next(lastSetup) : next);
    },
  };

  return {
    fixture,
    async start(recipe: HostRecipe) {
      workDir = await makeWorkDir();
      const setup = typeof recipe === 'function' ? await recipe({ workDir, defer: (cleanup) => void cleanups.push(cleanup) }) : recipe;
      await launch(setup);
    },
    /** Stops the host, then runs every deferred cleanup (even when one fails), then removes the folder. */
    async teardown() {
      const failures: unknown[] = [];
      const attempt = async (step: () => unknown) => {
        try {
          await step();
        } catch (error) {
          failures.push(error);
        }
      };
      if (current) await attempt(() => current!.stop());
      for (const cleanup of cleanups.splice(0).reverse()) await attempt(cleanup);
      if (workDir) await attempt(() => removeDir(workDir!));
      if (failures.length > 0) throw failures[0];
    },
  };
}
