// The `./services` expose. A service is the outward end of an adapter, usually a client library.
/** A console-backed service for `logAdapter`. */
export const consoleService = { log: (line: string) => console.log(`[order-service] ${line}`) };
