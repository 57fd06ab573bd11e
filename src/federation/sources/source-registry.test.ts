import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SourceConfig } from '../../config/source-configs.js';
import { builtInSources, createSource } from './source-registry.js';
import type { Source } from './source.js';

const settings = { githubApiUrl: 'https://api.github.com', githubToken: undefined, fetchTimeoutMs: 1_000 };

describe('source registry', () => {
  it('makes the source of the kind an entry names', () => {
    assert.equal(createSource({ kind: 'local', path: '/srv/dist' }, settings).describe(), 'local:/srv/dist');
    assert.equal(createSource({ kind: 'http', url: 'https://cdn.example.com/kit/' }, settings).describe(), 'http:https://cdn.example.com/kit/');
    const github = createSource({ kind: 'github', owner: 'acme', repo: 'kit', ref: 'main', dir: 'dist' }, settings);
    assert.equal(github.describe(), 'github:acme/kit@main/dist');
    assert.equal(typeof github.at, 'function', 'github versions are addressable');
  });

  it('uses the factory its map gives for a kind', () => {
    const made: Source = { kind: 'local', describe: () => 'stand-in', resolve: () => Promise.reject(new Error('unused')) };
    const kinds = { ...builtInSources, local: () => made };
    assert.equal(createSource({ kind: 'local', path: '/srv/dist' }, settings, kinds), made);
  });

  it('refuses a kind it has no factory for, also one named like a property of every object', () => {
    for (const kind of ['ftp', 'constructor', 'toString']) {
      assert.throws(() => createSource({ kind } as unknown as SourceConfig, settings), new RegExp(`unknown source kind "${kind}" \\(expected local, http, github\\)`));
    }
  });
});
