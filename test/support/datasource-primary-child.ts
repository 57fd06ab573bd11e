// The cluster primary's datasource side, alone in a forked process: the IPC datasource tests talk to it over the real fork channel.
import { builtInDatasources } from '../../src/adapters/persistence/datasource-registry.js';
import { IpcPeer, type IpcEndpoint } from '../../src/cluster/ipc-peer.js';
import { OwnedDatasources } from '../../src/cluster/owned-datasources.js';

const owned = new OwnedDatasources(builtInDatasources);
new IpcPeer(process as unknown as IpcEndpoint, owned.handlers());
// The parent going away is this process's cue to flush and leave.
process.on('disconnect', () => void owned.closeAll().then(() => process.exit(0)));
