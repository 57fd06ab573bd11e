import type { RecordMethods, StoredRecord, ModelSpecification } from 'microlib';

/** Closes an open __modelName__; a closed one stays as it is. Returns the changes to store. */
export function close(record: StoredRecord & RecordMethods): { status: 'closed' } | undefined {
  return record.status === 'closed' ? undefined : { status: 'closed' };
}

/**
 * The __modelName__ model, served at /microlib/api/models/__endpoint__. Every
 * option is described by the ModelSpecification type of microlib.
 */
export const __ModelName__: ModelSpecification = {
  modelName: '__modelName__',
  endpoint: '__endpoint__',
  // Checked by the host before any code below runs: a bad body answers 400 naming the field.
  fields: {
    title: { type: 'string', required: true, minLength: 1, maxLength: 200, pattern: '\\S', description: 'what this __modelName__ is about' },
    quantity: { type: 'integer', minimum: 0, default: 1 },
    status: { type: 'string', enum: ['open', 'closed'], default: 'open' },
  },
  // Called once per loaded version; the function it returns makes each new record from the validated body.
  factory: () => (input) => ({ ...input, title: (input.title as string).trim() }),
  commands: {
    // POST /microlib/api/models/__endpoint__/<id>/commands/close
    close: { command: close },
  },
};
