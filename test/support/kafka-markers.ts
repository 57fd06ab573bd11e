/**
 * Marker events for Kafka tests that must show something did NOT arrive (a duplicate, a
 * replay). Kafka keeps each partition in order, so a consumer that has handled the marker
 * of every partition has handled everything sent before it: the test waits for the markers
 * instead of waiting a fixed time and hoping a late record would have shown up by then.
 */
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { makeEvent } from '../../src/domain/events/index.js';

/** The markers sent by one {@link markEveryPartition} call, one per partition. */
export interface PartitionMarkers {
  /** Ids of the records the markers are about (their `data.id`), one per partition. */
  readonly ids: readonly string[];
  /** Whether `id` is the `data.id` of one of these markers. */
  isMarker(id: unknown): boolean;
  /** Whether `seen` (the `data.id`s handled, across the members of a group) holds every one of these markers. */
  allIn(seen: Iterable<unknown>): boolean;
}

/**
 * Sends one `eventName` event to each partition of `topic`, about the record
 * `<label>-p<partition>` of model `modelName`, as a foreign producer would.
 */
export async function markEveryPartition(
  brokers: string[],
  topic: string,
  { label, eventName = 'partitionMarker', modelName = 'marker' }: { label: string; eventName?: string; modelName?: string },
): Promise<PartitionMarkers> {
  const kafka = new Kafka({ clientId: 'test-markers', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let partitions: number[];
  try {
    partitions = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.map((p) => p.partitionId).sort((a, b) => a - b);
  } finally {
    await admin.disconnect();
  }
  const ids = partitions.map((partition) => `${label}-p${partition}`);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: partitions.map((partition, i) => ({ partition, value: JSON.stringify(makeEvent(eventName, { modelName, data: { id: ids[i] } })) })),
    });
  } finally {
    await producer.disconnect();
  }
  return {
    ids,
    isMarker: (id) => ids.includes(id as string),
    allIn: (seen) => {
      const set = new Set(seen);
      return ids.every((id) => set.has(id));
    },
  };
}
