/**
 * The catalog of the moment. Readers (the model router, placement routing, the
 * admin app, the dashboard, security, flows) hold a `CatalogView` and read
 * `current` once per request; only activation swaps it.
 */
import { Catalog } from './catalog.js';

/** Read access to the catalog of the moment. */
export interface CatalogView {
  readonly current: Catalog;
}

export class LiveCatalog implements CatalogView {
  #current = Catalog.empty();

  get current(): Catalog {
    return this.#current;
  }

  /** Serves `next` from now on; returns the catalog it replaces (to drain and dispose). */
  swap(next: Catalog): Catalog {
    const replaced = this.#current;
    this.#current = next;
    return replaced;
  }
}
