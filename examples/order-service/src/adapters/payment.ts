// Adapters of the payment ports: order data in, a small JSON result out.
import type { PortCall } from '../../../../src/index.js';
import type { PaymentAuthorization, PaymentCapture, PaymentRefund, PaymentService } from '../services/payment.js';
import { callOptions, customerId, numberIn, orderId, orderTotal, reference, serviceOf } from './order-call.js';

/** Statuses in which an order may still be submitted; anything later would charge it twice. */
const OPEN = new Set(['pending', 'approved', 'submitted']);

/** Result: `{ paymentId, amount, authorizedAt }`. */
export async function authorizePayment(call: PortCall<PaymentService>): Promise<PaymentAuthorization> {
  const status = call.model.status;
  if (typeof status === 'string' && !OPEN.has(status)) throw new Error(`a ${status} order cannot be submitted for payment`);
  return serviceOf(call).authorize({ orderId: orderId(call), customerId: customerId(call), amount: orderTotal(call) }, callOptions(call));
}

/** Result: `{ captureId, paymentId, amount, capturedAt }`. */
export async function capturePayment(call: PortCall<PaymentService>): Promise<PaymentCapture> {
  const request = { orderId: orderId(call), paymentId: reference(call, 'paymentId', 'model'), amount: orderTotal(call) };
  return serviceOf(call).capture(request, callOptions(call));
}

/** Undo of authorizePayment, whose result is the input. Result: `{ refundId, paymentId, amount, refundedAt }`. */
export async function refundPayment(call: PortCall<PaymentService>): Promise<PaymentRefund> {
  const request = { orderId: orderId(call), paymentId: reference(call, 'paymentId', 'input'), amount: numberIn(call.input, 'amount', orderTotal(call)) };
  return serviceOf(call).refund(request, callOptions(call));
}
