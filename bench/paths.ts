/** Where the compiled scripts and the example remote are, whatever the cwd. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** This file runs as dist/bench/paths.js, three levels below the repository. */
export const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../..');
export const benchDist = path.join(repoRoot, 'dist/bench');
export const hostScript = path.join(repoRoot, 'dist/src/server.js');
export const exampleRemoteDist = path.join(repoRoot, 'examples/order-service/dist');
export const docsFile = path.join(repoRoot, 'docs/benchmarks.md');
