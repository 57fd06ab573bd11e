import type { ModelSpecification } from '../../../../src/index.js';

/** A customer places orders. */
export const Customer: ModelSpecification = {
  modelName: 'customer',
  endpoint: 'customers',
  fields: {
    firstName: { type: 'string', required: true, minLength: 1, maxLength: 100 },
    lastName: { type: 'string', required: true, minLength: 1, maxLength: 100 },
    email: { type: 'string', required: true, format: 'email' },
    tier: { type: 'string', enum: ['standard', 'gold'], default: 'standard' },
  },
  factory: () => (input) => ({ ...input }),
  relations: {
    orders: { type: 'oneToMany', modelName: 'order', foreignKey: 'customerId' },
  },
};
