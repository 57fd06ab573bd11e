/**
 * The consumer's session timeout against what brokers accept. A broker refuses
 * a group join whose session timeout lies outside its
 * `group.min.session.timeout.ms`..`group.max.session.timeout.ms` (stock Apache
 * Kafka: 6 s to 30 min); kafkajs then only reports the protocol error, on every
 * retry, without the value it sent or what to change.
 *
 * @packageDocumentation
 */
import type { ConsumerConfig } from 'kafkajs';

/** Stock Apache Kafka's `group.min.session.timeout.ms`. */
export const STOCK_MIN_SESSION_TIMEOUT_MS = 6_000;
/** Stock Apache Kafka's `group.max.session.timeout.ms`. */
export const STOCK_MAX_SESSION_TIMEOUT_MS = 1_800_000;
/** kafkajs' defaults, which apply when the consumer options leave them out. */
const KAFKAJS_SESSION_TIMEOUT_MS = 30_000;
const KAFKAJS_HEARTBEAT_INTERVAL_MS = 3_000;

/** How the user sets the consumer's timings, named in log messages (a host names its environment variables). */
export interface TimingSettingNames {
  sessionTimeout: string;
  heartbeatInterval: string;
}

/** The kafkajs option names, for a bridge its caller configured in code. */
export const CONSUMER_OPTION_NAMES: TimingSettingNames = { sessionTimeout: 'consumer.sessionTimeout', heartbeatInterval: 'consumer.heartbeatInterval' };

/** The session timeout and heartbeat interval a consumer made with `consumer` sends. */
export function consumerTimings(consumer: Pick<ConsumerConfig, 'sessionTimeout' | 'heartbeatInterval'> | undefined): { sessionTimeoutMs: number; heartbeatIntervalMs: number } {
  return {
    sessionTimeoutMs: consumer?.sessionTimeout ?? KAFKAJS_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: consumer?.heartbeatInterval ?? KAFKAJS_HEARTBEAT_INTERVAL_MS,
  };
}

/** Warnings about timings a stock broker refuses, or that let a healthy member be dropped from its group. */
export function timingWarnings(consumer: Pick<ConsumerConfig, 'sessionTimeout' | 'heartbeatInterval'> | undefined, names: TimingSettingNames): string[] {
  const { sessionTimeoutMs, heartbeatIntervalMs } = consumerTimings(consumer);
  const warnings: string[] = [];
  if (sessionTimeoutMs < STOCK_MIN_SESSION_TIMEOUT_MS) {
    warnings.push(
      `${names.sessionTimeout}=${sessionTimeoutMs} is below ${STOCK_MIN_SESSION_TIMEOUT_MS}, the group.min.session.timeout.ms of a stock Kafka broker, which refuses such a consumer's group join; use at least ${STOCK_MIN_SESSION_TIMEOUT_MS} unless your brokers allow less`,
    );
  } else if (sessionTimeoutMs > STOCK_MAX_SESSION_TIMEOUT_MS) {
    warnings.push(
      `${names.sessionTimeout}=${sessionTimeoutMs} is above ${STOCK_MAX_SESSION_TIMEOUT_MS}, the group.max.session.timeout.ms of a stock Kafka broker, which refuses such a consumer's group join`,
    );
  }
  // Kafka's guidance: a third of the session, so two lost heartbeats do not end it.
  if (heartbeatIntervalMs * 3 > sessionTimeoutMs) {
    warnings.push(`${names.heartbeatInterval}=${heartbeatIntervalMs} is more than a third of ${names.sessionTimeout}=${sessionTimeoutMs}: one late heartbeat may drop this member from its group`);
  }
  return warnings;
}

/** Whether `error`, or what it wraps, is the broker refusing a join for its session timeout. */
export function isSessionTimeoutRefusal(error: unknown): boolean {
  let cause: unknown = error;
  for (let depth = 0; cause instanceof Error && depth < 10; depth++) {
    if ((cause as { type?: unknown }).type === 'INVALID_SESSION_TIMEOUT') return true;
    cause = cause.cause;
  }
  return false;
}

/** What the log says, once, when the broker refused to let the consumer join for its session timeout. */
export function sessionTimeoutRefusal(groupId: string, sessionTimeoutMs: number, names: TimingSettingNames): string {
  const refused = `Kafka refused to let this host join consumer group "${groupId}": the session timeout it sent, ${sessionTimeoutMs} ms,`;
  if (sessionTimeoutMs < STOCK_MIN_SESSION_TIMEOUT_MS) {
    return `${refused} is below the broker's group.min.session.timeout.ms (${STOCK_MIN_SESSION_TIMEOUT_MS} on a stock broker); set ${names.sessionTimeout} to at least that. Retrying in the background`;
  }
  if (sessionTimeoutMs > STOCK_MAX_SESSION_TIMEOUT_MS) {
    return `${refused} is above the broker's group.max.session.timeout.ms (${STOCK_MAX_SESSION_TIMEOUT_MS} on a stock broker); set ${names.sessionTimeout} to at most that. Retrying in the background`;
  }
  return (
    `${refused} is outside the range the broker allows: this broker raised group.min.session.timeout.ms above it or lowered group.max.session.timeout.ms below it ` +
    `(stock: ${STOCK_MIN_SESSION_TIMEOUT_MS} and ${STOCK_MAX_SESSION_TIMEOUT_MS}); set ${names.sessionTimeout} within the broker's range, or change those broker settings. Retrying in the background`
  );
}
