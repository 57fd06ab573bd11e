// The remotes, models and ports tables, redrawn from the admin API's answers.
import { byId, clock, el, shortVersion } from './dom.js';
import { canaryRow } from './canary-view.js';
import type { ModelInfo, PortInfo, ReloadResult, RemoteInfo } from './types.js';

function reloadLine(result: ReloadResult): HTMLLIElement {
  const change = result.outcome === 'reloaded' ? `${shortVersion(result.from)} → ${shortVersion(result.to)}` : result.outcome;
  return el(
    'li',
    { class: result.outcome, title: result.error ?? '' },
    `${clock(result.at)} ${result.reason}: ${change} (${result.ms} ms)`,
    result.error ? el('span', { class: 'error' }, ` ${result.error}`) : null,
  );
}

/** Where the remote's code runs, and how its workers fared: `thread, 2 restarts (last: …)`. */
function isolationLine(remote: RemoteInfo): HTMLElement | null {
  const isolation = remote.isolation;
  if (!isolation) return null;
  const parts: string[] = [isolation.isolation];
  if (isolation.state && isolation.state !== 'running') parts.push(isolation.state);
  if (isolation.restarts) parts.push(`${isolation.restarts} restart${isolation.restarts === 1 ? '' : 's'}`);
  const crash = isolation.lastCrash ? el('div', { class: 'error' }, `last crash ${clock(isolation.lastCrash.at)}: ${isolation.lastCrash.reason}`) : null;
  return el('div', { class: 'hint isolation', 'data-restarts': String(isolation.restarts ?? 0) }, parts.join(', '), crash);
}

export function renderRemotes(remotes: readonly RemoteInfo[], canReload: boolean, reload: (remote: string) => void): void {
  const body = byId('remotes').querySelector('tbody')!;
  body.replaceChildren(
    ...remotes.flatMap((remote) => {
      const button = el('button', { type: 'button', class: 'reload', 'data-remote': remote.name }, 'Reload');
      button.disabled = !canReload;
      button.addEventListener('click', () => reload(remote.name));
      const notes = [remote.cacheFallback ? 'from cache (source unreachable)' : '', remote.pinned ? `pinned to ${shortVersion(remote.pinned)}` : ''].filter(Boolean).join('; ');
      const row = el(
        'tr',
        { 'data-remote': remote.name },
        el('td', {}, el('strong', {}, remote.name)),
        el('td', { class: 'source' }, remote.source),
        el(
          'td',
          {},
          el('span', { class: `pill ${remote.status === 'ready' ? 'ok' : remote.status === 'failed' ? 'bad' : ''}` }, remote.status),
          remote.lastError ? el('div', { class: 'error' }, remote.lastError.message) : null,
          isolationLine(remote),
        ),
        el('td', { class: 'version', 'data-version': remote.version ?? '', title: remote.version ?? '' }, shortVersion(remote.version), notes ? el('div', { class: 'hint' }, notes) : null),
        el('td', {}, clock(remote.loadedAt)),
        el('td', {}, remote.loadMs === null ? '—' : `${remote.loadMs} ms`),
        el('td', {}, el('ul', { class: 'history' }, ...(remote.reloads ?? []).map(reloadLine))),
        el('td', {}, button),
      );
      // A canary gets a row of its own beneath, with both versions side by side.
      const canary = canaryRow(remote);
      return canary ? [row, canary] : [row];
    }),
  );
}

export function renderModels(models: readonly ModelInfo[]): void {
  const body = byId('models').querySelector('tbody')!;
  body.replaceChildren(
    ...models.map((model) =>
      el(
        'tr',
        { 'data-model': model.name },
        el('td', {}, el('strong', {}, model.name)),
        el('td', { class: 'endpoint' }, el('code', {}, model.path)),
        el('td', {}, `${model.remote} @ ${shortVersion(model.version)}`),
        el('td', {}, model.datasource),
        el('td', { class: 'records', title: model.countError ?? '' }, model.records === null ? '?' : String(model.records)),
      ),
    ),
  );
}

/**
 * Moves a model's shown record count by `delta` (a created or deleted record, as the event
 * stream tells it), until the next refresh shows the datasource's own count.
 */
export function adjustRecordCount(model: string, delta: number): void {
  const cell = byId('models').querySelector<HTMLTableCellElement>(`tr[data-model="${CSS.escape(model)}"] td.records`);
  const shown = cell ? Number.parseInt(cell.textContent ?? '', 10) : Number.NaN;
  // An unknown count ('?') stays unknown: only the datasource can say what it is.
  if (cell && Number.isSafeInteger(shown)) cell.textContent = String(Math.max(0, shown + delta));
}

export function renderPorts(ports: readonly PortInfo[]): void {
  const body = byId('ports').querySelector('tbody')!;
  body.replaceChildren(
    ...ports.map((port) => {
      const circuit = port.circuitBreaker;
      const failures = port.recentFailures ?? [];
      return el(
        'tr',
        { 'data-port': `${port.model}.${port.port}`, class: port.bound ? '' : 'unbound' },
        el('td', {}, el('strong', {}, `${port.model}.${port.port}`)),
        el('td', {}, port.disabled ? `${port.type} (disabled)` : port.type),
        el('td', {}, port.adapter ? `${port.adapter}${port.adapterRemote ? ` (${port.adapterRemote})` : ' (not loaded)'}` : '—'),
        el('td', {}, port.service ? `${port.service}${port.serviceRemote ? ` (${port.serviceRemote})` : ' (not loaded)'}` : '—'),
        el(
          'td',
          { class: 'circuit' },
          circuit ? el('span', { class: `pill ${circuit.state === 'closed' ? 'ok' : 'bad'}` }, circuit.state) : 'no breaker',
          circuit && circuit.failures > 0 ? el('div', { class: 'hint' }, `${circuit.failures} failed / ${circuit.failures + circuit.successes} in window`) : null,
        ),
        el(
          'td',
          { class: 'failures' },
          failures.length === 0
            ? '—'
            : el('ul', { class: 'history' }, ...failures.map((f) => el('li', { class: 'failed', title: f.id ? `record ${f.id}` : '' }, `${clock(f.at)} ${f.outcome}: ${f.message}`))),
        ),
      );
    }),
  );
}
