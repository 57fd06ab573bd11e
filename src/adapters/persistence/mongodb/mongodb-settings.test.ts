import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DatasourceOptions } from '../../../domain/datasource.js';
import { MicrolibError } from '../../../domain/errors.js';
import { createMongoDatasource } from './mongodb-datasource.js';
import { readSettings } from './mongodb-settings.js';

// Nothing connects here: options are checked when a datasource is created, before open().
const URL = 'mongodb://127.0.0.1:27017';

describe('mongodb datasource settings', () => {
  it('refuses bad options when the datasource is created, never showing the password', () => {
    const base = { collection: 'items', dataDir: '', url: URL };
    const cases: [Partial<DatasourceOptions>, string][] = [
      [{ url: undefined }, 'url'],
      [{ url: 'http://user:secret@localhost' }, 'url'],
      [{ writeConcern: 0 }, 'writeConcern'],
      [{ writeConcern: { w: 0 } }, 'writeConcern'],
      [{ indexes: [{ fields: { $where: 1 } }] }, 'indexes'],
      [{ indexes: [{ fields: { a: 2 } }] }, 'indexes'],
      [{ collectionName: 'system.users' }, 'collectionName'],
      [{ database: 'a/b' }, 'database'],
      [{ serverSelectionTimeoutMS: -1 }, 'serverSelectionTimeoutMS'],
    ];
    for (const [options, field] of cases) {
      assert.throws(
        () => createMongoDatasource({ ...base, ...options }),
        (error: unknown) => error instanceof MicrolibError && error.code === 'MLB_ERR_VALIDATION' && error.field === field && !error.message.includes('secret'),
        JSON.stringify(options),
      );
    }
  });

  it("uses the host's default URL and database when the spec names none", () => {
    const settings = readSettings({ collection: 'items', dataDir: '', defaultUrl: URL, defaultDatabase: 'shop' });
    assert.equal(settings.url, URL);
    assert.equal(settings.database, 'shop');
    assert.equal(createMongoDatasource({ collection: 'items', dataDir: '', defaultUrl: URL }).kind, 'mongodb');
  });
});
