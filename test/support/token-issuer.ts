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

/** Time claims of a token: `exp` false leaves it out; `iat` and `nbf` are seconds since the epoch. */
export interface TimeClaims {
  exp?: string | number | false;
  iat?: number;
  nbf?: number;
}

export interface TokenIssuer {
  /** The key-set file to pass as AUTH_KEY_SET. */
  keySetPath: string;
  /** Another key-set file for the same keys, with these settings added (`requireExp`, `ownerClaims`…). */
  keySet(name: string, extra: Record<string, unknown>): Promise<string>;
  /** A token for these claims (`sub`, `permissions`, `scope`…), valid five minutes unless `time` says otherwise. */
  sign(claims: Record<string, unknown>, time?: TimeClaims): Promise<string>;
  /** `{ authorization: 'Bearer …' }` for these claims. */
  headers(claims: Record<string, unknown>, time?: TimeClaims): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

export async function startTokenIssuer(dir: string): Promise<TokenIssuer> {
  const pair = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const keySetPath = path.join(dir, 'key-set.json');
  const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  const settings = { jwksUri, issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], permissionsClaim: 'permissions' };
  await writeFile(keySetPath, JSON.stringify(settings));
  const sign = (claims: Record<string, unknown>, time: TimeClaims = {}) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuedAt(time.iat).setIssuer(ISSUER).setAudience(AUDIENCE);
    if (time.exp !== false) jwt.setExpirationTime(time.exp ?? '5m');
    if (time.nbf !== undefined) jwt.setNotBefore(time.nbf);
    return jwt.sign(pair.privateKey);
  };
  return {
    keySetPath,
    async keySet(name, extra) {
      const file = path.join(dir, `${name}.json`);
      await writeFile(file, JSON.stringify({ ...settings, ...extra }));
      return file;
    },
    sign,
    headers: async (claims, time) => ({ authorization: `Bearer ${await sign(claims, time)}` }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
