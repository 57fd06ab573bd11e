/**
 * `npm run hot-reload [-- <remote>]`: asks a running host to reload all remotes,
 * or one, and prints what happened. MICROLIB_URL names the host (default
 * http://127.0.0.1:$PORT or :8070); ADMIN_TOKEN authorises the request.
 */
interface Result {
  remote: string;
  outcome: string;
  from: string | null;
  to: string | null;
  attempted: string | null;
  ms: number;
  error?: string;
}

const short = (version: string | null) => (version ? version.slice(0, 12) : '-');

async function main(): Promise<number> {
  const remote = process.argv[2];
  const base = (process.env.MICROLIB_URL ?? `http://127.0.0.1:${process.env.PORT ?? '8070'}`).replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (process.env.ADMIN_TOKEN) headers.authorization = `Bearer ${process.env.ADMIN_TOKEN}`;
  let response: Response;
  try {
    response = await fetch(`${base}/microlib/reload`, {
      method: 'POST',
      headers,
      body: JSON.stringify(remote ? { remote } : {}),
      signal: AbortSignal.timeout(Number(process.env.RELOAD_TIMEOUT_MS ?? 120_000)),
    });
  } catch (error) {
    console.error(`hot-reload: cannot reach ${base}: ${(error as Error).message}`);
    return 2;
  }
  const body = (await response.json().catch(() => ({}))) as { results?: Result[]; error?: { message: string } };
  if (!body.results) {
    console.error(`hot-reload: ${response.status} ${body.error?.message ?? response.statusText}`);
    return 2;
  }
  for (const r of body.results) {
    const change = r.outcome === 'reloaded' ? `${short(r.from)} -> ${short(r.to)}` : r.outcome === 'unchanged' ? `at ${short(r.to)}` : `still at ${short(r.to)}`;
    console.log(`${r.remote}: ${r.outcome} ${change} (${r.ms} ms)${r.error ? `\n  ${r.error}` : ''}`);
  }
  return body.results.some((r) => r.outcome === 'failed') ? 1 : 0;
}

main().then((code) => process.exit(code));
