// The remotes this host streams. Each entry names a remote and where its build
// output (remoteEntry.js and chunks) lives. Edit, then restart or POST /microlib/reload.
//
//   { name: 'orders', kind: 'local', path: './examples/order-service/dist' }
//   { name: 'orders', kind: 'http', url: 'https://cdn.example.com/orders/' }
//   { name: 'orders', kind: 'github', owner: 'acme', repo: 'orders', ref: 'main', dir: 'dist' }
//     (GitHub Enterprise: add apiUrl: 'https://ghe.example.com/api/v3', or set GITHUB_API_URL)
//
// Optional: exposes: ['./models', './adapters', './services'] (the default; adapters
// and services may be absent); isolation: 'thread' | 'process' | 'none', env: [...] (the
// variables its code may read), workers, callTimeoutMs, memoryMb, maxQueue (see README,
// Isolation). Entries in the original MicroLib format ({ url, owner, repo, filedir,
// branch, type }) are accepted too.
export default [
  {
    name: 'orderService',
    kind: 'local',
    path: './examples/order-service/dist',
    // Its code runs in a worker thread (REMOTE_ISOLATION) that sees only these variables:
    // the simulated services' latency, faults and call log.
    env: ['ORDER_SERVICE_*'],
  },
];
