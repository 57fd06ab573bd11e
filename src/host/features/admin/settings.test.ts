import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../config/env-reader.js';
import { readAdminSettings } from './settings.js';

const NEW = 'the-new-secret-of-enough-length';
const OLD = 'the-old-secret-of-enough-length';

describe('admin settings: secrets that rotate', () => {
  it('accepts the current secret alone, or with the previous one while it rotates', () => {
    assert.equal(readAdminSettings({}).adminToken, undefined);
    assert.deepEqual(readAdminSettings({ ADMIN_TOKEN: NEW }).adminToken, [NEW]);
    assert.deepEqual(readAdminSettings({ ADMIN_TOKEN: NEW, ADMIN_TOKEN_PREVIOUS: OLD }).adminToken, [NEW, OLD]);
    assert.deepEqual(readAdminSettings({ WEBHOOK_SECRET: NEW, WEBHOOK_SECRET_PREVIOUS: OLD }).webhookSecret, [NEW, OLD]);
    // The same value twice is one secret.
    assert.deepEqual(readAdminSettings({ ADMIN_TOKEN: NEW, ADMIN_TOKEN_PREVIOUS: NEW }).adminToken, [NEW]);
  });

  it('refuses a previous secret without a current one, and a short one, naming the variable', () => {
    for (const name of ['ADMIN_TOKEN', 'WEBHOOK_SECRET']) {
      assert.throws(
        () => readAdminSettings({ [`${name}_PREVIOUS`]: OLD }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(`${name}_PREVIOUS`) && error.message.includes(`without ${name}`),
      );
      assert.throws(
        () => readAdminSettings({ [name]: NEW, [`${name}_PREVIOUS`]: 'short' }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(`${name}_PREVIOUS`),
      );
    }
  });
});
