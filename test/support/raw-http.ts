/**
 * An HTTP/1.1 request written by hand on its own socket, so a test controls when each
 * byte of the body goes out: send the head only, trickle the body, or stop half-way,
 * and see whether (and when) the server answers.
 */
import net from 'node:net';

export interface RawAnswer {
  /** 0 when the connection ended without an answer. */
  status: number;
  headers: Record<string, string>;
  /** The body, parsed when it is JSON. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers
}

export interface RawRequest {
  /** The answer once its head and body have arrived, or status 0 when the connection ended first. */
  readonly answer: Promise<RawAnswer>;
  /** Whether any byte of an answer has arrived. */
  answered(): boolean;
  /** Body bytes written so far. */
  sent(): number;
  /** Writes body bytes (as a chunk when the request is chunked); false once the connection is gone. */
  write(bytes: Buffer | string): Promise<boolean>;
  /** Ends a chunked body (the last chunk). */
  endChunked(): Promise<boolean>;
  /** Drops the connection. */
  destroy(): void;
}

export interface RawRequestInit {
  method?: string;
  path: string;
  headers?: Record<string, string | number>;
  /** Send the body with Transfer-Encoding: chunked. */
  chunked?: boolean;
}

export function openRawRequest(port: number, init: RawRequestInit): RawRequest {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  // Writes to a connection the server has closed fail; the answer (or its absence) is what tests check.
  socket.on('error', () => {});
  const headers: Record<string, string | number> = { host: `127.0.0.1:${port}`, ...init.headers };
  if (init.chunked) headers['transfer-encoding'] = 'chunked';
  const head = `${init.method ?? 'POST'} ${init.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
  socket.write(head);
  let received = Buffer.alloc(0);
  let sent = 0;
  const answer = new Promise<RawAnswer>((resolve) => {
    let done = false;
    const finish = (result: RawAnswer) => {
      if (done) return;
      done = true;
      resolve(result);
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parse(received);
      if (parsed) finish(parsed);
    });
    socket.on('close', () => finish(parse(received, true) ?? { status: 0, headers: {}, body: undefined }));
  });
  const write = (bytes: Buffer | string) =>
    new Promise<boolean>((resolve) => {
      if (socket.destroyed || !socket.writable) return resolve(false);
      socket.write(bytes, (error) => resolve(!error));
    });
  return {
    answer,
    answered: () => received.length > 0,
    sent: () => sent,
    async write(bytes) {
      const length = Buffer.byteLength(bytes);
      const ok = await write(init.chunked ? Buffer.concat([Buffer.from(`${length.toString(16)}\r\n`), Buffer.from(bytes), Buffer.from('\r\n')]) : bytes);
      if (ok) sent += length;
      return ok;
    },
    endChunked: () => write('0\r\n\r\n'),
    destroy: () => socket.destroy(),
  };
}

/** The answer in `bytes`, once complete (by Content-Length, or by the connection's end). */
function parse(bytes: Buffer, ended = false): RawAnswer | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const body = bytes.subarray(end + 4);
  if (length === undefined ? !ended : body.length < length) return undefined;
  const text = body.subarray(0, length ?? body.length).toString('utf8');
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: value };
}

/** Resolves with the answer, or with undefined when none has arrived within `ms`. */
export function answerWithin(request: RawRequest, ms: number): Promise<RawAnswer | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    void request.answer.then((answer) => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}
