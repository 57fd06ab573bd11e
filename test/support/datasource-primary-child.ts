// The cluster primary's datasource side, alone in a forked process: the IPC datasource tests talk to it over the real fork channel.
import { builtInDatasources } from '../../src/adapters/persistence/datasource-registry.js';
import { IpcPeer, type IpcEndpoint } from '../../src/cluster/ipc-peer.js';
import { OwnedDatasources } from '../../src/cluster/owned-datasources.js';

const owned = new OwnedDatasources(builtInDatasources);
// The one worker (the test process) gets the change streams of the collections it follows.
const peer: IpcPeer = new IpcPeer(process as unknown as IpcEndpoint, owned.handlers({ send: (topic, batch) => peer.notify(topic, batch) }));
// The parent going away is this process's cue to flush and leave.
process.on('disconnect', () => void owned.closeAll().then(() => process.exit(0)));
