/**
 * `node dist/bench/reload-only.js`: only the hot-deployment figures, printed as markdown;
 * `node dist/bench/reload-only.js github`: only the GitHub source's latency rows (quick, as JSON).
 */
import { measureGitHubReloads, measureReloads, renderReloadSection } from './reload-bench.js';

const log = (line: string) => console.error(line);
if (process.argv[2] === 'github') console.log(JSON.stringify(await measureGitHubReloads(log), null, 2));
else console.log(renderReloadSection(await measureReloads(log)));
