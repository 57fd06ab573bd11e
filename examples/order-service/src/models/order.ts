import { freezeProperties, type ModelSpecification, type PortCircuitBreakerSpec, type PortSpec } from '../../../../src/index.js';

interface OrderItem {
  sku: string;
  quantity: number;
  price: number;
}

const orderTotal = (items: readonly OrderItem[]) =>
  Math.round(items.reduce((sum, item) => sum + item.quantity * item.price, 0) * 100) / 100;

/** Statuses before fulfilment starts: the order may still be submitted or cancelled. */
const OPEN_STATUSES = ['pending', 'approved', 'submitted'];
/** Statuses while goods and money are moving: deleting the order would orphan them. */
const IN_FULFILMENT = new Set(['paid', 'inStock', 'picked', 'shipped', 'delivered', 'verified']);

/** Fields only the flow's callbacks set: clients may read them, never write them. */
const FLOW_FIELDS = ['paymentId', 'pickId', 'trackingId', 'carrier', 'deliveredAt', 'captureId', 'completedAt', 'refundId', 'cancelReason', 'cancelledAt'];

const REASON_MAX = 500;

/** Production deadline of one attempt of a port; tests shorten it through host configuration. */
const TIMEOUT_MS = 5_000;

// A dependency that fails half of at least 10 calls in a minute is left alone for 30 s,
// then probed with one call, instead of being hammered while it recovers.
const DOWNSTREAM_BREAKER: PortCircuitBreakerSpec = { failureRateThreshold: 0.5, minimumVolume: 10, windowMs: 60_000, openMs: 30_000, halfOpenMaxCalls: 1 };

// An undo that gives up leaves money or goods stranded, so compensations retry harder.
// They have no breaker: an open circuit would skip compensation exactly when it matters.
const COMPENSATION_RETRIES = { retries: 3, baseDelayMs: 100, maxDelayMs: 2_000 };

/** A string an adapter's result must carry; a missing one means the adapter and this spec disagree. */
function textOf(result: unknown, key: string): string {
  const value = typeof result === 'object' && result !== null ? (result as Record<string, unknown>)[key] : undefined;
  if (typeof value !== 'string' || value === '') throw new Error(`expected a "${key}" string in the port's result, got ${JSON.stringify(result)}`);
  return value;
}

/** The order flow, step by step: each port consumes the event its predecessor produces. */
const ports: Record<string, PortSpec> = {
  authorizePayment: {
    adapter: 'authorizePayment',
    service: 'paymentService',
    consumesEvent: 'orderSubmitted',
    producesEvent: 'paymentAuthorized',
    undo: 'refundPayment',
    timeout: TIMEOUT_MS,
    retries: { retries: 2, baseDelayMs: 50 },
    callback: ({ result }) => ({ paymentId: textOf(result, 'paymentId'), status: 'paid' }),
    description: 'authorizes the order total with the payment provider',
  },
  checkInventory: {
    adapter: 'checkInventory',
    service: 'inventoryService',
    consumesEvent: 'paymentAuthorized',
    producesEvent: 'inventoryChecked',
    timeout: TIMEOUT_MS,
    circuitBreaker: DOWNSTREAM_BREAKER,
    callback: () => ({ status: 'inStock' }),
    description: 'checks that every item is in stock',
  },
  pickOrder: {
    adapter: 'pickItems',
    service: 'inventoryService',
    consumesEvent: 'inventoryChecked',
    producesEvent: 'orderPicked',
    undo: 'releaseInventory',
    timeout: TIMEOUT_MS,
    circuitBreaker: DOWNSTREAM_BREAKER,
    callback: ({ result }) => ({ pickId: textOf(result, 'pickId'), status: 'picked' }),
    description: 'picks the items in the warehouse',
  },
  shipOrder: {
    adapter: 'shipOrder',
    service: 'shippingService',
    consumesEvent: 'orderPicked',
    producesEvent: 'orderShipped',
    undo: 'cancelShipment',
    timeout: TIMEOUT_MS,
    circuitBreaker: DOWNSTREAM_BREAKER,
    callback: ({ result }) => ({ trackingId: textOf(result, 'trackingId'), carrier: textOf(result, 'carrier'), status: 'shipped' }),
    description: 'hands the picked items to the carrier',
  },
  trackShipment: {
    adapter: 'trackShipment',
    service: 'shippingService',
    consumesEvent: 'orderShipped',
    producesEvent: 'shipmentDelivered',
    timeout: TIMEOUT_MS,
    circuitBreaker: DOWNSTREAM_BREAKER,
    callback: ({ result }) => ({ deliveredAt: textOf(result, 'deliveredAt'), status: 'delivered' }),
    description: 'follows the parcel until it is delivered',
  },
  verifyDelivery: {
    adapter: 'verifyDelivery',
    service: 'shippingService',
    consumesEvent: 'shipmentDelivered',
    producesEvent: 'deliveryVerified',
    timeout: TIMEOUT_MS,
    circuitBreaker: DOWNSTREAM_BREAKER,
    callback: () => ({ status: 'verified' }),
    description: 'confirms the delivery with the carrier',
  },
  completePayment: {
    adapter: 'capturePayment',
    service: 'paymentService',
    consumesEvent: 'deliveryVerified',
    producesEvent: 'orderCompleted',
    timeout: TIMEOUT_MS,
    callback: ({ result }) => ({ captureId: textOf(result, 'captureId'), completedAt: textOf(result, 'capturedAt'), status: 'completed' }),
    description: 'captures the authorized payment once the delivery is confirmed',
  },

  // Compensations: no consumesEvent, they only run as another port's undo, with the
  // undone step's result as input. Each puts the status back where that step found it,
  // except the refund, which ends the order.
  refundPayment: {
    adapter: 'refundPayment',
    service: 'paymentService',
    timeout: TIMEOUT_MS,
    retries: COMPENSATION_RETRIES,
    callback: ({ model, result }) => {
      const failure = model.flow?.error;
      const why = failure ? `${failure.port} failed: ${failure.message}` : 'the order could not be fulfilled';
      return {
        refundId: textOf(result, 'refundId'),
        status: 'cancelled',
        cancelReason: `${why}; payment refunded`.slice(0, REASON_MAX),
        cancelledAt: textOf(result, 'refundedAt'),
      };
    },
    description: 'refunds an authorized payment (undo of authorizePayment)',
  },
  releaseInventory: {
    adapter: 'releaseItems',
    service: 'inventoryService',
    timeout: TIMEOUT_MS,
    retries: COMPENSATION_RETRIES,
    callback: () => ({ status: 'paid' }),
    description: 'puts picked items back on the shelf (undo of pickOrder)',
  },
  cancelShipment: {
    adapter: 'cancelShipment',
    service: 'shippingService',
    timeout: TIMEOUT_MS,
    retries: COMPENSATION_RETRIES,
    callback: () => ({ status: 'picked' }),
    description: 'calls the shipment back from the carrier (undo of shipOrder)',
  },

  // POST /microlib/api/models/orders/:id/ports/cancelOrder  { "reason": "…" }
  // Inbound and without an adapter: the request body is the result.
  cancelOrder: {
    type: 'inbound',
    producesEvent: 'orderCancelled',
    callback: ({ model, result }) => {
      const status = String(model.status);
      if (!OPEN_STATUSES.includes(status)) throw new Error(`only a pending, approved or submitted order can be cancelled, this one is ${status}`);
      const reason = typeof result === 'object' && result !== null ? (result as { reason?: unknown }).reason : undefined;
      if (reason !== undefined && typeof reason !== 'string') throw new Error('"reason" must be a string');
      const text = typeof reason === 'string' && reason.trim() !== '' ? reason : 'cancelled on request';
      return { status: 'cancelled', cancelReason: text.slice(0, REASON_MAX), cancelledAt: new Date().toISOString() };
    },
    description: 'cancels an order that has not entered fulfilment',
  },
};

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
    status: {
      type: 'string',
      enum: ['pending', 'approved', 'submitted', 'paid', 'inStock', 'picked', 'shipped', 'delivered', 'verified', 'completed', 'cancelled'],
      default: 'pending',
      description: 'pending → approved → (submit) paid → inStock → picked → shipped → delivered → verified → completed; or cancelled',
    },
    total: { type: 'number', readOnly: true, description: 'computed from items' },
    note: { type: 'string', maxLength: 500 },
    // Set by the flow's callbacks.
    paymentId: { type: 'string', readOnly: true, description: 'payment authorization, set by authorizePayment' },
    pickId: { type: 'string', readOnly: true, description: 'warehouse pick, set by pickOrder' },
    trackingId: { type: 'string', readOnly: true, description: 'carrier tracking number, set by shipOrder' },
    carrier: { type: 'string', readOnly: true, description: 'set by shipOrder' },
    deliveredAt: { type: 'date', readOnly: true, description: 'set by trackShipment' },
    captureId: { type: 'string', readOnly: true, description: 'payment capture, set by completePayment' },
    completedAt: { type: 'date', readOnly: true, description: 'set by completePayment' },
    refundId: { type: 'string', readOnly: true, description: 'set by refundPayment when the flow is compensated' },
    cancelReason: { type: 'string', readOnly: true, maxLength: REASON_MAX, description: 'set by cancelOrder or refundPayment' },
    cancelledAt: { type: 'date', readOnly: true, description: 'set by cancelOrder or refundPayment' },
  },
  dependencies: { now: () => new Date() },
  factory: () => (input) => {
    // Read-only fields may be set on create; these belong to the flow, so not even then.
    const forged = FLOW_FIELDS.find((name) => input[name] !== undefined);
    if (forged) throw new Error(`"${forged}" is set by the order flow, not by clients`);
    const items = input.items as OrderItem[];
    return { ...input, total: orderTotal(items) };
  },
  // validate and onUpdate get the order as stored and what the write changes; validate returns the
  // order to store (the original MicroLib's semantics, the default: see hookSemantics).
  validate: (order, changes) => {
    const next = { ...order, ...changes };
    if (Array.isArray(next.items) && next.items.length === 0) throw new Error('an order needs at least one item');
    // Items can change while pending; the total follows them.
    if ('items' in changes) next.total = orderTotal(next.items as OrderItem[]);
    return next;
  },
  onUpdate: (order, changes) => {
    if (changes.items !== undefined && order.status !== 'pending') {
      throw new Error(`items of a ${String(order.status)} order cannot change`);
    }
  },
  // Rules composed from the host's helpers: the note is final once the order is completed.
  mixins: [freezeProperties({ name: 'note', after: (order) => order.status === 'completed' })],
  onDelete: (model) => {
    const flow = model.flow as { status?: string } | undefined;
    if (flow?.status === 'running' || flow?.status === 'compensating') throw new Error(`an order cannot be deleted while its flow is ${flow.status}`);
    if (IN_FULFILMENT.has(String(model.status))) throw new Error(`a ${String(model.status)} order cannot be deleted`);
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
    // POST /microlib/api/models/orders/:id/commands/submit starts the flow at its first port.
    submit: { command: 'authorizePayment', acl: ['orders:submit'], description: 'pays for and fulfils the order' },
  },
  ports,
};
