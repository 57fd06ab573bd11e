/**
 * Forwards a request of the generated API to a node of the placement that
 * serves its model: method, path, query, headers and a streamed body go out;
 * status, headers and a streamed body come back. Nodes of a placement take
 * turns; one that refuses the connection is skipped for the next.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import https from 'node:https';
import { MicrolibError } from '../../domain/errors.js';
import { sendError } from './respond.js';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';

/** `<placement>/<node name>` of the node whose model service answered. */
export const NODE_HEADER = 'x-microlib-node';
/** Set on forwarded requests (the forwarding node's label): such a request is never forwarded again. */
export const FORWARDED_HEADER = 'x-microlib-forwarded';

/** Where a model is served when not here. */
export interface PlacementTarget {
  readonly name: string;
  /** Node origins, e.g. http://10.0.0.7:8070. */
  readonly nodes: readonly string[];
}

export interface ForwarderOptions {
  /** This node's label, sent in {@link FORWARDED_HEADER}. */
  self: string;
  /** How long the placement's nodes together have to start answering. */
  timeoutMs: number;
}

/** Headers that describe one connection, not the request: never passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);
/** Errors meaning the node never got the request: the next node may take it. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

type Attempt = { kind: 'answered' } | { kind: 'unreachable'; reason: string };

export class Forwarder {
  private readonly turns = new Map<string, number>();
  // Free sockets close before the other node's keep-alive timeout (5 s), so a reused one is rarely found dead.
  private readonly httpAgent = new http.Agent({ keepAlive: true, timeout: 4_000 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, timeout: 4_000 });

  constructor(private readonly options: ForwarderOptions) {}

  /** Answers `res` with a node's answer, or with 503 (no node reachable) or 504 (deadline) naming where. */
  async forward(req: IncomingMessage, res: ServerResponse, placement: PlacementTarget): Promise<void> {
    const nodes = placement.nodes;
    const first = this.turns.get(placement.name) ?? 0;
    this.turns.set(placement.name, (first + 1) % nodes.length);
    const deadline = Date.now() + this.options.timeoutMs;
    const reasons: string[] = [];
    try {
      for (let i = 0; i < nodes.length; i++) {
        const node = nodes[(first + i) % nodes.length]!;
        const attempt = await this.attempt(req, res, node, placement, deadline);
        if (attempt.kind === 'answered') return;
        reasons.push(`${node} ${attempt.reason}`);
      }
      throw new MicrolibError('MLB_ERR_UNAVAILABLE', `placement "${placement.name}" has no reachable node (${reasons.join('; ')})`);
    } catch (error) {
      if (!(error instanceof MicrolibError)) throw error;
      // The request body may still be arriving; it is no longer wanted.
      if (!req.complete) res.setHeader('connection', 'close');
      sendError(res, error);
    }
  }

  private attempt(req: IncomingMessage, res: ServerResponse, node: string, placement: PlacementTarget, deadline: number): Promise<Attempt> {
    const target = new URL(req.url ?? '/', node);
    const secure = target.protocol === 'https:';
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    headers[FORWARDED_HEADER] = this.options.self;
    // One id for the request on both nodes, so their log lines can be joined.
    const requestId = requestIdOf(req);
    if (requestId !== '-') headers[REQUEST_ID_HEADER] = requestId;
    const from = req.socket.remoteAddress;
    if (from) headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${from}` : from;
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;

    return new Promise<Attempt>((resolve, reject) => {
      let bodySent = false;
      let answered = false;
      const upstream = (secure ? https : http).request(target, { method: req.method, headers, agent: secure ? this.httpsAgent : this.httpAgent });
      const timer = setTimeout(() => {
        upstream.destroy();
        reject(new MicrolibError('MLB_ERR_TIMEOUT', `node ${node} of placement "${placement.name}" did not answer within ${this.options.timeoutMs} ms`));
      }, Math.max(1, deadline - Date.now()));
      // The body goes out only once the node is connected: until then another node can still take the request whole.
      const sendBody = () => {
        if (bodySent) return;
        bodySent = true;
        if (hasBody) req.pipe(upstream);
        else upstream.end();
      };
      upstream.on('socket', (socket) => {
        if (socket.connecting) socket.once('connect', sendBody);
        else sendBody();
      });
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (answered) {
          res.destroy();
          return;
        }
        const code = error.code ?? error.message;
        // A dead reused keep-alive socket: a read never reached the node, so it may go elsewhere.
        const staleRead = code === 'ECONNRESET' && upstream.reusedSocket && (req.method === 'GET' || req.method === 'HEAD');
        if ((!bodySent && NOT_CONNECTED.has(code)) || staleRead) resolve({ kind: 'unreachable', reason: code });
        else reject(new MicrolibError('MLB_ERR_UNAVAILABLE', `node ${node} of placement "${placement.name}" failed during the request: ${code}`));
      });
      upstream.on('response', (answer) => {
        clearTimeout(timer);
        answered = true;
        const back: OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) back[name] = value;
        // The serving node names itself; this node's label must not stand in for it.
        res.removeHeader(NODE_HEADER);
        res.writeHead(answer.statusCode ?? 502, back);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        res.once('close', () => {
          if (!answer.complete) answer.destroy();
          resolve({ kind: 'answered' });
        });
      });
      // A client that goes away takes the forwarded request with it.
      res.once('close', () => {
        if (!answered) {
          clearTimeout(timer);
          upstream.destroy();
          resolve({ kind: 'answered' });
        }
      });
    });
  }

  /** Closes idle connections to other nodes. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
