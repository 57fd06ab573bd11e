/**
 * The catalog of the moment. Readers (the model router, placement routing, the
 * admin app, the dashboard, security, flows) hold a `CatalogView` and read
 * `current` once per request; only activation swaps it. It also remembers the
 * catalogs it replaced while something still uses them, and which versions'
 * models were disposed, so a flow can find (or learn it lost) the version that
 * started it (`src/host/flow-world.ts`).
 */
import { Catalog, type ServedModel } from './catalog.js';

/** Read access to the catalog of the moment. */
export interface CatalogView {
  readonly current: Catalog;
}

export class LiveCatalog implements CatalogView {
  #current = Catalog.empty();
  /** Replaced catalogs a request, port call or flow still uses (each leaves once idle). */
  readonly #replaced = new Set<Catalog>();
  /** Models of disposed versions: their code must not run again. */
  readonly #retired = new WeakSet<ServedModel>();

  get current(): Catalog {
    return this.#current;
  }

  /** Serves `next` from now on; returns the catalog it replaces (to drain and dispose). */
  swap(next: Catalog): Catalog {
    const replaced = this.#current;
    this.#current = next;
    this.#replaced.add(replaced);
    void replaced.whenIdle().then(() => this.#replaced.delete(replaced));
    return replaced;
  }

  /** Catalogs replaced but still in use, newest first. */
  stillInUse(): Catalog[] {
    return [...this.#replaced].reverse();
  }

  /** A replaced version was disposed: these, its models, must not serve again. */
  retire(models: Iterable<ServedModel>): void {
    for (const model of models) this.#retired.add(model);
  }

  isRetired(model: ServedModel): boolean {
    return this.#retired.has(model);
  }
}
