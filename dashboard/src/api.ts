// The host's JSON API as the dashboard uses it: every error becomes an ApiError with the
// host's MLB_ERR_* code and message, so the page can say what went wrong.
import { authHeaders } from './token.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function parse(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

function errorOf(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return new ApiError(status, error?.code ?? 'MLB_ERR_HTTP', error?.message ?? `the host answered ${status}`);
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json', ...authHeaders() }, cache: 'no-store' });
  const body = await parse(response);
  if (!response.ok) throw errorOf(response.status, body);
  return body as T;
}

/** POSTs and returns the status and body, whatever the status; `error` is set for answers other than 2xx and 422. */
export async function post<T>(path: string): Promise<{ status: number; body: T; error?: ApiError }> {
  const response = await fetch(path, { method: 'POST', headers: { accept: 'application/json', ...authHeaders() } });
  const body = (await parse(response)) as T;
  return response.ok || response.status === 422 ? { status: response.status, body } : { status: response.status, body, error: errorOf(response.status, body) };
}
