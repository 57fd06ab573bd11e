// Adapters of the shipping ports.
import type { PortCall } from '../../../../src/index.js';
import type { DeliveryVerification, Shipment, ShipmentCancellation, ShipmentTracking, ShippingService } from '../services/shipping.js';
import { callOptions, orderId, reference, serviceOf } from './order-call.js';

/** Result: `{ trackingId, carrier, shippedAt }`. */
export async function shipOrder(call: PortCall<ShippingService>): Promise<Shipment> {
  return serviceOf(call).ship({ orderId: orderId(call), pickId: reference(call, 'pickId', 'model') }, callOptions(call));
}

/** Result: `{ trackingId, delivered, deliveredAt }`; a parcel not yet delivered fails the step (and is retried if the port says so). */
export async function trackShipment(call: PortCall<ShippingService>): Promise<ShipmentTracking> {
  const result = await serviceOf(call).track({ orderId: orderId(call), trackingId: reference(call, 'trackingId', 'model') }, callOptions(call));
  if (!result.delivered) throw new Error(`shipment ${result.trackingId} is not delivered yet`);
  return result;
}

/** Result: `{ trackingId, verified, verifiedAt }`. */
export async function verifyDelivery(call: PortCall<ShippingService>): Promise<DeliveryVerification> {
  const result = await serviceOf(call).verify({ orderId: orderId(call), trackingId: reference(call, 'trackingId', 'model') }, callOptions(call));
  if (!result.verified) throw new Error(`delivery of shipment ${result.trackingId} could not be verified`);
  return result;
}

/** Undo of shipOrder, whose result is the input. Result: `{ trackingId, cancelledAt }`. */
export async function cancelShipment(call: PortCall<ShippingService>): Promise<ShipmentCancellation> {
  return serviceOf(call).cancel({ orderId: orderId(call), trackingId: reference(call, 'trackingId', 'input') }, callOptions(call));
}
