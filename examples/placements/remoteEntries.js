// One application on three nodes: the same file on every node, MICROLIB_PLACEMENT
// chooses what each one runs. Every node loads the example remote; each activates
// the models of its placement and forwards requests for the others.
//
//   REMOTE_ENTRIES=examples/placements/remoteEntries.js MICROLIB_PLACEMENT=customers PORT=8071 DATA_DIR=data/customers npm start
//   REMOTE_ENTRIES=examples/placements/remoteEntries.js MICROLIB_PLACEMENT=orders    PORT=8072 DATA_DIR=data/orders    npm start
//   REMOTE_ENTRIES=examples/placements/remoteEntries.js MICROLIB_PLACEMENT=catalog   PORT=8073 DATA_DIR=data/catalog   npm start
//
// (add KAFKA_BROKERS for events across nodes). Where the nodes are reachable
// depends on the deployment: MICROLIB_NODES_<PLACEMENT> (comma-separated URLs,
// e.g. MICROLIB_NODES_ORDERS=http://orders-0.orders:8070,http://orders-1.orders:8070)
// replaces the loopback defaults; give every node the same values.
const nodes = (placement, fallback) => (process.env[`MICROLIB_NODES_${placement.toUpperCase()}`] || fallback).split(',').map((url) => url.trim());

export default [{ name: 'orderService', kind: 'local', path: '../order-service/dist' }];

export const placements = {
  customers: { models: ['customer'], nodes: nodes('customers', 'http://127.0.0.1:8071') },
  orders: { models: ['order'], nodes: nodes('orders', 'http://127.0.0.1:8072') },
  catalog: { models: ['product'], nodes: nodes('catalog', 'http://127.0.0.1:8073') },
};
