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
    // Checked in clear on the way in, then stored encrypted: reads show the ciphertext.
    creditCardNumber: {
      type: 'string',
      sensitive: true,
      pattern: '^[0-9][0-9 -]{10,21}[0-9]$',
      description: 'card number (digits, spaces or dashes), stored encrypted',
    },
  },
  factory: () => (input) => ({ ...input }),
  relations: {
    orders: { type: 'oneToMany', modelName: 'order', foreignKey: 'customerId' },
  },
};
