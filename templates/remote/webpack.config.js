// Builds this remote into dist/: remoteEntry.js, mf-manifest.json and the chunks
// a microlib host streams. Every option below is needed; each says why.
//
// Pins (package.json): webpack __webpackVersion__, because 5.112 breaks
// @module-federation/enhanced __enhancedVersion__. Upgrade them together with the host.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import enhanced from '@module-federation/enhanced/webpack';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

export default {
  mode: 'production',
  devtool: false,
  context: here,
  // The host runs remotes in Node and loads their chunks asynchronously, not with require().
  target: 'async-node',
  // A remote has no entry of its own: the federation plugin adds remoteEntry.js.
  entry: {},
  output: {
    path: path.join(here, 'dist'),
    publicPath: 'auto',
    // The host evaluates remoteEntry.js as a CommonJS module and reads `module.exports`.
    library: { type: 'commonjs-module' },
    // Content hashes: a changed chunk gets a new name, so no cache serves a stale one.
    chunkFilename: '[name].[contenthash:8].js',
    clean: true,
  },
  // Without this, UMD-style dependencies (lodash and the like) attach every loaded
  // version to globalThis, and the host's memory grows on each hot reload.
  amd: false,
  // Sources import './x.js' (as Node's ESM wants); webpack finds x.ts.
  resolve: { extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } },
  module: {
    // Type checking is `npm test`'s job (tsc); the build only strips the types.
    rules: [{ test: /\.ts$/, loader: 'ts-loader', options: { transpileOnly: true, configFile: path.join(here, 'tsconfig.json') } }],
  },
  // Readable code in the host's stack traces; size hardly matters on a server.
  optimization: { minimize: false },
  plugins: [
    new enhanced.ModuleFederationPlugin({
      // The container's name; the host's remoteEntries.js lists the remote under a name of its own.
      name: '__remoteName__',
      filename: 'remoteEntry.js',
      library: { type: 'commonjs-module' },
      // What the host asks for: './models' (model specs); add './adapters' and './services' when ports need them.
      exposes: {
        './models': './src/models/index.ts',
      },
      // Loads the remote's chunks in Node through the host's federation runtime.
      runtimePlugins: [require.resolve('@module-federation/node/runtimePlugin')],
      // The host needs no type bundle.
      dts: false,
    }),
  ],
};
