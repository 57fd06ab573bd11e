// A running canary under its remote's row: the stable version and the canary side by side,
// with each one's share of the traffic, requests, error rate and p99 since the canary started.
import { clock, el, shortVersion } from './dom.js';
import type { CanaryInfo, RemoteInfo, VersionStats } from './types.js';

const COLUMNS = 8;

function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate === 0 || rate >= 0.1 ? 0 : 1)} %`;
}

function stickyText(sticky: CanaryInfo['sticky']): string {
  if (sticky === null) return 'no sticky key';
  if ('header' in sticky) return `sticky by header ${sticky.header}`;
  if ('cookie' in sticky) return `sticky by cookie ${sticky.cookie}`;
  return 'sticky by token subject';
}

/** The cells of one statistic for both versions: `data-role` and `data-stat` name each for tests and scripts. */
function statRow(label: string, stat: string, value: (role: 'stable' | 'canary', stats: VersionStats) => string, canary: CanaryInfo, worse?: (stable: VersionStats, next: VersionStats) => boolean): HTMLTableRowElement {
  const flagged = worse?.(canary.stats.stable, canary.stats.canary) ?? false;
  return el(
    'tr',
    {},
    el('th', {}, label),
    el('td', { 'data-role': 'stable', 'data-stat': stat }, value('stable', canary.stats.stable)),
    el('td', { 'data-role': 'canary', 'data-stat': stat, class: flagged ? 'worse' : undefined }, value('canary', canary.stats.canary)),
  );
}

/** The row shown under a remote that runs a canary; null without one. */
export function canaryRow(remote: RemoteInfo): HTMLTableRowElement | null {
  const canary = remote.canary;
  if (!canary) return null;
  const weight = (role: 'stable' | 'canary') => (role === 'canary' ? canary.weight : 100 - canary.weight);
  const versions = el(
    'table',
    { class: 'versions' },
    el(
      'thead',
      {},
      el('tr', {}, el('th', {}, ''), el('th', { 'data-role': 'stable' }, 'stable'), el('th', { 'data-role': 'canary' }, canary.mode === 'ab' ? 'B (candidate)' : 'canary')),
    ),
    el(
      'tbody',
      {},
      statRow('version', 'version', (_role, stats) => shortVersion(stats.version), canary),
      statRow('weight', 'weight', (role) => `${weight(role)} %`, canary),
      statRow('requests', 'requests', (_role, stats) => String(stats.requests), canary),
      statRow('error rate', 'error-rate', (_role, stats) => `${percent(stats.errorRate)} (${stats.errors})`, canary, (a, b) => b.requests > 0 && b.errorRate > a.errorRate),
      statRow('p99', 'p99', (_role, stats) => (stats.p99Ms === null ? '—' : `${stats.p99Ms} ms`), canary, (a, b) => a.p99Ms !== null && b.p99Ms !== null && b.p99Ms > a.p99Ms * 1.5),
    ),
  );
  const what = canary.mode === 'ab' ? 'A/B test' : 'canary';
  return el(
    'tr',
    { class: 'canary', 'data-canary-of': remote.name, 'data-version': canary.version },
    el(
      'td',
      { colspan: String(COLUMNS) },
      el('div', { class: 'hint' }, `${what} of ${shortVersion(canary.version)} beside ${shortVersion(canary.stableVersion)} since ${clock(canary.startedAt)}, ${stickyText(canary.sticky)}`),
      versions,
    ),
  );
}
