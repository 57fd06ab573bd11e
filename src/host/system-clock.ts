import { randomUUID } from 'node:crypto';
import type { ServiceClock } from '../domain/model-service.js';

/** ISO time of the current millisecond, formatted once per millisecond (it is per request otherwise). */
let clockMs = 0;
let clockIso = '';
export const systemClock: ServiceClock = {
  now() {
    const ms = Date.now();
    if (ms !== clockMs) {
      clockMs = ms;
      clockIso = new Date(ms).toISOString();
    }
    return clockIso;
  },
  newId: () => randomUUID(),
};
