/**
 * How the CLI talks to a running host: JSON over HTTP with the admin token, and
 * every way that can go wrong turned into one line a person can act on.
 */
import { httpUrl as hostUrl } from '../config/env-reader.js';
import { readCliConfig } from './cli-config.js';
import { stringOption, type ParsedArgs } from './args.js';

/** The host could not be reached, or refused or failed the request; the message is one line. */
export class HostError extends Error {
  override name = 'HostError';
}

export interface HostAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command reads the shape of its own endpoint
  body: any;
}

export interface HostClient {
  readonly url: string;
  get(path: string): Promise<HostAnswer>;
  post(path: string, body?: unknown): Promise<HostAnswer>;
  /** The one-line error for an answer that is not a success, with a hint where one helps. */
  refusal(answer: HostAnswer): HostError;
}

/** Options every command that talks to a host accepts. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const CONNECTION_HELP = `  --url <url>      the host (default MICROLIB_URL, or http://127.0.0.1:$PORT, PORT 8070)
  --token <token>  bearer token (default ADMIN_TOKEN)
  --json           print the host's JSON answer instead of text`;

const REQUEST_TIMEOUT_MS = 10_000;

/** A client for the host named by --url/--token, or by the environment. */
export function connect(args: ParsedArgs, env: Record<string, string | undefined> = process.env): HostClient {
  const config = readCliConfig(env);
  const flagUrl = stringOption(args, 'url');
  const url = flagUrl !== undefined ? hostUrl('--url', flagUrl) : config.url;
  const token = stringOption(args, 'token') ?? config.adminToken;

  async function send(method: string, path: string, body: unknown, timeoutMs: number): Promise<HostAnswer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError') throw new HostError(`no answer from ${url} within ${timeoutMs} ms`);
      throw new HostError(`cannot reach the host at ${url}: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
    }
    const text = await response.text();
    try {
      return { status: response.status, body: JSON.parse(text) as unknown };
    } catch {
      throw new HostError(`${response.status} from ${url}${path} is not JSON: is this a microlib host?`);
    }
  }

  return {
    url,
    get: (path) => send('GET', path, undefined, REQUEST_TIMEOUT_MS),
    // Reloads and rollbacks load a whole remote: they get the longer deadline.
    post: (path, body) => send('POST', path, body, config.reloadTimeoutMs),
    refusal(answer) {
      const message = (answer.body as { error?: { message?: string } } | null)?.error?.message ?? 'the host refused the request';
      const hint = answer.status === 401 ? (token ? ' (the token was not accepted)' : ' (give --token or set ADMIN_TOKEN)') : '';
      return new HostError(`${answer.status} ${message}${hint}`);
    },
  };
}
