/**
 * How requests are split between a remote's stable version and its canary: the
 * canary's share (`weight`, 0–100 %), and what keeps one user on one version
 * (`sticky`: a header, a cookie or the caller's token subject). A key is hashed
 * with the remote's name into a bucket 0–99, and buckets below the weight go to
 * the canary; the hash is pure arithmetic on the key's characters, so every
 * process of every node routes one key to the same version, and raising the
 * weight only ever moves keys from the stable version to the canary.
 */

import type { CanarySplit, StickyKey } from '../domain/resilience/canary-split.js';

export type { SplitMode, StickyKey } from '../domain/resilience/canary-split.js';

/** The split a canary runs with (the catalog's name for it). */
export type SplitPolicy = CanarySplit;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a (32 bits) over UTF-16 code units, continued from `hash`. */
function fnv1a(hash: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash;
}

/** The hash state after `<remote>` and a NUL: computed once per canary, so a request hashes only its key. */
export function splitSeed(remote: string): number {
  return fnv1a(fnv1a(FNV_OFFSET, remote), '\u0000');
}

/**
 * The bucket (0–99) of `key` for the remote whose seed is `seed`: FNV-1a of
 * `<remote>\0<key>`, mixed by MurmurHash3's finaliser (FNV's low bits alone
 * follow similar keys such as `user-1`, `user-2` too closely), modulo 100.
 */
export function bucketOf(seed: number, key: string): number {
  let h = fnv1a(seed, key);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % 100;
}

/** `{"header":"x-user"}` → `header x-user`, for logs and listings. */
export function describeSticky(sticky: StickyKey | undefined): string {
  if (sticky === undefined) return 'none';
  if ('header' in sticky) return `header ${sticky.header}`;
  if ('cookie' in sticky) return `cookie ${sticky.cookie}`;
  return 'subject';
}
