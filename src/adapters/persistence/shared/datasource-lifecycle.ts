/**
 * Open/closed bookkeeping shared by the datasources, so a call before `open()`
 * or after `close()` fails the same clear way everywhere.
 */
import { MicrolibError } from '../../../domain/errors.js';

type LifecycleState = 'new' | 'opening' | 'open' | 'closing' | 'closed';

/** Tracks whether a datasource may serve calls. */
export class DatasourceLifecycle {
  private state: LifecycleState = 'new';

  /** @param label names the datasource in error messages, e.g. `file datasource "order"`. */
  constructor(private readonly label: string) {}

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Marks the start of `open()`; a second `open()` or an open after close is refused. */
  beginOpen(): void {
    if (this.state !== 'new') {
      throw new MicrolibError('MLB_ERR_UNAVAILABLE', `${this.label} was already opened (state: ${this.state}); create a new datasource instead`);
    }
    this.state = 'opening';
  }

  /** Marks `open()` as finished: `true` when it succeeded. A failed open may be retried. */
  endOpen(succeeded: boolean): void {
    this.state = succeeded ? 'open' : 'new';
  }

  /** Marks the start of `close()`; returns false when already closing or closed. */
  beginClose(): boolean {
    if (this.state === 'closing' || this.state === 'closed') return false;
    this.state = 'closing';
    return true;
  }

  endClose(): void {
    this.state = 'closed';
  }

  /** @throws MicrolibError `MLB_ERR_UNAVAILABLE` unless the datasource is open. */
  assertOpen(): void {
    if (this.state === 'open') return;
    const why = this.state === 'closing' || this.state === 'closed' ? 'has been closed' : 'is not open yet (call open() first)';
    throw new MicrolibError('MLB_ERR_UNAVAILABLE', `${this.label} ${why}`);
  }
}
