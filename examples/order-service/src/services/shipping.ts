// A simulated carrier: ship picked goods, track them to delivery, confirm it, or cancel.
import { randomUUID } from 'node:crypto';
import { OrderServiceError, SimulatedSystem, type CallOptions } from './simulator.js';

export type Shipment = { trackingId: string; carrier: string; shippedAt: string };
// Parcels of the simulation arrive as soon as they are tracked.
export type ShipmentTracking = { trackingId: string; delivered: boolean; deliveredAt: string };
export type DeliveryVerification = { trackingId: string; verified: boolean; verifiedAt: string };
export type ShipmentCancellation = { trackingId: string; cancelledAt: string };

const CARRIER = 'SimPost';

const system = new SimulatedSystem('shipping', ['ship', 'track', 'verify', 'cancel']);

function required(value: string, name: string): void {
  if (typeof value !== 'string' || value === '') throw new OrderServiceError('ShippingError', 'SHIPPING_BAD_REQUEST', `a ${name} is required`);
}

export const shippingService = {
  ship(request: { orderId: string; pickId: string }, options: CallOptions): Promise<Shipment> {
    return system.call('ship', request.orderId, options, () => {
      required(request.pickId, 'pickId');
      return { trackingId: `trk_${randomUUID()}`, carrier: CARRIER, shippedAt: new Date().toISOString() };
    });
  },
  track(request: { orderId: string; trackingId: string }, options: CallOptions): Promise<ShipmentTracking> {
    return system.call('track', request.orderId, options, () => {
      required(request.trackingId, 'trackingId');
      return { trackingId: request.trackingId, delivered: true, deliveredAt: new Date().toISOString() };
    });
  },
  verify(request: { orderId: string; trackingId: string }, options: CallOptions): Promise<DeliveryVerification> {
    return system.call('verify', request.orderId, options, () => {
      required(request.trackingId, 'trackingId');
      return { trackingId: request.trackingId, verified: true, verifiedAt: new Date().toISOString() };
    });
  },
  cancel(request: { orderId: string; trackingId: string }, options: CallOptions): Promise<ShipmentCancellation> {
    return system.call('cancel', request.orderId, options, () => {
      required(request.trackingId, 'trackingId');
      return { trackingId: request.trackingId, cancelledAt: new Date().toISOString() };
    });
  },
  /** Calls, performed operations and replays per operation in this process. */
  stats: () => system.stats(),
};

export type ShippingService = typeof shippingService;
