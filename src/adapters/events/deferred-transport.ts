/**
 * A transport whose module (and its client library: kafkajs, ws) is imported
 * only when it starts: a host that configures no Kafka and no webswitch never
 * loads them, which keeps a function's cold start short. Until it is loaded,
 * its stats are empty and its WebSocket routes wait for it.
 */
import type { EventTransport, UpgradeRoute } from './event-transport.js';

export function deferredTransport(name: string, load: () => Promise<EventTransport>, upgradePaths: readonly string[] = []): EventTransport {
  let loading: Promise<EventTransport> | undefined;
  let loaded: EventTransport | undefined;
  const transport = () =>
    (loading ??= load().then((made) => {
      loaded = made;
      return made;
    }));
  return {
    name,
    start: async () => (await transport()).start(),
    // Never started: nothing was loaded, nothing to stop.
    stop: async () => (loading ? (await loading).stop() : undefined),
    stats: () => loaded?.stats() ?? {},
    upgrades: () =>
      upgradePaths.map((path): UpgradeRoute => [
        path,
        (req, socket, head) => {
          transport().then(
            (made) => made.upgrades?.().find(([routePath]) => routePath === path)?.[1](req, socket, head),
            () => socket.destroy(),
          );
        },
      ]),
  };
}
