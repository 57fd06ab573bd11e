/**
 * `GET /microlib/ws/events` (WebSocket): clients subscribe to events and get
 * each one as it happens, in the order the broker published them. A client
 * that reads slower than events come is dropped once its send buffer passes a
 * bound, rather than buffered without limit; a dead one is found by ping.
 *
 * Messages are JSON text frames, or MessagePack binary frames for a client that
 * asks with `?format=msgpack` or the subprotocol `microlib.msgpack` (it may then
 * send either; records' bigint fields arrive as 64-bit integers).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer, WebSocket } from 'ws';
import { crudEventName, type DomainEvent, type EventBroker } from '../../domain/events/index.js';
import type { Logger } from '../logging/logger.js';
import { ClientMessageError, matches, parseClientMessage, readClientMessage, type Subscription } from './client-subscription.js';
import { decodeMsgpackObject, encodeMsgpack } from '../wire/msgpack-codec.js';
import type { WireFormat } from '../wire/media-types.js';
import type { Caller } from '../../domain/access.js';
import { MicrolibError } from '../../domain/errors.js';
import { refusalHeaders, type RequestAuthenticator } from '../auth/request-authenticator.js';

export const EVENTS_WS_PATH = '/microlib/ws/events';

export interface EventStreamOptions {
  broker: EventBroker;
  /** Whether a model of that name is served now. */
  knownModel(modelName: string): boolean;
  logger: Logger;
  /** A client whose unsent data passes this is dropped (close 1013). */
  maxBufferedBytes: number;
  /** Subscriptions one connection may hold. */
  maxSubscriptions: number;
  /** Largest message a client may send. */
  maxMessageBytes: number;
  /** Ping interval; a client that did not answer the previous ping is dropped. */
  heartbeatMs: number;
  /** When authentication is on: who connects (a bearer header, or `access_token` in the query for browsers). */
  authenticate?: RequestAuthenticator;
  /**
   * May this caller read the model's events? Throws (403) if not; returns the
   * owner its events must belong to when the model's owner rule applies.
   */
  authorizeModel?(modelName: string, caller: Caller): string | undefined;
  /** May this caller subscribe to events by name (any model's)? Throws (403) if not. */
  authorizeEventNames?(caller: Caller): void;
  /** A record of a model as MessagePack frames carry it (its bigint fields as BigInt); as it is when not given. */
  recordToWire?(modelName: string, record: Record<string, unknown>): Record<string, unknown>;
  /**
   * Resolves once the broker's subscriptions made so far receive every event published from now on, wherever
   * (a cluster worker's stream, once the other workers forward them): `subscribed` is answered then, so a client
   * that writes after it sees its event. Without it, subscriptions take effect at once.
   */
  subscriptionsSettled?(): Promise<void>;
}

/** The subprotocols a client may offer to choose its frames' format. */
export const MSGPACK_SUBPROTOCOL = 'microlib.msgpack';
export const JSON_SUBPROTOCOL = 'microlib.json';
/** Nesting a client's MessagePack message may have (a subscription is two levels deep). */
const MESSAGE_DEPTH = 8;

/** The format `?format=` asks for: undefined without one, null for one this stream does not speak. */
function formatInQuery(req: IncomingMessage): WireFormat | undefined | null {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  const format = new URLSearchParams(url.slice(q + 1)).get('format');
  return format === null ? undefined : format === 'json' || format === 'msgpack' ? format : null;
}

const OPERATION = { created: 'create', updated: 'update', deleted: 'delete' } as const;
const eventNameOf = (model: string, kind: keyof typeof OPERATION) => crudEventName(model, OPERATION[kind]);

/** Close codes clients see. */
export const CLOSE_SLOW_CLIENT = 1013;

export class EventStreamServer {
  /** Made on the first upgrade: `ws` is imported only by a host that gets a WebSocket client (never by a function). */
  private wss: Promise<WebSocketServer> | undefined;
  private readonly clients = new Set<WebSocket>();
  private readonly heartbeat: NodeJS.Timeout;
  private connections = 0;
  private dropped = 0;

  constructor(private readonly options: EventStreamOptions) {
    const alive = new WeakSet<WebSocket>();
    this.heartbeat = setInterval(() => {
      for (const socket of this.clients) {
        if (!alive.has(socket)) {
          socket.terminate();
          continue;
        }
        alive.delete(socket);
        socket.ping();
      }
    }, options.heartbeatMs);
    this.heartbeat.unref();
    this.alive = alive;
  }

  private readonly alive: WeakSet<WebSocket>;

  private server(): Promise<WebSocketServer> {
    return (this.wss ??= import('ws').then(({ WebSocketServer }) => {
      const wss = new WebSocketServer({
        noServer: true,
        maxPayload: this.options.maxMessageBytes,
        perMessageDeflate: false,
        // Ours first; otherwise the first offered, as before there were ours.
        handleProtocols: (offered) => (offered.has(MSGPACK_SUBPROTOCOL) ? MSGPACK_SUBPROTOCOL : offered.has(JSON_SUBPROTOCOL) ? JSON_SUBPROTOCOL : (offered.values().next().value ?? false)),
      });
      wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
        this.clients.add(socket);
        socket.on('close', () => this.clients.delete(socket));
        this.alive.add(socket);
        socket.on('pong', () => this.alive.add(socket));
        this.serve(socket, req);
      });
      return wss;
    }));
  }

  private accept(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.server().then(
      (wss) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
      () => socket.destroy(),
    );
  }

  /** Takes over an upgrade request for {@link EVENTS_WS_PATH}. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (formatInQuery(req) === null) {
      const message = 'format must be json or msgpack';
      socket.end(`HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${message.length}\r\n\r\n${message}`);
      return;
    }
    const authenticate = this.options.authenticate;
    if (!authenticate) {
      this.accept(req, socket, head);
      return;
    }
    authenticate(req, { allowQueryToken: true }).then(
      (caller) => {
        this.callers.set(req, caller);
        this.accept(req, socket, head);
      },
      (error: unknown) => {
        const status = error instanceof MicrolibError && error.code === 'MLB_ERR_TOO_MANY_REQUESTS' ? '429 Too Many Requests' : '401 Unauthorized';
        const headers = Object.entries(refusalHeaders(error) ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('');
        socket.end(`HTTP/1.1 ${status}\r\n${headers}connection: close\r\ncontent-length: 0\r\n\r\n`);
      },
    );
  }

  /** The authenticated caller of each upgrade request, until its connection is served. */
  private readonly callers = new WeakMap<IncomingMessage, Caller>();

  stats(): { connections: number; dropped: number } {
    return { connections: this.connections, dropped: this.dropped };
  }

  /** Closes every connection (1001, going away). */
  close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const socket of this.clients) socket.close(1001, 'host stopping');
    const wss = this.wss;
    return wss ? wss.then((server) => new Promise((resolve) => server.close(() => resolve()))) : Promise.resolve();
  }

  /** An event message with its record's (and changes') bigint fields as BigInt, for MessagePack frames. */
  private toWire(message: Record<string, unknown>): Record<string, unknown> {
    const toWire = this.options.recordToWire;
    const event = message.event as DomainEvent | undefined;
    const data = event?.data as { record?: Record<string, unknown>; changes?: Record<string, unknown> } | undefined;
    if (!toWire || event?.modelName === undefined || typeof data !== 'object' || data === null) return message;
    const wire: Record<string, unknown> = { ...data };
    if (typeof data.record === 'object' && data.record !== null) wire.record = toWire(event.modelName, data.record);
    if (typeof data.changes === 'object' && data.changes !== null) wire.changes = toWire(event.modelName, data.changes);
    return { ...message, event: { ...event, data: wire } };
  }

  private serve(socket: WebSocket, req: IncomingMessage): void {
    const { broker, logger, maxBufferedBytes } = this.options;
    const owner = `ws:${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}#${++this.connections}`;
    const subscriptions = new Map<string, () => void>();
    const caller = this.callers.get(req);
    const format: WireFormat = socket.protocol === MSGPACK_SUBPROTOCOL ? 'msgpack' : (formatInQuery(req) ?? 'json');
    let open = true;

    const send = (message: Record<string, unknown>) => {
      if (!open) return;
      // Dropping is the bound: a client that cannot keep up must reconnect and catch up by reading the API.
      if (socket.bufferedAmount > maxBufferedBytes) {
        open = false;
        this.dropped++;
        logger.warn({ client: owner, bufferedBytes: socket.bufferedAmount }, 'slow WebSocket client dropped');
        socket.close(CLOSE_SLOW_CLIENT, 'too slow: events were not read in time');
        // A client that does not read will not read the close frame either.
        setTimeout(() => socket.terminate(), 1_000).unref();
        return;
      }
      socket.send(format === 'msgpack' ? encodeMsgpack(this.toWire(message)) : JSON.stringify(message));
    };

    const subscribe = (subscription: Subscription, model: string | undefined) => {
      let recordOwner: string | undefined;
      if (caller) {
        try {
          if (model !== undefined) recordOwner = this.options.authorizeModel?.(model, caller);
          else this.options.authorizeEventNames?.(caller);
        } catch (error) {
          throw new ClientMessageError(error instanceof Error ? error.message : 'not allowed', model === undefined ? 'event' : 'model', subscription.sub);
        }
      }
      subscriptions.get(subscription.sub)?.();
      // Until `subscribed` is answered, this subscription's events wait (so none comes before it).
      let held: DomainEvent[] | undefined = this.options.subscriptionsSettled ? [] : undefined;
      const handler = (event: DomainEvent) => {
        if (recordOwner !== undefined && (event.data as { record?: { owner?: unknown } } | undefined)?.record?.owner !== recordOwner) return;
        if (!matches(subscription, event)) return;
        if (held) held.push(event);
        else send({ type: 'event', sub: subscription.sub, event });
      };
      const unsubscribers = subscription.patterns.map((pattern) => broker.subscribe(pattern, handler, { owner }));
      subscriptions.set(subscription.sub, () => unsubscribers.forEach((unsubscribe) => unsubscribe()));
      const confirm = () => {
        send({ type: 'subscribed', sub: subscription.sub, events: subscription.patterns });
        const waiting = held ?? [];
        held = undefined;
        for (const event of waiting) send({ type: 'event', sub: subscription.sub, event });
      };
      const settled = this.options.subscriptionsSettled?.();
      if (!settled) return confirm();
      return settled.then(confirm, confirm);
    };

    /** Handles one client message; a subscription being confirmed returns a promise the next messages wait for. */
    const handle = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): Promise<void> | void => {
      // A message that waited for a confirmation may find the connection closed: it subscribes nothing then.
      if (!open) return;
      try {
        if (isBinary && format !== 'msgpack') throw new ClientMessageError('send JSON text frames (or connect with ?format=msgpack for MessagePack)');
        const message = isBinary ? readClientMessage(decodeFrame(data), eventNameOf, this.options.knownModel) : parseClientMessage(data.toString(), eventNameOf, this.options.knownModel);
        if (message.type === 'ping') return send({ type: 'pong' });
        if (message.type === 'unsubscribe') {
          subscriptions.get(message.sub)?.();
          subscriptions.delete(message.sub);
          return send({ type: 'unsubscribed', sub: message.sub });
        }
        if (!subscriptions.has(message.subscription.sub) && subscriptions.size >= this.options.maxSubscriptions) {
          throw new ClientMessageError(`a connection may hold ${this.options.maxSubscriptions} subscriptions`, 'sub', message.subscription.sub);
        }
        return subscribe(message.subscription, message.model);
      } catch (error) {
        const e = error instanceof ClientMessageError ? error : new ClientMessageError('the message could not be handled');
        send({ type: 'error', message: e.message, ...(e.field ? { field: e.field } : {}), ...(e.sub ? { sub: e.sub } : {}) });
      }
    };

    // Answers keep the order of the messages: while a subscription is being confirmed, later messages wait.
    let pending: Promise<void> | undefined;
    socket.on('message', (data, isBinary) => {
      const next = pending ? pending.then(() => handle(data, isBinary)) : handle(data, isBinary);
      if (!next) return;
      pending = next;
      void next.then(() => {
        if (pending === next) pending = undefined;
      });
    });
    socket.on('error', (error) => logger.debug({ client: owner, err: error }, 'WebSocket client error'));
    socket.on('close', () => {
      open = false;
      broker.disposeOwner(owner);
      subscriptions.clear();
    });
  }
}

/** A client's MessagePack frame, as one Buffer, held to the checks of request bodies. */
function decodeFrame(data: Buffer | ArrayBuffer | Buffer[]): unknown {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  try {
    return decodeMsgpackObject(bytes, MESSAGE_DEPTH);
  } catch (error) {
    throw new ClientMessageError(error instanceof Error ? error.message : 'the message is not MessagePack', error instanceof MicrolibError ? error.field : undefined);
  }
}
