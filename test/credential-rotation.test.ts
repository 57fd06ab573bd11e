// Rotating ADMIN_TOKEN and WEBHOOK_SECRET without a moment when nothing works: while
// *_PREVIOUS is set, the host accepts the new and the previous value, and nothing else.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { localModelsRemote } from './support/fixture-remotes.js';
import { sendWebhook } from './support/webhook.js';
import { withHost } from './support/with-host.js';

const models = `[{ modelName: 'thing', endpoint: 'things', datasource: 'memory', factory: () => (x) => ({ ...x }) }]`;
const NEW_TOKEN = 'new-admin-token-of-enough-length';
const OLD_TOKEN = 'old-admin-token-of-enough-length';
const NEW_SECRET = 'new-webhook-secret-long-enough';
const OLD_SECRET = 'old-webhook-secret-long-enough';

describe('credentials while they rotate', () => {
  const host = withHost(async ({ workDir }) => ({
    remotes: [await localModelsRemote(workDir, models)],
    env: { ADMIN_TOKEN: NEW_TOKEN, ADMIN_TOKEN_PREVIOUS: OLD_TOKEN, WEBHOOK_SECRET: NEW_SECRET, WEBHOOK_SECRET_PREVIOUS: OLD_SECRET },
  }));
  const reload = (token: string) => host.request('/microlib/reload', { method: 'POST', headers: { authorization: `Bearer ${token}` } });

  it('accepts the new and the previous admin token on reloads and rollbacks, and refuses any other', async () => {
    for (const token of [NEW_TOKEN, OLD_TOKEN]) {
      const answer = await reload(token);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
    for (const token of ['some-other-token-of-enough-length', `${NEW_TOKEN}x`, OLD_TOKEN.slice(0, -1)]) {
      const refused = await reload(token);
      assert.equal(refused.status, 401, `${token}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error.code, 'MLB_ERR_UNAUTHORIZED');
    }
  });

  it('accepts deliveries signed with the new or the previous webhook secret, and refuses others', async () => {
    for (const secret of [NEW_SECRET, OLD_SECRET]) {
      const answer = await sendWebhook(host.url, { event: 'ping', payload: { zen: 'rotate' }, secret });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.pong, true);
    }
    const refused = await sendWebhook(host.url, { event: 'ping', payload: { zen: 'rotate' }, secret: 'a-third-secret-nobody-set' });
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
  });
});
