/**
 * Test kits for code written against microlib's contracts, published as
 * `microlib/testing`. They register cases with `node:test`: load them from tests only.
 */
export { datasourceConformance, type DatasourceMaker } from './datasource-conformance.js';
export { listQuery, makeRecord, rejectsWithCode, samplePeople } from './datasource-fixtures.js';
