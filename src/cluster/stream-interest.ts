/**
 * The primary's record of which events each worker's WebSocket clients
 * subscribe to (event-name patterns). Events cross between workers only for
 * those clients: a worker sends the primary an event only when another worker
 * wants it (the primary tells each worker what the others want), and the
 * primary relays it only to the workers that want it. Without WebSocket
 * clients no event crosses at all, and a cluster write costs what its
 * datasource change costs.
 */
import { compilePattern, type CompiledPattern } from '../domain/events/pattern.js';
import type { StreamWanted } from './messages.js';

/** More patterns than this from one worker is a bug: they are refused rather than matched against every event. */
const MAX_PATTERNS = 100_000;

interface Interest {
  patterns: string[];
  compiled: CompiledPattern[];
  /** What this worker was last told the others want (patterns joined), once it declared its own. */
  told: string | undefined;
}

/** Sends a worker what the others want; resolves once it applied it. */
export type TellWorker = (slot: number, wanted: StreamWanted) => Promise<unknown>;

export class StreamInterest {
  private version = 0;
  private readonly bySlot = new Map<number, Interest>();

  constructor(private readonly tell: TellWorker) {}

  /**
   * Worker `slot`'s clients subscribe to `patterns` now. Resolves, with what the other workers want, once
   * every other worker forwards events matching them (or could not be told: it is gone or stuck).
   */
  async declare(slot: number, patterns: unknown): Promise<StreamWanted> {
    if (!Array.isArray(patterns) || patterns.length > MAX_PATTERNS || !patterns.every((p) => typeof p === 'string' && p.length > 0)) {
      throw new Error('events.interest takes an array of event-name patterns');
    }
    const unique = [...new Set(patterns as string[])].sort();
    const interest = this.bySlot.get(slot) ?? { patterns: [], compiled: [], told: undefined };
    interest.patterns = unique;
    interest.compiled = unique.map((pattern) => compilePattern(pattern));
    this.bySlot.set(slot, interest);
    await this.spread(slot);
    const wanted = this.wantedBy(slot);
    interest.told = wanted.join('\n');
    return { version: ++this.version, patterns: wanted };
  }

  /** Worker `slot` is gone: the others stop sending what only its clients wanted. */
  forget(slot: number): void {
    if (this.bySlot.delete(slot)) void this.spread(slot);
  }

  /** Whether the clients of worker `slot` want an event of this name. */
  wants(slot: number, eventName: string): boolean {
    const compiled = this.bySlot.get(slot)?.compiled;
    return compiled !== undefined && compiled.some((pattern) => pattern.matches(eventName));
  }

  /** Tells every other worker that declared its own what the others want now, when that changed. */
  private async spread(changed: number): Promise<void> {
    const told: Array<Promise<unknown>> = [];
    for (const [slot, interest] of this.bySlot) {
      if (slot === changed || interest.told === undefined) continue;
      const wanted = this.wantedBy(slot);
      const key = wanted.join('\n');
      if (key === interest.told) continue;
      interest.told = key;
      told.push(this.tell(slot, { version: ++this.version, patterns: wanted }).catch(() => undefined));
    }
    await Promise.all(told);
  }

  /** The patterns the workers other than `slot` want, sorted. */
  private wantedBy(slot: number): string[] {
    const union = new Set<string>();
    for (const [other, interest] of this.bySlot) if (other !== slot) for (const pattern of interest.patterns) union.add(pattern);
    return [...union].sort();
  }
}
