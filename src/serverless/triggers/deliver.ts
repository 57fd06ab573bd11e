/**
 * A trigger's batch delivered onto the host's local broker, one message after
 * another (in order: a FIFO queue's or a Kafka partition's order is kept), so
 * models' `eventHandlers`, `events.listen` subscriptions and flow triggers run
 * in the function as they do in a server.
 *
 * A message fails when its body is not JSON (Kafka skips it instead, see
 * TriggerBatch.skipUnreadable) or any handler it reached threw (the
 * broker logs each such handler). It also fails when the function's time ran out
 * before it was delivered, or while its handlers still ran. An event nobody listens
 * to is logged, and counts as delivered: a message for other consumers must not
 * come back forever. Messages delivered before (same id, same instance; for a
 * CloudEvent, same source too) are not delivered again when the platform retries a batch.
 */
import type { EventBroker } from '../../domain/events/event-broker.js';
import type { Logger } from '../../adapters/logging/logger.js';
import { RecentIds } from '../../adapters/events/recent-ids.js';
import { toDomainEvent, type TriggerMessage } from './messages.js';
import type { TriggerBatch } from './trigger-batch.js';

/** How many delivered message ids an instance remembers, to skip them in a retried batch. */
const REMEMBERED_IDS = 10_000;

export interface FailedMessage {
  id: string;
  reason: string;
}

/** A batch's messages could not all be delivered; the platform retries the batch (or sends it to its dead-letter destination). */
export class TriggerDeliveryError extends Error {
  constructor(readonly source: string, readonly failed: FailedMessage[]) {
    super(`microlib/serverless: ${failed.length} message(s) of the ${source} batch failed: ${failed.slice(0, 5).map((f) => `${f.id}: ${f.reason}`).join('; ')}${failed.length > 5 ? '; ...' : ''}`);
    this.name = 'TriggerDeliveryError';
  }
}

export interface Deliverer {
  /** Delivers `batch`; resolves with the messages that failed (none: all delivered). `deadline` is a `performance.now()` time. */
  deliver(batch: TriggerBatch, broker: EventBroker, logger: Logger | undefined, deadline?: number): Promise<FailedMessage[]>;
}

/** One per function instance: it remembers what it delivered. */
export function createDeliverer(): Deliverer {
  const delivered = new RecentIds(REMEMBERED_IDS);
  const unheard = new Set<string>();

  async function deliverOne(message: TriggerMessage, batch: TriggerBatch, broker: EventBroker, logger: Logger | undefined, deadline: number | undefined): Promise<string | undefined> {
    const { source } = batch;
    const mapped = toDomainEvent(message);
    if ('invalid' in mapped) {
      logger?.error({ source, messageId: message.id, channel: message.channel, skipped: batch.skipUnreadable === true }, `trigger message refused: ${mapped.invalid}${batch.skipUnreadable ? ' (skipped: a retry could not read it either)' : ''}`);
      return batch.skipUnreadable ? undefined : mapped.invalid;
    }
    const { event } = mapped;
    const key = message.idScope === undefined ? `${source}:${event.id}` : `${source}:${JSON.stringify([message.idScope, event.id])}`;
    if (delivered.has(key)) {
      logger?.info({ source, messageId: message.id, eventId: event.id }, 'trigger message already delivered by this instance: skipped');
      return undefined;
    }
    if (!broker.hasSubscribers(event.eventName)) {
      if (!unheard.has(event.eventName)) logger?.warn({ source, event: event.eventName, channel: message.channel }, 'no handler listens to this event: trigger messages carrying it are dropped');
      unheard.add(event.eventName);
      return undefined;
    }
    const report = await withinDeadline(broker.publish(event), deadline);
    if (report === 'time') return `its handlers were still running when the function's time ran out`;
    if (report.failed.length > 0) return `${report.failed.length} handler(s) failed on ${event.eventName} (logged as "event handler failed")`;
    delivered.add(key);
    return undefined;
  }

  return {
    async deliver(batch, broker, logger, deadline) {
      const failed: FailedMessage[] = [];
      for (const message of batch.messages) {
        let reason: string | undefined;
        if (batch.ordered && failed.length > 0) reason = 'an earlier message of the ordered batch failed';
        else if (deadline !== undefined && performance.now() >= deadline) reason = "not delivered: the function's time ran out";
        else reason = await deliverOne(message, batch, broker, logger, deadline);
        if (reason !== undefined) failed.push({ id: message.id, reason });
      }
      if (failed.length > 0) logger?.warn({ source: batch.source, messages: batch.messages.length, failed }, `${failed.length} of ${batch.messages.length} trigger message(s) failed`);
      return failed;
    },
  };
}

/** `work`'s result, or 'time' once `deadline` passed first (the work goes on, unawaited). */
async function withinDeadline<T>(work: Promise<T>, deadline: number | undefined): Promise<T | 'time'> {
  if (deadline === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'time'>((resolve) => (timer = setTimeout(() => resolve('time'), Math.max(0, deadline - performance.now()))));
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
