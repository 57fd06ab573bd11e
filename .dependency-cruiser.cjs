// Layer rules for src/ (see docs/architecture.md, "Layers"), checked by `npm run lint:layers`.
//
// Why dependency-cruiser is pinned to 17.4.3: it is the newest release whose engines still
// include Node 20 (`^20.12||^22||>=24`; 18.x needs Node 22+) and whose supported TypeScript
// range (`>=2.0.0 <7.0.0`) covers our TypeScript 5.9. Raise it together with the Node floor.
//
// Every rule is a "forbidden" rule with a name that says what was crossed: a failure prints
// that name, the importing file and the imported file. Layer rules list what a layer MAY
// import inside src/ (everything else in src/ is forbidden); npm packages are governed by the
// separate rules at the end. Tests (`*.test.ts`) are exempt, and so are test/ and bench/.
//
// Violations that exist today are listed in .dependency-cruiser-known-violations.json
// (made by `npx depcruise-baseline src`) and ignored by `--ignore-known`; empty that file as
// they are fixed, and never add to it.

/** A regular expression matching any path under one of the given src/ folders. */
const under = (...folders) => `^src/(${folders.join('|')})/`;

/** Node built-ins that reach files, the network, processes or threads. */
const NODE_IO = [
  'fs', 'net', 'http', 'https', 'http2', 'tls', 'dgram', 'dns',
  'child_process', 'worker_threads', 'cluster',
];

/** Runtime packages that do I/O or belong to one adapter; the domain stays free of them. */
const IO_PACKAGES = [
  'express', 'ws', 'kafkajs', 'mongodb', 'pino', 'pino-pretty', 'prom-client',
  'swagger-ui-dist', '@module-federation/.+',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // ---- layers -------------------------------------------------------------------------
    {
      name: 'domain-imports-only-domain',
      comment:
        'src/domain is the middle of the hexagon: models and their rules. It may import only ' +
        'src/domain (and pure npm libraries), never an adapter, the catalog, config, federation, ' +
        'cluster, host or cli. Give the domain a port (an interface) and implement it outside.',
      severity: 'error',
      from: { path: under('domain') },
      to: { path: '^src/', pathNot: under('domain') },
    },
    {
      name: 'domain-no-node-io',
      comment:
        'src/domain does no I/O: no node:fs, net, http(s), http2, tls, dgram, dns, child_process, ' +
        'worker_threads or cluster. Put the I/O in an adapter behind a domain port.',
      severity: 'error',
      from: { path: under('domain') },
      to: {
        dependencyTypes: ['core'],
        path: `^(node:)?(${NODE_IO.join('|')})(/|$)`,
      },
    },
    {
      name: 'domain-no-io-packages',
      comment:
        'src/domain uses only pure npm libraries (ajv, semver, ...), not servers, drivers, ' +
        'loggers, metrics or Module Federation. Put them in an adapter behind a domain port.',
      severity: 'error',
      from: { path: under('domain') },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg'],
        path: `^node_modules/(${IO_PACKAGES.join('|')})/`,
      },
    },
    {
      name: 'catalog-imports-only-domain',
      comment:
        'src/catalog (what is served now) may import only src/domain and src/catalog: the ' +
        'adapters and the host read it, not the other way round.',
      severity: 'error',
      from: { path: under('catalog') },
      to: { path: '^src/', pathNot: under('domain', 'catalog') },
    },
    {
      name: 'config-imports-only-domain',
      comment:
        'src/config (environment, remoteEntries.js, key files) may import only src/domain and ' +
        'src/config; node built-ins are fine. It must not reach into adapters (e.g. auth or ' +
        'crypto): move what it needs into the domain or config.',
      severity: 'error',
      from: { path: under('config') },
      to: { path: '^src/', pathNot: under('domain', 'config') },
    },
    {
      name: 'federation-imports-only-domain-config',
      comment:
        'src/federation (sources, snapshot cache, loader, deployment) may import only ' +
        'src/domain, src/config and src/federation.',
      severity: 'error',
      from: { path: under('federation') },
      to: { path: '^src/', pathNot: under('domain', 'config', 'federation') },
    },
    {
      name: 'adapters-import-only-domain-catalog',
      comment:
        'src/adapters/** may import only src/domain, src/catalog and other adapters; never ' +
        'config, federation, cluster, host, cli or the top-level files. The host hands an ' +
        'adapter what it needs (values, callbacks or domain ports) when it wires it.',
      severity: 'error',
      from: { path: under('adapters') },
      to: { path: '^src/', pathNot: under('domain', 'catalog', 'adapters') },
    },
    {
      name: 'cluster-imports-only-domain-catalog-adapters',
      comment:
        'src/cluster (primary and worker link) may import only src/domain, src/catalog, ' +
        'src/adapters and src/cluster; the host passes it its configuration.',
      severity: 'error',
      from: { path: under('cluster') },
      to: { path: '^src/', pathNot: under('domain', 'catalog', 'adapters', 'cluster') },
    },
    {
      name: 'host-not-to-cli',
      comment:
        'The composition root (src/host/**, src/host.ts, src/server.ts, src/index.ts) may ' +
        'import anything in src except the microlib command (src/cli), which sits on top.',
      severity: 'error',
      from: { path: '^src/(host/|host\\.ts$|server\\.ts$|index\\.ts$)' },
      to: { path: under('cli') },
    },
    {
      name: 'cli-imports-only-config-server',
      comment:
        'src/cli (the microlib command) is a client of the host over HTTP: it may import only ' +
        'src/config, src/cli, src/server.ts (for `microlib start`) and src/serverless/bundle.ts (`microlib bundle`).',
      severity: 'error',
      from: { path: under('cli') },
      to: { path: '^src/', pathNot: `${under('config', 'cli')}|^src/server\\.ts$|^src/serverless/bundle\\.ts$` },
    },
    {
      name: 'testing-imports-only-domain',
      comment:
        'src/testing (test doubles shipped with the library) may import only src/domain and ' +
        'src/testing, so that using them never pulls in an adapter or the host.',
      severity: 'error',
      from: { path: under('testing') },
      to: { path: '^src/', pathNot: under('domain', 'testing') },
    },

    // ---- whole of src -------------------------------------------------------------------
    {
      name: 'no-circular',
      comment:
        'No import cycles in src/ (type-only imports count too): a cycle makes load order ' +
        'matter and the two files one unit. Move the shared part into a third file.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-test-or-bench',
      comment:
        'Shipped code (src/) must not import test/ or bench/: they are not part of the package.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'src-not-to-dev-dependencies',
      comment:
        'src/ must not import a devDependency at run time: it is not installed for users. ' +
        'Type-only imports (`import type`) are erased by tsc and are allowed.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'src-not-to-unresolvable',
      comment:
        'Every import in src/ must resolve to a file or an installed package. Besides catching ' +
        'typos this guards the other rules: an import the checker cannot resolve matches no path.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],

  options: {
    // Check src/ only; test files beside modules and compiled output are exempt.
    exclude: { path: ['\\.test\\.ts$', '^dist/'] },
    doNotFollow: { path: ['node_modules'] },
    // Keep `import type` edges (tsc erases them) so cycles see them and the
    // devDependency rule can tell them apart ("type-only").
    tsPreCompilationDeps: true,
    // Resolve like tsc does (NodeNext): `./x.js` in an import means `./x.ts`.
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
