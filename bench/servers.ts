/** The servers of a run, how each starts, and which cases each is measured on. */
import path from 'node:path';
import type { BenchConfig } from './config.js';
import { startHost } from './host-server.js';
import type { CaseKind } from './measure.js';
import { benchDist } from './paths.js';
import { startServer, type ServerProcess } from './server-process.js';

export type ServerKey = 'nodeHttp' | 'fastify' | 'express' | 'microlib' | 'microlibNone' | 'microlibFile' | 'microlibMongo';

export interface ServerDefinition {
  key: ServerKey;
  label: string;
  kinds: readonly CaseKind[];
  /** See PreparedServer.loadsOtherCores. */
  loadsOtherCores?: boolean;
  start(config: BenchConfig): Promise<ServerProcess>;
}

const baseline = (key: ServerKey, label: string, file: string): ServerDefinition => ({
  key,
  label,
  // POST last: the reads are measured on exactly the seeded records.
  kinds: ['get', 'list', 'post'],
  start: (config) => startServer({ label, script: path.join(benchDist, file), cpu: config.serverCpu, env: {} }),
});

export const SERVERS: readonly ServerDefinition[] = [
  baseline('nodeHttp', 'node:http by hand (ceiling)', 'baseline-node-http.js'),
  baseline('fastify', 'Fastify 5 by hand (JSON schema on POST)', 'baseline-fastify.js'),
  baseline('express', 'Express 5 by hand', 'baseline-express.js'),
  {
    key: 'microlib',
    label: 'microlib generated routes, memory (remote in a worker thread, the default)',
    kinds: ['get', 'list', 'post'],
    start: (config) => startHost({ datasource: 'memory', cpu: config.serverCpu, isolation: 'thread' }),
  },
  {
    key: 'microlibNone',
    label: 'microlib generated routes, memory (isolation none: remote code in the host)',
    kinds: ['get', 'post'],
    start: (config) => startHost({ datasource: 'memory', cpu: config.serverCpu, isolation: 'none' }),
  },
  {
    key: 'microlibFile',
    label: 'microlib generated routes, file (durable)',
    kinds: ['get', 'post'],
    start: (config) => startHost({ datasource: 'file', cpu: config.serverCpu }),
  },
  {
    key: 'microlibMongo',
    label: 'microlib generated routes, mongodb (wire-protocol test server)',
    kinds: ['get', 'post'],
    // The test server is a process of its own, not pinned.
    loadsOtherCores: true,
    start: (config) => startHost({ datasource: 'mongodb', cpu: config.serverCpu }),
  },
];
