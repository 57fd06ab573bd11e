// The live event feed: one WebSocket to /microlib/ws/events, a subscription per served model
// and one for deploy events; newest first, at most MAX_ITEMS shown. Reconnects with backoff.
import { byId, clock, el, shortVersion } from './dom.js';
import { readToken } from './token.js';
import type { FeedEvent } from './types.js';

const MAX_ITEMS = 100;
const MAX_RETRY_MS = 15_000;

export class EventFeed {
  private socket: WebSocket | undefined;
  private readonly models = new Set<string>();
  private readonly subscribed = new Set<string>();
  /** Models whose subscription the host confirmed: their events reach this page from then on. */
  private readonly confirmed = new Set<string>();
  /** Models the host refused (no read permission, or no longer served), with its reason; asked again after a deploy or a new token. */
  private readonly refused = new Map<string, string>();
  private retryMs = 1_000;
  private retryTimer: number | undefined;
  private shown = 0;
  private readonly list = byId<HTMLOListElement>('feed');
  private readonly status = byId('ws-status');
  private readonly count = byId('feed-count');

  /**
   * `onDeploy` is called with each deploy event, so the page can refresh what it shows;
   * `onRecord` with each event of a followed model (its counts follow creates and deletes).
   */
  constructor(
    private readonly onDeploy: () => void,
    private readonly onRecord: (event: FeedEvent) => void,
  ) {}

  /** The models to follow: new ones are subscribed at once. */
  follow(models: Iterable<string>): void {
    for (const model of models) this.models.add(model);
    this.subscribeAll();
  }

  /** (Re)connects, e.g. with a new token. */
  connect(): void {
    window.clearTimeout(this.retryTimer);
    const old = this.socket;
    this.socket = undefined;
    old?.close();
    this.subscribed.clear();
    this.confirmed.clear();
    this.refused.clear();
    const url = new URL('/microlib/ws/events', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // Browsers cannot set headers on a WebSocket: the host takes the token from the query.
    const token = readToken();
    if (token) url.searchParams.set('access_token', token);
    const socket = new WebSocket(url);
    this.socket = socket;
    this.setStatus('connecting…', '');
    socket.onopen = () => {
      this.retryMs = 1_000;
      this.showLive();
      socket.send(JSON.stringify({ type: 'subscribe', sub: 'deploys', event: 'remoteReload*' }));
      this.subscribeAll();
    };
    socket.onmessage = (message) => this.receive(String(message.data));
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.setStatus(`disconnected (${event.code}); retrying in ${Math.round(this.retryMs / 1000)} s`, 'bad');
      this.retryTimer = window.setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    };
  }

  private subscribeAll(): void {
    const socket = this.socket;
    if (socket?.readyState !== WebSocket.OPEN) return;
    for (const model of this.models) {
      if (this.subscribed.has(model) || this.refused.has(model)) continue;
      this.subscribed.add(model);
      socket.send(JSON.stringify({ type: 'subscribe', sub: `model.${model}`, model }));
    }
  }

  private showLive(): void {
    const following = `live · following ${this.confirmed.size} model${this.confirmed.size === 1 ? '' : 's'}`;
    const refused = [...this.refused.values()];
    this.setStatus(refused.length === 0 ? following : `${following}; refused: ${refused.join('; ')}`, refused.length === 0 ? 'ok' : 'warn');
  }

  private setStatus(text: string, kind: string): void {
    this.status.textContent = `event feed: ${text}`;
    this.status.className = `pill ${kind}`;
  }

  private receive(text: string): void {
    let message: { type?: string; sub?: string; event?: FeedEvent; message?: string };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    if (message.type === 'subscribed' && message.sub?.startsWith('model.')) {
      this.confirmed.add(message.sub.slice('model.'.length));
      return this.showLive();
    }
    if (message.type === 'error') {
      // Refused (the token may not read that model, or a reload removed it): not asked again for now.
      if (message.sub?.startsWith('model.')) {
        const model = message.sub.slice('model.'.length);
        this.subscribed.delete(model);
        this.refused.set(model, message.message ?? model);
      } else if (message.sub === 'deploys') {
        this.refused.set('(deploys)', message.message ?? 'deploy events');
      }
      return this.showLive();
    }
    if (message.type !== 'event' || !message.event) return;
    this.show(message.event);
    if (message.sub?.startsWith('model.')) this.onRecord(message.event);
    if (message.sub === 'deploys') {
      // A deploy may bring back a model that was refused as not served.
      for (const model of this.refused.keys()) if (model !== '(deploys)') this.refused.delete(model);
      this.onDeploy();
    }
  }

  private show(event: FeedEvent): void {
    const data = event.data ?? {};
    const detail =
      event.eventName.startsWith('remoteReload')
        ? `${data.remote ?? ''}: ${shortVersion(data.from)} → ${shortVersion(data.to)}`
        : data.changes !== undefined
          ? JSON.stringify(data.changes).slice(0, 200)
          : '';
    const item = el(
      'li',
      { 'data-event': event.eventName, 'data-id': data.id },
      el('time', {}, clock(event.at)),
      el('strong', {}, event.eventName),
      el('code', {}, data.id ?? ''),
      el('span', { class: 'detail' }, detail),
    );
    this.list.prepend(item);
    while (this.list.children.length > MAX_ITEMS) this.list.lastElementChild!.remove();
    this.shown++;
    this.count.textContent = `(${this.shown} received${this.shown > MAX_ITEMS ? `, newest ${MAX_ITEMS} shown` : ''})`;
  }
}
