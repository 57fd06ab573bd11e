// The application definition of the compose deployment, mounted on every node.
export default [
  // The example remote baked into the image; point at your own (github/http) instead.
  { name: 'orderService', kind: 'local', path: '/app/examples/order-service/dist' },
];

export const placements = {
  customers: { models: ['customer'], nodes: ['http://customers:8070'] },
  orders: { models: ['order'], nodes: ['http://orders:8070'] },
  products: { models: ['product'], nodes: ['http://products:8070'] },
};
