/** The HTTP listener: address, TLS, and how a stopping host lets requests finish. */
import path from 'node:path';
import { ConfigError, flag, integer, text, type Env } from '../../../config/env-reader.js';

export interface HttpSettings {
  port: number;
  host: string;
  /** HTTPS from these files when set. */
  tls: { keyPath: string; certPath: string; caPath?: string } | undefined;
  /** A plain-HTTP port that redirects to HTTPS (0: none). */
  sslRedirectPort: number;
  /** On SIGTERM, how long readiness is false before connections close (time for load balancers to notice). */
  shutdownDelayMs: number;
  /** On SIGTERM, how long in-flight requests may take to finish before their connections are closed. */
  shutdownTimeoutMs: number;
}

export function readHttpSettings(env: Env, cwd: string): HttpSettings {
  const port = integer(env, 'PORT', 8070, 0, 65_535);
  return {
    port,
    host: text(env, 'HOST', '0.0.0.0'),
    ...tls(env, cwd, port),
    shutdownDelayMs: integer(env, 'SHUTDOWN_DELAY_MS', 0, 0, 600_000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
  };
}

function tls(env: Env, cwd: string, port: number): Pick<HttpSettings, 'tls' | 'sslRedirectPort'> {
  const enabled = flag(env, 'SSL_ENABLED');
  const sslRedirectPort = integer(env, 'SSL_REDIRECT_PORT', 0, 0, 65_535);
  if (!enabled) {
    if (sslRedirectPort !== 0) throw new ConfigError('SSL_REDIRECT_PORT', 'needs SSL_ENABLED=true');
    return { tls: undefined, sslRedirectPort };
  }
  if (sslRedirectPort !== 0 && sslRedirectPort === port) throw new ConfigError('SSL_REDIRECT_PORT', 'must differ from PORT');
  const ca = env.SSL_CA_PATH?.trim();
  return {
    tls: {
      keyPath: path.resolve(cwd, text(env, 'SSL_KEY_PATH', 'cert/key.pem')),
      certPath: path.resolve(cwd, text(env, 'SSL_CERT_PATH', 'cert/cert.pem')),
      ...(ca ? { caPath: path.resolve(cwd, ca) } : {}),
    },
    sslRedirectPort,
  };
}
