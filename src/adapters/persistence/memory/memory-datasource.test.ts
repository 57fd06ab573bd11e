import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { datasourceConformance, rejectsWithCode } from '../../../testing/index.js';
import { createMemoryDatasource } from './memory-datasource.js';

datasourceConformance('memory', async () => ({
  ds: createMemoryDatasource({ collection: 'conformance', dataDir: '' }),
  cleanup: async () => undefined,
}));

describe('memory datasource', () => {
  it('has kind "memory" and refuses use before open', async () => {
    const ds = createMemoryDatasource({ collection: 'x', dataDir: '' });
    assert.equal(ds.kind, 'memory');
    await rejectsWithCode(ds.get('a'), 'MLB_ERR_UNAVAILABLE');
    await ds.open();
    await ds.close();
    await ds.close();
  });
});
