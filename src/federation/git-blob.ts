import { createHash } from 'node:crypto';

/** The SHA git gives a blob: sha1 over "blob <size>\0" and the bytes. */
export function gitBlobSha(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}
