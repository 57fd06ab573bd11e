/**
 * HTTPS support: loads the key, certificate and optional CA bundle for
 * `https.createServer`, and a plain HTTP server that sends every request to
 * the HTTPS port (`SSL_REDIRECT_PORT`).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { open } from 'node:fs/promises';
import http from 'node:http';

/** Where the TLS files are; relative paths resolve against the working directory. */
export interface TlsConfig {
  /** PEM private key (unencrypted). */
  keyPath: string;
  /** PEM certificate, followed by any intermediate certificates. */
  certPath: string;
  /** PEM CA bundle, only when the default trusted CAs must be replaced. */
  caPath?: string;
}

/** Options ready for `https.createServer`, plus findings the host should log. */
export interface TlsOptions {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
  /** Problems that do not stop the host, e.g. a key file other users can read. */
  warnings: string[];
}

/** A TLS file is missing, unreadable or unusable; the message names the file and never its contents. */
export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

/** Reads a file and its permission bits through one handle, so the mode checked is that of the file read. */
async function readWithMode(kind: string, file: string): Promise<{ data: Buffer; mode: number }> {
  try {
    const handle = await open(file, 'r');
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new Error('not a regular file');
      return { data: await handle.readFile(), mode: stats.mode & 0o777 };
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new TlsConfigError(`${kind} file ${file} cannot be read: ${reason(error)}`);
  }
}

/** The short cause of a failure (the errno code when there is one), never file contents. */
function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'not a regular file';
  return (error as Error | undefined)?.message ?? String(error);
}

/**
 * Reads the TLS files and checks that the key is a private key matching the
 * certificate, so a mistake stops the host at start rather than failing every
 * handshake later.
 *
 * @throws TlsConfigError naming the file at fault.
 */
export async function loadTlsOptions(config: TlsConfig): Promise<TlsOptions> {
  const warnings: string[] = [];
  const key = await readWithMode('TLS key', config.keyPath);
  const cert = await readWithMode('TLS certificate', config.certPath);
  const ca = config.caPath === undefined ? undefined : (await readWithMode('TLS CA', config.caPath)).data;

  // Permission bits mean nothing on Windows; elsewhere a key others can read is as good as public.
  if (process.platform !== 'win32' && (key.mode & 0o077) !== 0) {
    warnings.push(`${config.keyPath} is readable by other users (mode ${key.mode.toString(8)}); chmod 600 it`);
  }

  let privateKey;
  try {
    privateKey = createPrivateKey(key.data);
  } catch {
    // The crypto error may quote what it could not parse; say only what is wrong.
    throw new TlsConfigError(`TLS key file ${config.keyPath} is not an unencrypted PEM private key`);
  }
  let x509: X509Certificate;
  try {
    // Parses the first certificate: the server's own, intermediates follow it.
    x509 = new X509Certificate(cert.data);
  } catch {
    throw new TlsConfigError(`TLS certificate file ${config.certPath} is not a PEM certificate`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsConfigError(`TLS key file ${config.keyPath} does not match the certificate in ${config.certPath}`);
  }
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch {
      throw new TlsConfigError(`TLS CA file ${config.caPath} is not a PEM certificate`);
    }
  }

  // An expired certificate still serves, but every client will refuse it: say so at start.
  const now = Date.now();
  if (Date.parse(x509.validTo) < now) warnings.push(`TLS certificate ${config.certPath} expired on ${x509.validTo}`);
  else if (Date.parse(x509.validFrom) > now) warnings.push(`TLS certificate ${config.certPath} is not valid before ${x509.validFrom}`);

  return { key: key.data, cert: cert.data, ...(ca !== undefined ? { ca } : {}), warnings };
}

/** A DNS name or IPv4 address (letters, digits, dots, hyphens) or a bracketed IPv6 literal, then an optional port. */
const HOST_HEADER = /^([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * A plain HTTP server that answers every request with `308 Permanent Redirect`
 * to the same path and query on `https://<host>:<httpsPort()>`; 308 keeps the
 * method and body. The port is read per request because the HTTPS server may
 * be bound to port 0 and learn its port only when listening.
 *
 * The Host header must be a hostname (optionally with a port), else 400:
 * anything else could smuggle a different URL into the Location header.
 */
export function createRedirectServer(httpsPort: () => number): http.Server {
  const server = http.createServer((req, res) => {
    const host = HOST_HEADER.exec(req.headers.host ?? '')?.[1];
    const target = req.url ?? '';
    // Only origin-form targets ("/path?query"): absolute-form or "*" have no place in the redirect.
    if (host === undefined || !target.startsWith('/')) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end('Bad Request\n');
      return;
    }
    const port = httpsPort();
    const location = `https://${host}${port === 443 ? '' : `:${port}`}${target}`;
    res.writeHead(308, { location, 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${location}\n`);
  });
  // The redirect does no work, so clients get little time to send their headers.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  return server;
}
