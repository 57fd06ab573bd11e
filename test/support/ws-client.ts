/** A WebSocket test client that records every JSON message it receives. */
import WebSocket from 'ws';

/** Connects; `until(n)` waits (bounded) until n messages have arrived in all. */
export async function connect(url: string, options?: WebSocket.ClientOptions) {
  const socket = new WebSocket(url, options);
  const messages: Array<Record<string, any>> = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (data) => {
    messages.push(JSON.parse(data.toString()) as Record<string, any>);
    waiters.splice(0).forEach((wake) => wake());
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    send: (message: unknown) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async until(count: number, what: string) {
      const deadline = Date.now() + 5_000;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return messages;
    },
  };
}

