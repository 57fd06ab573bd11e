/**
 * Start-up shared by the baseline servers: listen on PORT/HOST, print the same
 * "listening" JSON line as the host, and exit when the bench's stdin pipe
 * closes, so a crashed bench leaves no orphan server behind.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export function listenAndAnnounce(server: Server, name: string): void {
  const port = Number(process.env.PORT ?? 0);
  const host = process.env.HOST ?? '127.0.0.1';
  // Same keep-alive window as the host's server, so connections live alike.
  server.keepAliveTimeout = 5_000;
  server.listen(port, host, () => {
    const bound = (server.address() as AddressInfo).port;
    console.log(JSON.stringify({ msg: `listening on http://${host}:${bound}`, port: bound, server: name }));
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  process.on('SIGTERM', () => process.exit(0));
}
