/** A WebSocket test client that records every message it receives: JSON text frames, MessagePack binary ones. */
import WebSocket from 'ws';
import { decode } from '@msgpack/msgpack';
import { until } from './until.js';

/** Connects (with `protocols`, when given); `until(n)` waits (bounded) until n messages have arrived in all. */
export async function connect(url: string, options?: WebSocket.ClientOptions, protocols?: string | string[]) {
  const socket = protocols === undefined ? new WebSocket(url, options) : new WebSocket(url, protocols, options);
  const messages: Array<Record<string, any>> = [];
  /** Whether each message came in a binary frame. */
  const binary: boolean[] = [];
  socket.on('message', (data, isBinary) => {
    binary.push(isBinary);
    messages.push((isBinary ? decode(data as Buffer, { useBigInt64: true }) : JSON.parse(data.toString())) as Record<string, any>);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    binary,
    send: (message: unknown) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async until(count: number, what: string) {
      await until(() => messages.length >= count, what, 5_000).catch((error: Error) => {
        throw new Error(`${error.message}; got ${JSON.stringify(messages)}`);
      });
      return messages;
    },
  };
}

