// The `./services` expose: the outward end of the adapters, bound to ports by name.
// Each simulates an external system in memory (see simulator.ts for the environment it reads).
export { paymentService } from './payment.js';
export { inventoryService } from './inventory.js';
export { shippingService } from './shipping.js';
