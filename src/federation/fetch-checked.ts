/**
 * Every request to a remote's source goes through here: a timeout that really
 * aborts, a status check (a 404 page is never evaluated as code) and a size cap.
 */
export class SourceFetchError extends Error {
  readonly status: number | undefined;
  readonly url: string;

  constructor(url: string, message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceFetchError';
    this.url = url;
    this.status = status;
  }
}

export interface FetchOptions {
  timeoutMs: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Refuse bodies larger than this (default 100 MB). */
  maxBytes?: number;
  /** Statuses other than 2xx that the caller handles itself (e.g. 304). */
  acceptStatus?: readonly number[];
}

export interface FetchedResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;

/** Redacts query strings so tokens passed in URLs never reach a log. */
const printable = (url: string) => url.replace(/\?.*$/, '');

async function readCapped(response: Response, url: string, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new SourceFetchError(url, `GET ${printable(url)}: body of ${declared} bytes exceeds the ${maxBytes}-byte limit`);
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new SourceFetchError(url, `GET ${printable(url)}: body exceeds the ${maxBytes}-byte limit`);
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks, size);
}

/** GETs a URL; resolves only with a 2xx (or an accepted) status, within the timeout. */
export async function fetchChecked(url: string, options: FetchOptions): Promise<FetchedResponse> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await fetch(url, { headers: options.headers ?? {}, signal, redirect: 'follow' });
    if (!response.ok && !options.acceptStatus?.includes(response.status)) {
      const text = await readCapped(response, url, 4096).then((b) => b.toString('utf8'), () => '');
      throw new SourceFetchError(url, `GET ${printable(url)} answered ${response.status} ${response.statusText}${detail(text)}`, response.status);
    }
    const body = await readCapped(response, url, options.maxBytes ?? DEFAULT_MAX_BYTES);
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    if (error instanceof SourceFetchError) throw error;
    if (timeout.aborted) {
      throw new SourceFetchError(url, `GET ${printable(url)} timed out after ${options.timeoutMs} ms`, undefined, { cause: error });
    }
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new SourceFetchError(url, `GET ${printable(url)} failed: ${reason}`, undefined, { cause: error });
  }
}

/** A short, single-line excerpt of an error body (GitHub puts the reason in `message`). */
function detail(text: string): string {
  if (!text) return '';
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return `: ${parsed.message}`;
  } catch {
    // not JSON: fall through to a plain excerpt
  }
  return `: ${text.replace(/\s+/g, ' ').slice(0, 200)}`;
}
