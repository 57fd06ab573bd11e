/**
 * How many log bytes the live records would take in a fresh snapshot, so the
 * file datasource can tell when the log is mostly dead weight and compact it.
 */

/** Size of each live record's latest log line, and their sum. */
export class LiveBytes {
  private readonly byId = new Map<string, number>();
  private sum = 0;

  get total(): number {
    return this.sum;
  }

  /** A record's latest line is now `bytes` long. */
  set(id: string, bytes: number): void {
    this.sum += bytes - (this.byId.get(id) ?? 0);
    this.byId.set(id, bytes);
  }

  /** A record is gone. */
  delete(id: string): void {
    this.sum -= this.byId.get(id) ?? 0;
    this.byId.delete(id);
  }
}
