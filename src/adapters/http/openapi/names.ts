/** Names in the OpenAPI document: schema names and operation ids, readable, unique and stable. */

/** `cancel-order` / `cancel_order` / `cancelOrder` → `CancelOrder`; never empty. */
export function pascal(name: string): string {
  const parts = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = parts.map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
  // Component keys and operation ids should not start with a digit.
  return /^[A-Za-z]/.test(joined) ? joined : `M${joined}`;
}

/** English-ish plural for `listOrders`: good enough for ids that only need to be readable and stable. */
export function plural(word: string): string {
  if (/(s|x|z|ch|sh)$/i.test(word)) return `${word}es`;
  if (/[^aeiou]y$/i.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

/** Hands out names once: a clash gets a numeric suffix, so ids stay unique and stable for the same input. */
export class NameRegistry {
  private readonly taken = new Set<string>();

  constructor(reserved: readonly string[] = []) {
    for (const name of reserved) this.taken.add(name);
  }

  /** The first of `base`, `base2`, `base3`… for which every `base<n><suffix>` is free; claims them all. */
  claim(base: string, suffixes: readonly string[] = ['']): string {
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? base : `${base}${n}`;
      if (suffixes.every((s) => !this.taken.has(candidate + s))) {
        for (const s of suffixes) this.taken.add(candidate + s);
        return candidate;
      }
    }
  }
}
