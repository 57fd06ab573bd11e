// The listening line names the address the socket is bound to, not the configured spelling
// of it, and keeps the shape tools read: a `port` field and a message `listening on http…`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostFor } from './support/with-host.js';

const listeningLine = (logs: Array<Record<string, unknown>>) => logs.find((l) => String(l.msg).startsWith('listening'))!;

describe('the listening line', () => {
  it('names the address the host is bound to', async (t) => {
    const host = await hostFor(t, { remotes: [], env: { HOST: '127.0.0.1' } });
    const line = listeningLine(host.logs);
    assert.equal(line.msg, `listening on http://127.0.0.1:${host.port}`);
    assert.equal(line.port, host.port);
    assert.equal((await host.request('/microlib/health')).status, 200, 'the printed address answers');
  });

  it('prints the bound address when HOST names it in another spelling', async (t) => {
    // `127.1` is 127.0.0.1 in short form: the socket is bound to 127.0.0.1, and the log says so.
    const host = await hostFor(t, { remotes: [], env: { HOST: '127.1' } });
    assert.equal(listeningLine(host.logs).msg, `listening on http://127.0.0.1:${host.port}`);
  });
});
