/** A plain HTTP file server over a folder (the `http` source's counterpart), with ETags (304 on If-None-Match) and a hang switch. */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface StaticServer {
  url: string;
  /** Paths requested so far. */
  requests: string[];
  /** How many requests were answered 304 (If-None-Match matched). */
  readonly notModified: number;
  /** While true, requests are never answered (`options.hang` sets it at start). */
  hang: boolean;
  close(): Promise<void>;
}

export async function startStaticServer(root: string, options: { hang?: boolean } = {}): Promise<StaticServer> {
  const requests: string[] = [];
  const switches = { hang: options.hang ?? false };
  let notModified = 0;
  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push(urlPath);
    if (switches.hang) return; // never answer
    const file = path.join(root, path.normalize(urlPath).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (bytes) => {
        const etag = `"${createHash('sha256').update(bytes).digest('base64url')}"`;
        if (req.headers['if-none-match'] === etag) {
          notModified++;
          return res.writeHead(304, { etag }).end();
        }
        res.writeHead(200, { 'content-type': 'application/javascript', etag }).end(bytes);
      },
      () => res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>404 Not Found</body></html>'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    get notModified() {
      return notModified;
    },
    get hang() {
      return switches.hang;
    },
    set hang(on: boolean) {
      switches.hang = on;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
