// A few DOM helpers. Text goes in through textContent only: event data is never parsed as HTML.
type Child = Node | string | number | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) node.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

/** A commit or content hash, short enough for a table cell (the full one is in the title). */
export function shortVersion(version: string | null | undefined): string {
  if (!version) return '—';
  if (/^[0-9a-f]{40}$/i.test(version)) return version.slice(0, 12);
  const hashed = /^(sha256-)([0-9a-f]+)$/i.exec(version);
  return hashed ? `${hashed[1]}${hashed[2]!.slice(0, 12)}` : version;
}

export function clock(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleTimeString() : '—';
}
