// The objects of one local git repository, read through long-lived `git cat-file --batch`
// processes (one process per repository instead of one per object), for the GitHub-compatible
// test server. Objects named by SHA never change, so what was found is kept in memory, as
// GitHub serves them; names that are refs are never read here (a push moves them).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** A 40-hex object name, optionally peeled (`<sha>^{commit}`, `^{tree}`, `^{blob}`). */
export const OBJECT_SPEC = /^[0-9a-f]{40}(?:\^\{(?:commit|tree|blob)\})?$/;

export interface GitObject {
  /** SHA of the object found (the peeled one for `<sha>^{type}`). */
  sha: string;
  type: string;
  bytes: Buffer;
}

/** One entry of a tree, as `git ls-tree -l` lists it (size only for blobs). */
export interface TreeEntry {
  mode: string;
  type: string;
  sha: string;
  size: number | undefined;
  path: string;
}

interface Waiting {
  resolve(header: string[] | null, body: Buffer | undefined): void;
  reject(error: Error): void;
}

/** One `git cat-file --batch` (contents) or `--batch-check` (type and size) process; answers in request order. */
class CatFile {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  private readonly waiting: Waiting[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  private stderr = '';

  constructor(
    private readonly cwd: string,
    private readonly mode: '--batch' | '--batch-check',
  ) {}

  /** `[sha, type, size]`, and the contents with `--batch`; null when git finds no such object. */
  ask(spec: string): Promise<{ header: string[]; body: Buffer | undefined } | null> {
    return new Promise((resolve, reject) => {
      const child = this.started();
      this.waiting.push({ resolve: (header, body) => resolve(header ? { header, body } : null), reject });
      child.stdin.write(`${spec}\n`);
    });
  }

  close(): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('close', () => resolve());
      child.stdin.end();
    });
  }

  private started(): ChildProcessByStdio<Writable, Readable, Readable> {
    if (this.child) return this.child;
    const child = spawn('git', ['cat-file', this.mode], { cwd: this.cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    this.child = child;
    this.buffered = Buffer.alloc(0);
    this.stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.parse();
    });
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    child.stdin.on('error', () => undefined); // the process died: 'close' rejects what waits
    const ended = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      const error = new Error(`git cat-file ${this.mode} in ${this.cwd} ${why}${this.stderr ? `: ${this.stderr.trim()}` : ''}`);
      for (const w of this.waiting.splice(0)) w.reject(error);
    };
    child.on('error', (error) => ended(`failed (${error.message})`));
    child.on('close', (code) => ended(`exited with ${code}`));
    return child;
  }

  private parse(): void {
    while (this.waiting.length > 0) {
      const eol = this.buffered.indexOf(0x0a);
      if (eol === -1) return;
      const header = this.buffered.subarray(0, eol).toString('utf8').split(' ');
      // "<name> missing" (or "ambiguous"): no such object.
      if (header.length !== 3) {
        this.buffered = this.buffered.subarray(eol + 1);
        this.waiting.shift()!.resolve(null, undefined);
        continue;
      }
      if (this.mode === '--batch-check') {
        this.buffered = this.buffered.subarray(eol + 1);
        this.waiting.shift()!.resolve(header, undefined);
        continue;
      }
      const size = Number(header[2]);
      // The contents, then a newline.
      if (this.buffered.length < eol + 1 + size + 1) return;
      const body = Buffer.from(this.buffered.subarray(eol + 1, eol + 1 + size));
      this.buffered = this.buffered.subarray(eol + 1 + size + 1);
      this.waiting.shift()!.resolve(header, body);
    }
  }
}

/** Git object modes as `ls-tree` writes them: six octal digits. */
const typeOfMode = (mode: string): string => (mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob');

export class GitObjectStore {
  private readonly contents: CatFile;
  private readonly checks: CatFile;
  private readonly objects = new Map<string, Promise<GitObject | null>>();
  private readonly sizes = new Map<string, Promise<number | undefined>>();
  private readonly trees = new Map<string, Promise<TreeEntry[]>>();
  private readonly derived = new Map<string, Promise<unknown>>();

  constructor(readonly cwd: string) {
    this.contents = new CatFile(cwd, '--batch');
    this.checks = new CatFile(cwd, '--batch-check');
  }

  /** The object `spec` (see OBJECT_SPEC) names, or null when the repository has none. */
  read(spec: string): Promise<GitObject | null> {
    if (!OBJECT_SPEC.test(spec)) throw new Error(`not an object name: ${spec}`);
    return this.remembered(this.objects, spec, async () => {
      const found = await this.contents.ask(spec);
      return found ? { sha: found.header[0]!, type: found.header[1]!, bytes: found.body! } : null;
    }, (value) => value !== null);
  }

  /** The entries of a tree (by its SHA), with blob sizes; `recursive` lists subtrees' entries after each subtree, as `ls-tree -r -t` does. */
  async tree(sha: string, recursive: boolean): Promise<TreeEntry[]> {
    const entries = await this.treeLevel(sha);
    if (!recursive) return entries;
    const below = await Promise.all(entries.map((e) => (e.type === 'tree' ? this.tree(e.sha, true) : Promise.resolve([]))));
    return entries.flatMap((e, i) => [e, ...below[i]!.map((child) => ({ ...child, path: `${e.path}/${child.path}` }))]);
  }

  /** Keeps what `compute` makes of immutable objects (named by SHAs in `key`); a failure is not kept. */
  derive<T>(key: string, compute: () => Promise<T>): Promise<T> {
    return this.remembered(this.derived, key, compute, () => true) as Promise<T>;
  }

  close(): Promise<void> {
    return Promise.all([this.contents.close(), this.checks.close()]).then(() => undefined);
  }

  private treeLevel(sha: string): Promise<TreeEntry[]> {
    return this.remembered(this.trees, sha, async () => {
      const object = await this.read(sha);
      if (!object || object.type !== 'tree') throw new Error(`${sha} is not a tree`);
      const entries: Array<Omit<TreeEntry, 'size'>> = [];
      const raw = object.bytes;
      // Each entry: "<octal mode> <name>\0" then the 20-byte object id.
      for (let at = 0; at < raw.length; ) {
        const space = raw.indexOf(0x20, at);
        const nul = raw.indexOf(0x00, space);
        const mode = raw.subarray(at, space).toString('latin1').padStart(6, '0');
        entries.push({ mode, type: typeOfMode(mode), sha: raw.subarray(nul + 1, nul + 21).toString('hex'), path: raw.subarray(space + 1, nul).toString('utf8') });
        at = nul + 21;
      }
      const sizes = await Promise.all(entries.map((e) => (e.type === 'blob' ? this.size(e.sha) : Promise.resolve(undefined))));
      return entries.map((e, i) => ({ ...e, size: sizes[i] }));
    }, () => true);
  }

  private size(sha: string): Promise<number | undefined> {
    return this.remembered(this.sizes, sha, async () => {
      const found = await this.checks.ask(sha);
      return found ? Number(found.header[2]) : undefined;
    }, (value) => value !== undefined);
  }

  /** Shares one lookup per key; keeps its answer when `keep` says so, forgets failures. */
  private remembered<T>(map: Map<string, Promise<T>>, key: string, compute: () => Promise<T>, keep: (value: T) => boolean): Promise<T> {
    const known = map.get(key);
    if (known) return known;
    const promise = compute();
    map.set(key, promise);
    promise.then(
      (value) => {
        if (!keep(value) && map.get(key) === promise) map.delete(key);
      },
      () => {
        if (map.get(key) === promise) map.delete(key);
      },
    );
    return promise;
  }
}
