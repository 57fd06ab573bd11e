// The operator dashboard: what the host serves (remotes, models, ports), a live event feed,
// and reloads with their progress. Data comes from the admin API with the tab's token.
import './style.css';
import { ApiError, getJson, post } from './api.js';
import { byId, el, shortVersion } from './dom.js';
import { EventFeed } from './feed.js';
import { readToken, saveToken } from './token.js';
import type { Access, FeedEvent, ModelInfo, PortInfo, ReloadResult, RemoteInfo } from './types.js';
import { adjustRecordCount, renderModels, renderPorts, renderRemotes } from './views.js';

const REFRESH_MS = 5_000;

const message = byId('auth-message');
const reloadAll = byId<HTMLButtonElement>('reload-all');
const reloadHint = byId('reload-hint');
const progress = byId('reload-progress');
const tokenInput = byId<HTMLInputElement>('token');

let remotes: RemoteInfo[] = [];
let canReload = false;
let reloading = false;
let refreshTimer: number | undefined;

function say(text: string | undefined, kind: 'bad' | 'info' = 'bad'): void {
  message.hidden = !text;
  message.textContent = text ?? '';
  message.className = `message ${kind}`;
}

/** What a refusal means for this page. */
function explain(error: unknown): string {
  if (error instanceof ApiError && error.status === 401) {
    return readToken() ? 'The host did not accept this token (expired, or not for this host): paste another one above.' : 'This host requires authentication: paste an admin JWT above.';
  }
  if (error instanceof ApiError && error.status === 403) return `This token may not read the host's state: ${error.message}`;
  if (error instanceof ApiError) return `${error.code}: ${error.message}`;
  return `Cannot reach the host: ${(error as Error).message}`;
}

function reloadState(access: Access | undefined): void {
  canReload = !!access && access.reload === 'allowed' && !reloading;
  reloadAll.disabled = !canReload;
  for (const button of document.querySelectorAll<HTMLButtonElement>('button.reload')) button.disabled = !canReload;
  reloadHint.textContent =
    access === undefined
      ? ''
      : access.reload === 'disabled'
        ? 'Reloads are disabled on this host (set ADMIN_TOKEN, or MICROLIB_DEV_MODE=true for development).'
        : access.reload === 'refused'
          ? readToken()
            ? 'This token may not reload: paste the ADMIN_TOKEN or an admin JWT.'
            : 'Reloading needs a credential: paste the ADMIN_TOKEN or an admin JWT above.'
          : '';
}

async function refresh(): Promise<void> {
  window.clearTimeout(refreshTimer);
  try {
    const [access, remoteList, modelList, portList] = await Promise.all([
      getJson<Access>('/microlib/api/access'),
      getJson<{ remotes: RemoteInfo[] }>('/microlib/api/remotes'),
      getJson<{ models: ModelInfo[] }>('/microlib/api/models'),
      getJson<{ ports: PortInfo[] }>('/microlib/api/ports'),
    ]);
    say(undefined);
    remotes = remoteList.remotes;
    reloadState(access);
    renderRemotes(remotes, canReload, (name) => void reload(name));
    renderModels(modelList.models);
    renderPorts(portList.ports);
    feed.follow(modelList.models.map((m) => m.name));
    refreshTimer = window.setTimeout(() => void refresh(), REFRESH_MS);
  } catch (error) {
    say(explain(error));
    reloadState(undefined);
    // Refused: asking again with the same token would only count as failed logins (and end in 429).
    const refused = error instanceof ApiError && [401, 403, 429].includes(error.status);
    if (!refused) refreshTimer = window.setTimeout(() => void refresh(), REFRESH_MS);
  }
}

function progressLine(result: ReloadResult): HTMLLIElement {
  const text =
    result.outcome === 'reloaded'
      ? `${result.remote}: reloaded ${shortVersion(result.from)} → ${shortVersion(result.to)} in ${result.ms} ms`
      : result.outcome === 'unchanged'
        ? `${result.remote}: unchanged at ${shortVersion(result.to)} (${result.ms} ms)`
        : `${result.remote}: failed after ${result.ms} ms, still serving ${shortVersion(result.to)}: ${result.error ?? ''}`;
  return el('li', { 'data-remote': result.remote, class: result.outcome }, text);
}

/** Reloads one remote, or all; shows each remote pending, then its result. */
async function reload(remote?: string): Promise<void> {
  const names = remote ? [remote] : remotes.map((r) => r.name);
  reloading = true;
  reloadState(undefined);
  progress.replaceChildren(...names.map((name) => el('li', { 'data-remote': name, class: 'pending' }, `${name}: reloading…`)));
  try {
    const answer = await post<{ results?: ReloadResult[] }>(`/microlib/reload${remote ? `?remote=${encodeURIComponent(remote)}` : ''}`);
    if (answer.error) {
      progress.replaceChildren(el('li', { class: 'failed' }, answer.status === 401 ? 'Refused: paste the ADMIN_TOKEN or an admin JWT above, then reload.' : `Refused (${answer.status}): ${answer.error.message}`));
    } else {
      progress.replaceChildren(...(answer.body.results ?? []).map(progressLine));
    }
  } catch (error) {
    progress.replaceChildren(el('li', { class: 'failed' }, `The reload request failed: ${(error as Error).message}`));
  } finally {
    reloading = false;
    await refresh();
  }
}

/**
 * A created or deleted record moves its model's count at once; the periodic refresh then shows
 * the datasource's own count (which also corrects an event counted twice around a refresh).
 */
function followCount(event: FeedEvent): void {
  const model = event.modelName;
  if (!model) return;
  const delta = event.eventName === `${model}Created` ? 1 : event.eventName === `${model}Deleted` ? -1 : 0;
  if (delta !== 0) adjustRecordCount(model, delta);
}

const feed = new EventFeed(() => void refresh(), followCount);

reloadAll.addEventListener('click', () => void reload());
byId<HTMLFormElement>('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  saveToken(tokenInput.value.trim() || undefined);
  tokenInput.value = '';
  tokenInput.placeholder = readToken() ? 'token set for this tab' : 'admin JWT or ADMIN_TOKEN';
  feed.connect();
  void refresh();
});
byId('token-clear').addEventListener('click', () => {
  saveToken(undefined);
  tokenInput.placeholder = 'admin JWT or ADMIN_TOKEN';
  feed.connect();
  void refresh();
});
if (readToken()) tokenInput.placeholder = 'token set for this tab';

feed.connect();
void refresh();
