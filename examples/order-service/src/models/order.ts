import { freezeProperties, type ModelSpecification, type ModelInstance } from '../../../../src/index.js';

interface OrderItem {
  sku: string;
  quantity: number;
  price: number;
}

const orderTotal = (items: readonly OrderItem[]) =>
  Math.round(items.reduce((sum, item) => sum + item.quantity * item.price, 0) * 100) / 100;

/** An order of one customer. The total is always computed, never trusted from the client. */
export const Order: ModelSpecification = {
  modelName: 'order',
  endpoint: 'orders',
  fields: {
    customerId: { type: 'string', required: true, readOnly: true, description: 'id of the customer placing the order' },
    items: {
      type: 'array',
      required: true,
      items: {
        type: 'object',
        properties: {
          sku: { type: 'string', required: true, minLength: 1 },
          quantity: { type: 'integer', required: true, minimum: 1 },
          price: { type: 'number', required: true, minimum: 0 },
        },
      },
    },
    status: { type: 'string', enum: ['pending', 'approved', 'shipped', 'completed', 'cancelled'], default: 'pending' },
    total: { type: 'number', readOnly: true, description: 'computed from items' },
    note: { type: 'string', maxLength: 500 },
  },
  dependencies: { now: () => new Date() },
  factory: () => (input) => {
    const items = input.items as OrderItem[];
    return { ...input, total: orderTotal(items) };
  },
  validate: (model: ModelInstance, changes) => {
    if (Array.isArray(model.items) && model.items.length === 0) throw new Error('an order needs at least one item');
    // Items can change while pending; the total follows them.
    if ('items' in changes) return { ...model, total: orderTotal(model.items as OrderItem[]) };
    return undefined;
  },
  onUpdate: (model, changes) => {
    if (changes.items !== undefined && model.status !== 'pending') {
      throw new Error(`items of a ${String(model.status)} order cannot change`);
    }
  },
  // Rules composed from the host's helpers: the note is final once the order is completed.
  mixins: [freezeProperties({ name: 'note', after: (order) => order.status === 'completed' })],
  onDelete: (model) => {
    if (model.status === 'shipped') throw new Error('a shipped order cannot be deleted');
  },
  relations: {
    customer: { type: 'manyToOne', modelName: 'customer', foreignKey: 'customerId' },
  },
  commands: {
    // POST /microlib/api/models/orders/:id/commands/approve
    approve: {
      command: (order) => {
        if (order.status !== 'pending') throw new Error(`only a pending order can be approved, this one is ${String(order.status)}`);
        return { status: 'approved' };
      },
      acl: ['write'],
    },
  },
};
