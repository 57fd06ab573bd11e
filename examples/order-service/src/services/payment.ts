// A simulated payment provider: authorize an amount, capture it once delivered, refund it.
import { randomUUID } from 'node:crypto';
import { OrderServiceError, SimulatedSystem, type CallOptions } from './simulator.js';

export type PaymentAuthorization = { paymentId: string; amount: number; authorizedAt: string };
export type PaymentCapture = { captureId: string; paymentId: string; amount: number; capturedAt: string };
export type PaymentRefund = { refundId: string; paymentId: string; amount: number; refundedAt: string };

const system = new SimulatedSystem('payment', ['authorize', 'capture', 'refund']);

/** The provider refuses what a real one would: no amount, or no payment to act on. */
function checkAmount(amount: number): void {
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
    throw new OrderServiceError('PaymentError', 'PAYMENT_BAD_AMOUNT', `payment amount must be a number >= 0, got ${JSON.stringify(amount)}`);
  }
}

function checkPayment(paymentId: string): void {
  if (typeof paymentId !== 'string' || paymentId === '') throw new OrderServiceError('PaymentError', 'PAYMENT_BAD_REQUEST', 'a paymentId is required');
}

export const paymentService = {
  authorize(request: { orderId: string; customerId: string; amount: number }, options: CallOptions): Promise<PaymentAuthorization> {
    return system.call('authorize', request.orderId, options, () => {
      checkAmount(request.amount);
      return { paymentId: `pay_${randomUUID()}`, amount: request.amount, authorizedAt: new Date().toISOString() };
    });
  },
  capture(request: { orderId: string; paymentId: string; amount: number }, options: CallOptions): Promise<PaymentCapture> {
    return system.call('capture', request.orderId, options, () => {
      checkPayment(request.paymentId);
      checkAmount(request.amount);
      return { captureId: `cap_${randomUUID()}`, paymentId: request.paymentId, amount: request.amount, capturedAt: new Date().toISOString() };
    });
  },
  refund(request: { orderId: string; paymentId: string; amount: number }, options: CallOptions): Promise<PaymentRefund> {
    return system.call('refund', request.orderId, options, () => {
      checkPayment(request.paymentId);
      checkAmount(request.amount);
      return { refundId: `ref_${randomUUID()}`, paymentId: request.paymentId, amount: request.amount, refundedAt: new Date().toISOString() };
    });
  },
  /** Calls, performed operations and replays per operation in this process. */
  stats: () => system.stats(),
};

export type PaymentService = typeof paymentService;
