// A simulated warehouse: check that the items are in stock, pick them, put them back.
import { randomUUID } from 'node:crypto';
import { OrderServiceError, SimulatedSystem, type CallOptions } from './simulator.js';

export type InventoryLine = { sku: string; quantity: number };
export type InventoryCheck = { available: boolean; lines: number; checkedAt: string };
export type InventoryPick = { pickId: string; lines: number; pickedAt: string };
export type InventoryRelease = { pickId: string; releasedAt: string };

const system = new SimulatedSystem('inventory', ['check', 'pick', 'release']);

function checkLines(items: readonly InventoryLine[]): void {
  if (!Array.isArray(items) || items.length === 0) throw new OrderServiceError('InventoryError', 'INVENTORY_BAD_REQUEST', 'at least one item line is required');
  for (const line of items) {
    if (typeof line?.sku !== 'string' || !Number.isInteger(line.quantity) || line.quantity < 1) {
      throw new OrderServiceError('InventoryError', 'INVENTORY_BAD_REQUEST', `bad item line ${JSON.stringify(line)}`);
    }
  }
}

export const inventoryService = {
  // Stock is unlimited here: unavailability is simulated with ORDER_SERVICE_FAULTS.
  check(request: { orderId: string; items: readonly InventoryLine[] }, options: CallOptions): Promise<InventoryCheck> {
    return system.call('check', request.orderId, options, () => {
      checkLines(request.items);
      return { available: true, lines: request.items.length, checkedAt: new Date().toISOString() };
    });
  },
  pick(request: { orderId: string; items: readonly InventoryLine[] }, options: CallOptions): Promise<InventoryPick> {
    return system.call('pick', request.orderId, options, () => {
      checkLines(request.items);
      return { pickId: `pick_${randomUUID()}`, lines: request.items.length, pickedAt: new Date().toISOString() };
    });
  },
  release(request: { orderId: string; pickId: string }, options: CallOptions): Promise<InventoryRelease> {
    return system.call('release', request.orderId, options, () => {
      if (typeof request.pickId !== 'string' || request.pickId === '') throw new OrderServiceError('InventoryError', 'INVENTORY_BAD_REQUEST', 'a pickId is required');
      return { pickId: request.pickId, releasedAt: new Date().toISOString() };
    });
  },
  /** Calls, performed operations and replays per operation in this process. */
  stats: () => system.stats(),
};

export type InventoryService = typeof inventoryService;
