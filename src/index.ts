// Public types for remote authors: `import type { ModelSpecification } from 'microlib'`.
export type * from './domain/model-spec.js';
