// The webswitch against the event transport contract: host A is the hub, served on
// 127.0.0.1 at a free port, host B its peer.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { eventTransportConformance } from '../../../../test/support/event-transport-conformance.js';
import { until } from '../../../../test/support/until.js';
import { WebSwitchHub } from './hub.js';
import { WebSwitchPeer } from './peer.js';
import { SWITCH_PATH } from './wire.js';

const secret = 'conformance-secret-0123456789';

eventTransportConformance('webswitch', async ({ a, b, share }) => {
  const logger = pino({ level: 'silent' });
  const hub = new WebSwitchHub({ broker: a, logger, hostId: 'host-a', share, secret });
  const routes = new Map(hub.upgrades());
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    const route = routes.get(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (route) route(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const peer = new WebSwitchPeer({ broker: b, logger, hostId: 'host-b', share, secret }, `ws://127.0.0.1:${port}${SWITCH_PATH}`);
  return {
    a: hub,
    b: peer,
    connected: async () => void (await until(() => hub.peers === 1 && peer.connected, 'the peer to join the hub', 10_000)),
    sent: (side) => (side === 'a' ? hub : peer).stats().relayed,
    cleanup: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
});
