/**
 * Waiting with a limit, and the error helpers the bridge's two sides share:
 * a stopping host must never hang on Kafka.
 */
import type { Consumer, Producer } from 'kafkajs';
import type { Logger } from '../../logging/logger.js';

/** Waits for `promise` at most `ms`; resolves true if it settled in time. Never rejects. */
export async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Disconnects a client, waiting at most `limit` ms; problems are logged, never thrown. */
export async function disconnectWithin(client: Producer | Consumer, what: string, limit: number, logger: Logger): Promise<void> {
  const done = await withTimeout(
    client.disconnect().catch((error: unknown) => logger.warn({ err: error }, `kafka bridge ${what} did not disconnect cleanly`)),
    limit,
  );
  if (!done) logger.warn(`kafka bridge ${what} still disconnecting after ${limit} ms; giving up on it`);
}

/** Whether a send failed because of the records themselves, not the connection or the cluster's state. */
export function isPermanent(error: unknown): boolean {
  let cause: unknown = error;
  // kafkajs wraps the broker's answer in retry errors; the innermost cause tells.
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error && cause.name === 'KafkaJSProtocolError' && (cause as { retriable?: boolean }).retriable === false;
}

export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
