import type { ModelSpecification } from '../../../../src/index.js';

/** Prices are kept to the cent, whatever precision the client sent. */
const toCents = (price: unknown) => Math.round(Number(price) * 100) / 100;

/** A product of the catalogue: what order items refer to by sku. */
export const Product: ModelSpecification = {
  modelName: 'product',
  endpoint: 'products',
  fields: {
    sku: { type: 'string', required: true, readOnly: true, pattern: '^[A-Z0-9][A-Z0-9-]{1,31}$', description: 'stock keeping unit, e.g. A1 or TSHIRT-M' },
    name: { type: 'string', required: true, minLength: 1, maxLength: 200 },
    price: { type: 'number', required: true, minimum: 0, description: 'unit price, rounded to the cent' },
    description: { type: 'string', maxLength: 2000 },
  },
  factory: () => (input) => ({ ...input, price: toCents(input.price) }),
  onUpdate: (model, changes) => ('price' in changes ? { ...model, price: toCents(model.price) } : undefined),
};
