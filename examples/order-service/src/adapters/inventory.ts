// Adapters of the inventory ports.
import type { PortCall } from '../../../../src/index.js';
import type { InventoryCheck, InventoryPick, InventoryRelease, InventoryService } from '../services/inventory.js';
import { callOptions, orderId, orderLines, reference, serviceOf } from './order-call.js';

/** Result: `{ available, lines, checkedAt }`; an unavailable order fails the step. */
export async function checkInventory(call: PortCall<InventoryService>): Promise<InventoryCheck> {
  const result = await serviceOf(call).check({ orderId: orderId(call), items: orderLines(call) }, callOptions(call));
  if (!result.available) throw new Error(`items of order ${orderId(call)} are out of stock`);
  return result;
}

/** Result: `{ pickId, lines, pickedAt }`. */
export async function pickItems(call: PortCall<InventoryService>): Promise<InventoryPick> {
  return serviceOf(call).pick({ orderId: orderId(call), items: orderLines(call) }, callOptions(call));
}

/** Undo of pickOrder, whose result is the input. Result: `{ pickId, releasedAt }`. */
export async function releaseItems(call: PortCall<InventoryService>): Promise<InventoryRelease> {
  return serviceOf(call).release({ orderId: orderId(call), pickId: reference(call, 'pickId', 'input') }, callOptions(call));
}
