// The `./models` expose: every model spec this remote serves.
export { Order } from './order.js';
export { Customer } from './customer.js';
export { Product } from './product.js';
