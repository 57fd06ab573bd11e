// The `./adapters` expose. Adapters implement a port's interface; the host binds them by name.
/** Writes a one-line summary of an order event. Bound to ports by a later release. */
export const logAdapter = (service: { log: (line: string) => void }) => async (event: { eventName: string; id?: string }) => {
  service.log(`${event.eventName} ${event.id ?? ''}`.trim());
};
