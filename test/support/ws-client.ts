/** A WebSocket test client that records every JSON message it receives. */
import WebSocket from 'ws';
import { until } from './until.js';

/** Connects; `until(n)` waits (bounded) until n messages have arrived in all. */
export async function connect(url: string, options?: WebSocket.ClientOptions) {
  const socket = new WebSocket(url, options);
  const messages: Array<Record<string, any>> = [];
  socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, any>));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    send: (message: unknown) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async until(count: number, what: string) {
      await until(() => messages.length >= count, what, 5_000).catch((error: Error) => {
        throw new Error(`${error.message}; got ${JSON.stringify(messages)}`);
      });
      return messages;
    },
  };
}

