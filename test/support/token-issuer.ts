/**
 * A local identity provider for tests: an RS256 key made with jose, its JWKS served
 * on 127.0.0.1, the key-set file a host reads (AUTH_KEY_SET), and tokens signed with it.
 */
import http from 'node:http';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export const ISSUER = 'https://id.example.test/';
export const AUDIENCE = 'microlib-tests';

export interface TokenIssuer {
  /** The key-set file to pass as AUTH_KEY_SET. */
  keySetPath: string;
  /** A token for these claims (`sub`, `permissions`, `scope`…), valid five minutes. */
  sign(claims: Record<string, unknown>): Promise<string>;
  /** `{ authorization: 'Bearer …' }` for these claims. */
  headers(claims: Record<string, unknown>): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

export async function startTokenIssuer(dir: string): Promise<TokenIssuer> {
  const pair = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const keySetPath = path.join(dir, 'key-set.json');
  const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  await writeFile(keySetPath, JSON.stringify({ jwksUri, issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], permissionsClaim: 'permissions' }));
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuedAt().setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(pair.privateKey);
  return {
    keySetPath,
    sign,
    headers: async (claims) => ({ authorization: `Bearer ${await sign(claims)}` }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
