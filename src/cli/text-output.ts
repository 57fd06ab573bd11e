/** Plain-text output of the CLI: aligned tables and the one-line form of a reload or rollback. */

/** Versions are long hashes or commits; their first 12 characters tell them apart in practice. */
export const shortVersion = (version: string | null | undefined): string => (version ? version.slice(0, 12) : '-');

/** Rows padded into columns (the last column is not padded); the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** A result of POST /microlib/reload or of a rollback, as the host reports it. */
export interface ReloadOutcome {
  remote: string;
  outcome: 'reloaded' | 'unchanged' | 'failed';
  from: string | null;
  to: string | null;
  ms: number;
  error?: string;
  /** The remote has a rollout: the new version started as a canary. */
  canary?: { version: string; weight: number };
}

/**
 * `orders: reloaded 1a2b… -> 3c4d… (812 ms)`, `orders: unchanged at 1a2b… (…)` or
 * `orders: failed still at 1a2b… (…)` with the error on a second line (the format
 * `npm run hot-reload` always had). A rollback says `rolled back` for `reloaded`; a
 * remote with a rollout says `rollout of 3c4d… started at 5 % beside 1a2b…`.
 */
export function reloadLine(r: ReloadOutcome, reloaded = 'reloaded'): string {
  const unchanged = r.canary ? `rollout of ${shortVersion(r.canary.version)} started at ${r.canary.weight} % beside ${shortVersion(r.to)}` : `unchanged at ${shortVersion(r.to)}`;
  const change = r.outcome === 'reloaded' ? `${reloaded} ${shortVersion(r.from)} -> ${shortVersion(r.to)}` : r.outcome === 'unchanged' ? unchanged : `failed still at ${shortVersion(r.to)}`;
  return `${r.remote}: ${change} (${r.ms} ms)${r.error ? `\n  ${r.error}` : ''}`;
}

/** What the canary routes answer, as far as the CLI reads it. */
export interface CanaryOutcome {
  remote: string;
  outcome: 'started' | 'updated' | 'promoted' | 'aborted' | 'failed';
  stable: string | null;
  canary: string | null;
  attempted?: string | null;
  split?: { weight: number; sticky?: Record<string, string | true>; mode: string };
  ms: number;
  error?: string;
}

/**
 * `orders: canary 3c4d… at 10 % beside 1a2b… (12 ms)`, `orders: promoted 3c4d… (…)`,
 * `orders: aborted, 1a2b… serves alone (…)` or `orders: canary failed, 1a2b… serves alone`
 * with the error on a second line.
 */
export function canaryLine(r: CanaryOutcome): string {
  const sticky = r.split?.sticky ? `, sticky ${Object.entries(r.split.sticky).map(([k, v]) => (v === true ? k : `${k} ${v}`)).join('')}` : '';
  const mode = r.split?.mode === 'ab' ? ', A/B' : '';
  const change =
    r.outcome === 'started' || r.outcome === 'updated'
      ? `canary ${shortVersion(r.canary)} at ${r.split?.weight ?? '?'} % beside ${shortVersion(r.stable)}${sticky}${mode}`
      : r.outcome === 'promoted'
        ? `promoted ${shortVersion(r.stable)}`
        : r.outcome === 'aborted'
          ? `aborted, ${shortVersion(r.stable)} serves alone`
          : `canary${r.attempted ? ` ${shortVersion(r.attempted)}` : ''} failed, ${shortVersion(r.stable)} serves alone`;
  return `${r.remote}: ${change} (${r.ms} ms)${r.error ? `\n  ${r.error}` : ''}`;
}
