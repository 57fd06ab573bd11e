// The `./adapters` expose: the host binds each port to one of these by name. Every
// export must be an adapter, `(call: PortCall<Service>) => Promise<Json>`.
export { authorizePayment, capturePayment, refundPayment } from './payment.js';
export { checkInventory, pickItems, releaseItems } from './inventory.js';
export { shipOrder, trackShipment, verifyDelivery, cancelShipment } from './shipping.js';
