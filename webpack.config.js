// Builds the example remote (examples/order-service) into examples/order-service/dist,
// the folder the host streams. This is the reference remote authors copy: every line is needed.
//
// Pins (package.json): webpack 5.111.1, because 5.112 breaks @module-federation/enhanced 2.9.2.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import enhanced from '@module-federation/enhanced/webpack';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const remoteDir = path.join(here, 'examples/order-service');

export default {
  mode: 'production',
  devtool: false,
  context: remoteDir,
  // The host runs remotes in Node: chunks are loaded asynchronously, not with require().
  target: 'async-node',
  entry: {},
  output: {
    path: path.join(remoteDir, 'dist'),
    publicPath: 'auto',
    // The host evaluates remoteEntry.js as a CommonJS module and reads `module.exports`.
    library: { type: 'commonjs-module' },
    chunkFilename: '[name].[contenthash:8].js',
    clean: true,
  },
  // Without this, UMD-style dependencies (lodash and the like) attach every loaded
  // version to globalThis, and memory grows on each hot reload.
  amd: false,
  resolve: { extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } },
  module: {
    rules: [{ test: /\.ts$/, loader: 'ts-loader', options: { transpileOnly: true, configFile: path.join(remoteDir, 'tsconfig.json') } }],
  },
  optimization: { minimize: false },
  plugins: [
    new enhanced.ModuleFederationPlugin({
      name: 'orderService',
      filename: 'remoteEntry.js',
      library: { type: 'commonjs-module' },
      exposes: {
        './models': './src/models/index.ts',
        './adapters': './src/adapters/index.ts',
        './services': './src/services/index.ts',
      },
      // Loads the remote's chunks in Node through the host's federation runtime.
      runtimePlugins: [require.resolve('@module-federation/node/runtimePlugin')],
      dts: false,
    }),
  ],
};
