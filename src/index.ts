// Public types for remote authors: `import type { ModelSpecification } from 'microlib'`.
export type * from './domain/model-spec.js';
// Property rules remote authors compose in a spec's `mixins` (bundled into the remote).
export { freezeProperties, requireProperties, updateProperties, validateProperties } from './domain/mixins/properties.js';
export type { PropertyCheck } from './domain/mixins/properties.js';
// Abort-aware waiting for adapters and services: `sleep(ms, signal)` and `raceAbort(promise, signal)`
// end at once when the port's deadline aborts the call.
export { raceAbort, sleep } from './domain/resilience/abortable.js';
// What a datasource written outside the host implements, and the error it rejects with
// (by `code`); `datasourceConformance` of `microlib/testing` checks both.
export type { ConditionOperator, Datasource, DatasourceFactory, DatasourceLogger, DatasourceOptions, FieldCondition, ListQuery, Page, ScalarJson, SortKey } from './domain/datasource.js';
// How a range condition with `instant` reads a date-time: a datasource of its own compares with this.
export { instantOf, INSTANT_PATTERN } from './domain/instants.js';
export { MicrolibError, type ErrorCode } from './domain/errors.js';
