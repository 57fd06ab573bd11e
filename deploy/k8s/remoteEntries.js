// The application definition of the Kubernetes deployment, mounted on every node at
// /etc/microlib/remoteEntries.js. Each placement's nodes are its Service.
export default [
  // The example remote baked into the image; point at your own (github/http) instead.
  { name: 'orderService', kind: 'local', path: '/app/examples/order-service/dist' },
];

export const placements = {
  customers: { models: ['customer'], nodes: ['http://microlib-customers:8070'] },
  orders: { models: ['order'], nodes: ['http://microlib-orders:8070'] },
  products: { models: ['product'], nodes: ['http://microlib-products:8070'] },
};
